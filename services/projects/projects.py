"""Projects: the work an agency does for a client."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Client
from models.organizations import Membership
from models.projects import Project, ProjectStatus
from models.staff import StaffUser
from services.clients.clients import load_client
from services.core import audit, events
from services.core.actors import Actor, require_staff
from services.core.common import LONG_TEXT_LINES, Page, optional_text, page_window, parse_id, required_text
from services.core.db import unit_of_work
from services.core.errors import Invalid, NotFound
from services.core.scoping import visible
from services.projects import document_events

STATUS_LABELS = {
    ProjectStatus.planned: "Planned",
    ProjectStatus.active: "Active",
    ProjectStatus.on_hold: "On hold",
    ProjectStatus.completed: "Completed",
    ProjectStatus.cancelled: "Cancelled",
}


@dataclass(frozen=True, slots=True)
class ProjectInput:
    name: str
    description: str = ""
    status: str = ProjectStatus.active.value
    phase: str = ""
    lead_user_id: uuid.UUID | None = None
    start_date: date | None = None
    due_date: date | None = None


class Keep(enum.Enum):
    """KEEP's type. In a partial update, KEEP leaves a field as it is where None would clear it."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


@dataclass(frozen=True, slots=True)
class ProjectChanges:
    """A partial update: KEEP leaves a field as it is; None clears the lead or a date."""

    name: str | Keep = KEEP
    description: str | Keep = KEEP
    status: str | Keep = KEEP
    phase: str | Keep = KEEP
    lead_user_id: uuid.UUID | Keep | None = KEEP
    start_date: date | Keep | None = KEEP
    due_date: date | Keep | None = KEEP


@dataclass(frozen=True, slots=True)
class ProjectView:
    id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    name: str
    description: str
    status: ProjectStatus
    phase: str
    lead_user_id: uuid.UUID | None
    lead_name: str
    start_date: date | None
    due_date: date | None
    created_at: datetime


def _status(value: str) -> ProjectStatus:
    try:
        return ProjectStatus(value)
    except ValueError:
        choices = ", ".join(s.value for s in ProjectStatus)
        raise Invalid(f"Status must be one of: {choices}.", "status") from None


async def _check_lead(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID | None) -> None:
    if user_id is None:
        return
    member = await session.scalar(
        select(Membership.id).where(Membership.org_id == org_id, Membership.user_id == user_id)
    )
    if member is None:
        raise Invalid("The project lead must be a member of this organization.", "lead_user_id")


def _clean(data: ProjectInput | ProjectChanges, current: Project | None = None) -> dict[str, object]:
    """The fields `data` sets, checked: all of a ProjectInput's, those not KEEP of a ProjectChanges (whose dates are
    checked against the ones `current` keeps)."""
    start = current.start_date if current and data.start_date is KEEP else data.start_date
    due = current.due_date if current and data.due_date is KEEP else data.due_date
    if isinstance(start, date) and isinstance(due, date) and due < start:
        raise Invalid("The due date cannot be before the start date.", "due_date")
    values: dict[str, object] = {}
    if data.name is not KEEP:
        values["name"] = required_text(data.name, "name", "Name", 200)
    if data.description is not KEEP:
        values["description"] = optional_text(
            data.description, "description", "Description", 4000, max_lines=LONG_TEXT_LINES
        )
    if data.status is not KEEP:
        values["status"] = _status(data.status)
    if data.phase is not KEEP:
        values["phase"] = optional_text(data.phase, "phase", "Phase", 100)
    if data.lead_user_id is not KEEP:
        values["lead_user_id"] = data.lead_user_id
    if data.start_date is not KEEP:
        values["start_date"] = data.start_date
    if data.due_date is not KEEP:
        values["due_date"] = data.due_date
    return values


def _select_views():
    # The lead's name is part of the project as clients see it (the portal shows "Project lead: …"), while staff
    # rows are hidden from portal actors by the session's criteria. Reading the name through the plain table,
    # joined only on this visible project's lead, gives the portal that one column and nothing else of staff.
    lead = StaffUser.__table__.alias("lead")
    return (
        select(Project, Client.name, lead.c.name)
        .join(Client, Client.id == Project.client_id)
        .outerjoin(lead, lead.c.id == Project.lead_user_id)
    )


def _view(project: Project, client_name: str, lead_name: str | None) -> ProjectView:
    return ProjectView(
        project.id,
        project.client_id,
        client_name,
        project.name,
        project.description,
        project.status,
        project.phase,
        project.lead_user_id,
        lead_name or "",
        project.start_date,
        project.due_date,
        project.created_at,
    )


async def load_project(session: AsyncSession, actor: Actor, project_id: uuid.UUID | str) -> Project:
    project = await session.scalar(
        select(Project).where(Project.id == parse_id(project_id, "Project not found"), *visible(actor, Project))
    )
    if project is None:
        raise NotFound("Project not found")
    return project


async def create_project(actor: Actor, client_id: uuid.UUID | str, data: ProjectInput) -> ProjectView:
    staff = require_staff(actor)
    values = _clean(data)
    async with unit_of_work(actor) as session:
        client = await load_client(session, actor, client_id)
        await _check_lead(session, staff.org_id, data.lead_user_id)
        project = Project(org_id=staff.org_id, client_id=client.id, **values)
        session.add(project)
        await session.flush()
        await document_events.project_status_set(session, project, None)
        audit.record(
            session,
            actor,
            "project.created",
            target_type="project",
            target_id=project.id,
            target_label=project.name,
            detail={"client": client.name},
        )
    return await get_project(actor, project.id)


async def update_project(actor: Actor, project_id: uuid.UUID | str, data: ProjectInput | ProjectChanges) -> ProjectView:
    """Sets what `data` gives, in one unit of work: every field of a ProjectInput (the staff form), only the fields
    a ProjectChanges does not KEEP (the API's PATCH)."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        project = await load_project(session, actor, project_id)
        await apply_changes(session, actor, project, data)
    return await get_project(actor, project.id)


async def apply_changes(
    session: AsyncSession, actor: Actor, project: Project, data: ProjectInput | ProjectChanges
) -> None:
    """`update_project`'s work in the caller's transaction (a PATCH that also sets the rate is one change)."""
    staff = require_staff(actor)
    values = _clean(data, project)
    if data.lead_user_id is not KEEP:
        await _check_lead(session, staff.org_id, data.lead_user_id)
    changed = {k: [str(getattr(project, k)), str(v)] for k, v in values.items() if getattr(project, k) != v}
    status_before = project.status
    for key, value in values.items():
        setattr(project, key, value)
    await document_events.project_status_set(session, project, status_before)
    if changed:
        audit.record(
            session,
            actor,
            "project.updated",
            target_type="project",
            target_id=project.id,
            target_label=project.name,
            detail=changed,
        )
        # open project pages (staff and portal: status, phase and lead are on both) redraw
        events.publish(session, events.ProjectActivity(project.org_id, project.client_id, project.id))


async def get_project(actor: Actor, project_id: uuid.UUID | str) -> ProjectView:
    async with unit_of_work(actor) as session:
        return (await load_view(session, actor, project_id))[1]


async def load_view(session: AsyncSession, actor: Actor, project_id: uuid.UUID | str) -> tuple[Project, ProjectView]:
    """The project row and its view (client and lead names) in one query; NotFound if the actor may not see it."""
    pid = parse_id(project_id, "Project not found")
    row = (await session.execute(_select_views().where(Project.id == pid, *visible(actor, Project)))).first()
    if row is None:
        raise NotFound("Project not found")
    return row[0], _view(*row)


NO_LEAD = "none"  # the lead filter's value for projects without a lead


async def list_projects(
    actor: Actor,
    client_id: uuid.UUID | str | None = None,
    limit: int = 50,
    offset: int = 0,
    *,
    status: str | None = None,
    lead: uuid.UUID | str | None = None,
) -> Page[ProjectView]:
    """Projects the actor may see (a portal actor: its own client's), newest first; of one client, in one status,
    with one lead (a staff user's id, or NO_LEAD) when asked."""
    limit, offset = page_window(limit, offset)
    conditions = visible(actor, Project)
    if client_id is not None:
        conditions.append(Project.client_id == parse_id(client_id, "Client not found"))
    if status:
        conditions.append(Project.status == _status(status))
    if lead == NO_LEAD:
        conditions.append(Project.lead_user_id.is_(None))
    elif lead:
        conditions.append(Project.lead_user_id == parse_id(lead, "Staff member not found"))
    async with unit_of_work(actor) as session:
        # The total rides on each row (a window count), so a page is one statement; only a page past the end
        # asks for it separately.
        rows = list(
            await session.execute(
                _select_views()
                .add_columns(func.count().over())
                .where(*conditions)
                .order_by(Project.created_at.desc(), Project.id)
                .limit(limit)
                .offset(offset)
            )
        )
        if rows:
            total = rows[0][-1]
        else:
            total = await session.scalar(select(func.count()).select_from(Project).where(*conditions)) if offset else 0
        items = [_view(*row[:-1]) for row in rows]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)
