"""Quotes: the server-side paginated list with its filters (status, client, a search in numbers and titles); it
follows changes, so a quote the client accepts turns "Accepted" while staff watch."""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from components.forms import FieldErrors
from components.paged_table import PagedTable
from components.status_badge import STATUS_CELL
from components.table_columns import column
from portal_app.live import follow, staff_hears
from portal_app.staff.client_choices import client_filter
from portal_app.staff.layout import StaffPage, frame, staff_page
from services.core.errors import ServiceError
from services.core.events import QuotesChanged
from services.core.formatting import Formats
from services.quotes import quote_views, quotes

STATUS_FILTERS = {
    "": "All",
    "draft": "Draft",
    "open": "Sent (open)",
    "accepted": "Accepted",
    "declined": "Declined",
    "expired": "Expired",
}
COLUMNS = [
    column("number", "Number"),
    column("title", "Title"),
    column("client", "Client"),
    column("status", "Status"),
    column("issue", "Issued"),
    column("valid_until", "Valid until"),
    column("total", "Total", align="right"),
]
NO_QUOTES = "No quotes here. Draft one with New quote, or change the filters."


def quote_row(row: quote_views.QuoteRow, formats: Formats) -> dict:
    badge = quote_views.status_badge(row.display_status)
    return {
        "id": str(row.id),
        "number": row.number,
        "title": row.title or "—",
        "client": row.client_name,
        "client_id": str(row.client_id),
        "status": badge.label,
        "status_color": badge.color,
        "issue": formats.day(row.issue_date),
        "valid_until": formats.day(row.valid_until),
        "total": formats.money(row.total_minor, row.currency),
    }


@staff_page("/quotes")
async def quotes_page(context: StaffPage, request: Request, status: str = "") -> RedirectResponse | None:
    actor, formats = context.actor, context.org.formats
    client = request.query_params.get("client", "")  # NiceGUI reserves a page parameter named `client`

    # One load at a time, each reading the filters when its turn comes: the last change always has the last word.
    loading = asyncio.Lock()

    async def fetch(limit: int, offset: int) -> tuple[list[dict], int]:
        async with loading:
            try:
                filters = quotes.QuoteFilter(
                    status=status_select.value or "", client_id=client_select.value or None, search=search.value or ""
                )
                page = await quotes.list_quotes(actor, filters, limit=limit, offset=offset)
            except ServiceError as exc:
                errors.show(getattr(exc, "field", None), exc.message)
                return [], 0
            errors.clear()
            return [quote_row(row, formats) for row in page.items], page.total

    with frame(context, "Quotes"):
        with ui.row().classes("w-full items-end gap-3"):
            status_select = ui.select(
                STATUS_FILTERS, value=status if status in STATUS_FILTERS else "", label="Status"
            ).props("outlined dense")
            status_select.classes("min-w-[10rem]")
            client_select = await client_filter(actor, client)
            search = ui.input("Search", placeholder="Number or title").props("outlined dense clearable debounce=300")
            search.classes("min-w-[14rem]").mark("quote-search")
            with search.add_slot("prepend"):
                ui.icon("search")
            ui.space()
            ui.button(
                "New quote",
                icon="add",
                on_click=lambda: ui.navigate.to(
                    "/quotes/new" + (f"?client={client_select.value}" if client_select.value else "")
                ),
            ).mark("new-quote")
        errors = FieldErrors(status=status_select, client_id=client_select, search=search)
        table = PagedTable(COLUMNS, fetch)
        table.table.props(f'no-data-label="{NO_QUOTES}"')
        table.link_column("number", "'/quotes/' + props.row.id")
        table.link_column("client", "'/clients/' + props.row.client_id")
        table.cell("status", STATUS_CELL)
        for field in (status_select, client_select, search):
            field.on_value_change(table.reset)
        await table.load()

    async def reload() -> None:
        await table.load()  # the page being read, redrawn as it is now

    follow(QuotesChanged, lambda event: staff_hears(actor, event), reload)
    return None
