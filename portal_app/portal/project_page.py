"""The portal's project page: progress, milestones, the requests board, public updates with their discussion,
the feedback form and the contact's email choices; kept live while it is open.

Everything is read through the contact's portal actor, so internal updates, internal comments and staff-only
fields cannot reach this page: the data layer never returns them. Live redraws are triggered by
`events.ProjectActivity` for this client's project only, and never by internal activity, so a redraw's
timing tells the client nothing either.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.events import ClickEventArguments, ValueChangeEventArguments

from components.forms import FieldErrors, dialog_actions, pressed
from components.portal_kanban import KanbanCard, KanbanColumn, portal_kanban
from components.progress import progress_bar
from portal_app.live import Coalesced, follow, portal_hears
from portal_app.portal.layout import PortalPage, empty_state, frame, portal_page
from services.core import clock
from services.core.common import MAX_PAGE_SIZE, Page
from services.core.errors import NotFound, ServiceError
from services.core.events import ProjectActivity
from services.core.formatting import day
from services.projects import discussion, milestones, notifications, work_requests
from services.projects.discussion import CommentView, UpdateView
from services.projects.milestones import ProjectOverview
from services.projects.projects import STATUS_LABELS as PROJECT_STATUS_LABELS
from services.projects.work_requests import STATUS_LABELS, Board, RequestCard

UPDATES_PAGE = 20


@dataclass
class _RequestDetail:
    card: RequestCard
    updates: list[UpdateView]
    comments: list[CommentView]


@dataclass
class _State:
    """What the page shows; redraws replace it from fresh service calls."""

    overview: ProjectOverview
    board: Board
    updates: Page[UpdateView]
    update_limit: int = UPDATES_PAGE
    drafts: dict[str, str] = field(default_factory=dict)  # reply boxes keep their text across live redraws
    request: _RequestDetail | None = None


def _summary(overview: ProjectOverview) -> None:
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
        ui.label(f"Next deadline: {day(deadline)}" if deadline else "No upcoming deadlines").classes("text-sm").mark(
            "next-deadline"
        )
        if project.description:
            ui.label(project.description).classes("whitespace-pre-line text-gray-700")


def _milestones(overview: ProjectOverview) -> None:
    today = clock.now().date()
    with ui.card().classes("w-full gap-2").props("flat bordered").mark("milestones"):
        ui.label("Milestones").classes("text-lg font-semibold")
        if not overview.milestones:
            ui.label("No milestones yet.").classes("text-sm text-gray-500")
        for milestone in overview.milestones:
            with ui.row().classes("w-full items-start gap-2 no-wrap").mark(f"milestone-{milestone.id}"):
                if milestone.done:
                    ui.icon("check_circle", color="positive").props('aria-label="Done"')
                else:
                    ui.icon("radio_button_unchecked", color="grey-6").props('aria-label="Not done yet"')
                with ui.column().classes("gap-0 flex-1 min-w-0"):
                    ui.label(milestone.title).classes(
                        "break-words " + ("line-through text-gray-500" if milestone.done else "")
                    )
                    if milestone.due_date:
                        late = not milestone.done and milestone.due_date < today
                        ui.label(f"{'Was due' if late else 'Due'} {day(milestone.due_date)}").classes(
                            "text-xs " + ("text-negative" if late else "text-gray-500")
                        )


def _board_columns(board: Board) -> list[KanbanColumn]:
    return [
        KanbanColumn(
            status.value,
            label,
            [KanbanCard(str(c.id), c.title, c.requester_name, c.comment_count) for c in board.columns.get(status, [])],
        )
        for status, label in STATUS_LABELS.items()
    ]


def _comment(comment: CommentView) -> None:
    with ui.row().classes("w-full gap-2 no-wrap items-start").mark(f"comment-{comment.id}"):
        ui.icon("person" if comment.by_contact else "support_agent", size="sm").classes("text-gray-400 mt-1")
        with ui.column().classes("gap-0 flex-1 min-w-0"):
            with ui.row().classes("gap-2 items-baseline"):
                ui.label(comment.author_name or "The team").classes("text-sm font-medium")
                ui.label(day(comment.created_at.date())).classes("text-xs text-gray-500")
            ui.label(comment.body).classes("whitespace-pre-line break-words text-sm")


Send = Callable[[str], Awaitable[ServiceError | None]]


def _reply_box(drafts: dict[str, str], key: str, send: Send, after: Callable[[], Awaitable[None]]) -> None:
    """A reply textarea and its button; what is typed survives redraws, and a refused reply says why on the box."""
    box = ui.textarea("Write a reply", value=drafts.get(key, "")).props("outlined autogrow dense").classes("w-full")
    box.mark(f"reply-{key}")
    box.on_value_change(lambda e: drafts.__setitem__(key, e.value or ""))
    errors = FieldErrors(body=box)

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

    with ui.row().classes("w-full justify-end"):
        ui.button("Reply", icon="send", on_click=submit).props("unelevated no-caps dense").mark(f"send-{key}")


@portal_page("/portal/{slug}/projects/{project_id}")
async def portal_project(page: PortalPage, request: Request, project_id: str) -> RedirectResponse | None:
    actor = page.actor
    try:
        overview = await milestones.project_overview(actor, project_id)
        pid = overview.project.id
        state = _State(
            overview,
            await work_requests.project_board(actor, pid),
            await discussion.list_updates(actor, pid, limit=UPDATES_PAGE),
        )
        preferences = await notifications.get_preferences(actor)
    except NotFound:
        with frame(page, "Project", "/projects"):
            ui.context.client.status_code = 404
            empty_state("search_off", "Project not found", "It may have been removed, or the link is wrong.")
        return None

    # --- redraws ---------------------------------------------------------------------------------------------------

    client = ui.context.client

    async def reload() -> None:
        try:
            overview = await milestones.project_overview(actor, pid)
            board_now = await work_requests.project_board(actor, pid)
            updates = await discussion.list_updates(actor, pid, limit=state.update_limit)
        except NotFound:  # the project went away meanwhile: the page says so the way a fresh load would
            ui.navigate.reload()
            return
        if client.is_deleted:
            return
        # Redraw only what changed: a card moving must not wipe the reply someone is typing under an update.
        if overview != state.overview:
            state.overview = overview
            summary.refresh()
            timeline.refresh()
        if board_now != state.board:
            state.board = board_now
            board.refresh()
        if updates != state.updates:
            state.updates = updates
            feed.refresh()
        if state.request is not None and request_dialog.value:
            await show_request(state.request.card.id, open_dialog=False)

    redraw = Coalesced(reload)

    # --- the requests board and one request's discussion -----------------------------------------------------------

    async def show_request(request_id: uuid.UUID | str, *, open_dialog: bool = True) -> None:
        try:
            card = await work_requests.get_request(actor, request_id)
            detail = _RequestDetail(
                card,
                await discussion.request_updates(actor, card.id),
                await discussion.request_discussion(actor, card.id),
            )
        except NotFound:
            state.request = None
            request_dialog.close()
            if open_dialog:
                ui.notify("That request is no longer there.", type="warning")
            return
        if detail != state.request:
            state.request = detail
            request_view.refresh()
        if open_dialog:
            request_dialog.open()

    async def reply_to_request(text: str) -> ServiceError | None:
        if state.request is None:
            return None
        try:
            await discussion.add_comment(actor, text, request_id=state.request.card.id)
        except ServiceError as exc:
            return exc
        return None

    async def request_replied() -> None:
        if state.request is not None:
            await show_request(state.request.card.id, open_dialog=False)

    @ui.refreshable
    def request_view() -> None:
        detail = state.request
        if detail is None:
            return
        card = detail.card
        with ui.row().classes("w-full items-start justify-between gap-2 no-wrap"):
            ui.label(card.title).classes("text-lg font-semibold break-words")
            ui.badge(STATUS_LABELS[card.status]).props("outline").mark("request-status")
        meta = [f"From {card.requester_name}" if card.requester_name else "", f"Added {day(card.created_at.date())}"]
        ui.label(" · ".join(m for m in meta if m)).classes("text-sm text-gray-600")
        if card.description:
            ui.label(card.description).classes("whitespace-pre-line break-words")
        for update in detail.updates:
            with ui.card().classes("w-full gap-1 bg-blue-50").props("flat"):
                ui.label(f"{update.author_name or 'The team'} · {day(update.created_at.date())}").classes(
                    "text-xs text-gray-600"
                )
                ui.label(update.body).classes("whitespace-pre-line break-words text-sm")
        ui.separator()
        ui.label("Discussion").classes("font-medium")
        if not detail.comments:
            ui.label("No replies yet.").classes("text-sm text-gray-500")
        for comment in detail.comments:
            _comment(comment)
        _reply_box(state.drafts, f"request-{card.id}", reply_to_request, request_replied)

    @ui.refreshable
    def board() -> None:
        portal_kanban(_board_columns(state.board), on_open=show_request)

    # --- updates and their replies ---------------------------------------------------------------------------------

    def replier(update_id: uuid.UUID) -> Send:
        async def send(text: str) -> ServiceError | None:
            try:
                await discussion.add_comment(actor, text, update_id=update_id)
            except ServiceError as exc:
                return exc
            return None

        return send

    async def show_older() -> None:
        state.update_limit = min(state.update_limit + UPDATES_PAGE, MAX_PAGE_SIZE)
        await redraw()

    @ui.refreshable
    def feed() -> None:
        listing = state.updates
        if not listing.items:
            ui.label("No updates yet. News from the team will appear here.").classes("text-sm text-gray-500")
        for update in listing.items:
            with ui.card().classes("w-full gap-2").props("flat bordered").mark(f"update-{update.id}"):
                with ui.row().classes("gap-2 items-baseline"):
                    ui.label(update.author_name or "The team").classes("font-medium")
                    ui.label(day(update.created_at.date())).classes("text-xs text-gray-500")
                ui.label(update.body).classes("whitespace-pre-line break-words")
                if update.comments:
                    with ui.column().classes("w-full gap-2 pl-3 border-l-2 border-gray-200"):
                        for comment in update.comments:
                            _comment(comment)
                _reply_box(state.drafts, f"update-{update.id}", replier(update.id), redraw)
        if len(listing.items) < listing.total and state.update_limit < MAX_PAGE_SIZE:
            ui.button("Show older updates", on_click=show_older).props("flat no-caps")

    @ui.refreshable
    def summary() -> None:
        _summary(state.overview)

    @ui.refreshable
    def timeline() -> None:
        _milestones(state.overview)

    # --- the page --------------------------------------------------------------------------------------------------

    with ui.dialog() as request_dialog, ui.card().classes("w-full max-w-2xl gap-3"):
        request_view()
        with ui.row().classes("w-full justify-end"):
            ui.button("Close", on_click=request_dialog.close).props("flat")

    def dialog_toggled(event: ValueChangeEventArguments) -> None:
        if not event.value:  # closed: live redraws stop fetching its discussion
            state.request = None

    request_dialog.on_value_change(dialog_toggled)

    new_request = _new_request_dialog(page, pid, redraw)

    with frame(page, overview.project.name, "/projects"):
        ui.link("← All projects", page.href("/projects")).classes("text-sm")
        summary()
        with ui.row().classes("w-full items-center justify-between"):
            ui.label("Requests").classes("text-xl font-semibold")
            ui.button("New request", icon="add", on_click=new_request.open).props("unelevated no-caps")
        board()
        with ui.element("div").classes("w-full grid grid-cols-1 md:grid-cols-3 gap-4 items-start"):
            with ui.column().classes("md:col-span-2 gap-3 min-w-0"):
                ui.label("Updates").classes("text-xl font-semibold")
                feed()
            with ui.column().classes("gap-4 min-w-0"):
                timeline()
                _feedback_form(page, pid, redraw)
                _notification_settings(page, preferences)
    # Changes to this project, here or in another session, redraw it; internal activity never does.
    follow(ProjectActivity, lambda event: portal_hears(page.actor, event) and event.project_id == pid, redraw)
    return None


def _new_request_dialog(page: PortalPage, project_id: uuid.UUID, redraw: Callable[[], Awaitable[None]]) -> ui.dialog:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg"):
        ui.label("New request").classes("text-lg font-semibold")
        ui.label("Tell us what you need. It lands in the team's backlog.").classes("text-sm text-gray-600")
        title = ui.input("Title").props("outlined autofocus maxlength=200").classes("w-full").mark("request-title")
        description = ui.textarea("Description").props("outlined autogrow").classes("w-full")
        description.mark("request-description")
        errors = FieldErrors(title=title, description=description)

        async def submit() -> None:
            try:
                card = await work_requests.create_request(
                    page.actor, project_id, work_requests.RequestInput(title.value or "", description.value or "")
                )
            except ServiceError as exc:
                errors.show(getattr(exc, "field", None), exc.message)
                return
            dialog.close()
            title.value = description.value = ""
            errors.clear()
            ui.notify(f"Request added to the backlog: {card.title}", type="positive")
            await redraw()

        dialog_actions(dialog, "Submit", submit)
    return dialog


def _feedback_form(page: PortalPage, project_id: uuid.UUID, redraw: Callable[[], Awaitable[None]]) -> None:
    with ui.card().classes("w-full gap-2").props("flat bordered").mark("feedback"):
        ui.label("Send feedback").classes("text-lg font-semibold")
        ui.label("Anything on your mind about this project? It goes straight to the project lead.").classes(
            "text-sm text-gray-600"
        )
        text = ui.textarea("Your feedback").props("outlined autogrow").classes("w-full").mark("feedback-text")
        errors = FieldErrors(feedback=text)
        thanks = ui.label("").classes("text-sm text-positive").mark("feedback-thanks")

        async def send(event: ClickEventArguments) -> None:
            async with pressed(event):
                try:
                    await work_requests.send_feedback(page.actor, project_id, text.value or "")
                except ServiceError as exc:
                    errors.show(getattr(exc, "field", None) or "feedback", exc.message)
                    return
            text.value = ""
            errors.clear()
            thanks.set_text("Thank you! Your feedback is with the project lead.")
            ui.notify("Feedback sent", type="positive")
            await redraw()

        with ui.row().classes("w-full justify-end"):
            ui.button("Send feedback", icon="send", on_click=send).props("unelevated no-caps")


def _notification_settings(page: PortalPage, preferences: notifications.Preferences) -> None:
    """The contact's own email choices (for all their projects), saved as soon as a switch moves."""
    with ui.card().classes("w-full gap-1").props("flat bordered").mark("email-notifications"):
        ui.label("Email notifications").classes("text-lg font-semibold")
        ui.label("For all your projects with us.").classes("text-sm text-gray-600")
        updates = ui.switch("New project updates", value=preferences.project_updates).mark("notify-updates")
        replies = ui.switch("Replies to my requests", value=preferences.request_replies).mark("notify-replies")

        async def save(_: ValueChangeEventArguments) -> None:
            try:
                await notifications.set_preferences(page.actor, bool(updates.value), bool(replies.value))
            except ServiceError as exc:
                ui.notify(exc.message, type="negative")
                return
            ui.notify("Email settings saved", type="positive")

        updates.on_value_change(save)
        replies.on_value_change(save)
