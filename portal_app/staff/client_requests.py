"""All requests of one client, across its projects, on one board; kept live like the project page."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from portal_app.live import Coalesced, follow, staff_hears
from portal_app.staff.layout import StaffPage, frame, not_found, staff_page
from portal_app.staff.project_board import BoardSection
from portal_app.staff.request_detail import RequestPanel
from services.clients import clients
from services.core.common import MAX_PAGE_SIZE
from services.core.errors import NotFound
from services.core.events import ProjectActivity
from services.projects import work_requests
from services.staff import staff


@staff_page("/clients/{client_id}/requests")
async def client_requests_page(context: StaffPage, request: Request, client_id: str) -> RedirectResponse | None:
    actor = context.actor
    try:
        client = await clients.get_client(actor, client_id)
        first_board = await work_requests.client_board(actor, client.id)
    except NotFound:
        with frame(context, "Requests"):
            not_found("This client does not exist.")
        return None
    members = await staff.list_staff(actor, limit=MAX_PAGE_SIZE)

    async def reload() -> None:
        try:
            await board.reload()
        except NotFound:
            ui.navigate.reload()
            return
        await panel.refresh()

    redraw = Coalesced(reload)

    with frame(context, f"Requests · {client.name}"):
        ui.link(f"← {client.name}", f"/clients/{client.id}").classes("text-sm")
        ui.label("Every request of this client, across all its projects. Each card names its project.").classes(
            "text-sm text-gray-600"
        )
        panel = RequestPanel(actor, {str(m.user_id): m.name for m in members.items}, redraw, context.org.formats)
        board = BoardSection(
            actor,
            first_board,
            lambda limits: work_requests.client_board(actor, client.id, limits),
            panel,
            redraw,
            across_projects=True,
        )
        board.draw()
    follow(ProjectActivity, lambda event: staff_hears(actor, event) and event.client_id == client.id, redraw)
    return None
