"""A project's page for staff: details, progress and milestones, deliverables, the requests board, files, the
updates feed; kept live.

Also the form to create or edit a project. The page's sections live in their own modules (project_milestones,
project_hours, deliverables_section, project_board, files_section, project_feed, request_detail); this one
assembles them and redraws them when anyone, in this session or another, changes the project.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from components.date_input import date_input
from components.forms import FieldErrors, dialog_actions
from models.projects import ProjectStatus
from portal_app.live import Coalesced, follow, staff_hears
from portal_app.staff.deliverables_section import DeliverablesSection
from portal_app.staff.documents_section import DocumentsSection
from portal_app.staff.files_section import FilesSection
from portal_app.staff.layout import StaffPage, frame, not_found, staff_page
from portal_app.staff.project_board import BoardSection, new_request_dialog
from portal_app.staff.project_feed import PAGE_SIZE, ProjectFeed
from portal_app.staff.project_hours import ProjectHoursSection
from portal_app.staff.project_milestones import MilestonesSection
from portal_app.staff.request_detail import RequestPanel
from services.core.actors import StaffActor
from services.core.common import MAX_PAGE_SIZE
from services.core.errors import NotFound, ServiceError
from services.core.events import ProjectActivity, TimeChanged
from services.core.formatting import Formats
from services.projects import milestones, project_views, projects, work_requests
from services.projects.project_views import Shown
from services.projects.projects import STATUS_LABELS
from services.staff import staff


async def project_dialog(
    actor: StaffActor,
    on_saved,
    *,
    formats: Formats,
    client_id: uuid.UUID | None = None,
    existing: projects.ProjectView | None = None,
) -> ui.dialog:
    """Create a project for `client_id`, or edit `existing`. Calls `on_saved(view)` after a save."""
    members = await staff.list_staff(actor, limit=200)
    leads = {"": "No lead"} | {str(m.user_id): m.name for m in members.items}
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg"):
        ui.label("Edit project" if existing else "New project").classes("text-lg font-semibold")
        name = ui.input("Name", value=existing.name if existing else "").props("outlined autofocus").classes("w-full")
        description = ui.textarea("Description", value=existing.description if existing else "").props(
            "outlined autogrow"
        )
        description.classes("w-full")
        with ui.row().classes("w-full gap-4"):
            status = (
                ui.select(
                    {s.value: label for s, label in STATUS_LABELS.items()},
                    label="Status",
                    value=(existing.status if existing else ProjectStatus.active).value,
                )
                .props("outlined")
                .classes("flex-1")
            )
            phase = ui.input("Phase", value=existing.phase if existing else "").props("outlined").classes("flex-1")
        lead = (
            ui.select(
                leads,
                label="Project lead",
                value=str(existing.lead_user_id) if existing and existing.lead_user_id else "",
            )
            .props("outlined")
            .classes("w-full")
        )
        with ui.row().classes("w-full gap-4"):
            start = date_input(
                "Start date", formats.input_day(existing.start_date if existing else None), mask=formats.date_mask
            )
            due = date_input(
                "Due date", formats.input_day(existing.due_date if existing else None), mask=formats.date_mask
            )
        errors = FieldErrors(
            name=name,
            description=description,
            status=status,
            phase=phase,
            lead_user_id=lead,
            start_date=start,
            due_date=due,
        )

        async def save() -> None:
            try:
                data = projects.ProjectInput(
                    name=name.value,
                    description=description.value,
                    status=status.value,
                    phase=phase.value,
                    lead_user_id=uuid.UUID(lead.value) if lead.value else None,
                    start_date=formats.read_day(start.value, "start_date", "Start date"),
                    due_date=formats.read_day(due.value, "due_date", "Due date"),
                )
                if existing:
                    view = await projects.update_project(actor, existing.id, data)
                else:
                    assert client_id is not None
                    view = await projects.create_project(actor, client_id, data)
            except ServiceError as exc:
                errors.show(getattr(exc, "field", None), exc.message)
                return
            dialog.close()
            if not existing:
                name.value = description.value = phase.value = ""
            errors.clear()
            ui.notify(f"Saved {view.name}", type="positive")
            await on_saved(view)

        dialog_actions(dialog, "Save", save)
    return dialog


@staff_page("/projects/{project_id}")
async def project_page(
    context: StaffPage, request: Request, project_id: str, request_id: str = ""
) -> RedirectResponse | None:
    """`request_id` (from the inbox) opens that request's dialog once the page is there."""
    actor, formats = context.actor, context.org.formats
    try:
        first = await project_views.project_data(actor, project_id, Shown(updates=PAGE_SIZE))
    except NotFound:
        with frame(context, "Project"):
            not_found("This project does not exist.")
        return None
    overview, pid = first.overview, first.overview.project.id
    members = await staff.list_staff(actor, limit=MAX_PAGE_SIZE)
    project = overview.project
    milestone_limit = milestones.MILESTONES_PAGE  # "Show all" raises it
    edit: ui.dialog  # the edit form, built in the page below; redrawn from what is saved after a change

    async def reload() -> None:
        nonlocal overview, project, edit
        try:
            overview = await milestones.project_overview(actor, pid, milestone_limit)
        except NotFound:  # removed meanwhile: show what a fresh load would
            ui.navigate.reload()
            return
        if overview.project != project and not edit.value:  # the edit form starts from what is saved now
            project = overview.project
            edit.delete()
            with anchor:
                edit = await project_dialog(actor, saved, formats=formats, existing=project)
        details.refresh()
        progress.redraw(overview)
        await hours_card.reload()  # a rate or budget set in another session
        await deliverables.reload()
        await board.reload()
        await feed.reload()
        await panel.refresh()

    redraw = Coalesced(reload)

    async def all_milestones() -> None:
        nonlocal milestone_limit
        milestone_limit = milestones.MAX_MILESTONES
        await redraw()

    async def saved(view: projects.ProjectView) -> None:
        await redraw()

    @ui.refreshable
    def details() -> None:
        _details(overview, edit.open, formats)

    with frame(context, "Project"):
        anchor = ui.element("div").classes("hidden")
        with anchor:
            edit = await project_dialog(actor, saved, formats=formats, existing=project)
        panel = RequestPanel(actor, {str(m.user_id): m.name for m in members.items}, redraw, formats)
        new_request = new_request_dialog(actor, pid, redraw)
        details()
        with ui.card().classes("w-full gap-3").props("flat bordered").mark("progress-card"):
            ui.label("Progress").classes("text-lg font-semibold")
            progress = MilestonesSection(actor, overview, redraw, all_milestones, formats)
            progress.progress()
            ui.label("Milestones").classes("font-semibold")
            progress.items()
            progress.add_form()
        may_set_rates = actor.is_admin or project.lead_user_id == actor.user_id
        hours_card = ProjectHoursSection(actor, pid, formats, may_set=may_set_rates)
        await hours_card.draw()
        deliverables = DeliverablesSection(actor, pid, formats)
        await deliverables.draw()
        with ui.row().classes("w-full items-center justify-between"):
            ui.label("Requests").classes("text-xl font-semibold")
            ui.button("New request", icon="add", on_click=new_request.open).props("unelevated no-caps")
        board = BoardSection(
            actor, first.board, lambda limits: work_requests.project_board(actor, pid, limits), panel, redraw
        )
        board.draw()
        await FilesSection(actor, formats, client_id=project.client_id, project_id=pid).draw()
        await DocumentsSection(actor, pid, formats).draw()
        ui.label("Updates").classes("text-xl font-semibold")
        feed = ProjectFeed(actor, pid, first.updates, formats)
        feed.composer()
        feed.entries()
    follow(ProjectActivity, lambda event: staff_hears(actor, event) and event.project_id == pid, redraw)
    # Billing from hours and its release say so only with TimeChanged; `project_id` None is several projects at once.
    follow(
        TimeChanged,
        lambda event: event.org_id == actor.org_id and event.project_id in (pid, None),
        hours_card.reload,
    )
    if request_id:
        await panel.open(request_id)
    return None


def _details(overview: milestones.ProjectOverview, edit: Callable[[], object], formats: Formats) -> None:
    view = overview.project
    with ui.card().classes("w-full").props("flat bordered").mark("project-details"):
        with ui.row().classes("w-full items-center justify-between"):
            with ui.column().classes("gap-0"):
                ui.label(view.name).classes("text-xl font-semibold")
                ui.link(view.client_name, f"/clients/{view.client_id}").classes("text-sm")
            with ui.row().classes("items-center gap-2"):
                ui.badge(STATUS_LABELS[view.status]).props("outline").mark("project-status")
                ui.button("Edit", icon="edit", on_click=edit).props("flat dense")
        with ui.grid(columns=2).classes("gap-x-8 gap-y-1 text-sm"):
            for label, value in (
                ("Status", STATUS_LABELS[view.status]),
                ("Phase", view.phase),
                ("Lead", overview.lead_name),
                ("Start", formats.day(view.start_date) if view.start_date else ""),
                ("Due", formats.day(view.due_date) if view.due_date else ""),
                ("Next deadline", formats.day(overview.next_deadline) if overview.next_deadline else ""),
            ):
                ui.label(label).classes("text-gray-500")
                ui.label(value or "—")
        if view.description:
            ui.label(view.description).classes("whitespace-pre-line text-sm mt-2")
