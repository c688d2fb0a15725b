"""The public quote link: `/q/{token}` (a plain page, with Accept and Decline forms), `/q/{token}/pdf`, and the
two answers it posts. No sign-in: the token is the credential; every view is recorded.

Plain FastAPI routes, not NiceGUI pages, for the reasons of the public invoice (portal_app.routes.public_invoice):
mail scanners open these links. The forms are plain HTML (no script): Accept and Decline are disclosure widgets
that open their form, and a refused answer comes back as the same page with the messages beside the fields and
what was typed still there. Everything the quote or the visitor says is escaped.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal_app.auth.requests import client_ip, user_agent
from portal_app.responses import (
    NO_TRACE,
    escape,
    html_document,
    lines_table,
    logo_tag,
    party_block,
    pdf_response,
    quote_not_found,
    render_quote_pdf,
    totals_table,
)
from services.billing import invoice_views
from services.billing.invoice_access import well_formed_token
from services.core.errors import Conflict, Invalid, NotFound
from services.organizations import branding
from services.organizations.branding import Logo
from services.quotes import acceptance
from services.quotes.acceptance import Signature
from services.quotes.quote_views import QuoteDetail, status_badge, totals_rows

router = APIRouter(include_in_schema=False)

# An answer is a name, an email and a reason of at most 2,000 characters: a few KiB, percent-encoded.
MAX_FORM_BYTES = 32 * 1024
MAX_FORM_FIELDS = 8
ANSWERED = {
    "accepted": "Thank you: you accepted this quote.",
    "declined": "Thank you for letting us know: you declined this quote.",
}


@dataclass(frozen=True, slots=True)
class Answer:
    """A refused answer, drawn back into its form: what was typed, and what was wrong with it."""

    form: str = ""  # "accept" or "decline": the form drawn open
    full_name: str = ""
    email: str = ""
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # field -> message
    notice: str = ""  # a refusal that is about the quote, not a field (changed, answered, expired)

    def refused(self, exc: Invalid) -> Answer:
        """This answer with the service's messages, each on its field (the first for a field wins)."""
        errors: dict[str, str] = {}
        for problem in exc.problems:
            errors.setdefault(problem.field or "", problem.message)
        return dataclasses.replace(self, errors=errors)


def _field_error(answer: Answer, form: str, name: str, element_id: str) -> tuple[str, str]:
    """(attributes for the input, the message under it) when `name` was at fault in `form`."""
    message = answer.errors.get(name, "") if answer.form == form else ""
    if not message:
        return "", ""
    return (
        f' aria-invalid="true" aria-describedby="{element_id}-error"',
        f'<p class="field-error" id="{element_id}-error">{escape(message)}</p>',
    )


def _accept_form(detail: QuoteDetail, token: str, answer: Answer, opened: bool) -> str:
    typed = answer if answer.form == "accept" else Answer()
    name_attrs, name_error = _field_error(answer, "accept", "full_name", "full-name")
    email_attrs, email_error = _field_error(answer, "accept", "email", "accept-email")
    agree_attrs, agree_error = _field_error(answer, "accept", "agree", "agree")
    stale = answer.errors.get("sha256", "") if answer.form == "accept" else ""
    problems = [stale, answer.notice if answer.form == "accept" else ""]
    alerts = "".join(f'<p class="notice bad" role="alert">{escape(text)}</p>' for text in problems if text)
    billed = detail.formats.money(detail.deposit_minor, detail.currency)
    what = f"a deposit of {billed}" if detail.has_deposit else f"its total of {billed}"
    return f"""<details{" open" if opened else ""}><summary class="button">Accept</summary>
<form method="post" action="/q/{token}/accept">{alerts}
<p>Accepting sends you an invoice for {what}.</p>
<label for="full-name">Full name</label>
<input type="text" id="full-name" name="full_name" autocomplete="name" maxlength="200" required
 value="{escape(typed.full_name)}"{name_attrs}>{name_error}
<label for="accept-email">Email <span class="muted">(optional: we send you the signed quote)</span></label>
<input type="email" id="accept-email" name="email" autocomplete="email" maxlength="254"
 value="{escape(typed.email)}"{email_attrs}>{email_error}
<div class="agree"><input type="checkbox" id="agree" name="agree" value="yes" required
 aria-describedby="agree-meaning"{agree_attrs}><label for="agree">I agree</label></div>
<p class="muted" id="agree-meaning">Ticking “I agree” and typing your full name is your signature: you accept
this quote and its terms.</p>{agree_error}
<input type="hidden" name="sha256" value="{escape(detail.sha256)}">
<button class="button" type="submit">Accept and sign</button>
</form></details>"""


def _decline_form(token: str, answer: Answer, opened: bool) -> str:
    typed = answer if answer.form == "decline" else Answer()
    reason_attrs, reason_error = _field_error(answer, "decline", "reason", "reason")
    email_attrs, email_error = _field_error(answer, "decline", "email", "decline-email")
    notice = answer.notice if answer.form == "decline" else ""
    alert = f'<p class="notice bad" role="alert">{escape(notice)}</p>' if notice else ""
    return f"""<details{" open" if opened else ""}><summary class="button secondary">Decline</summary>
<form method="post" action="/q/{token}/decline">{alert}
<label for="reason">Reason</label>
<textarea id="reason" name="reason" rows="4" maxlength="{acceptance.MAX_REASON}" required{reason_attrs}>
{escape(typed.reason)}</textarea>{reason_error}
<label for="decline-email">Email <span class="muted">(optional)</span></label>
<input type="email" id="decline-email" name="email" autocomplete="email" maxlength="254"
 value="{escape(typed.email)}"{email_attrs}>{email_error}
<button class="button secondary" type="submit">Decline</button>
</form></details>"""


def _outcome(detail: QuoteDetail) -> str:
    """What became of the quote: accepted (by whom, and the invoice to pay), declined, or expired."""
    formats, status = detail.formats, detail.display_status
    if status == "accepted":
        signed = detail.acceptance
        parts = ["<p><strong>Accepted</strong></p>"]
        if signed is not None:
            parts.append(
                f"<p>Signed by {escape(signed.full_name)} on {escape(formats.moment(signed.accepted_at))}.</p>"
            )
        elif detail.decided_at is not None:
            parts.append(f"<p>Accepted on {escape(formats.moment(detail.decided_at))}.</p>")
        if signed is not None and detail.invoice_id is not None:
            billed = formats.money(detail.deposit_minor, detail.currency)
            what = "the deposit" if detail.has_deposit else "the quote"
            parts.append(
                f"<p>Invoice {escape(detail.invoice_number)} for {what} ({billed}) is ready.</p>"
                f'<div class="actions"><a class="button" href="{escape(invoice_views.public_url(detail.invoice_id))}">'
                "Pay the invoice</a></div>"
            )
        return f'<section class="notice good">{"".join(parts)}</section>'
    if status == "declined":
        when = f" on {escape(formats.moment(detail.decided_at))}" if detail.decided_at else ""
        reason = f'<p class="lines">{escape(detail.decline_reason)}</p>' if detail.decline_reason else ""
        return f'<section class="notice"><p><strong>Declined</strong>{when}.</p>{reason}</section>'
    if status == "expired":
        return (
            f'<p class="notice bad">This quote expired on {formats.day(detail.valid_until)}. '
            f"Ask {escape(detail.seller.name)} for a new one.</p>"
        )
    return ""


def _sections(detail: QuoteDetail) -> str:
    return "".join(
        f'<h2>{label}</h2><p class="lines">{escape(text)}</p>'
        for label, text in (("Notes", detail.notes), ("Terms", detail.terms))
        if text.strip()
    )


def quote_page(
    detail: QuoteDetail,
    token: str,
    logo: Logo | None,
    *,
    answer: Answer = Answer(),
    answered: str = "",
    ask: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    formats = detail.formats
    shown = status_badge(detail.display_status)
    badge = f'<span class="badge" style="background:{shown.color}">{escape(shown.label)}</span>'
    thanks = ANSWERED.get(answered, "") if answered == detail.display_status else ""  # never echoes the address
    thanks_html = f'<p class="notice good" role="status">{thanks}</p>' if thanks else ""
    title = f"<h2>For</h2><p><strong>{escape(detail.title)}</strong></p>" if detail.title else ""
    answering = ""
    if detail.answerable:
        opened = answer.form or ask
        answering = (
            f'<section class="answer"><h2>Your answer</h2>{_accept_form(detail, token, answer, opened == "accept")}'
            f"{_decline_form(token, answer, opened == 'decline')}</section>"
        )
    elif answer.notice and detail.display_status != "expired":  # answered meanwhile (the outcome says expiry)
        answering = f'<p class="notice bad" role="alert">{escape(answer.notice)}</p>'
    body = f"""
<div class="top"><div>{logo_tag(logo)}<h1>{escape(detail.seller.name)}</h1>
<p class="lines muted">{escape(detail.seller.address)}</p><p class="muted">{escape(detail.seller.email)}</p></div>
<div class="facts"><h1>Quote {escape(detail.number)}</h1><p>Issued {formats.day(detail.issue_date)}</p>
<p>Valid until {formats.day(detail.valid_until)}</p>{badge}</div></div>
{party_block("Prepared for", detail.buyer)}{title}
{thanks_html}{_outcome(detail)}
<h2>Details</h2>{lines_table(detail.lines, detail.currency, formats, detail.discount_percent)}
{totals_table(totals_rows(detail))}
<div class="actions"><a class="button secondary" href="/q/{token}/pdf" download>Download PDF</a></div>
{_sections(detail)}{answering}
<p class="muted hash">SHA-256 {escape(detail.sha256)}</p>"""
    return html_document(f"Quote {detail.number} · {detail.seller.name}", body, status_code)


async def _page_now(request: Request, token: str, answer: Answer, status_code: int) -> Response:
    """The quote as it is now, with a refused answer drawn back in (a refused answer is not a view of its own)."""
    detail = await acceptance.open_public(token, ip=client_ip(request), user_agent=user_agent(request), record=False)
    if detail is None:
        return quote_not_found()
    return quote_page(detail, token, await branding.org_logo(detail.org_id), answer=answer, status_code=status_code)


async def _form(request: Request) -> dict[str, str] | Response:
    """The posted fields, or the answer to a body that is not a small form (no length said, or too long)."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        return html_document("Length required", "<h1>Length required</h1>", 411)
    if int(declared) > MAX_FORM_BYTES:
        return html_document("Too large", "<h1>Too large</h1><p>This answer is too long.</p>", 413)
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _answered(token: str, outcome: str) -> RedirectResponse:
    return RedirectResponse(f"/q/{token}?answered={outcome}", status_code=303, headers=NO_TRACE)


@router.get("/q/{token}")
async def public_quote(request: Request, token: str, answered: str = "", answer: str = "") -> Response:
    if not well_formed_token(token):
        return quote_not_found()
    detail = await acceptance.open_public(token, ip=client_ip(request), user_agent=user_agent(request))
    if detail is None:
        return quote_not_found()
    return quote_page(detail, token, await branding.org_logo(detail.org_id), answered=answered, ask=answer)


@router.post("/q/{token}/accept")
async def accept_public_quote(request: Request, token: str) -> Response:
    """Accept with a typed signature, bound to the SHA-256 of the quote the page showed."""
    if not well_formed_token(token):
        return quote_not_found()
    form = await _form(request)
    if isinstance(form, Response):
        return form
    typed = Answer(form="accept", full_name=form.get("full_name", ""), email=form.get("email", ""))
    signature = Signature(
        full_name=typed.full_name,
        agreed=form.get("agree", "") == "yes",
        shown_sha256=form.get("sha256", ""),
        email=typed.email,
        user_agent=user_agent(request),
    )
    try:
        await acceptance.accept_public(token, signature, ip=client_ip(request))
    except NotFound:
        return quote_not_found()
    except Invalid as exc:
        return await _page_now(request, token, typed.refused(exc), 422)
    except Conflict as exc:
        return await _page_now(request, token, dataclasses.replace(typed, notice=exc.message), 409)
    return _answered(token, "accepted")


@router.post("/q/{token}/decline")
async def decline_public_quote(request: Request, token: str) -> Response:
    """Decline with a reason (and, if the visitor gives one, their email)."""
    if not well_formed_token(token):
        return quote_not_found()
    form = await _form(request)
    if isinstance(form, Response):
        return form
    typed = Answer(form="decline", reason=form.get("reason", ""), email=form.get("email", ""))
    try:
        await acceptance.decline_public(token, typed.reason, email=typed.email, ip=client_ip(request))
    except NotFound:
        return quote_not_found()
    except Invalid as exc:
        return await _page_now(request, token, typed.refused(exc), 422)
    except Conflict as exc:
        return await _page_now(request, token, dataclasses.replace(typed, notice=exc.message), 409)
    return _answered(token, "declined")


@router.get("/q/{token}/pdf")
async def public_quote_pdf(request: Request, token: str) -> Response:
    if not well_formed_token(token):
        return quote_not_found()
    detail = await acceptance.open_public(token, ip=client_ip(request), user_agent=user_agent(request), via="pdf")
    if detail is None:
        return quote_not_found()
    logo = await branding.org_logo(detail.org_id)
    return pdf_response(detail, await render_quote_pdf(detail, logo.content if logo else None))
