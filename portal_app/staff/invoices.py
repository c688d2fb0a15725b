"""Invoices: the server-side paginated list with its filters (status, client, issue-date range)."""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from components.date_input import date_filled, date_input
from components.forms import FieldErrors
from components.paged_table import PagedTable
from components.status_badge import STATUS_CELL
from components.table_columns import column
from portal_app.staff.client_choices import client_filter
from portal_app.staff.layout import StaffPage, frame, staff_page
from services.billing import invoice_listing, invoice_views, presentation
from services.core.errors import ServiceError
from services.core.formatting import Formats

STATUS_FILTERS = {
    "": "All",
    "draft": "Draft",
    "open": "Open",
    "overdue": "Overdue",
    "partially_paid": "Partially paid",
    "paid": "Paid",
    "void": "Void",
}
COLUMNS = [
    column("number", "Number"),
    column("client", "Client"),
    column("issue", "Issued"),
    column("due", "Due date"),
    column("status", "Status"),
    column("total", "Total", align="right"),
    column("amount_due", "Amount due", align="right"),
]


def invoice_row(row: invoice_views.InvoiceRow, formats: Formats) -> dict:
    return {
        "id": str(row.id),
        "number": row.number,
        "client": row.client_name,
        "client_id": str(row.client_id),
        "issue": formats.day(row.issue_date),
        "due": formats.day(row.due_date),
        "status": presentation.status_badge(row.display_status).label,
        "status_color": presentation.status_badge(row.display_status).color,
        "total": formats.money(row.total_minor, row.currency),
        "amount_due": formats.money(row.amount_due_minor, row.currency),
    }


@staff_page("/invoices")
async def invoices_page(context: StaffPage, request: Request, status: str = "") -> RedirectResponse | None:
    actor, formats = context.actor, context.org.formats
    client = request.query_params.get("client", "")  # NiceGUI reserves a page parameter named `client`

    # One load at a time, each reading the filters when its turn comes: the last change always has the last word.
    loading = asyncio.Lock()

    async def fetch(limit: int, offset: int) -> tuple[list[dict], int]:
        async with loading:
            return await fetch_now(limit, offset)

    async def fetch_now(limit: int, offset: int) -> tuple[list[dict], int]:
        try:
            filters = invoice_listing.InvoiceFilter(
                status=status_select.value or "",
                client_id=client_select.value or None,
                date_from=formats.read_day(date_from.value, "date_from", "Issued from"),
                date_to=formats.read_day(date_to.value, "date_to", "Issued to"),
            )
            page = await invoice_listing.list_invoices(actor, filters, limit=limit, offset=offset)
        except ServiceError as exc:
            errors.show(getattr(exc, "field", None), exc.message)
            return [], 0
        errors.clear()
        return [invoice_row(row, formats) for row in page.items], page.total

    with frame(context, "Invoices"):
        with ui.row().classes("w-full items-end gap-3"):
            status_select = ui.select(
                STATUS_FILTERS, value=status if status in STATUS_FILTERS else "", label="Status"
            ).props("outlined dense")
            status_select.classes("min-w-[10rem]")
            client_select = await client_filter(actor, client)
            date_from = date_input("Issued from", mask=formats.date_mask, clearable=True, dense=True)
            date_to = date_input("Issued to", mask=formats.date_mask, clearable=True, dense=True)
            ui.space()
            ui.button("New invoice", icon="add", on_click=lambda: ui.navigate.to("/invoices/new"))
        errors = FieldErrors(date_from=date_from, date_to=date_to, status=status_select, client_id=client_select)
        table = PagedTable(COLUMNS, fetch)
        table.link_column("number", "'/invoices/' + props.row.id")
        table.link_column("client", "'/clients/' + props.row.client_id")
        table.cell("status", STATUS_CELL)
        for field in (status_select, client_select):
            field.on_value_change(table.reset)
        for day_field in (date_from, date_to):  # a date acts once typed in full (or emptied)
            day_field.on_value_change(lambda e: table.reset() if date_filled(e.value, formats.date_mask) else None)
        await table.load()
    return None
