"""One quote for staff: the parties, lines and totals, what acceptance does, the client's answer (the acceptance
record, or the reason they declined), how often the client opened it, the public link, and what can be done next.

The page follows the quote: when the client accepts or declines while staff watch, it redraws with the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi.responses import RedirectResponse
from nicegui import ui

from components.confirm import confirm as ask_first
from components.copy_link import copy_link
from components.invoice_totals import invoice_totals
from components.status_badge import status_badge
from components.table_columns import column
from portal_app.live import follow, staff_hears
from portal_app.staff.layout import StaffPage, frame, not_found, staff_page
from portal_app.staff.send_dialog import send_dialog
from services.billing.presentation import line_amount_minor
from services.core.actors import StaffActor
from services.core.errors import NotFound, ServiceError
from services.core.events import QuotesChanged
from services.quotes import acceptance, quote_views, quotes
from services.quotes.quote_views import QuoteDetail
from services.quotes.quotes import ViewSummary

LINE_COLUMNS = [
    column("description", "Description"),
    column("quantity", "Quantity", align="right"),
    column("unit_price", "Unit price", align="right"),
    column("tax_rate", "Tax", align="right"),
    column("amount", "Amount", align="right"),
]

Refresh = Callable[[QuoteDetail], Awaitable[None]]


def pdf_path(quote_id: object) -> str:
    return f"/quotes/{quote_id}/pdf"


def on_acceptance(detail: QuoteDetail) -> str:
    """What accepting this quote does, in a sentence."""
    formats = detail.formats
    bill = (
        f"an invoice for the deposit of {formats.percent(detail.deposit_percent)} "
        f"({formats.money(detail.deposit_minor, detail.currency)})"
        if detail.has_deposit
        else f"an invoice for the whole amount ({formats.money(detail.total_minor, detail.currency)})"
    )
    if detail.start_project:
        template = detail.project_template_name
        project = f"; a project starts from the “{template}” template" if template else "; a blank project starts"
    elif detail.project_id:
        project = f", for the project {detail.project_name}"
    else:
        project = ""
    return f"Acceptance makes {bill}{project}."


def summary(detail: QuoteDetail) -> None:
    formats = detail.formats
    with ui.grid(columns=2).classes("gap-x-8 gap-y-1 text-sm"):
        ui.label("Client").classes("text-gray-500")
        ui.link(detail.buyer.name, f"/clients/{detail.client_id}")
        ui.label("From").classes("text-gray-500")
        ui.label(detail.seller.name)
        if detail.project_id:
            ui.label("Project").classes("text-gray-500")
            ui.link(detail.project_name, f"/projects/{detail.project_id}").mark("quote-project-link")
        for label, value in (
            ("Issued", formats.day(detail.issue_date)),
            ("Valid until", formats.day(detail.valid_until)),
            ("Sent", formats.moment(detail.sent_at) if detail.sent_at else "not yet"),
        ):
            ui.label(label).classes("text-gray-500")
            ui.label(value)
        ui.label("On acceptance").classes("text-gray-500")
        ui.label(on_acceptance(detail)).mark("on-acceptance")


def lines_and_totals(detail: QuoteDetail) -> None:
    formats = detail.formats
    rows = [
        {
            "id": n,
            "description": line.description,
            "quantity": formats.number(line.quantity),
            "unit_price": formats.money(line.unit_price_minor, detail.currency),
            "tax_rate": formats.percent(line.tax_rate),
            "amount": formats.money(line_amount_minor(line, detail.discount_percent), detail.currency),
        }
        for n, line in enumerate(detail.lines)
    ]
    ui.table(columns=LINE_COLUMNS, rows=rows, row_key="id").props(
        'flat bordered hide-bottom :grid="Quasar.Screen.lt.sm"'
    ).classes("w-full")
    invoice_totals(quote_views.totals_rows(detail))
    for label, text in (("Notes", detail.notes), ("Terms", detail.terms)):
        if text:
            ui.label(label).classes("text-sm text-gray-500 mt-2")
            ui.label(text).classes("whitespace-pre-line text-sm").mark(f"quote-{label.lower()}")


def answer(detail: QuoteDetail) -> None:
    """The client's answer: the acceptance record, staff's conversion, or the reason for declining; and what
    acceptance made (the invoice, the project)."""
    formats = detail.formats
    if detail.acceptance is not None:
        from services.quotes import quote_pdf  # reportlab comes with it: imported when a record is shown

        with ui.card().classes("w-full").props("flat bordered").mark("acceptance-record"):
            ui.label("Acceptance record").classes("text-lg font-semibold")
            ui.label(
                f"{detail.acceptance.full_name} accepted this quote and its terms with a typed signature. The SHA-256 "
                "below is of the quote exactly as they were shown it."
            ).classes("text-sm text-gray-600")
            with ui.grid(columns=2).classes("gap-x-8 gap-y-1 text-sm"):
                for label, value in quote_pdf.acceptance_rows(detail):
                    ui.label(label).classes("text-gray-500")
                    ui.label(value).classes("break-all")
            outcome(detail)
    elif detail.converted:
        with ui.card().classes("w-full").props("flat bordered").mark("converted-note"):
            ui.label("Converted by staff").classes("text-lg font-semibold")
            when = f" on {formats.moment(detail.decided_at)}" if detail.decided_at else ""
            ui.label(f"Accepted on the client's word and converted{when}. No signature was collected.").classes(
                "text-sm"
            )
            outcome(detail)
    elif detail.display_status == "declined":
        with ui.card().classes("w-full").props("flat bordered").mark("decline-record"):
            ui.label("Declined").classes("text-lg font-semibold")
            by = detail.declined_by or "the client"
            when = f" on {formats.moment(detail.decided_at)}" if detail.decided_at else ""
            ui.label(f"Declined by {by}{when}.").classes("text-sm")
            if detail.decline_reason:
                ui.label("Their reason").classes("text-sm text-gray-500 mt-2")
                ui.label(detail.decline_reason).classes("whitespace-pre-line text-sm").mark("decline-reason")


def outcome(detail: QuoteDetail) -> None:
    with ui.row().classes("gap-6 text-sm mt-2"):
        if detail.invoice_id:
            ui.link(f"Invoice {detail.invoice_number}", f"/invoices/{detail.invoice_id}").mark("quote-invoice-link")
        if detail.project_id:
            ui.link(f"Project {detail.project_name}", f"/projects/{detail.project_id}").mark("quote-outcome-project")


def views_text(views: ViewSummary, detail: QuoteDetail) -> str:
    if detail.status == "draft":
        return "A draft is not shown to the client."
    if not views.count:
        return "The client has not opened it yet."
    times = "once" if views.count == 1 else f"{views.count} times"
    last = f", last {detail.formats.moment(views.last_at)}" if views.last_at else ""
    return f"Opened {times}{last}."


@dataclass(frozen=True)
class Actions:
    edit: Callable
    send: Callable
    convert: Callable
    duplicate: Callable
    delete: Callable


def actions(shown: QuoteDetail, do: Actions) -> None:
    """What can be done now: a draft is edited, sent or deleted; an open quote resent or converted on the client's
    word; an expired one converted still; any quote duplicated."""
    status = shown.display_status
    if status == "draft":
        ui.button("Edit", icon="edit", on_click=do.edit).props("outline").mark("action-edit")
        ui.button("Send", icon="send", on_click=do.send).mark("action-send")
    if status == "sent":
        ui.button("Resend", icon="send", on_click=do.send).props("outline").mark("action-send")
    if status in ("sent", "expired"):
        ui.button("Convert to invoice", icon="receipt_long", on_click=do.convert).mark("action-convert")
    ui.button("Duplicate", icon="content_copy", on_click=do.duplicate).props("flat").mark("action-duplicate")
    if status == "draft":
        ui.button("Delete draft", icon="delete", on_click=do.delete).props("flat color=negative").mark("action-delete")


class QuotePage:
    """The page's state (the quote as last loaded, and its views) and what its buttons do."""

    def __init__(self, actor: StaffActor, detail: QuoteDetail, views: ViewSummary) -> None:
        self.actor, self.detail, self.views = actor, detail, views
        self.open_send: Callable = lambda: None
        self.leaving = False  # this page deleted the quote and is on its way to the list

    def current(self) -> QuoteDetail:
        return self.detail

    def draw(self) -> None:
        actor = self.actor
        self.open_send = send_dialog(
            self.current,
            recipients=lambda detail: quotes.list_recipients(actor, detail.id),
            send=lambda detail: quotes.send_quote(actor, detail.id),
            refresh=self.refresh,
            goes="The quote, its link to accept or decline, and its PDF go to:",
        )
        self.content()

    async def refresh(self, new: QuoteDetail) -> None:
        self.detail, self.views = new, await quotes.view_summary(self.actor, new.id)
        self.content.refresh()

    async def reload(self) -> None:
        """The quote changed (here, in another tab, or by the client): as it is now."""
        if self.leaving:
            return
        try:
            new = await quotes.get_quote(self.actor, self.detail.id)
        except NotFound:  # a colleague deleted the draft meanwhile
            self.leaving = True
            ui.notify(f"The draft {self.detail.number} was deleted.", type="warning")
            ui.navigate.to("/quotes")
            return
        await self.refresh(new)

    def edit(self) -> None:
        ui.navigate.to(f"/quotes/{self.detail.id}/edit")

    async def duplicate(self) -> None:
        try:
            copy = await quotes.duplicate_quote(self.actor, self.detail.id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return
        ui.notify(f"Copied to the new draft {copy.number}", type="positive")
        ui.navigate.to(f"/quotes/{copy.id}/edit")

    async def delete(self) -> None:
        shown = self.detail
        if not await ask_first(
            f"Delete the draft {shown.number}?", "It is gone for good; its number is not used again.", "Delete draft"
        ):
            return
        self.leaving = True
        try:
            await quotes.delete_draft(self.actor, shown.id)
        except ServiceError as exc:
            self.leaving = False
            ui.notify(exc.message, type="negative")
            return
        ui.notify(f"Deleted the draft {shown.number}", type="positive")
        ui.navigate.to("/quotes")

    async def convert(self) -> None:
        shown = self.detail
        if not await ask_first(
            f"Convert {shown.number} to an invoice?",
            "Record that the client accepted on their word (a call, a signed paper). "
            + on_acceptance(shown).replace("Acceptance makes", "This makes a draft of")
            + " No signature is recorded, and the client can no longer answer the quote.",
            "Convert to invoice",
            destructive=False,
        ):
            return
        try:
            done = await acceptance.convert_quote(self.actor, shown.id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return
        made = f": the draft invoice {done.invoice_number} is ready to review and send" if done.invoice_number else ""
        ui.notify(f"Converted {done.number}{made}", type="positive")
        await self.refresh(done)

    @ui.refreshable_method
    def content(self) -> None:
        shown = self.detail
        with ui.card().classes("w-full").props("flat bordered"):
            with ui.row().classes("w-full items-center gap-3"):
                ui.label(shown.number).classes("text-xl font-semibold")
                if shown.title:
                    ui.label(shown.title).classes("text-lg text-gray-700").mark("quote-title")
                badge = quote_views.status_badge(shown.display_status)
                status_badge(badge.label, badge.color).mark("quote-status")
                ui.space()
                actions(shown, Actions(self.edit, self.open_send, self.convert, self.duplicate, self.delete))
            summary(shown)
        answer(shown)
        with ui.card().classes("w-full").props("flat bordered"):
            lines_and_totals(shown)
        with ui.card().classes("w-full").props("flat bordered"):
            ui.label("Client's view").classes("text-lg font-semibold")
            ui.label(views_text(self.views, shown)).classes("text-sm").mark("quote-views")
            if shown.status != "draft":
                ui.label(
                    "Anyone with this link can read the quote and accept or decline it; each view is recorded."
                ).classes("text-sm text-gray-600")
                copy_link("Public link", shown.public_url)
            else:  # the link answers "not found" for a draft: offering it would mislead
                ui.label("No public link yet: it works once the quote is sent.").classes("text-sm text-gray-600").mark(
                    "no-public-link"
                )
            ui.link("Download PDF", pdf_path(shown.id), new_tab=True).classes("text-sm").mark("quote-pdf")


@staff_page("/quotes/{quote_id}")
async def quote_page(context: StaffPage, quote_id: str, send: str = "") -> RedirectResponse | None:
    """`?send=1` (the editor's "Save and send") opens the send dialog at once, with its recipients to confirm."""
    actor = context.actor
    try:
        detail = await quotes.get_quote(actor, quote_id)
        views = await quotes.view_summary(actor, detail.id)
    except NotFound:
        with frame(context, "Quote"):
            not_found("This quote does not exist.")
        return None
    page = QuotePage(actor, detail, views)
    with frame(context, f"Quote {detail.number}"):
        ui.link("← All quotes", "/quotes").classes("text-sm")
        page.draw()
        if send and detail.status == "draft":
            await page.open_send()
    # The client accepting or declining, or a colleague's change, redraws the quote without a reload.
    follow(QuotesChanged, lambda event: staff_hears(actor, event) and event.quote_id == detail.id, page.reload)
    return None
