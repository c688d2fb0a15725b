"""The portal's billing tab: balance, the invoice list with filters, payment history, one invoice, its PDF, Pay.

The services decide what a contact may see (never drafts, never void invoices, never another client's)
and whether a card payment is offered; these pages only draw what they are given.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from nicegui import APIRouter, ui
from nicegui.events import ClickEventArguments

from components.date_input import date_filled, date_input
from components.invoice_totals import invoice_totals
from components.paged_table import PagedTable
from components.status_badge import STATUS_CELL, status_badge
from components.table_columns import column
from portal_app.auth.portal import base_path, current_portal
from portal_app.auth.requests import client_ip, user_agent
from portal_app.live import follow, portal_hears
from portal_app.portal.document_parts import facts, lines_table
from portal_app.portal.layout import PortalPage, empty_state, frame, portal_page
from portal_app.responses import CHECKOUT_NOTICES, NO_TRACE, pdf_response, render_pdf
from services.billing import invoice_access, invoice_listing, invoices
from services.billing.invoice_listing import InvoiceFilter
from services.billing.invoice_views import InvoiceDetail
from services.billing.presentation import payment_text, totals_rows
from services.billing.presentation import status_badge as status_badge_of
from services.card_payments import checkout as checkout_service
from services.core.errors import Invalid, NotFound, ServiceError
from services.core.events import InvoicePaymentChanged
from services.core.formatting import Formats
from services.organizations import branding, organizations

router = APIRouter()

STATUS_FILTERS = {"": "All", "open": "Open", "overdue": "Overdue", "paid": "Paid"}


INVOICE_COLUMNS = [
    column("number", "Number"),
    column("issued", "Issued"),
    column("due", "Due"),
    column("status", "Status"),
    column("total", "Total", align="right"),
    column("amount_due", "Amount due", align="right"),
    column("pdf", "PDF"),
    column("pay", ""),
]
PAYMENT_COLUMNS = [
    column("paid_on", "Date"),
    column("number", "Invoice"),
    column("amount", "Amount", align="right"),
    column("method", "Method"),
]


def _initial_filter(status: str, issued_from: str, issued_to: str, formats: Formats) -> InvoiceFilter:
    """Filters from the address (a link can carry them, as ISO dates); anything odd there is simply ignored."""
    try:
        start, end = formats.read_day(issued_from), formats.read_day(issued_to)
    except Invalid:
        start = end = None
    if start and end and end < start:
        start = end = None
    return InvoiceFilter(status=status if status in STATUS_FILTERS else "", date_from=start, date_to=end)


def _balances(balances: list[invoice_listing.Balance], formats: Formats) -> None:
    with ui.row().classes("w-full gap-4"):
        if not balances:
            with ui.card().classes("min-w-[14rem]").props("flat bordered"):
                ui.label("Outstanding").classes("text-sm text-gray-600")
                ui.label("Nothing due").classes("text-2xl font-semibold")
                ui.label("You are all paid up. Thank you!").classes("text-sm text-gray-600")
        for balance in balances:
            with ui.card().classes("min-w-[14rem]").props("flat bordered").mark("balance"):
                ui.label("Outstanding").classes("text-sm text-gray-600")
                ui.label(formats.money(balance.outstanding_minor, balance.currency)).classes("text-2xl font-semibold")
                if balance.overdue_minor:
                    overdue = formats.money(balance.overdue_minor, balance.currency)
                    ui.label(f"{overdue} overdue").classes("text-sm text-negative font-medium")
                else:
                    ui.label("Nothing overdue").classes("text-sm text-gray-600")


def _invoice_table(page: PortalPage, initial: InvoiceFilter) -> PagedTable:
    chosen, formats = {"filter": initial}, page.org.formats

    async def fetch(limit: int, offset: int) -> tuple[list[dict], int]:
        listing = await invoice_listing.list_invoices(page.actor, chosen["filter"], limit=limit, offset=offset)
        rows = [
            {
                "id": str(row.id),
                "number": row.number,
                "href": page.href(f"/invoices/{row.id}"),
                "pdf": page.href(f"/invoices/{row.id}/pdf"),
                "issued": formats.day(row.issue_date),
                "due": formats.day(row.due_date),
                "status": status_badge_of(row.display_status).label,
                "status_color": status_badge_of(row.display_status).color,
                "total": formats.money(row.total_minor, row.currency),
                "amount_due": formats.money(row.amount_due_minor, row.currency),
                "pay": checkout_service.offered(page.org.card_payments, row.status, row.amount_due_minor),
            }
            for row in listing.items
        ]
        return rows, listing.total

    async def apply() -> None:
        if not (date_filled(date_from.value, formats.date_mask) and date_filled(date_to.value, formats.date_mask)):
            return  # a date still being typed
        try:
            start = formats.read_day(date_from.value, "date_from", "Issued from")
            end = formats.read_day(date_to.value, "date_to", "Issued to")
        except Invalid as exc:
            error.set_text(exc.message)
            return
        if start and end and end < start:
            error.set_text("The end of the date range is before its start.")
            return
        error.set_text("")
        chosen["filter"] = InvoiceFilter(status=status.value or "", date_from=start, date_to=end)
        await table.reset()

    with ui.row().classes("w-full items-center gap-3"):
        status = ui.toggle(STATUS_FILTERS, value=initial.status).props("no-caps unelevated").mark("status")
        mask = formats.date_mask
        date_from = date_input(
            "Issued from", formats.input_day(initial.date_from), mask=mask, clearable=True, dense=True
        )
        date_to = date_input("Issued to", formats.input_day(initial.date_to), mask=mask, clearable=True, dense=True)
        date_from.mark("from")
        date_to.mark("to")
        status.on_value_change(apply)
        date_from.on_value_change(apply)
        date_to.on_value_change(apply)
    error = ui.label("").classes("text-sm text-negative")
    table = PagedTable(INVOICE_COLUMNS, fetch)
    table.table.props('no-data-label="No invoices match these filters."').mark("invoices")
    table.link_column("number", "props.row.href")
    table.cell("status", STATUS_CELL)
    table.cell("pdf", '<a class="text-primary" :href="props.row.pdf" download>PDF</a>')
    # The invoice page shows what is paid for before the payer leaves for Stripe, so Pay links there.
    table.cell(
        "pay",
        '<q-btn v-if="props.row.pay" :href="props.row.href" label="Pay" color="primary"'
        ' size="sm" unelevated no-caps :aria-label="\'Pay invoice \' + props.row.number" />',
    )
    return table


def _payment_table(page: PortalPage) -> PagedTable:
    formats = page.org.formats

    async def fetch(limit: int, offset: int) -> tuple[list[dict], int]:
        history = await invoice_access.payment_history(page.actor, limit=limit, offset=offset)
        rows = [
            {
                "id": str(p.id),
                "paid_on": formats.day(p.paid_on),
                "number": p.invoice_number,
                "href": page.href(f"/invoices/{p.invoice_id}"),
                "amount": payment_text(p.amount_minor, p.currency, formats),
                "method": p.method,
            }
            for p in history.items
        ]
        return rows, history.total

    table = PagedTable(PAYMENT_COLUMNS, fetch, rows_per_page=10)
    table.table.props('no-data-label="No payments yet."').mark("payments")
    table.link_column("number", "props.row.href")
    return table


@portal_page("/portal/{slug}/invoices")
async def portal_invoices(
    page: PortalPage, status: str = "", issued_from: str = "", issued_to: str = ""
) -> RedirectResponse | None:
    glance = await invoice_listing.at_a_glance(page.actor)
    if not glance.any_invoices:
        with frame(page, "Invoices", "/invoices"):
            empty_state("receipt_long", "No invoices", "Invoices from us will be listed here, ready to view and pay.")
        return None
    with frame(page, "Invoices", "/invoices"):
        _balances(glance.balances, page.org.formats)
        listing = _invoice_table(page, _initial_filter(status, issued_from, issued_to, page.org.formats))
        ui.label("Payment history").classes("text-lg font-semibold mt-4")
        payments = _payment_table(page)
        await listing.load()
        await payments.load()
    return None


def _facts(detail: InvoiceDetail) -> None:
    formats = detail.formats
    facts(
        detail.seller,
        "Billed to",
        detail.buyer,
        [f"Issued {formats.day(detail.issue_date)}", f"Due {formats.day(detail.due_date)}"],
        detail.project_name,
    )


def _lines(detail: InvoiceDetail) -> None:
    lines_table(detail.lines, detail.currency, detail.discount_percent, detail.formats)


def _closing(detail: InvoiceDetail) -> None:
    if detail.payments:
        ui.label("Payments").classes("text-lg font-semibold")
        formats = detail.formats
        for payment in detail.payments:
            paid = payment_text(payment.amount_minor, payment.currency, formats)
            ui.label(f"{formats.day(payment.paid_on)} · {paid}").mark("invoice-payment")
    due = detail.payment_instructions if detail.amount_due_minor > 0 else ""
    for heading, text in (("Payment instructions", due), ("Notes", detail.notes), ("Terms", detail.terms)):
        if text.strip():
            ui.label(heading).classes("text-xs uppercase text-gray-500 mt-2")
            ui.label(text).classes("whitespace-pre-line")


@dataclass(slots=True)
class _Shown:
    """What the invoice page draws now: redrawn after a refused Pay, or when a payment lands."""

    detail: InvoiceDetail
    error: str = ""


def _checkout_notice(detail: InvoiceDetail, outcome: str, error: str) -> None:
    """The public page's notices after a payment attempt; a refused Pay shows the service's message instead."""
    if error:
        text, tone, role = error, "bg-red-100 text-red-900", "alert"
    elif outcome == "success":
        tone, role = "bg-green-100 text-green-900", "status"
        if detail.amount_due_minor == 0 and detail.amount_paid_minor > 0:
            text = "Thank you! Your payment was received."
        else:
            text = "Thank you! Your payment is being confirmed; this page shows it as soon as it is."
    elif outcome in CHECKOUT_NOTICES:  # only known values: the address is never echoed
        text = CHECKOUT_NOTICES[outcome]
        tone, role = ("bg-gray-100", "status") if outcome == "cancelled" else ("bg-red-100 text-red-900", "alert")
    else:
        return
    notice = ui.label(text).classes(f"w-full rounded px-4 py-3 {tone}").mark("checkout-notice")
    notice.props["role"] = role


async def _settle_return(invoice_id: uuid.UUID, checkout: str, session_id: str) -> bool:
    """Back from Stripe Checkout: settle from Stripe now, so the page that follows already shows the payment.
    True when it asked Stripe (the invoice may have changed)."""
    if checkout != "success" or not session_id:
        return False
    await checkout_service.confirm_return(session_id, invoice_id=invoice_id)
    return True


@portal_page("/portal/{slug}/invoices/{invoice_id}")
async def portal_invoice(
    page: PortalPage, request: Request, invoice_id: str, checkout: str = "", session_id: str = ""
) -> RedirectResponse | None:
    try:
        detail = await invoice_access.open_portal_invoice(
            page.actor, invoice_id, ip=client_ip(request), user_agent=user_agent(request)
        )
        if await _settle_return(detail.id, checkout, session_id):  # only once the contact may see the invoice
            detail = await invoices.get_invoice(page.actor, detail.id)
    except NotFound:
        with frame(page, "Invoice", "/invoices"):
            ui.context.client.status_code = 404
            empty_state("search_off", "Invoice not found", "It may have been withdrawn, or the link is wrong.")
        return None
    shown = _Shown(detail)

    async def reload() -> None:
        try:
            shown.detail = await invoices.get_invoice(page.actor, detail.id)
        except NotFound:  # voided meanwhile: the page says so the way a fresh load would
            ui.navigate.reload()
            return
        content.refresh()

    async def paid_elsewhere() -> None:
        shown.error = ""
        await reload()

    async def pay(event: ClickEventArguments) -> None:
        assert isinstance(event.sender, ui.button)
        event.sender.disable()  # one press, one Checkout Session (a redraw brings it back after a refusal)
        try:
            url = await checkout_service.start_portal_checkout(page.actor, detail.id)
        except ServiceError as exc:
            shown.error = exc.message
            await reload()  # the message, the invoice as it is now, and Pay ready to be pressed again
            return
        ui.navigate.to(url)

    @ui.refreshable
    def content() -> None:
        current = shown.detail
        _checkout_notice(current, checkout, shown.error)
        with ui.row().classes("w-full items-center gap-3"):
            badge = status_badge_of(current.display_status)
            status_badge(badge.label, badge.color).classes("text-sm").mark("invoice-status")
            due = current.formats.money(current.amount_due_minor, current.currency)
            ui.label(f"Amount due {due}").classes("font-medium")
            if checkout_service.offered(current.card_payments, current.status, current.amount_due_minor):
                button = ui.button("Pay", icon="credit_card", on_click=pay).props("unelevated no-caps").mark("pay")
                button.props["aria-label"] = f"Pay {due} by card"
            ui.space()
            download = ui.button("Download PDF", icon="download").props("no-caps unelevated download")
            download.props["href"] = page.href(f"/invoices/{current.id}/pdf")  # q-btn renders a link
        _facts(current)
        _lines(current)
        invoice_totals(totals_rows(current))
        _closing(current)

    with frame(page, f"Invoice {detail.number}", "/invoices"):
        ui.link("← All invoices", page.href("/invoices")).classes("text-sm")
        content()
    # A card payment landing on this invoice (a webhook, the payer's other tab) redraws it without a reload.
    follow(
        InvoicePaymentChanged,
        lambda event: portal_hears(page.actor, event) and event.invoice_id == detail.id,
        paid_elsewhere,
    )
    return None


def _plain(status_code: int, title: str, text: str) -> HTMLResponse:
    body = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{text}</p>"
    return HTMLResponse(body, status_code=status_code, headers=NO_TRACE)


@router.get("/portal/{slug}/invoices/{invoice_id}/pdf")
async def portal_invoice_pdf(request: Request, slug: str, invoice_id: str) -> Response:
    """The access-checked download: the portal cookie, then the same rules as the pages."""
    org = await organizations.find_by_slug(slug)
    if org is None:
        return _plain(404, "Not found", "There is no client portal at this address.")
    resolved = await current_portal(request, org)
    if resolved is None:
        return RedirectResponse(f"{base_path(org.slug)}/login", status_code=303)
    if not org.portal_enabled:
        return _plain(403, "Portal unavailable", "The client portal is currently unavailable.")
    actor = resolved.actor
    try:
        await invoice_access.record_portal_view(
            actor, invoice_id, via="portal_pdf", ip=client_ip(request), user_agent=user_agent(request)
        )
        detail = await invoices.get_invoice(actor, invoice_id)
    except NotFound:
        return _plain(404, "Invoice not found", "It may have been withdrawn, or the link is wrong.")
    return pdf_response(detail, await render_pdf(detail, await branding.invoice_logo(actor.org_id)))
