"""The requests board on staff pages (one project's, or all of a client's), and the "New request" dialog."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from nicegui import ui

from components.forms import FieldErrors, dialog_actions
from components.kanban import BoardCard, BoardColumn, Kanban
from models.collaboration import RequestStatus
from portal_app.staff.request_detail import RequestPanel
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.projects import work_requests
from services.projects.work_requests import STATUS_LABELS, Board, ColumnLimits


def board_columns(board: Board, *, across_projects: bool = False) -> list[BoardColumn]:
    """Each column's first cards; the rest are counted (`hidden`) for "Show more"."""
    return [
        BoardColumn(
            status.value,
            label,
            [
                BoardCard(
                    id=str(card.id),
                    title=card.title,
                    requester=card.requester_name,
                    assignee=card.assignee_name,
                    comments=card.comment_count,
                    source=card.source,
                    group=str(card.project_id),
                    group_label=card.project_name if across_projects else "",
                )
                for card in board.columns.get(status, [])
            ],
            board.hidden(status),
        )
        for status, label in STATUS_LABELS.items()
    ]


class BoardSection:
    """The board, redrawn from `load` (given how many cards each column shows); moves go through `move_request`
    with the page's actor. "Show more" under a column raises that column's limit by a page."""

    def __init__(
        self,
        actor: StaffActor,
        board: Board,
        load: Callable[[ColumnLimits], Awaitable[Board]],
        panel: RequestPanel,
        changed: Callable[[], Awaitable[None]],
        *,
        across_projects: bool = False,
    ) -> None:
        self.actor, self.board, self.load, self.panel, self.changed = actor, board, load, panel, changed
        self.across_projects = across_projects
        self.limits: dict[RequestStatus, int] = {}

    async def reload(self) -> None:
        self.board = await self.load(self.limits)
        self.draw.refresh()

    async def more(self, column: str) -> None:
        self.limits = work_requests.one_more_page(self.limits, column)
        await self.reload()

    async def move(self, card_id: str, column: str, position: int | None) -> None:
        before = next((c.status for cs in self.board.columns.values() for c in cs if str(c.id) == card_id), None)
        try:
            card = await work_requests.move_request(self.actor, card_id, column, position)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
        else:
            if card.status != before:  # a new place in the same column shows for itself
                ui.notify(f"Moved “{card.title}” to {STATUS_LABELS[card.status]}", type="positive")
        await self.changed()

    @ui.refreshable_method
    def draw(self) -> None:
        Kanban(board_columns(self.board, across_projects=self.across_projects), self.move, self.panel.open, self.more)


def new_request_dialog(actor: StaffActor, project_id: uuid.UUID, changed: Callable[[], Awaitable[None]]) -> ui.dialog:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg"):
        ui.label("New request").classes("text-lg font-semibold")
        ui.label("It goes to the bottom of the backlog.").classes("text-sm text-gray-600")
        title = ui.input("Title").props("outlined autofocus maxlength=200").classes("w-full").mark("new-request-title")
        description = ui.textarea("Description").props("outlined autogrow").classes("w-full")
        description.mark("new-request-description")
        errors = FieldErrors(title=title, description=description)

        async def create() -> None:
            data = work_requests.RequestInput(title.value or "", description.value or "")
            try:
                card = await work_requests.create_request(actor, project_id, data)
            except ServiceError as exc:
                errors.show(getattr(exc, "field", None), exc.message)
                return
            dialog.close()
            title.value = description.value = ""
            errors.clear()
            ui.notify(f"Added “{card.title}” to the backlog", type="positive")
            await changed()

        dialog_actions(dialog, "Create request", create)
    return dialog
