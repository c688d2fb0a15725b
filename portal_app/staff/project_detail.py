"""A project: its details, and the form to create or edit one."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import APIRouter, ui

from components.forms import FieldErrors, dialog_actions
from models.projects import ProjectStatus
from portal_app.staff.layout import frame, guard, not_found
from services import projects, staff
from services.actors import StaffActor
from services.errors import NotFound, ServiceError

router = APIRouter()

STATUS_LABELS = {
    ProjectStatus.planned: "Planned",
    ProjectStatus.active: "Active",
    ProjectStatus.on_hold: "On hold",
    ProjectStatus.completed: "Completed",
    ProjectStatus.cancelled: "Cancelled",
}


def _parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


async def project_dialog(
    actor: StaffActor, on_saved, *, client_id: uuid.UUID | None = None, existing: projects.ProjectView | None = None
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
            start = ui.input("Start date", value=str(existing.start_date or "") if existing else "").props(
                "outlined type=date"
            )
            due = ui.input("Due date", value=str(existing.due_date or "") if existing else "").props(
                "outlined type=date"
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
                    start_date=_parse_date(start.value),
                    due_date=_parse_date(due.value),
                )
            except ValueError:
                errors.show("due_date", "Enter dates as YYYY-MM-DD.")
                return
            try:
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


@router.page("/projects/{project_id}")
async def project_page(request: Request, project_id: str) -> RedirectResponse | None:
    context = await guard(request)
    if isinstance(context, RedirectResponse):
        return context
    actor = context.actor
    try:
        project = await projects.get_project(actor, project_id)
    except NotFound:
        with frame(context, "Project"):
            not_found("This project does not exist.")
        return None

    @ui.refreshable
    def details(view: projects.ProjectView) -> None:
        with ui.card().classes("w-full").props("flat bordered"):
            with ui.row().classes("w-full items-center justify-between"):
                with ui.column().classes("gap-0"):
                    ui.label(view.name).classes("text-xl font-semibold")
                    ui.link(view.client_name, f"/clients/{view.client_id}").classes("text-sm")
                ui.button("Edit", icon="edit", on_click=edit.open).props("flat dense")
            with ui.grid(columns=2).classes("gap-x-8 gap-y-1 text-sm"):
                for label, value in (
                    ("Status", STATUS_LABELS[view.status]),
                    ("Phase", view.phase),
                    ("Lead", view.lead_name),
                    ("Start", str(view.start_date or "")),
                    ("Due", str(view.due_date or "")),
                ):
                    ui.label(label).classes("text-gray-500")
                    ui.label(value or "—")
            if view.description:
                ui.label(view.description).classes("whitespace-pre-line text-sm mt-2")

    async def saved(view: projects.ProjectView) -> None:
        details.refresh(view)

    with frame(context, "Project"):
        edit = await project_dialog(actor, saved, existing=project)
        details(project)
    return None
