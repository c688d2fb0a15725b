"""HTTP answers that pages and plain routes share: PDFs off the event loop, download headers, small HTML pages."""

from __future__ import annotations

import asyncio
import base64
import html
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from fastapi.responses import HTMLResponse, Response
from nicegui import run

from portal_app.look import FONT_STACK
from services.billing.invoice_views import InvoiceDetail, LineView, Party
from services.billing.presentation import TotalsRow, line_amount_minor
from services.card_payments import checkout as checkout_service
from services.core.formatting import Formats
from services.organizations.branding import Logo

if TYPE_CHECKING:
    from services.files.certificate import CertificateData
    from services.quotes.quote_views import QuoteDetail

NO_TRACE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}

# What the page says after a payment attempt, keyed by the `checkout` query value (never echoed as given).
CHECKOUT_NOTICES = {
    "cancelled": "Payment cancelled. Nothing was charged.",
    "unavailable": checkout_service.UNAVAILABLE,
    "nothing_due": "This invoice has nothing left to pay.",
    "busy": "There have been many payment attempts for this invoice. Please try again in a few minutes.",
    "not_offered": checkout_service.NOT_OFFERED,
}


async def render_pdf(detail: InvoiceDetail, logo: bytes | None) -> bytes:
    """reportlab off the event loop: in NiceGUI's process pool when the app started one, else in a thread."""
    # Imported here, not with this module: reportlab is some 60 ms of start-up that only a PDF needs.
    from services.billing import invoice_pdf

    document = None
    if run.process_pool is not None:
        document = await run.cpu_bound(invoice_pdf.render_invoice, detail, logo)
    if document is None:  # no pool here (a CLI, a bare test app), or the app is shutting down
        document = await asyncio.to_thread(invoice_pdf.render_invoice, detail, logo)
    return document


async def render_certificate(data: CertificateData) -> bytes:
    """An approval certificate off the event loop, as `render_pdf` does an invoice."""
    from services.files import certificate  # reportlab, imported when a certificate is asked for

    document = None
    if run.process_pool is not None:
        document = await run.cpu_bound(certificate.render_certificate, data)
    if document is None:
        document = await asyncio.to_thread(certificate.render_certificate, data)
    return document


async def render_quote_pdf(detail: QuoteDetail, logo: bytes | None) -> bytes:
    """A quote off the event loop, as `render_pdf` does an invoice."""
    from services.quotes import quote_pdf  # reportlab, imported when a quote's PDF is asked for

    document = None
    if run.process_pool is not None:
        document = await run.cpu_bound(quote_pdf.render_quote, detail, logo)
    if document is None:
        document = await asyncio.to_thread(quote_pdf.render_quote, detail, logo)
    return document


def pdf_response(detail: InvoiceDetail | QuoteDetail, document: bytes) -> Response:
    # The prefix is the organization's choice: keep the header's quoted string plain.
    name = re.sub(r"[^A-Za-z0-9._-]", "_", detail.number) or "document"
    headers = {**NO_TRACE, "Content-Disposition": f'attachment; filename="{name}.pdf"'}
    return Response(document, media_type="application/pdf", headers=headers)


def escape(value: str) -> str:
    return html.escape(value, quote=True)


def html_document(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{escape(title)}</title>
<style>
body{{font-family:{FONT_STACK};background:#f8fafc;color:#0f172a;margin:0;padding:2rem 1rem}}
main{{background:#fff;border:1px solid #e2e8f0;border-radius:12px;padding:2rem;max-width:52rem;margin:0 auto}}
h1{{font-size:1.6rem;margin:0}} h2{{font-size:.75rem;text-transform:uppercase;letter-spacing:.05em;color:#64748b;margin:1.5rem 0 .4rem}}
p{{margin:.2rem 0}} .muted{{color:#64748b}} .lines{{white-space:pre-line}}
.top{{display:flex;justify-content:space-between;gap:1.5rem;flex-wrap:wrap}} .facts{{text-align:right}}
.logo{{max-height:4rem;max-width:14rem;display:block;margin-bottom:.5rem}}
.badge{{display:inline-block;border-radius:999px;padding:.15rem .7rem;color:#fff;font-size:.85rem;margin-top:.4rem}}
.scroll{{overflow-x:auto}} table{{border-collapse:collapse;width:100%}}
th,td{{padding:.5rem;border-bottom:1px solid #e2e8f0;text-align:right;vertical-align:top}}
th{{font-size:.75rem;color:#475569;background:#f1f5f9}} th:first-child,td:first-child{{text-align:left}}
td.description{{white-space:pre-line;overflow-wrap:anywhere}}
.totals{{width:auto;margin:1rem 0 0 auto;min-width:18rem}} .totals td{{border:0;padding:.25rem .5rem}}
.totals .total td{{font-weight:700}} .totals .credit td{{font-weight:700;color:#92400e}} .totals .due td{{font-weight:700;font-size:1.15rem;background:#f1f5f9}}
.actions{{display:flex;gap:.75rem;align-items:center;flex-wrap:wrap;margin-top:1.5rem}}
a.button,button.button,summary.button{{background:#4f46e5;color:#fff;border:0;border-radius:8px;padding:.7rem 1.3rem;text-decoration:none;
font:inherit;cursor:pointer}} a.secondary,summary.secondary,button.secondary{{background:#fff;color:#4f46e5;border:1px solid #c7d2fe}} form{{margin:0}}
.notice{{background:#f1f5f9;border-radius:8px;padding:.75rem 1rem;margin-top:1rem}}
.notice.good{{background:#dcfce7;color:#14532d}} .notice.bad{{background:#fee2e2;color:#7f1d1d}}
.hash{{font-family:ui-monospace,monospace;font-size:.8rem;overflow-wrap:anywhere;margin-top:1.5rem}}
.answer details{{margin-top:1rem}} .answer summary{{display:inline-block;list-style:none}}
.answer summary::-webkit-details-marker{{display:none}} .answer summary:focus-visible,.answer :focus-visible{{outline:3px solid #a5b4fc;outline-offset:2px}}
.answer form{{display:grid;gap:.4rem;max-width:32rem;margin-top:1rem;padding:1rem;border:1px solid #e2e8f0;border-radius:8px}}
.answer label{{font-weight:600}} .answer label .muted{{font-weight:400}} .answer .agree{{display:flex;gap:.5rem;align-items:center}}
.answer input[type=text],.answer input[type=email],.answer textarea{{font:inherit;padding:.55rem .7rem;border:1px solid #cbd5e1;border-radius:6px}}
.answer input[type=checkbox]{{width:1.3rem;height:1.3rem}} .answer [aria-invalid=true]{{border-color:#b91c1c}}
.field-error{{color:#b91c1c;font-size:.9rem}} .answer button.button{{justify-self:start;margin-top:.5rem}}
@media (max-width:600px){{body{{padding:.75rem .5rem}} main{{padding:1rem}} .facts{{text-align:left}}
.lines-table thead{{display:none}} .lines-table tr{{display:block;border-bottom:1px solid #e2e8f0;padding:.5rem 0}}
.lines-table td{{display:flex;justify-content:space-between;gap:1rem;border:0;padding:.15rem 0}}
.lines-table td::before{{content:attr(data-label);color:#64748b;font-size:.85rem}}
.lines-table td.description{{display:block;font-weight:600}} .totals{{min-width:0;width:100%}}
a.button,button.button,summary.button{{min-height:44px;box-sizing:border-box;display:inline-flex;align-items:center}}}}
</style></head><body><main>{body}</main></body></html>"""
    return HTMLResponse(page, status_code=status_code, headers=NO_TRACE)


# --- parts of the public invoice and quote pages (everything the organization or client typed is escaped) ----------

INLINE_IMAGE_TYPES = ("image/png", "image/jpeg")


def logo_tag(logo: Logo | None) -> str:
    if logo is None or logo.content_type not in INLINE_IMAGE_TYPES:
        return ""
    data = base64.b64encode(logo.content).decode()
    return f'<img class="logo" alt="" src="data:{logo.content_type};base64,{data}">'


def party_block(label: str, party: Party) -> str:
    parts = [f"<h2>{escape(label)}</h2><p><strong>{escape(party.name)}</strong></p>"]
    if party.address:
        parts.append(f'<p class="lines">{escape(party.address)}</p>')
    if party.email:
        parts.append(f'<p class="muted">{escape(party.email)}</p>')
    return "".join(parts)


def lines_table(lines: Sequence[LineView], currency: str, formats: Formats, discount_percent: Decimal) -> str:
    rows = "".join(
        f'<tr><td class="description">{escape(line.description)}</td>'
        f'<td data-label="Qty">{formats.number(line.quantity)}</td>'
        f'<td data-label="Unit price">{formats.money(line.unit_price_minor, currency)}</td>'
        f'<td data-label="Tax">{formats.percent(line.tax_rate)}</td>'
        f'<td data-label="Amount">{formats.money(line_amount_minor(line, discount_percent), currency)}</td></tr>'
        for line in lines
    )
    head = "<tr><th>Description</th><th>Qty</th><th>Unit price</th><th>Tax</th><th>Amount</th></tr>"
    # On a phone each line is a card of "label: value" rows (html_document's styles), so nothing is cut off.
    return f'<div class="scroll" tabindex="0" role="region" aria-label="Lines"><table class="lines-table"><thead>{head}</thead><tbody>{rows}</tbody></table></div>'


def totals_table(rows: Sequence[TotalsRow]) -> str:
    body = "".join(
        f'<tr class="{row.emphasis}"><td>{escape(row.label)}</td><td>{escape(row.text)}</td></tr>' for row in rows
    )
    return f'<table class="totals">{body}</table>'


def invoice_not_found() -> HTMLResponse:
    return html_document(
        "Invoice not found",
        "<h1>Invoice not found</h1><p class='muted'>This link is not valid. "
        "Please check it, or ask the sender for a new one.</p>",
        404,
    )


def quote_not_found() -> HTMLResponse:
    """One answer for an unknown link, a draft, another client's quote: nothing tells them apart."""
    return html_document(
        "Quote not found",
        "<h1>Quote not found</h1><p class='muted'>This link is not valid. "
        "Please check it, or ask the sender for a new one.</p>",
        404,
    )


def pdf_path(invoice_id: object) -> str:
    return f"/invoices/{invoice_id}/pdf"
