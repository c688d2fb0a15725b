"""The public invoice link: `/i/{token}` (a plain page) and `/i/{token}/pdf`. No sign-in; every view is recorded.

Plain FastAPI routes, not NiceGUI pages: mail scanners and bots open these links, and a page that never opens
its websocket would keep a NiceGUI client alive for nothing. Everything the invoice says is escaped.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from models.invoices import InvoiceStatus
from portal_app.auth.requests import client_ip, user_agent
from portal_app.responses import (
    CHECKOUT_NOTICES,
    NO_TRACE,
    escape,
    html_document,
    invoice_not_found,
    lines_table,
    logo_tag,
    party_block,
    pdf_response,
    render_pdf,
    totals_table,
)
from services.billing import invoice_access
from services.billing.invoice_views import InvoiceDetail
from services.billing.presentation import payment_text, status_badge, totals_rows
from services.card_payments import checkout as checkout_service
from services.core.errors import Conflict, Invalid, ServiceError
from services.organizations import branding
from services.organizations.branding import Logo

router = APIRouter(include_in_schema=False)

PAY_REFUSALS: dict[type[ServiceError], str] = {
    checkout_service.NothingDue: "nothing_due",
    checkout_service.TooManyAttempts: "busy",
}


def _checkout_notice(detail: InvoiceDetail, outcome: str) -> str:
    if outcome == "success":
        if detail.amount_due_minor == 0 and detail.amount_paid_minor > 0:
            return '<p class="notice good" role="status">Thank you! Your payment was received.</p>'
        return (
            '<p class="notice good" role="status">Thank you! Your payment is being confirmed; '
            "this page shows it as soon as it is.</p>"
        )
    text = CHECKOUT_NOTICES.get(outcome)
    kind = "" if outcome == "cancelled" else " bad"
    return f'<p class="notice{kind}" role="alert">{escape(text)}</p>' if text else ""


def _pay_form(detail: InvoiceDetail, token: str) -> str:
    if not checkout_service.offered(detail.card_payments, detail.status, detail.amount_due_minor):
        return ""
    due = detail.formats.money(detail.amount_due_minor, detail.currency)
    return (
        f'<form method="post" action="/i/{token}/pay"><button class="button" type="submit" '
        f'aria-label="Pay {due} by card">Pay</button></form>'
    )


def _sections(detail: InvoiceDetail) -> str:
    parts = []
    if detail.payments:
        formats = detail.formats
        items = "".join(
            f"<p>{formats.day(p.paid_on)} · {payment_text(p.amount_minor, p.currency, formats)}</p>"
            for p in detail.payments
        )
        parts.append(f"<h2>Payments received</h2>{items}")
    payable = detail.amount_due_minor > 0 and detail.status != InvoiceStatus.void
    for label, text in (
        ("Payment instructions", detail.payment_instructions if payable else ""),
        ("Notes", detail.notes),
        ("Terms", detail.terms),
    ):
        if text.strip():
            parts.append(f'<h2>{label}</h2><p class="lines">{escape(text)}</p>')
    return "".join(parts)


def invoice_page(detail: InvoiceDetail, token: str, logo: Logo | None, outcome: str = "") -> HTMLResponse:
    status = detail.display_status
    shown = status_badge(status)
    badge = f'<span class="badge" style="background:{shown.color}">{shown.label}</span>'
    void_notice = '<p class="notice">This invoice was voided. Nothing is due on it.</p>' if status == "void" else ""
    formats = detail.formats
    due = formats.money(detail.amount_due_minor, detail.currency)
    body = f"""
<div class="top"><div>{logo_tag(logo)}<h1>{escape(detail.seller.name)}</h1>
<p class="lines muted">{escape(detail.seller.address)}</p><p class="muted">{escape(detail.seller.email)}</p></div>
<div class="facts"><h1>Invoice {escape(detail.number)}</h1><p>Issued {formats.day(detail.issue_date)}</p>
<p>Due {formats.day(detail.due_date)}</p>{badge}</div></div>
{party_block("Billed to", detail.buyer)}
{void_notice}{_checkout_notice(detail, outcome)}
<h2>Details</h2>{lines_table(detail.lines, detail.currency, detail.formats, detail.discount_percent)}
{totals_table(totals_rows(detail))}
<div class="actions">{_pay_form(detail, token)}<a class="button secondary" href="/i/{token}/pdf" download>Download PDF</a>
<span class="muted">Amount due: <strong>{due}</strong></span></div>
{_sections(detail)}"""
    return html_document(f"Invoice {detail.number} · {detail.seller.name}", body)


@router.get("/i/{token}")
async def public_invoice(request: Request, token: str, checkout: str = "", session_id: str = "") -> Response:
    if not invoice_access.well_formed_token(token):
        return invoice_not_found()
    if checkout == "success" and session_id:
        await checkout_service.confirm_return(session_id, token=token)
    detail = await invoice_access.open_public(token, ip=client_ip(request), user_agent=user_agent(request))
    if detail is None:
        return invoice_not_found()
    return invoice_page(detail, token, await branding.logo_for_invoice(detail.id), checkout)


@router.post("/i/{token}/pay")
async def pay_public_invoice(request: Request, token: str) -> Response:
    """Open a Stripe Checkout Session for the amount due and send the browser there.

    The token is the credential (a cross-site form cannot know it). Whatever goes wrong, the payer lands
    back on the invoice with a fixed message and can press Pay again.
    """
    if not invoice_access.well_formed_token(token):
        return invoice_not_found()
    try:
        url = await checkout_service.start_public_checkout(token, ip=client_ip(request))
    except checkout_service.PaymentUnavailable:
        return RedirectResponse(f"/i/{token}?checkout=unavailable", status_code=303, headers=NO_TRACE)
    except (Conflict, Invalid) as exc:
        outcome = PAY_REFUSALS.get(type(exc), "not_offered")
        return RedirectResponse(f"/i/{token}?checkout={outcome}", status_code=303, headers=NO_TRACE)
    return RedirectResponse(url, status_code=303, headers=NO_TRACE)


@router.get("/i/{token}/pdf")
async def public_invoice_pdf(request: Request, token: str) -> Response:
    if not invoice_access.well_formed_token(token):
        return invoice_not_found()
    detail = await invoice_access.open_public(token, ip=client_ip(request), user_agent=user_agent(request), via="pdf")
    if detail is None:
        return invoice_not_found()
    logo = await branding.logo_for_invoice(detail.id)
    return pdf_response(detail, await render_pdf(detail, logo.content if logo else None))
