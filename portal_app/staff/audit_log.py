"""The audit log: filterable by action, actor and date range; paginated on the server."""

from __future__ import annotations

from datetime import date

from fastapi.responses import RedirectResponse
from nicegui import ui

from components.date_input import date_filled, date_input
from components.paged_table import PagedTable
from components.table_columns import column
from portal_app.staff.layout import StaffPage, frame, staff_page
from services.core import audit, audit_words
from services.core.errors import Invalid

COLUMNS = [
    column("at", "When"),
    column("what", "What happened"),
    column("ip", "IP"),
]


@staff_page("/audit")
async def audit_page(context: StaffPage) -> RedirectResponse | None:
    actor = context.actor
    actions = await audit.list_actions(actor)
    formats = context.org.formats

    def _day(value: str | None) -> date | None:
        """A filter's date; one not (yet) typed in full filters nothing."""
        try:
            return formats.read_day(value)
        except Invalid:
            return None

    async def fetch(limit: int, offset: int) -> tuple[list[dict], int]:
        filters = audit.AuditFilter(
            action=action.value or "",
            actor=who.value or "",
            date_from=_day(date_from.value),
            date_to=_day(date_to.value),
            timezone=formats.timezone,
        )
        page = await audit.list_events(actor, filters, limit=limit, offset=offset)
        beyond.set_visibility(page.total > audit.COUNT_CAP)
        rows = [
            {
                "id": str(e.id),
                "at": formats.moment(e.at),
                "what": audit_words.sentence(e.who, e.action, e.target_label, e.detail, formats),
                "action": e.action,  # the stable code, in the sentence's tooltip
                "ip": e.ip,
            }
            for e in page.items
        ]
        return rows, page.total

    with frame(context, "Audit log"):
        with ui.row().classes("w-full items-end gap-3"):
            action = ui.select(
                {"": "All actions"} | {a: audit_words.action_label(a) for a in actions}, value="", label="Action"
            ).props("outlined dense")
            action.classes("min-w-[14rem]")
            who = ui.input("Who", placeholder="email contains").props("outlined dense clearable debounce=300")
            date_from = date_input("From", mask=formats.date_mask, clearable=True, dense=True)
            date_to = date_input("To", mask=formats.date_mask, clearable=True, dense=True)
        # Counting stops at COUNT_CAP, so the log costs the same at any length: its pages reach the newest events.
        table = PagedTable(COLUMNS, fetch, rows_per_page=50, count_cap=audit.COUNT_CAP)
        table.tooltip_column("what", "action")
        beyond = ui.label(
            f"More than {audit.COUNT_CAP:,} events match: the pages reach the newest {audit.COUNT_CAP:,}. "
            "Narrow the dates or the action to see older ones."
        ).classes("text-xs text-gray-500")
        for field in (action, who):
            field.on_value_change(table.reset)
        for day_field in (date_from, date_to):  # a date acts once typed in full (or emptied)
            day_field.on_value_change(lambda e: table.reset() if date_filled(e.value, formats.date_mask) else None)
        await table.load()
    return None
