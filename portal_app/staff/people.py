"""People: the organization's staff and their roles."""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import ui

from components.paged_table import PagedTable
from components.table_columns import column
from portal_app.staff.layout import StaffPage, frame, staff_page
from services.staff import staff

COLUMNS = [
    column("name", "Name"),
    column("email", "Email"),
    column("role", "Role"),
    column("joined", "Member since"),
    column("seen", "Last active"),
]
ROLE_LABELS = {"owner": "Owner", "admin": "Admin", "member": "Member"}


@staff_page("/people")
async def people_page(context: StaffPage) -> RedirectResponse | None:
    actor, formats = context.actor, context.org.formats

    async def fetch(limit: int, offset: int) -> tuple[list[dict], int]:
        page = await staff.list_staff(actor, limit=limit, offset=offset)
        rows = [
            {
                "id": str(m.user_id),
                "name": m.name,
                "email": m.email,
                "role": ROLE_LABELS[m.role.value],
                "joined": formats.day(m.joined_at),
                "seen": formats.moment(m.last_seen_at) if m.last_seen_at else "—",
            }
            for m in page.items
        ]
        return rows, page.total

    with frame(context, "People"):
        ui.label("Everyone who works in this workspace, and what they may do.").classes("text-gray-600")
        table = PagedTable(COLUMNS, fetch)
        await table.load()
    return None
