"""Milestones and progress: how far a project is, and what is due next.

Percent done comes from the milestones (done of all) unless staff set it by hand; every view says which.
The portal sees the same overview: it holds nothing internal (no rates, no internal notes).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.collaboration import Milestone
from models.projects import Project
from services.core import audit, clock, events
from services.core.actors import Actor, require_staff
from services.core.common import parse_id, required_text
from services.core.db import unit_of_work
from services.core.errors import Invalid, NotFound
from services.core.scoping import visible
from services.projects import document_events, projects
from services.projects.projects import KEEP, Keep, ProjectView

MAX_MILESTONES = 200
MILESTONES_PAGE = 10  # milestones a project page shows at first; "Show all" shows every one


@dataclass(frozen=True, slots=True)
class MilestoneInput:
    title: str
    due_date: date | None = None
    done: bool = False


@dataclass(frozen=True, slots=True)
class MilestoneChanges:
    """A partial update (the API's PATCH): KEEP leaves a field as it is; a None due date clears it."""

    title: str | Keep = KEEP
    due_date: date | Keep | None = KEEP
    done: bool | Keep = KEEP


@dataclass(frozen=True, slots=True)
class MilestoneView:
    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    due_date: date | None
    done: bool
    done_at: datetime | None


@dataclass(frozen=True, slots=True)
class Progress:
    percent: int
    source: str  # "milestones" or "manual"
    done: int
    total: int

    @property
    def explained(self) -> str:
        if self.source == "manual":
            return "Set by hand"
        if not self.total:
            return "No milestones yet"
        return f"{self.done} of {self.total} milestones done"


@dataclass(frozen=True, slots=True)
class ProjectOverview:
    project: ProjectView
    lead_name: str
    progress: Progress
    next_deadline: date | None
    milestones: tuple[MilestoneView, ...]


def _view(m: Milestone) -> MilestoneView:
    return MilestoneView(m.id, m.project_id, m.title, m.due_date, m.done, m.done_at)


def progress_of(manual: int | None, done: int, total: int) -> Progress:
    if manual is not None:
        return Progress(manual, "manual", done, total)
    return Progress(done * 100 // total if total else 0, "milestones", done, total)


def _ordered():
    # undated milestones after the dated ones, then in the order they were added
    return (case((Milestone.due_date.is_(None), 1), else_=0), Milestone.due_date, Milestone.created_at, Milestone.id)


async def _load(session: AsyncSession, actor: Actor, milestone_id: uuid.UUID | str) -> Milestone:
    found = await session.scalar(
        select(Milestone).where(
            Milestone.id == parse_id(milestone_id, "Milestone not found"), *visible(actor, Milestone)
        )
    )
    if found is None:
        raise NotFound("Milestone not found")
    return found


def _clean(data: MilestoneInput) -> dict[str, object]:
    if data.due_date is not None and not isinstance(data.due_date, date):
        raise Invalid("Enter the due date as YYYY-MM-DD.", "due_date")
    return {"title": required_text(data.title, "title", "Title", 200), "due_date": data.due_date}


def _changed(session: AsyncSession, project: Project) -> None:
    events.publish(session, events.ProjectActivity(project.org_id, project.client_id, project.id, internal=False))


async def add_milestone(actor: Actor, project_id: uuid.UUID | str, data: MilestoneInput) -> MilestoneView:
    require_staff(actor)
    values = _clean(data)
    async with unit_of_work(actor) as session:
        project = await projects.load_project(session, actor, project_id)
        count = await session.scalar(select(func.count()).where(Milestone.project_id == project.id))
        if (count or 0) >= MAX_MILESTONES:
            raise Invalid(f"A project can have at most {MAX_MILESTONES} milestones.", "title")
        milestone = Milestone(
            org_id=project.org_id,
            client_id=project.client_id,
            project_id=project.id,
            done=bool(data.done),
            done_at=clock.now() if data.done else None,
            created_at=clock.now(),
            **values,
        )
        session.add(milestone)
        await session.flush()
        audit.record(
            session,
            actor,
            "milestone.added",
            target_type="project",
            target_id=project.id,
            target_label=project.name,
            detail={"title": milestone.title, "due": str(milestone.due_date or "")},
        )
        _changed(session, project)
        return _view(milestone)


async def update_milestone(
    actor: Actor, milestone_id: uuid.UUID | str, data: MilestoneInput | MilestoneChanges
) -> MilestoneView:
    """Sets every field of a MilestoneInput (the staff form), only those a MilestoneChanges does not KEEP."""
    require_staff(actor)
    if isinstance(data, MilestoneChanges) and data.done is not KEEP and not isinstance(data.done, bool):
        raise Invalid("Done is true or false.", "done")
    async with unit_of_work(actor) as session:
        milestone = await _load(session, actor, milestone_id)
        if isinstance(data, MilestoneChanges):
            data = MilestoneInput(
                milestone.title if data.title is KEEP else data.title,
                milestone.due_date if data.due_date is KEEP else data.due_date,
                milestone.done if data.done is KEEP else data.done,
            )
        for key, value in _clean(data).items():
            setattr(milestone, key, value)
        newly_done = bool(data.done) and not milestone.done
        if milestone.done != bool(data.done):
            milestone.done, milestone.done_at = bool(data.done), clock.now() if data.done else None
        project = await session.get(Project, milestone.project_id)
        assert project is not None
        if newly_done:
            await document_events.milestone_done(session, project, milestone.id)
        audit.record(
            session,
            actor,
            "milestone.updated",
            target_type="project",
            target_id=project.id,
            target_label=project.name,
            detail={"title": milestone.title, "done": milestone.done},
        )
        _changed(session, project)
        return _view(milestone)


async def set_milestone_done(actor: Actor, milestone_id: uuid.UUID | str, done: bool) -> MilestoneView:
    require_staff(actor)
    async with unit_of_work(actor) as session:
        milestone = await _load(session, actor, milestone_id)
        if milestone.done != done:
            milestone.done, milestone.done_at = done, clock.now() if done else None
            project = await session.get(Project, milestone.project_id)
            assert project is not None
            if done:
                await document_events.milestone_done(session, project, milestone.id)
            action = "milestone.done" if done else "milestone.reopened"
            audit.record(
                session,
                actor,
                action,
                target_type="project",
                target_id=project.id,
                target_label=project.name,
                detail={"title": milestone.title},
            )
            _changed(session, project)
        return _view(milestone)


async def delete_milestone(actor: Actor, milestone_id: uuid.UUID | str) -> None:
    require_staff(actor)
    async with unit_of_work(actor) as session:
        milestone = await _load(session, actor, milestone_id)
        project = await session.get(Project, milestone.project_id)
        assert project is not None
        await session.delete(milestone)
        audit.record(
            session,
            actor,
            "milestone.deleted",
            target_type="project",
            target_id=project.id,
            target_label=project.name,
            detail={"title": milestone.title},
        )
        _changed(session, project)


async def list_milestones(actor: Actor, project_id: uuid.UUID | str) -> list[MilestoneView]:
    async with unit_of_work(actor) as session:
        project = await projects.load_project(session, actor, project_id)
        rows = await session.scalars(
            select(Milestone)
            .where(Milestone.project_id == project.id, *visible(actor, Milestone))
            .order_by(*_ordered())
            .limit(MAX_MILESTONES)
        )
        return [_view(m) for m in rows]


async def set_progress(actor: Actor, project_id: uuid.UUID | str, percent: int | None) -> Progress:
    """A percent (0–100) set by hand, or None to follow the milestones again."""
    require_staff(actor)
    if percent is not None and (isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100):
        raise Invalid("Progress is a whole percent from 0 to 100.", "progress")
    async with unit_of_work(actor) as session:
        project = await projects.load_project(session, actor, project_id)
        if project.progress_manual != percent:
            project.progress_manual = percent
            audit.record(
                session,
                actor,
                "project.progress_set",
                target_type="project",
                target_id=project.id,
                target_label=project.name,
                detail={"percent": "from milestones" if percent is None else percent},
            )
            _changed(session, project)
        done, total = await _counts(session, [project.id])
        return progress_of(percent, done.get(project.id, 0), total.get(project.id, 0))


async def _counts(session: AsyncSession, project_ids: list[uuid.UUID]) -> tuple[dict, dict]:
    rows = await session.execute(
        select(Milestone.project_id, func.count(), func.count().filter(Milestone.done.is_(True)))
        .where(Milestone.project_id.in_(project_ids))
        .group_by(Milestone.project_id)
    )
    done, total = {}, {}
    for project_id, count, finished in rows:
        total[project_id], done[project_id] = count, finished
    return done, total


@dataclass(frozen=True, slots=True)
class Summary:
    progress: Progress
    next_deadline: date | None


async def summaries(actor: Actor, project_ids: list[uuid.UUID]) -> dict[uuid.UUID, Summary]:
    """Percent done and next deadline for a page of projects, in one statement: each visible project with its
    milestones' count, count done and earliest open due date (an outer join, so a project without any counts)."""
    if not project_ids:
        return {}
    undone_due = case((Milestone.done.is_(False), Milestone.due_date))
    async with unit_of_work(actor) as session:
        rows = await session.execute(
            select(
                Project.id,
                Project.progress_manual,
                Project.due_date,
                func.count(Milestone.id),
                func.count(Milestone.id).filter(Milestone.done.is_(True)),
                func.min(undone_due),
            )
            .outerjoin(Milestone, (Milestone.project_id == Project.id) & and_(*visible(actor, Milestone)))
            .where(Project.id.in_(project_ids), *visible(actor, Project))
            .group_by(Project.id, Project.progress_manual, Project.due_date)
        )
        found = list(rows)
    result = {}
    for project_id, manual, project_due, total, done, milestone_due in found:
        upcoming = [d for d in (milestone_due, project_due) if d is not None]
        result[project_id] = Summary(progress_of(manual, done, total), min(upcoming, default=None))
    return result


async def overview_of(
    session: AsyncSession, actor: Actor, project_id: uuid.UUID | str, milestone_limit: int = MILESTONES_PAGE
) -> ProjectOverview:
    """The project page's head: the project with its lead, progress, next deadline and its first milestones.

    Two queries: the project, then the first `milestone_limit` milestones in order, each row carrying (by window
    functions over all the project's milestones) the count, the count done and the earliest open due date.
    """
    project, view = await projects.load_view(session, actor, project_id)
    undone_due = case((Milestone.done.is_(False), Milestone.due_date))
    rows = (
        await session.execute(
            select(
                Milestone,
                func.count().over(),
                func.sum(case((Milestone.done.is_(True), 1), else_=0)).over(),
                func.min(undone_due).over(),
            )
            .where(Milestone.project_id == project.id, *visible(actor, Milestone))
            .order_by(*_ordered())
            .limit(min(max(milestone_limit, 1), MAX_MILESTONES))
        )
    ).all()
    total, done, next_due = (rows[0][1], int(rows[0][2] or 0), rows[0][3]) if rows else (0, 0, None)
    deadlines = [d for d in (next_due, project.due_date) if d is not None]
    return ProjectOverview(
        project=view,
        lead_name=view.lead_name,
        progress=progress_of(project.progress_manual, done, total),
        next_deadline=min(deadlines, default=None),
        milestones=tuple(_view(row[0]) for row in rows),
    )


async def project_overview(
    actor: Actor, project_id: uuid.UUID | str, milestone_limit: int = MILESTONES_PAGE
) -> ProjectOverview:
    async with unit_of_work(actor) as session:
        return await overview_of(session, actor, project_id, milestone_limit)
