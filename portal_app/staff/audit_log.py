"""The audit log: filterable by action, actor and date range; paginated on the server."""

from __future__ import annotations

from datetime import date

from fastapi.responses import RedirectResponse
from nicegui import ui

from components.forms import form_date
from components.paged_table import PagedTable
from components.table_columns import column
from portal_app.staff.layout import StaffPage, frame, staff_page
from services.core import audit

COLUMNS = [
    column("at", "When (UTC)"),
    column("actor", "Who"),
    column("action", "What"),
    column("target", "On"),
    column("ip", "IP"),
]


def _date(value: str | None) -> date | None:
    """A filter's date; one not (yet) typed as YYYY-MM-DD filters nothing."""
    try:
        return form_date(value)
    except ValueError:
        return None


@staff_page("/audit")
async def audit_page(context: StaffPage) -> RedirectResponse | None:
    actor = context.actor
    actions = await audit.list_actions(actor)

    async def fetch(limit: int, offset: int) -> tuple[list[dict], int]:
        filters = audit.AuditFilter(
            action=action.value or "",
            actor=who.value or "",
            date_from=_date(date_from.value),
            date_to=_date(date_to.value),
        )
        page = await audit.list_events(actor, filters, limit=limit, offset=offset)
        beyond.set_visibility(page.total > audit.COUNT_CAP)
        rows = [
            {
                "id": str(e.id),
                "at": f"{e.at:%Y-%m-%d %H:%M:%S}",
                "actor": f"{e.actor_label} ({e.actor_type})",
                "action": e.action,
                "target": " ".join(x for x in (e.target_type, e.target_label) if x),
                "ip": e.ip,
            }
            for e in page.items
        ]
        return rows, page.total

    with frame(context, "Audit log"):
        with ui.row().classes("w-full items-end gap-3"):
            action = ui.select({"": "All actions"} | {a: a for a in actions}, value="", label="Action").props(
                "outlined dense"
            )
            action.classes("min-w-[14rem]")
            who = ui.input("Who", placeholder="email contains").props("outlined dense clearable debounce=300")
            date_from = ui.input("From").props("outlined dense type=date clearable")
            date_to = ui.input("To").props("outlined dense type=date clearable")
        # Counting stops at COUNT_CAP, so the log costs the same at any length: its pages reach the newest events.
        table = PagedTable(COLUMNS, fetch, rows_per_page=50, count_cap=audit.COUNT_CAP)
        beyond = ui.label(
            f"More than {audit.COUNT_CAP:,} events match: the pages reach the newest {audit.COUNT_CAP:,}. "
            "Narrow the dates or the action to see older ones."
        ).classes("text-xs text-gray-500")
        for field in (action, who, date_from, date_to):
            field.on_value_change(table.reset)
        await table.load()
    return None
