"""The dialog a card opens on the staff boards: edit the request, assign it, read its updates, discuss it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.events import ValueChangeEventArguments

from components.feed import ReplyBox, comment_item, entry_card
from components.forms import FieldErrors
from components.kanban import SOURCE_BADGES
from portal_app.staff.project_feed import comment_of, entry_of
from services.core.actors import StaffActor
from services.core.errors import NotFound, ServiceError
from services.core.formatting import Formats
from services.projects import discussion, work_requests
from services.projects.discussion import CommentView, UpdateView
from services.projects.work_requests import STATUS_LABELS, RequestCard

UNASSIGNED = ""


class RequestPanel:
    """One dialog per page, filled for the card being opened. Live redraws touch its facts and discussion only,
    never the title, description or reply someone may be typing."""

    def __init__(
        self, actor: StaffActor, members: dict[str, str], changed: Callable[[], Awaitable[None]], formats: Formats
    ) -> None:
        self.actor, self.changed, self.formats = actor, changed, formats
        self.assignees = {UNASSIGNED: "Unassigned"} | members
        self.card: RequestCard | None = None
        self.updates: list[UpdateView] = []
        self.comments: list[CommentView] = []
        self.drafts: dict[str, str] = {}
        self.assignee: ui.select | None = None
        with ui.dialog() as self.dialog, ui.card().classes("w-full max-w-2xl gap-3").mark("request-dialog"):
            self.body = ui.column().classes("w-full gap-3")
            with ui.row().classes("w-full justify-end"):
                ui.button("Close", on_click=self.dialog.close).props("flat")
        self.dialog.on_value_change(lambda e: None if e.value else self._closed())

    def _closed(self) -> None:
        self.card = None
        self.body.clear()

    async def _fetch(self, request_id: str) -> bool:
        try:
            self.card = await work_requests.get_request(self.actor, request_id)
            self.updates = await discussion.request_updates(self.actor, self.card.id)
            self.comments = await discussion.request_discussion(self.actor, self.card.id)
        except NotFound:
            return False
        return True

    async def open(self, request_id: str) -> None:
        if not await self._fetch(request_id):
            ui.notify("That request is no longer there.", type="warning")
            return
        self.body.clear()
        with self.body:
            self._draw()
        self.dialog.open()

    async def refresh(self) -> None:
        """What others changed meanwhile, if the dialog is open."""
        if self.card is None or not self.dialog.value:
            return
        if not await self._fetch(str(self.card.id)):
            self.dialog.close()
            ui.notify("That request was removed.", type="warning")
            return
        self.facts.refresh()
        self.discussion.refresh()
        if self.assignee is not None and not self.assignee.is_deleted:
            key = self._assignee_key()
            self.assignee.set_options(self.assignees, value=key)  # the card's own value: the handler does nothing

    def _assignee_key(self) -> str:
        assert self.card is not None
        key = str(self.card.assignee_user_id) if self.card.assignee_user_id else UNASSIGNED
        if key not in self.assignees:  # someone who left the organization still shows by name
            self.assignees[key] = self.card.assignee_name or "Former member"
        return key

    def _draw(self) -> None:
        card = self.card
        assert card is not None
        self.facts()
        title = ui.input("Title", value=card.title).props("outlined maxlength=200").classes("w-full")
        title.mark("request-title")
        description = ui.textarea("Description", value=card.description).props("outlined autogrow")
        description.classes("w-full").mark("request-description")
        errors = FieldErrors(title=title, description=description)

        async def save() -> None:
            try:
                data = work_requests.RequestInput(title.value or "", description.value or "")
                self.card = await work_requests.update_request(self.actor, card.id, data)
            except ServiceError as exc:
                errors.show(getattr(exc, "field", None), exc.message)
                return
            errors.clear()
            ui.notify("Request saved", type="positive")
            self.facts.refresh()
            await self.changed()

        with ui.row().classes("w-full items-center justify-between gap-3"):
            self.assignee = (
                ui.select(self.assignees, label="Assignee", value=self._assignee_key(), on_change=self._assign)
                .props("outlined dense")
                .classes("min-w-[14rem]")
                .mark("request-assignee")
            )
            ui.button("Save changes", icon="save", on_click=save).props("unelevated no-caps")
        self.discussion()
        ReplyBox(f"request-{card.id}", self._reply, drafts=self.drafts)

    async def _assign(self, event: ValueChangeEventArguments) -> None:
        if self.card is None:
            return
        user_id = event.value or None
        current = str(self.card.assignee_user_id) if self.card.assignee_user_id else None
        if user_id == current:
            return
        try:
            self.card = await work_requests.assign_request(self.actor, self.card.id, user_id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return
        ui.notify(
            f"Assigned to {self.card.assignee_name}" if self.card.assignee_name else "Unassigned", type="positive"
        )
        await self.changed()

    async def _reply(self, text: str, visibility: str) -> str | None:
        if self.card is None:
            return None
        try:
            await discussion.add_comment(self.actor, text, request_id=self.card.id, visibility=visibility)
        except ServiceError as exc:
            return exc.message
        await self.refresh()
        await self.changed()  # the card's comment count
        return None

    @ui.refreshable_method
    def facts(self) -> None:
        card = self.card
        if card is None:
            return
        with ui.row().classes("w-full items-center gap-2"):
            ui.label(card.title).classes("text-lg font-semibold break-words min-w-0")
            ui.space()
            ui.badge(STATUS_LABELS[card.status]).props("outline").mark("request-status")
            if card.source in SOURCE_BADGES:
                text, color = SOURCE_BADGES[card.source]
                ui.badge(text, color=color).props("rounded")
        details = [
            card.project_name,
            f"From {card.requester_name}" if card.requester_name else "",
            self.formats.moment(card.created_at),
        ]
        ui.label(" · ".join(d for d in details if d)).classes("text-sm text-gray-600")

    @ui.refreshable_method
    def discussion(self) -> None:
        if self.updates:
            ui.label("Updates").classes("font-medium")
            for update in self.updates:
                entry_card(entry_of(update, self.formats))
        ui.label("Discussion").classes("font-medium")
        if not self.comments:
            ui.label("No replies yet.").classes("text-sm text-gray-500")
        for comment in self.comments:
            comment_item(comment_of(comment, self.formats))
