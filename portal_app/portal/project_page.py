"""The portal's project page: progress, milestones, the requests board, public updates with their discussion,
the feedback form and the contact's email choices; kept live while it is open.

Everything is read through the contact's portal actor, so internal updates, internal comments and staff-only
fields cannot reach this page: the data layer never returns them. Live redraws are triggered by
`events.ProjectActivity` for this client's project only, and never by internal activity, so a redraw's
timing tells the client nothing either. The sections that redraw live in `project_sections`; this module loads
what they show, assembles them with the forms below, and hands each section what a redraw loaded again.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.events import ClickEventArguments, ValueChangeEventArguments

from components.forms import FieldErrors, dialog_actions, pressed
from portal_app.file_links import portal_deliverable
from portal_app.live import Coalesced, follow, portal_hears
from portal_app.portal.attachments import PendingAttachments, project_upload
from portal_app.portal.calendar_links import calendar_card
from portal_app.portal.layout import PortalPage, empty_state, frame, portal_page
from portal_app.portal.project_sections import (
    BoardSection,
    DeliverablesSection,
    OverviewSection,
    RequestDialog,
    UpdatesFeed,
)
from services.core.actors import PortalActor
from services.core.errors import NotFound, ServiceError
from services.core.events import FilesChanged, ProjectActivity
from services.files import deliverables
from services.projects import notifications, project_views, work_requests
from services.projects.milestones import MAX_MILESTONES
from services.projects.project_views import Shown


@portal_page("/portal/{slug}/projects/{project_id}")
async def portal_project(page: PortalPage, request: Request, project_id: str) -> RedirectResponse | None:
    actor = page.actor
    try:
        data = await project_views.project_data(actor, project_id)
        # one statement: the project was just read through this actor (the page stays within eight, SPEC §9)
        sent = await deliverables.list_deliverables(actor, data.overview.project.id, project_seen=True)
        preferences = await notifications.get_preferences(actor)
    except NotFound:
        with frame(page, "Project", "/projects"):
            ui.context.client.status_code = 404
            empty_state("search_off", "Project not found", "It may have been removed, or the link is wrong.")
        return None
    pid = data.overview.project.id
    client = ui.context.client
    shown = Shown()  # how much of each part the page shows; "Show more" buttons raise it

    async def reload() -> None:
        try:
            fresh = await project_views.project_data(actor, pid, replace(shown, updates=feed.limit))
            fresh_deliverables = await deliverables.list_deliverables(actor, pid, project_seen=True)
        except NotFound:  # the project went away meanwhile: the page says so the way a fresh load would
            ui.navigate.reload()
            return
        if client.is_deleted:
            return
        # Each section redraws only if its part changed: a card moving must not wipe a reply being typed.
        overview.show(fresh.overview)
        board.show(fresh.board)
        feed.show(fresh.updates)
        review.show(fresh_deliverables)
        await request_dialog.refresh()

    async def all_milestones() -> None:
        nonlocal shown
        shown = replace(shown, milestones=MAX_MILESTONES)
        await redraw()

    async def more_cards(column: str) -> None:
        nonlocal shown
        shown = replace(shown, columns=work_requests.one_more_page(shown.columns, column))
        await redraw()

    redraw = Coalesced(reload)
    overview = OverviewSection(data.overview, all_milestones, page.org.formats)
    request_dialog = RequestDialog(actor, page.org.formats, page.org.slug)
    review = DeliverablesSection(sent, lambda deliverable_id: portal_deliverable(page.org.slug, deliverable_id))
    board = BoardSection(data.board, request_dialog.open, more_cards)
    feed = UpdatesFeed(actor, data.updates, redraw, page.org.formats)
    new_request = _new_request_dialog(actor, pid, redraw)

    with frame(page, data.overview.project.name, "/projects"):
        ui.link("← All projects", page.href("/projects")).classes("text-sm")
        overview.summary()
        with ui.row().classes("w-full items-center justify-between"):
            ui.label("Requests").classes("text-xl font-semibold")
            ui.button("New request", icon="add", on_click=new_request.open).props("unelevated no-caps")
        board.draw()
        with ui.element("div").classes("w-full grid grid-cols-1 md:grid-cols-3 gap-4 items-start"):
            with ui.column().classes("md:col-span-2 gap-3 min-w-0"):
                ui.label("Updates").classes("text-xl font-semibold")
                feed.entries()
            with ui.column().classes("gap-4 min-w-0"):
                review.draw()
                _files_card(page, pid)
                overview.timeline()
                calendar_card(page, pid)
                _feedback_form(actor, pid, redraw)
                _notification_settings(actor, preferences)
    # Changes to this project, here or in another session, redraw it; internal activity never does.
    follow(ProjectActivity, lambda event: portal_hears(actor, event) and event.project_id == pid, redraw)
    # a file attached to a request elsewhere shows in its open dialog
    follow(FilesChanged, lambda event: portal_hears(actor, event) and event.project_id == pid, redraw)
    return None


def _files_card(page: PortalPage, project_id: uuid.UUID) -> None:
    """Share a file with the team on this project; the project's files are listed on the Files page."""
    files_href = page.href(f"/files?project={project_id}")
    with ui.card().classes("w-full gap-2").props("flat bordered").mark("project-files"):
        ui.label("Files").classes("text-lg font-semibold")
        ui.label("Send us files for this project. Your team and ours will see them.").classes("text-sm text-gray-600")
        project_upload(page.actor, project_id)
        ui.link("This project's files", files_href).classes("text-sm").mark("project-files-link")


def _new_request_dialog(actor: PortalActor, project_id: uuid.UUID, redraw: Callable[[], Awaitable[None]]) -> ui.dialog:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg"):
        ui.label("New request").classes("text-lg font-semibold")
        ui.label("Tell us what you need. It lands in the team's backlog.").classes("text-sm text-gray-600")
        title = ui.input("Title").props("outlined autofocus maxlength=200").classes("w-full").mark("request-title")
        description = ui.textarea("Description").props("outlined autogrow").classes("w-full")
        description.mark("request-description")
        errors = FieldErrors(title=title, description=description)
        # picked now, stored once the request exists: a request never gets half-made from a refused file
        attachments = PendingAttachments("Attach files", "request-attachments")
        attachments.draw()
        dialog.on_value_change(lambda e: None if e.value else attachments.clear())  # cancelled: nothing is kept

        async def submit() -> None:
            try:
                card = await work_requests.create_request(
                    actor, project_id, work_requests.RequestInput(title.value or "", description.value or "")
                )
            except ServiceError as exc:
                errors.show(getattr(exc, "field", None), exc.message)
                return
            problems = await attachments.send_to(actor, request_id=card.id)
            dialog.close()
            title.value = description.value = ""
            errors.clear()
            ui.notify(f"Request added to the backlog: {card.title}", type="positive")
            attachments.notify(problems)
            await redraw()

        dialog_actions(dialog, "Submit", submit)
    return dialog


def _feedback_form(actor: PortalActor, project_id: uuid.UUID, redraw: Callable[[], Awaitable[None]]) -> None:
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
                    await work_requests.send_feedback(actor, project_id, text.value or "")
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


def _notification_settings(actor: PortalActor, preferences: notifications.Preferences) -> None:
    """The contact's own email choices (for all their projects), saved as soon as a switch moves."""
    with ui.card().classes("w-full gap-1").props("flat bordered").mark("email-notifications"):
        ui.label("Email notifications").classes("text-lg font-semibold")
        ui.label("For all your projects with us.").classes("text-sm text-gray-600")
        updates = ui.switch("New project updates", value=preferences.project_updates).mark("notify-updates")
        replies = ui.switch("Replies to my requests", value=preferences.request_replies).mark("notify-replies")

        async def save(_: ValueChangeEventArguments) -> None:
            try:
                await notifications.set_preferences(actor, bool(updates.value), bool(replies.value))
            except ServiceError as exc:
                ui.notify(exc.message, type="negative")
                return
            ui.notify("Email settings saved", type="positive")

        updates.on_value_change(save)
        replies.on_value_change(save)
