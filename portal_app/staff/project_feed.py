"""A project's updates feed for staff: the composer, the updates newest first with their comments, replies."""

from __future__ import annotations

import uuid

from nicegui import background_tasks, ui

from components.feed import INTERNAL, PUBLIC, FeedComment, FeedEntry, ReplyBox, entry_card, visibility_choice
from components.forms import FieldErrors
from services.core.actors import StaffActor
from services.core.common import MAX_PAGE_SIZE, Page
from services.core.errors import ServiceError
from services.core.formatting import Formats
from services.projects import discussion
from services.projects.discussion import CommentView, UpdateView

PAGE_SIZE = 20


def comment_of(comment: CommentView, formats: Formats) -> FeedComment:
    return FeedComment(
        str(comment.id),
        comment.body,
        comment.author_name,
        formats.moment(comment.created_at),
        comment.visibility == INTERNAL,
        comment.by_contact,
    )


def entry_of(update: UpdateView, formats: Formats) -> FeedEntry:
    return FeedEntry(
        str(update.id),
        update.body,
        update.author_name,
        formats.moment(update.created_at),
        update.visibility == INTERNAL,
        update.by_contact,
        tuple(comment_of(c, formats) for c in update.comments),
    )


class ProjectFeed:
    """The composer stays put; only the list redraws, and not while someone is typing a reply in it."""

    def __init__(self, actor: StaffActor, project_id: uuid.UUID, page: Page[UpdateView], formats: Formats) -> None:
        self.actor, self.project_id, self.page, self.formats = actor, project_id, page, formats
        self.limit = PAGE_SIZE
        self.drafts: dict[str, str] = {}
        self.typing: set[str] = set()
        self.stale = False

    async def reload(self) -> None:
        """Fetch and redraw the list, unless a reply box has the focus: then redraw once it lets go."""
        if self.typing:
            self.stale = True
            return
        self.stale = False
        self.page = await discussion.list_updates(self.actor, self.project_id, limit=self.limit)
        self.entries.refresh()

    def _typing(self, key: str, focused: bool) -> None:
        if focused:
            self.typing.add(key)
            return
        self.typing.discard(key)
        if not self.typing and self.stale:
            background_tasks.create(self.reload(), name="redraw feed", context=ui.context.client)

    def composer(self) -> None:
        with ui.card().classes("w-full gap-2").props("flat bordered").mark("composer"):
            body = ui.textarea("Write an update").props("outlined autogrow").classes("w-full").mark("update-body")
            errors = FieldErrors(body=body)
            with ui.row().classes("w-full items-center justify-between gap-2"):
                visibility = visibility_choice(PUBLIC)

                async def post() -> None:
                    try:
                        await discussion.post_update(self.actor, self.project_id, body.value or "", visibility.value)
                    except ServiceError as exc:
                        errors.show(getattr(exc, "field", None), exc.message)
                        return
                    errors.clear()
                    body.value = ""
                    ui.notify(
                        "Internal update posted" if visibility.value == INTERNAL else "Update posted", type="positive"
                    )
                    await self.reload()

                ui.button("Post update", icon="campaign", on_click=post).props("unelevated no-caps")

    async def _load_more(self) -> None:
        self.limit = min(self.limit + PAGE_SIZE, MAX_PAGE_SIZE)
        await self.reload()

    def _replier(self, update_id: str):
        async def send(text: str, visibility: str) -> str | None:
            try:
                await discussion.add_comment(self.actor, text, update_id=update_id, visibility=visibility)
            except ServiceError as exc:
                return exc.message
            self.typing.discard(f"update-{update_id}")  # this box is done; its blur may never come
            await self.reload()
            return None

        return send

    @ui.refreshable_method
    def entries(self) -> None:
        if not self.page.items:
            ui.label("No updates yet. Post the first one above.").classes("text-sm text-gray-500")
        for update in self.page.items:
            entry = entry_of(update, self.formats)
            with entry_card(entry):
                ReplyBox(
                    f"update-{entry.id}",
                    self._replier(entry.id),
                    drafts=self.drafts,
                    internal_only=entry.internal,
                    typing=self._typing,
                )
        shown, total = len(self.page.items), self.page.total
        if shown < total:
            with ui.row().classes("w-full items-center justify-center gap-3"):
                ui.label(f"Showing {shown} of {total} updates").classes("text-sm text-gray-500")
                if self.limit < MAX_PAGE_SIZE:
                    ui.button("Load more", on_click=self._load_more).props("flat no-caps")
