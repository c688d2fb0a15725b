"""Projects: every project of the organization, filtered by client, status and lead, with progress and the next
deadline; paginated on the server."""

from __future__ import annotations

import asyncio

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from components.paged_table import PagedTable
from components.table_columns import column
from portal_app.staff.client_choices import client_filter
from portal_app.staff.layout import StaffPage, frame, staff_page
from services.core.common import MAX_PAGE_SIZE
from services.core.errors import ServiceError
from services.core.formatting import Formats
from services.projects import milestones, projects
from services.projects.projects import NO_LEAD, STATUS_LABELS, ProjectView
from services.staff import staff

STATUS_FILTERS = {"": "All statuses"} | {s.value: label for s, label in STATUS_LABELS.items()}
COLUMNS = [
    column("name", "Project"),
    column("client", "Client"),
    column("lead", "Lead"),
    column("status", "Status"),
    column("progress", "Progress", align="right"),
    column("deadline", "Next deadline"),
]
NO_PROJECTS = "No projects yet. Add one from a client's page."
NO_MATCHES = "No projects match these filters."


def project_row(view: ProjectView, summary: milestones.Summary | None, formats: Formats) -> dict:
    deadline = summary.next_deadline if summary else None
    return {
        "id": str(view.id),
        "name": view.name,
        "client": view.client_name,
        "client_id": str(view.client_id),
        "lead": view.lead_name or "—",
        "status": STATUS_LABELS[view.status],
        "progress": f"{summary.progress.percent}%" if summary else "",
        "deadline": formats.day(deadline) if deadline else "—",
    }


@staff_page("/projects")
async def projects_page(
    context: StaffPage, request: Request, status: str = "", lead: str = ""
) -> RedirectResponse | None:
    actor, formats = context.actor, context.org.formats
    client = request.query_params.get("client", "")  # NiceGUI reserves a page parameter named `client`
    members = await staff.list_staff(actor, limit=MAX_PAGE_SIZE)
    leads = {"": "Any lead", NO_LEAD: "No lead"} | {str(m.user_id): m.name for m in members.items}

    # One load at a time, each reading the filters when its turn comes: the last change always has the last word.
    loading = asyncio.Lock()

    async def fetch(limit: int, offset: int) -> tuple[list[dict], int]:
        async with loading:
            try:
                page = await projects.list_projects(
                    actor,
                    client_id=client_select.value or None,
                    status=status_select.value or None,
                    lead=lead_select.value or None,
                    limit=limit,
                    offset=offset,
                )
            except ServiceError as exc:  # a filter naming what is gone (a client or member removed meanwhile)
                ui.notify(exc.message, type="warning")
                return [], 0
            # progress and next deadline of the whole page in one call, not one per row
            found = await milestones.summaries(actor, [p.id for p in page.items])
        filtered = any((client_select.value, status_select.value, lead_select.value))
        table.table.props["no-data-label"] = NO_MATCHES if filtered else NO_PROJECTS  # sent with the rows
        return [project_row(p, found.get(p.id), formats) for p in page.items], page.total

    with frame(context, "Projects"):
        with ui.row().classes("w-full items-end gap-3"):
            client_select = await client_filter(actor, client)
            status_select = ui.select(
                STATUS_FILTERS, value=status if status in STATUS_FILTERS else "", label="Status"
            ).props("outlined dense")
            status_select.classes("min-w-[10rem]")
            lead_select = ui.select(leads, value=lead if lead in leads else "", label="Lead", with_input=True)
            lead_select.props("outlined dense").classes("min-w-[12rem]")
        table = PagedTable(COLUMNS, fetch)
        table.link_column("name", "'/projects/' + props.row.id")
        table.link_column("client", "'/clients/' + props.row.client_id")
        for field in (client_select, status_select, lead_select):
            field.on_value_change(table.reset)
        await table.load()
    return None
