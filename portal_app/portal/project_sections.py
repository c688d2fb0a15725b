"""The sections of the portal's project page, each drawn from the view data the page loads: the summary with its
progress, the milestones, the requests board, the dialog with one request's discussion, and the updates feed
with their replies.

A section redraws only when what it shows has changed (its `show(...)`), so a card moving never wipes a reply
being typed under an update; what is typed in a reply box survives even its own section's redraw. Sections that
write call the services with the contact's portal actor, which never returns anything internal.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from nicegui import ui
from nicegui.events import ClickEventArguments, ValueChangeEventArguments

from components.forms import FieldErrors, pressed
from components.portal_kanban import KanbanCard, KanbanColumn, OnMore, OnOpen, portal_kanban
from components.progress import progress_bar
from models.files import DeliverableStatus
from portal_app.portal.attachments import PendingAttachments, attachment_links
from services.core import clock
from services.core.actors import PortalActor
from services.core.common import MAX_PAGE_SIZE, Page
from services.core.errors import NotFound, ServiceError
from services.core.formatting import Formats
from services.files import files
from services.files.deliverables import DeliverableRow
from services.files.files import FileView
from services.projects import discussion, work_requests
from services.projects.discussion import CommentView, UpdateView
from services.projects.milestones import MilestoneView, ProjectOverview
from services.projects.project_views import UPDATES_PAGE
from services.projects.projects import STATUS_LABELS as PROJECT_STATUS_LABELS
from services.projects.work_requests import STATUS_LABELS, Board, RequestCard

Changed = Callable[[], Awaitable[None]]
Send = Callable[[str], Awaitable[ServiceError | None]]  # a reply's text -> why it was refused, or None

# --- the summary and the milestones -------------------------------------------------------------------------------


def summary_card(overview: ProjectOverview, formats: Formats) -> None:
    project = overview.project
    with ui.card().classes("w-full gap-3").props("flat bordered").mark("summary"):
        with ui.row().classes("w-full items-center gap-3"):
            ui.badge(PROJECT_STATUS_LABELS[project.status]).props("outline")
            if project.phase:
                ui.label(project.phase).classes("text-sm text-gray-600")
            ui.space()
            if overview.lead_name:
                ui.label(f"Project lead: {overview.lead_name}").classes("text-sm text-gray-600")
        progress_bar(overview.progress.percent, overview.progress.explained)
        deadline = overview.next_deadline
        text = f"Next deadline: {formats.day(deadline)}" if deadline else "No upcoming deadlines"
        ui.label(text).classes("text-sm").mark("next-deadline")
        if project.description:
            ui.label(project.description).classes("whitespace-pre-line text-gray-700")


def milestones_card(overview: ProjectOverview, today: date, formats: Formats, show_all: Changed | None = None) -> None:
    with ui.card().classes("w-full gap-2").props("flat bordered").mark("milestones"):
        ui.label("Milestones").classes("text-lg font-semibold")
        if not overview.milestones:
            ui.label("No milestones yet.").classes("text-sm text-gray-500")
        for milestone in overview.milestones:
            _milestone(milestone, today, formats)
        total = overview.progress.total
        if show_all is not None and total > len(overview.milestones):
            ui.button(f"Show all {total} milestones", on_click=show_all).props("flat dense no-caps").mark(
                "all-milestones"
            )


def _milestone(milestone: MilestoneView, today: date, formats: Formats) -> None:
    with ui.row().classes("w-full items-start gap-2 no-wrap").mark(f"milestone-{milestone.id}"):
        if milestone.done:
            ui.icon("check_circle", color="positive").props('aria-label="Done"')
        else:
            ui.icon("radio_button_unchecked", color="grey-6").props('aria-label="Not done yet"')
        with ui.column().classes("gap-0 flex-1 min-w-0"):
            ui.label(milestone.title).classes("break-words " + ("line-through text-gray-500" if milestone.done else ""))
            if milestone.due_date:
                late = not milestone.done and milestone.due_date < today
                ui.label(f"{'Was due' if late else 'Due'} {formats.day(milestone.due_date)}").classes(
                    "text-xs " + ("text-negative" if late else "text-gray-500")
                )


class OverviewSection:
    """The summary at the top and the milestones at the side: two places, one `ProjectOverview`. The milestones
    list shows its first ones; "Show all" asks the page (`show_all`) to load every one."""

    def __init__(self, overview: ProjectOverview, show_all: Changed, formats: Formats) -> None:
        self.overview, self.show_all, self.formats = overview, show_all, formats

    def show(self, overview: ProjectOverview) -> None:
        if overview != self.overview:
            self.overview = overview
            self.summary.refresh()
            self.timeline.refresh()

    @ui.refreshable_method
    def summary(self) -> None:
        summary_card(self.overview, self.formats)

    @ui.refreshable_method
    def timeline(self) -> None:
        milestones_card(self.overview, clock.now().date(), self.formats, self.show_all)


# --- the requests board -------------------------------------------------------------------------------------------


def board_columns(board: Board) -> list[KanbanColumn]:
    return [
        KanbanColumn(
            status.value,
            label,
            [KanbanCard(str(c.id), c.title, c.requester_name, c.comment_count) for c in board.columns.get(status, [])],
            board.hidden(status),
        )
        for status, label in STATUS_LABELS.items()
    ]


class BoardSection:
    """The read-only board; a card opens with `on_open(request_id)`, a column shows more with `on_more(key)`."""

    def __init__(self, board: Board, on_open: OnOpen, on_more: OnMore | None = None) -> None:
        self.board, self.on_open, self.on_more = board, on_open, on_more

    def show(self, board: Board) -> None:
        if board != self.board:
            self.board = board
            self.draw.refresh()

    @ui.refreshable_method
    def draw(self) -> None:
        portal_kanban(board_columns(self.board), on_open=self.on_open, on_more=self.on_more)


# --- comments and reply boxes -------------------------------------------------------------------------------------


def byline(name: str, at: datetime, formats: Formats) -> str:
    return f"{name or 'The team'} · {formats.day(at)}"


def comment_row(comment: CommentView, formats: Formats) -> None:
    # Three elements a reply: a feed page holds many, and every open tab keeps each one in the server's memory.
    with ui.column().classes("w-full gap-0 min-w-0").mark(f"comment-{comment.id}"):
        ui.label(byline(comment.author_name, comment.created_at, formats)).classes("text-xs text-gray-600 font-medium")
        ui.label(comment.body).classes("whitespace-pre-line break-words text-sm")


def reply_box(
    drafts: dict[str, str], key: str, send: Send, after: Changed, extra: Callable[[], None] | None = None
) -> None:
    """A reply textarea and its button; what is typed survives redraws, and a refused reply says why on the box.
    `extra` draws more of the form between the two (a request's reply: its attachments)."""
    box = ui.textarea("Write a reply", value=drafts.get(key, "")).props("outlined autogrow dense").classes("w-full")
    box.mark(f"reply-{key}")
    box.on_value_change(lambda e: drafts.__setitem__(key, e.value or ""))
    errors = FieldErrors(body=box)
    if extra is not None:
        extra()

    async def submit(event: ClickEventArguments) -> None:
        text = box.value or ""
        # Forget the draft first: a live redraw while the reply is saved must not bring the sent text back.
        drafts.pop(key, None)
        async with pressed(event):  # one press, one reply
            problem = await send(text)
        if problem is not None:
            drafts[key] = text
            if not box.is_deleted:
                errors.show(getattr(problem, "field", None) or "body", problem.message)
            return
        if not box.is_deleted:
            box.value = ""
            errors.clear()
        await after()

    ui.button("Reply", icon="send", on_click=submit).props("unelevated no-caps dense").classes("self-end").mark(
        f"send-{key}"
    )


# --- one request's dialog -----------------------------------------------------------------------------------------


@dataclass
class RequestDetail:
    card: RequestCard
    updates: list[UpdateView]
    comments: list[CommentView]
    attachments: list[FileView] = field(default_factory=list)  # the request's and its comments' files

    def attached_to(self, comment_id: uuid.UUID | None) -> list[FileView]:
        """The files on the request itself (None) or on one of its comments."""
        return [f for f in self.attachments if f.comment_id == comment_id]


@dataclass
class Replies:
    """What a reply box needs: the drafts it keeps its text in, how to send, and what to do once sent."""

    send: Send
    after: Changed
    drafts: dict[str, str] = field(default_factory=dict)


def request_view(
    detail: RequestDetail,
    replies: Replies,
    formats: Formats,
    *,
    slug: str = "",
    pending: PendingAttachments | None = None,
) -> None:
    """One request: its text and attachments, the team's updates on it, the discussion with each reply's files,
    and a reply box (with an attachments picker when `pending` is given)."""
    card = detail.card
    with ui.row().classes("w-full items-start justify-between gap-2 no-wrap"):
        ui.label(card.title).classes("text-lg font-semibold break-words")
        ui.badge(STATUS_LABELS[card.status]).props("outline").mark("request-status")
    meta = [f"From {card.requester_name}" if card.requester_name else "", f"Added {formats.day(card.created_at)}"]
    ui.label(" · ".join(m for m in meta if m)).classes("text-sm text-gray-600")
    if card.description:
        ui.label(card.description).classes("whitespace-pre-line break-words")
    attachment_links(slug, detail.attached_to(None), formats)
    for update in detail.updates:
        with ui.card().classes("w-full gap-1 bg-blue-50").props("flat"):
            ui.label(byline(update.author_name, update.created_at, formats)).classes("text-xs text-gray-600")
            ui.label(update.body).classes("whitespace-pre-line break-words text-sm")
    ui.separator()
    ui.label("Discussion").classes("font-medium")
    if not detail.comments:
        ui.label("No replies yet.").classes("text-sm text-gray-500")
    for comment in detail.comments:
        comment_row(comment, formats)
        attachment_links(slug, detail.attached_to(comment.id), formats)
    reply_box(
        replies.drafts, f"request-{card.id}", replies.send, replies.after, pending.draw if pending is not None else None
    )


class RequestDialog:
    """One dialog per page, filled with the request a card opens. Live redraws fetch it again only while it is
    open, and redraw it only when it changed."""

    def __init__(self, actor: PortalActor, formats: Formats, slug: str = "") -> None:
        self.actor, self.formats, self.slug = actor, formats, slug
        self.detail: RequestDetail | None = None
        self.replies = Replies(self._reply, self._reload)
        # files picked for a reply: kept across redraws of the dialog, sent with the reply
        self.pending = PendingAttachments("Attach files to your reply", "reply-attachments")
        with ui.dialog() as self.dialog, ui.card().classes("w-full max-w-2xl gap-3"):
            self.view()
            with ui.row().classes("w-full justify-end"):
                ui.button("Close", on_click=self.dialog.close).props("flat")
        self.dialog.on_value_change(self._toggled)

    def _toggled(self, event: ValueChangeEventArguments) -> None:
        if not event.value:  # closed: live redraws stop fetching its discussion; files picked for it are dropped
            self.detail = None
            self.pending.clear()

    async def open(self, request_id: uuid.UUID | str) -> None:
        await self._show(request_id, open_dialog=True)

    async def refresh(self) -> None:
        """For a live redraw: what changed in the open request meanwhile."""
        if self.dialog.value:
            await self._reload()

    async def _reload(self) -> None:
        if self.detail is not None:
            await self._show(self.detail.card.id, open_dialog=False)

    async def _show(self, request_id: uuid.UUID | str, *, open_dialog: bool) -> None:
        try:
            card = await work_requests.get_request(self.actor, request_id)
            detail = RequestDetail(
                card,
                await discussion.request_updates(self.actor, card.id),
                await discussion.request_discussion(self.actor, card.id),
                # a request carries tens of files at most; the page of them is bounded all the same
                list((await files.list_files(self.actor, request_id=card.id, limit=MAX_PAGE_SIZE)).items),
            )
        except NotFound:
            self.detail = None
            self.dialog.close()
            if open_dialog:
                ui.notify("That request is no longer there.", type="warning")
            return
        if detail != self.detail:
            self.detail = detail
            self.view.refresh()
        if open_dialog:
            self.dialog.open()

    async def _reply(self, text: str) -> ServiceError | None:
        if self.detail is None:
            return None
        request_id = self.detail.card.id
        try:
            comment = await discussion.add_comment(self.actor, text, request_id=request_id)
        except ServiceError as exc:
            return exc
        # The files picked go on the reply just saved; one refused says why, the reply and the others stay.
        self.pending.notify(await self.pending.send_to(self.actor, request_id=request_id, comment_id=comment.id))
        return None

    @ui.refreshable_method
    def view(self) -> None:
        if self.detail is not None:
            request_view(self.detail, self.replies, self.formats, slug=self.slug, pending=self.pending)


# --- the updates feed ---------------------------------------------------------------------------------------------


def update_card(update: UpdateView, replies: Replies, formats: Formats) -> None:
    with ui.card().classes("w-full gap-2").props("flat bordered").mark(f"update-{update.id}"):
        ui.label(byline(update.author_name, update.created_at, formats)).classes("text-sm font-medium")
        ui.label(update.body).classes("whitespace-pre-line break-words")
        if update.comments:
            with ui.column().classes("w-full gap-2 pl-3 border-l-2 border-gray-200"):
                for comment in update.comments:
                    comment_row(comment, formats)
        reply_box(replies.drafts, f"update-{update.id}", replies.send, replies.after)


class UpdatesFeed:
    """The public updates, newest first, each with its replies and a reply box. `limit` is how many the page
    loads; "Show older updates" raises it and asks the page to load again (`changed`)."""

    def __init__(self, actor: PortalActor, updates: Page[UpdateView], changed: Changed, formats: Formats) -> None:
        self.actor, self.updates, self.changed, self.formats = actor, updates, changed, formats
        self.limit = UPDATES_PAGE
        self.drafts: dict[str, str] = {}  # shared by the reply boxes, so their text outlives a redraw

    def show(self, updates: Page[UpdateView]) -> None:
        if updates != self.updates:
            self.updates = updates
            self.entries.refresh()

    def _replies(self, update_id: uuid.UUID) -> Replies:
        async def send(text: str) -> ServiceError | None:
            try:
                await discussion.add_comment(self.actor, text, update_id=update_id)
            except ServiceError as exc:
                return exc
            return None

        return Replies(send, self.changed, self.drafts)

    async def _show_older(self) -> None:
        self.limit = min(self.limit + UPDATES_PAGE, MAX_PAGE_SIZE)
        await self.changed()

    @ui.refreshable_method
    def entries(self) -> None:
        listing = self.updates
        if not listing.items:
            ui.label("No updates yet. News from the team will appear here.").classes("text-sm text-gray-500")
        for update in listing.items:
            update_card(update, self._replies(update.id), self.formats)
        if len(listing.items) < listing.total and self.limit < MAX_PAGE_SIZE:
            ui.button("Show older updates", on_click=self._show_older).props("flat no-caps")


# --- deliverables -------------------------------------------------------------------------------------------------


class DeliverablesSection:
    """The deliverables sent to the client for review: title, status, version, each a link to its page."""

    def __init__(self, rows: list[DeliverableRow], href: Callable[[uuid.UUID], str]) -> None:
        self.rows, self.href = rows, href

    def show(self, rows: list[DeliverableRow]) -> None:
        if rows != self.rows:
            self.rows = rows
            self.draw.refresh()

    @ui.refreshable_method
    def draw(self) -> None:
        with ui.card().classes("w-full gap-1").props("flat bordered").mark("deliverables"):
            ui.label("Deliverables").classes("text-lg font-semibold")
            if not self.rows:
                ui.label("Nothing to review yet: work we send you for approval appears here.").classes(
                    "text-sm text-gray-500"
                )
            for row in self.rows:
                waiting = row.status == DeliverableStatus.in_review
                with ui.row().classes("w-full items-center justify-between gap-2 no-wrap min-h-[40px]"):
                    with ui.column().classes("gap-0 min-w-0"):
                        ui.link(row.title, self.href(row.id)).classes("break-words").mark(f"deliverable-{row.id}")
                        ui.label(f"Version {row.version}").classes("text-xs text-gray-500")
                    ui.badge(row.status_label, color="primary" if waiting else "grey-7").props(
                        "" if waiting else "outline"
                    )
