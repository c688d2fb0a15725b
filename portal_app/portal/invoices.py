"""The portal's billing tab: balance, the invoice list with filters, payment history, one invoice, its PDF.

The services decide what a contact may see (never drafts, never void invoices, never another client's);
these pages only draw what they are given.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from nicegui import APIRouter, ui

from components.paged_table import PagedTable
from portal_app.auth.portal import base_path, current_portal
from portal_app.auth.requests import client_ip, user_agent
from portal_app.portal.layout import PortalPage, empty_state, frame
from portal_app.portal.pages import open_page
from portal_app.routes.public_invoice import NO_TRACE, pdf_response, render_pdf
from services import branding, formatting, invoice_access, invoice_listing, invoices, organizations
from services.errors import NotFound
from services.invoice_listing import InvoiceFilter
from services.invoice_views import STATUS_LABELS, InvoiceDetail

router = APIRouter()

STATUS_FILTERS = {"": "All", "open": "Open", "overdue": "Overdue", "paid": "Paid"}
STATUS_COLOURS = {"overdue": "negative", "paid": "positive", "partially_paid": "warning", "sent": "primary"}


def _column(name: str, label: str, *, right: bool = False) -> dict[str, Any]:
    return {"name": name, "label": label, "field": name, "align": "right" if right else "left"}


INVOICE_COLUMNS = [
    _column("number", "Number"),
    _column("issued", "Issued"),
    _column("due", "Due"),
    _column("status", "Status"),
    _column("total", "Total", right=True),
    _column("amount_due", "Amount due", right=True),
    _column("pdf", "PDF"),
]
PAYMENT_COLUMNS = [
    _column("paid_on", "Date"),
    _column("number", "Invoice"),
    _column("amount", "Amount", right=True),
    _column("method", "Method"),
]


def _parse_day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _initial_filter(status: str, issued_from: str, issued_to: str) -> InvoiceFilter:
    """Filters from the address (a link can carry them); anything odd there is simply ignored."""
    try:
        start, end = _parse_day(issued_from), _parse_day(issued_to)
    except ValueError:
        start = end = None
    if start and end and end < start:
        start = end = None
    return InvoiceFilter(status=status if status in STATUS_FILTERS else "", date_from=start, date_to=end)


def _balances(balances: list[invoice_listing.Balance]) -> None:
    with ui.row().classes("w-full gap-4"):
        if not balances:
            with ui.card().classes("min-w-[14rem]").props("flat bordered"):
                ui.label("Outstanding").classes("text-sm text-gray-600")
                ui.label("Nothing due").classes("text-2xl font-semibold")
                ui.label("You are all paid up. Thank you!").classes("text-sm text-gray-600")
        for balance in balances:
            with ui.card().classes("min-w-[14rem]").props("flat bordered").mark("balance"):
                ui.label(f"Outstanding ({balance.currency})").classes("text-sm text-gray-600")
                ui.label(formatting.amount(balance.outstanding_minor, balance.currency)).classes(
                    "text-2xl font-semibold"
                )
                if balance.overdue_minor:
                    overdue = formatting.amount(balance.overdue_minor, balance.currency)
                    ui.label(f"{overdue} overdue").classes("text-sm text-negative font-medium")
                else:
                    ui.label("Nothing overdue").classes("text-sm text-gray-600")


def _invoice_table(page: PortalPage, initial: InvoiceFilter) -> PagedTable:
    chosen = {"filter": initial}

    async def fetch(limit: int, offset: int) -> tuple[list[dict], int]:
        listing = await invoice_listing.list_invoices(page.actor, chosen["filter"], limit=limit, offset=offset)
        rows = [
            {
                "id": str(row.id),
                "number": row.number,
                "href": page.href(f"/invoices/{row.id}"),
                "pdf": page.href(f"/invoices/{row.id}/pdf"),
                "issued": formatting.day(row.issue_date),
                "due": formatting.day(row.due_date),
                "status": STATUS_LABELS[row.display_status],
                "colour": STATUS_COLOURS.get(row.display_status, "grey"),
                "total": formatting.amount(row.total_minor, row.currency),
                "amount_due": formatting.amount(row.amount_due_minor, row.currency),
            }
            for row in listing.items
        ]
        return rows, listing.total

    async def apply() -> None:
        try:
            start, end = _parse_day(date_from.value), _parse_day(date_to.value)
        except ValueError:
            error.set_text("Enter dates as YYYY-MM-DD.")
            return
        if start and end and end < start:
            error.set_text("The end of the date range is before its start.")
            return
        error.set_text("")
        chosen["filter"] = InvoiceFilter(status=status.value or "", date_from=start, date_to=end)
        await table.reset()

    with ui.row().classes("w-full items-center gap-3"):
        status = ui.toggle(STATUS_FILTERS, value=initial.status).props("no-caps unelevated").mark("status")
        dates = [f"{d:%Y-%m-%d}" if d else "" for d in (initial.date_from, initial.date_to)]
        date_from = ui.input("Issued from", value=dates[0]).props("type=date stack-label dense outlined clearable")
        date_to = ui.input("Issued to", value=dates[1]).props("type=date stack-label dense outlined clearable")
        date_from.mark("from")
        date_to.mark("to")
        status.on_value_change(apply)
        date_from.on_value_change(apply)
        date_to.on_value_change(apply)
    error = ui.label("").classes("text-sm text-negative")
    table = PagedTable(INVOICE_COLUMNS, fetch)
    table.table.props('no-data-label="No invoices match these filters."').mark("invoices")
    table.link_column("number", "props.row.href")
    table.table.add_slot(
        "body-cell-status",
        '<q-td :props="props"><q-badge :color="props.row.colour" :label="props.value" /></q-td>',
    )
    table.table.add_slot(
        "body-cell-pdf",
        '<q-td :props="props"><a class="text-primary" :href="props.row.pdf" download>PDF</a></q-td>',
    )
    return table


def _payment_table(page: PortalPage) -> PagedTable:
    async def fetch(limit: int, offset: int) -> tuple[list[dict], int]:
        history = await invoice_access.payment_history(page.actor, limit=limit, offset=offset)
        rows = [
            {
                "id": str(p.id),
                "paid_on": formatting.day(p.paid_on),
                "number": p.invoice_number,
                "href": page.href(f"/invoices/{p.invoice_id}"),
                "amount": formatting.amount(p.amount_minor, p.currency),
                "method": p.method,
            }
            for p in history.items
        ]
        return rows, history.total

    table = PagedTable(PAYMENT_COLUMNS, fetch, rows_per_page=10)
    table.table.props('no-data-label="No payments yet."').mark("payments")
    table.link_column("number", "props.row.href")
    return table


@router.page("/portal/{slug}/invoices")
async def portal_invoices(
    request: Request, slug: str, status: str = "", issued_from: str = "", issued_to: str = ""
) -> RedirectResponse | None:
    page = await open_page(request, slug)
    if not isinstance(page, PortalPage):
        return page
    if not (await invoice_listing.list_invoices(page.actor, limit=1)).total:
        with frame(page, "Invoices", "/invoices"):
            empty_state("receipt_long", "No invoices", "Invoices from us will be listed here, ready to view and pay.")
        return None
    balances = await invoice_listing.outstanding(page.actor)
    with frame(page, "Invoices", "/invoices"):
        _balances(balances)
        listing = _invoice_table(page, _initial_filter(status, issued_from, issued_to))
        ui.label("Payment history").classes("text-lg font-semibold mt-4")
        payments = _payment_table(page)
        await listing.load()
        await payments.load()
    return None


def _facts(detail: InvoiceDetail) -> None:
    with ui.row().classes("w-full gap-4"):
        for heading, party in (("From", detail.seller), ("Billed to", detail.buyer)):
            with ui.card().classes("flex-1 min-w-[14rem] gap-1").props("flat bordered"):
                ui.label(heading).classes("text-xs uppercase text-gray-500")
                ui.label(party.name).classes("font-medium")
                if party.address:
                    ui.label(party.address).classes("text-sm whitespace-pre-line")
        with ui.card().classes("min-w-[12rem] gap-1").props("flat bordered"):
            ui.label("Dates").classes("text-xs uppercase text-gray-500")
            ui.label(f"Issued {formatting.day(detail.issue_date)}").classes("text-sm")
            ui.label(f"Due {formatting.day(detail.due_date)}").classes("text-sm")
            if detail.project_name:
                ui.label(f"Project: {detail.project_name}").classes("text-sm")


def _lines(detail: InvoiceDetail) -> None:
    cur = detail.currency
    columns = [
        {
            **_column("description", "Description"),
            "classes": "whitespace-pre-line break-words",
            "style": "min-width:14rem",
        },
        _column("quantity", "Qty", right=True),
        _column("unit_price", f"Unit price ({cur})", right=True),
        _column("tax", "Tax", right=True),
        _column("amount", "Amount", right=True),
    ]
    rows = [
        {
            "id": n,
            "description": line.description,
            "quantity": formatting.number(line.quantity),
            "unit_price": formatting.amount(line.unit_price_minor, cur, code=False),
            "tax": f"{formatting.number(line.tax_rate)}%",
            "amount": formatting.amount(formatting.line_amount_minor(line, detail.discount_percent), cur, code=False),
        }
        for n, line in enumerate(detail.lines)
    ]
    ui.table(columns=columns, rows=rows, row_key="id").classes("w-full").props("flat bordered wrap-cells")


def _totals(detail: InvoiceDetail) -> None:
    cur = detail.currency
    rows = [("Subtotal", detail.subtotal_minor)]
    if detail.discount_minor:
        rows.append((f"Discount ({formatting.number(detail.discount_percent)}%)", -detail.discount_minor))
    rows += [("Tax", detail.tax_minor), ("Total", detail.total_minor), ("Amount paid", detail.amount_paid_minor)]
    rows.append(("Amount due", detail.amount_due_minor))
    with ui.grid(columns=2).classes("ml-auto gap-x-8 gap-y-1 text-right"):
        for label, minor in rows:
            strong = " font-semibold text-lg" if label in ("Total", "Amount due") else ""
            ui.label(label).classes("text-gray-600" + strong)
            ui.label(formatting.amount(minor, cur)).classes(strong)


def _closing(detail: InvoiceDetail) -> None:
    if detail.payments:
        ui.label("Payments").classes("text-lg font-semibold")
        for payment in detail.payments:
            ui.label(f"{formatting.day(payment.paid_on)} · {formatting.amount(payment.amount_minor, payment.currency)}")
    due = detail.payment_instructions if detail.amount_due_minor > 0 else ""
    for heading, text in (("Payment instructions", due), ("Notes", detail.notes), ("Terms", detail.terms)):
        if text.strip():
            ui.label(heading).classes("text-xs uppercase text-gray-500 mt-2")
            ui.label(text).classes("whitespace-pre-line")


@router.page("/portal/{slug}/invoices/{invoice_id}")
async def portal_invoice(request: Request, slug: str, invoice_id: str) -> RedirectResponse | None:
    page = await open_page(request, slug)
    if not isinstance(page, PortalPage):
        return page
    try:
        await invoice_access.record_portal_view(
            page.actor, invoice_id, via="portal", ip=client_ip(request), user_agent=user_agent(request)
        )
        detail = await invoices.get_invoice(page.actor, invoice_id)
    except NotFound:
        with frame(page, "Invoice", "/invoices"):
            ui.context.client.status_code = 404
            empty_state("search_off", "Invoice not found", "It may have been withdrawn, or the link is wrong.")
        return None
    with frame(page, f"Invoice {detail.number}", "/invoices"):
        ui.link("← All invoices", page.href("/invoices")).classes("text-sm")
        with ui.row().classes("w-full items-center gap-3"):
            status = detail.display_status
            ui.badge(STATUS_LABELS[status], color=STATUS_COLOURS.get(status, "grey")).classes("text-sm")
            ui.label(f"Amount due {formatting.amount(detail.amount_due_minor, detail.currency)}").classes("font-medium")
            ui.space()
            download = ui.button("Download PDF", icon="download").props("no-caps unelevated download")
            download.props["href"] = page.href(f"/invoices/{detail.id}/pdf")  # q-btn renders a link
        _facts(detail)
        _lines(detail)
        _totals(detail)
        _closing(detail)
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
