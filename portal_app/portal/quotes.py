"""The portal's quotes: the list (never drafts), one quote with Accept and Decline, and its PDF.

Accepting is a typed signature: the contact types their full name and ticks "I agree", and the page sends the
SHA-256 of the quote it shows, so nobody signs a quote other than the one they read. An answer given elsewhere
(another tab, the public link, staff converting it) redraws the page. A draft, another client's quote or a
made-up id all answer the same "not found": the page never tells them apart.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from nicegui import APIRouter, ui
from nicegui.events import ClickEventArguments

from components.forms import FieldErrors, pressed
from components.invoice_totals import invoice_totals
from components.paged_table import PagedTable
from components.status_badge import STATUS_CELL, status_badge
from components.table_columns import column
from portal_app.auth.portal import base_path, current_portal
from portal_app.auth.requests import client_ip, user_agent
from portal_app.live import follow, portal_hears
from portal_app.portal.document_parts import facts, lines_table
from portal_app.portal.layout import PortalPage, empty_state, frame, portal_page
from portal_app.responses import html_document, pdf_response, quote_not_found, render_quote_pdf
from services.core.common import Page
from services.core.errors import Conflict, Invalid, NotFound
from services.core.events import QuotesChanged
from services.organizations import branding, organizations
from services.quotes import acceptance, quotes
from services.quotes.acceptance import Signature
from services.quotes.quote_views import QuoteDetail, QuoteRow, totals_rows
from services.quotes.quote_views import status_badge as status_badge_of

router = APIRouter()

ROWS_PER_PAGE = 25
QUOTE_COLUMNS = [
    column("number", "Number"),
    column("title", "For"),
    column("issued", "Issued"),
    column("valid_until", "Valid until"),
    column("status", "Status"),
    column("total", "Total", align="right"),
]
AGREEMENT = "Ticking “I agree” and typing your full name is your signature: you accept this quote and its terms."


def not_found(page: PortalPage) -> None:
    with frame(page, "Quote", "/quotes"):
        ui.context.client.status_code = 404
        empty_state("search_off", "Quote not found", "It may have been withdrawn, or the link is wrong.")


# --- the list -------------------------------------------------------------------------------------------------------


def _rows(page: PortalPage, listing: Page[QuoteRow]) -> list[dict]:
    formats = page.org.formats
    return [
        {
            "id": str(row.id),
            "number": row.number,
            "href": page.href(f"/quotes/{row.id}"),
            "title": row.title,
            "issued": formats.day(row.issue_date),
            "valid_until": formats.day(row.valid_until),
            "status": status_badge_of(row.display_status).label,
            "status_color": status_badge_of(row.display_status).color,
            "total": formats.money(row.total_minor, row.currency),
        }
        for row in listing.items
    ]


@portal_page("/portal/{slug}/quotes")
async def portal_quotes(page: PortalPage) -> RedirectResponse | None:
    first = await quotes.list_quotes(page.actor, limit=ROWS_PER_PAGE)  # newest first; the portal never sees drafts
    if not first.total:
        with frame(page, "Quotes", "/quotes"):
            empty_state("request_quote", "No quotes", "Quotes from us will be listed here, ready to accept.")
        return None
    pending: Page[QuoteRow] | None = first  # the first page, already read: the table's first load uses it

    async def fetch(limit: int, offset: int) -> tuple[list[dict], int]:
        nonlocal pending
        listing, pending = pending, None
        if listing is None or (limit, offset) != (ROWS_PER_PAGE, 0):
            listing = await quotes.list_quotes(page.actor, limit=limit, offset=offset)
        return _rows(page, listing), listing.total

    with frame(page, "Quotes", "/quotes"):
        table = PagedTable(QUOTE_COLUMNS, fetch, rows_per_page=ROWS_PER_PAGE)
        table.table.mark("quotes")
        table.link_column("number", "props.row.href")
        table.cell("status", STATUS_CELL)
        await table.load()
    # A quote sent, answered elsewhere or converted by the team: the list shows it without a reload.
    follow(QuotesChanged, lambda event: portal_hears(page.actor, event), table.load)
    return None


# --- one quote ------------------------------------------------------------------------------------------------------


def _facts(detail: QuoteDetail) -> None:
    formats = detail.formats
    facts(
        detail.seller,
        "Prepared for",
        detail.buyer,
        [f"Issued {formats.day(detail.issue_date)}", f"Valid until {formats.day(detail.valid_until)}"],
        detail.project_name,
    )


def _lines(detail: QuoteDetail) -> None:
    lines_table(detail.lines, detail.currency, detail.discount_percent, detail.formats).mark("quote-lines")


def _texts(detail: QuoteDetail) -> None:
    for heading, text in (("Notes", detail.notes), ("Terms", detail.terms)):
        if text.strip():
            ui.label(heading).classes("text-xs uppercase text-gray-500 mt-2")
            ui.label(text).classes("whitespace-pre-line break-words").mark(heading.lower())


class QuotePanel:
    """Everything under the title, drawn from one `QuoteDetail`; the typed answer survives a live redraw."""

    def __init__(self, page: PortalPage, detail: QuoteDetail, agent: str) -> None:
        self.page, self.detail, self.agent = page, detail, agent
        self.form = ""  # "accept" or "decline": the form open
        self.full_name = ""
        self.agreed = False
        self.reason = ""

    async def reload(self) -> None:
        try:
            self.detail = await quotes.get_quote(self.page.actor, self.detail.id)
        except NotFound:  # withdrawn meanwhile: the page says so the way a fresh load would
            ui.navigate.reload()
            return
        self.draw.refresh()

    def _open(self, form: str) -> None:
        self.form = form
        self.draw.refresh()

    @ui.refreshable_method
    def draw(self) -> None:
        detail, formats = self.detail, self.detail.formats
        with ui.row().classes("w-full items-center gap-3"):
            badge = status_badge_of(detail.display_status)
            status_badge(badge.label, badge.color).classes("text-sm").mark("quote-status")
            ui.label(f"Total {formats.money(detail.total_minor, detail.currency)}").classes("font-medium")
            ui.space()
            download = ui.button("Download PDF", icon="download").props("no-caps unelevated download")
            download.props["href"] = self.page.href(f"/quotes/{detail.id}/pdf")  # q-btn renders a link
            download.mark("pdf")
        self._outcome(detail)
        if detail.title:
            ui.label(detail.title).classes("text-lg font-medium break-words").mark("quote-title")
        _facts(detail)
        _lines(detail)
        invoice_totals(totals_rows(detail))
        _texts(detail)
        if detail.answerable:
            self._answer(detail)
        ui.label(f"SHA-256 {detail.sha256}").classes("text-xs text-gray-500 break-all font-mono").mark("sha256")

    def _outcome(self, detail: QuoteDetail) -> None:
        formats, status = detail.formats, detail.display_status
        if status == "accepted":
            with ui.card().classes("w-full gap-2 bg-green-50").props("flat bordered"):
                with ui.row().classes("items-center gap-2"):
                    ui.icon("verified", color="positive", size="md")
                    ui.label("Accepted").classes("text-lg font-semibold text-positive").mark("accepted")
                signed = detail.acceptance
                if signed is not None:
                    who = f"Signed by {signed.full_name} on {formats.moment(signed.accepted_at)}."
                    ui.label(who).classes("text-sm break-words").mark("signed-by")
                elif detail.decided_at is not None:
                    ui.label(f"Accepted on {formats.moment(detail.decided_at)}.").classes("text-sm")
                if signed is not None and detail.invoice_id is not None:
                    billed = formats.money(detail.deposit_minor, detail.currency)
                    what = "the deposit" if detail.has_deposit else "the quote"
                    ui.label(f"Invoice {detail.invoice_number} for {what} ({billed}) is ready.").classes("text-sm")
                    pay = ui.button("Pay the invoice", icon="credit_card").props("unelevated no-caps")
                    pay.props["href"] = self.page.href(f"/invoices/{detail.invoice_id}")
                    pay.mark("pay-invoice")
        elif status == "declined":
            with ui.card().classes("w-full gap-1").props("flat bordered"):
                when = f" on {formats.moment(detail.decided_at)}" if detail.decided_at else ""
                ui.label(f"Declined{when}").classes("text-lg font-semibold").mark("declined")
                if detail.decline_reason:
                    ui.label(detail.decline_reason).classes("text-sm whitespace-pre-line break-words")
        elif status == "expired":
            ui.label(
                f"This quote expired on {formats.day(detail.valid_until)}. Ask {detail.seller.name} for a new one."
            ).classes("w-full rounded px-4 py-3 bg-amber-100 text-amber-900").mark("expired")

    def _answer(self, detail: QuoteDetail) -> None:
        with ui.card().classes("w-full gap-3").props("flat bordered").mark("answer"):
            ui.label("Your answer").classes("text-lg font-semibold")
            billed = detail.formats.money(detail.deposit_minor, detail.currency)
            what = f"a deposit of {billed}" if detail.has_deposit else f"its total of {billed}"
            ui.label(f"Accepting sends you an invoice for {what}.").classes("text-sm text-gray-600")
            with ui.row().classes("gap-2"):
                ui.button("Accept", icon="check", on_click=lambda: self._open("accept")).props(
                    "unelevated no-caps"
                ).mark("accept")
                ui.button("Decline", icon="close", on_click=lambda: self._open("decline")).props(
                    "outline no-caps"
                ).mark("decline")
            if self.form == "accept":
                self._accept_form()
            elif self.form == "decline":
                self._decline_form()

    def _accept_form(self) -> None:
        with ui.column().classes("w-full max-w-lg gap-2").mark("accept-form"):
            name = ui.input("Full name", value=self.full_name).props("outlined autocomplete=name").classes("w-full")
            name.mark("full-name")
            name.on_value_change(lambda e: setattr(self, "full_name", e.value or ""))
            agree = ui.checkbox("I agree", value=self.agreed).mark("agree")
            agree.on_value_change(lambda e: setattr(self, "agreed", bool(e.value)))
            ui.label(AGREEMENT).classes("text-sm text-gray-600")
            agree_error = ui.label("").classes("text-sm text-negative").mark("agree-error")
            agree_error.set_visibility(False)
            errors = FieldErrors(full_name=name)

            async def sign(event: ClickEventArguments) -> None:
                async with pressed(event):
                    await self._accept(errors, agree_error)

            ui.button("Accept and sign", icon="draw", on_click=sign).props("unelevated no-caps").mark("sign")

    def _decline_form(self) -> None:
        with ui.column().classes("w-full max-w-lg gap-2").mark("decline-form"):
            reason = ui.textarea("Reason", value=self.reason).props("outlined autogrow").classes("w-full")
            reason.mark("reason")
            reason.on_value_change(lambda e: setattr(self, "reason", e.value or ""))
            errors = FieldErrors(reason=reason)

            async def send(event: ClickEventArguments) -> None:
                async with pressed(event):
                    await self._decline(errors)

            ui.button("Send", icon="send", on_click=send).props("unelevated no-caps").mark("send-decline")

    async def _accept(self, errors: FieldErrors, agree_error: ui.label) -> None:
        signature = Signature(
            full_name=self.full_name,
            agreed=self.agreed,
            shown_sha256=self.detail.sha256,  # the quote this page shows, never "whatever it says now"
            user_agent=self.agent,
        )
        try:
            self.detail = await acceptance.accept_in_portal(self.page.actor, self.detail.id, signature)
        except Invalid as exc:
            problems = [(p.field, p.message) for p in exc.problems if p.field != "agree"]
            errors.show_all(problems)  # a stale page ("sha256") names no field here: notified
            refused = next((p.message for p in exc.problems if p.field == "agree"), "")
            agree_error.set_text(refused)
            agree_error.set_visibility(bool(refused))
            return
        except Conflict as exc:  # answered elsewhere, expired, or changed: show what is there now
            ui.notify(exc.message, type="warning", multi_line=True)
            await self.reload()
            return
        except NotFound:
            ui.navigate.reload()
            return
        self.form, self.full_name, self.agreed = "", "", False
        ui.notify(f"Thank you: you accepted quote {self.detail.number}.", type="positive")
        self.draw.refresh()

    async def _decline(self, errors: FieldErrors) -> None:
        try:
            self.detail = await acceptance.decline_in_portal(self.page.actor, self.detail.id, self.reason)
        except Invalid as exc:
            errors.show_all([(p.field, p.message) for p in exc.problems])
            return
        except Conflict as exc:
            ui.notify(exc.message, type="warning", multi_line=True)
            await self.reload()
            return
        except NotFound:
            ui.navigate.reload()
            return
        self.form, self.reason = "", ""
        ui.notify("Thank you for letting us know.", type="positive")
        self.draw.refresh()


@portal_page("/portal/{slug}/quotes/{quote_id}")
async def portal_quote(page: PortalPage, request: Request, quote_id: str) -> RedirectResponse | None:
    try:
        detail = await acceptance.open_portal_quote(
            page.actor, quote_id, ip=client_ip(request), user_agent=user_agent(request)
        )
    except NotFound:  # a draft, another client's or no such id: one answer for all
        not_found(page)
        return None
    panel = QuotePanel(page, detail, user_agent(request))
    with frame(page, f"Quote {detail.number}", "/quotes"):
        ui.link("← All quotes", page.href("/quotes")).classes("text-sm")
        panel.draw()
    # Answered in another tab or through the public link, or converted by the team: redrawn without a reload.
    follow(QuotesChanged, lambda event: portal_hears(page.actor, event) and event.quote_id == detail.id, panel.reload)
    return None


@router.get("/portal/{slug}/quotes/{quote_id}/pdf")
async def portal_quote_pdf(request: Request, slug: str, quote_id: str) -> Response:
    """The access-checked download: the portal cookie, then the same rules as the page."""
    org = await organizations.portal_by_slug(slug)
    if org is None:
        return html_document("Not found", "<h1>Not found</h1><p>There is no client portal at this address.</p>", 404)
    resolved = await current_portal(request, org)
    if resolved is None:
        return RedirectResponse(f"{base_path(org.slug)}/login", status_code=303)
    if not org.portal_enabled:
        return html_document(
            "Portal unavailable", "<h1>Portal unavailable</h1><p>The client portal is currently unavailable.</p>", 403
        )
    try:
        detail = await acceptance.open_portal_quote(
            resolved.actor, quote_id, ip=client_ip(request), user_agent=user_agent(request), via="portal_pdf"
        )
    except NotFound:
        return quote_not_found()
    return pdf_response(detail, await render_quote_pdf(detail, await branding.invoice_logo(detail.org_id)))
