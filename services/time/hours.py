"""Approved hours as a client sees them, and a project's hours as staff see them.

The client's view (the portal's Hours page, its CSV, the API for a portal actor) holds approved entries only
(the scoping hook and every query here say so), and never a rate, a cost or an internal note: its dataclasses
have no field for them. Totals are sums in the database over the (client | project, status, date) indexes.
A contact may "Question" an entry: it becomes a request on that project quoting the entry, and staff see the
entry flagged.
"""

from __future__ import annotations

import calendar
import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, case, func, select, update

from models.clients import Contact
from models.inbox import InboxKind
from models.projects import Project
from models.time import TimeEntry, TimeStatus
from services.core import clock, events
from services.core.actors import Actor, PortalActor, require_staff
from services.core.common import Page, page_window, parse_id, required_text
from services.core.db import unit_of_work
from services.core.errors import Invalid, NotFound
from services.core.scoping import visible
from services.projects import inbox, work_requests
from services.projects.projects import load_project
from services.time.entries import NOT_FOUND, hours_text

MAX_RANGE_DAYS = 3 * 366  # the widest range one view or CSV covers
MAX_CSV_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class ClientEntry:
    """An approved entry as the client sees it: who, when, what, how long. No rate, no cost, no note."""

    id: uuid.UUID
    project_id: uuid.UUID
    project_name: str
    work_date: date
    minutes: int
    description: str
    user_name: str
    billable: bool
    questioned: bool

    @property
    def hours(self) -> str:
        return hours_text(self.minutes)


@dataclass(frozen=True, slots=True)
class ProjectHours:
    project_id: uuid.UUID
    project_name: str
    minutes: int  # approved, in the range
    budget_minutes: int | None
    used_minutes: int  # approved, all time: what the budget is spent on

    @property
    def budget_share(self) -> float | None:
        """Used of the budget, 0..1 and beyond when over; None without a budget."""
        if not self.budget_minutes:
            return None
        return self.used_minutes / self.budget_minutes


@dataclass(frozen=True, slots=True)
class HoursReport:
    date_from: date
    date_to: date
    entries: Page[ClientEntry]
    projects: list[ProjectHours]  # every project with approved time in the range, and the one filtered on

    @property
    def total_minutes(self) -> int:
        return sum(p.minutes for p in self.projects)


def this_month(today: date | None = None) -> tuple[date, date]:
    day = today or clock.now().date()
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def check_range(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The range asked for, this month by default; From after To, or wider than three years, is refused."""
    default_from, default_to = this_month()
    start, end = date_from or default_from, date_to or default_to
    problems = []
    if start > end:
        problems.append(Invalid("“From” must be on or before “To”.", "date_from"))
    elif (end - start).days > MAX_RANGE_DAYS:
        problems.append(Invalid("Choose a range of at most three years.", "date_to"))
    if problems:
        raise Invalid.of(problems)
    return start, end


def _approved(actor: Actor, client_id: uuid.UUID, start: date, end: date) -> list[ColumnElement[bool]]:
    return [
        *visible(actor, TimeEntry),
        TimeEntry.client_id == client_id,
        TimeEntry.status == TimeStatus.approved,
        TimeEntry.work_date >= start,
        TimeEntry.work_date <= end,
    ]


def _client_of(actor: Actor, client_id: uuid.UUID | str | None) -> uuid.UUID:
    if isinstance(actor, PortalActor):
        return actor.client_id
    require_staff(actor)
    if client_id is None:
        raise Invalid("Name the client.", "client_id")
    return parse_id(client_id, "Client not found")


async def client_hours(
    actor: Actor,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    project_id: uuid.UUID | str | None = None,
    client_id: uuid.UUID | str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> HoursReport:
    """A client's approved hours in a date range (this month by default): a page of entries, newest first, and
    the total per project with its budget. The portal's Hours page; staff see the same for a client."""
    start, end = check_range(date_from, date_to)
    limit, offset = page_window(limit, offset)
    client = _client_of(actor, client_id)
    where = _approved(actor, client, start, end)
    if project_id is not None:
        where.append(TimeEntry.project_id == parse_id(project_id, "Project not found"))
    async with unit_of_work(actor) as session:
        totals = await session.execute(
            select(Project.id, Project.name, func.sum(TimeEntry.minutes), Project.budget_minutes)
            .join(Project, Project.id == TimeEntry.project_id)
            .where(*where)
            .group_by(Project.id, Project.name, Project.budget_minutes)
            .order_by(Project.name, Project.id)
        )
        per_project = [(pid, name, int(minutes or 0), budget) for pid, name, minutes, budget in totals]
        total_count = await session.scalar(select(func.count()).select_from(TimeEntry).where(*where)) or 0
        rows = await session.execute(
            select(
                TimeEntry.id,
                TimeEntry.project_id,
                Project.name,
                TimeEntry.work_date,
                TimeEntry.minutes,
                TimeEntry.description,
                TimeEntry.user_name,
                TimeEntry.billable,
                TimeEntry.questioned,
            )
            .join(Project, Project.id == TimeEntry.project_id)
            .where(*where)
            .order_by(TimeEntry.work_date.desc(), TimeEntry.created_at.desc(), TimeEntry.id)
            .limit(limit)
            .offset(offset)
        )
        entries = [ClientEntry(*row) for row in rows]
        budgeted = [pid for pid, _, _, budget in per_project if budget]
        used: dict[uuid.UUID, int] = {}
        if budgeted:
            used = {
                pid: int(minutes or 0)
                for pid, minutes in await session.execute(
                    select(TimeEntry.project_id, func.sum(TimeEntry.minutes))
                    .where(
                        *visible(actor, TimeEntry),
                        TimeEntry.project_id.in_(budgeted),
                        TimeEntry.status == TimeStatus.approved,
                    )
                    .group_by(TimeEntry.project_id)
                )
            }
    projects = [
        ProjectHours(pid, name, minutes, budget, used.get(pid, 0)) for pid, name, minutes, budget in per_project
    ]
    return HoursReport(start, end, Page(entries, total_count, limit, offset), projects)


CSV_COLUMNS = ["Date", "Project", "Person", "Description", "Hours", "Billable"]


async def hours_csv(
    actor: Actor,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    project_id: uuid.UUID | str | None = None,
    client_id: uuid.UUID | str | None = None,
) -> str:
    """Exactly the entries the Hours page shows for this range and project, every page of them, and the total:
    dates as ISO 8601 and hours as decimals (what spreadsheets read), no rate, no cost, no note. One statement."""
    start, end = check_range(date_from, date_to)
    where = _approved(actor, _client_of(actor, client_id), start, end)
    if project_id is not None:
        where.append(TimeEntry.project_id == parse_id(project_id, "Project not found"))
    async with unit_of_work(actor) as session:
        rows = await session.execute(
            select(
                TimeEntry.work_date,
                Project.name,
                TimeEntry.user_name,
                TimeEntry.description,
                TimeEntry.minutes,
                TimeEntry.billable,
            )
            .join(Project, Project.id == TimeEntry.project_id)
            .where(*where)
            .order_by(TimeEntry.work_date.desc(), TimeEntry.created_at.desc(), TimeEntry.id)
            .limit(MAX_CSV_ROWS)
        )
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        shown = 0
        for work_date, project_name, user_name, description, minutes, billable in rows:
            writer.writerow(
                [
                    work_date.isoformat(),
                    _cell(project_name),
                    _cell(user_name),
                    _cell(description),
                    hours_text(minutes),
                    "yes" if billable else "no",
                ]
            )
            shown += minutes
    writer.writerow(["Total", "", "", "", hours_text(shown), ""])
    return out.getvalue()


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run: a leading =, +, - or @ starts a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def question_entry(actor: Actor, entry_id: uuid.UUID | str, message: str) -> work_requests.RequestCard:
    """A contact questions an approved entry: a request on its project quoting it, and the entry flagged."""
    if not isinstance(actor, PortalActor):
        raise NotFound(NOT_FOUND)
    text = required_text(message, "message", "Question", 2000, max_lines=40)
    async with unit_of_work(actor) as session:
        entry = await session.scalar(
            select(TimeEntry).where(TimeEntry.id == parse_id(entry_id, NOT_FOUND), *visible(actor, TimeEntry))
        )
        if entry is None:
            raise NotFound(NOT_FOUND)
        quoted = (
            f"About the time logged on {entry.work_date.isoformat()} by {entry.user_name}: "
            f"“{entry.description}”, {hours_text(entry.minutes)} h.\n\n{text}"
        )
        title = f"Question about hours on {entry.work_date.isoformat()}"
        project_id = entry.project_id
    card = await work_requests.create_request(actor, project_id, work_requests.RequestInput(title, quoted))
    async with unit_of_work(actor) as session:
        await session.execute(
            update(TimeEntry)
            .where(TimeEntry.id == entry.id, *visible(actor, TimeEntry))
            .values(questioned=True, question_request_id=card.id)
            .execution_options(synchronize_session=False)
        )
        project = await load_project(session, actor, project_id)
        contact = await session.get(Contact, actor.contact_id)
        asked_by = contact.name if contact is not None and contact.name else actor.email
        inbox.record_in(
            session,
            project,
            InboxKind.questioned,
            f"Questioned hours: {entry.description}",
            asked_by,
            request_id=card.id,
        )
        events.publish(session, events.TimeChanged(actor.org_id, actor.client_id, project_id))
    return card


@dataclass(frozen=True, slots=True)
class ProjectTime:
    """A project's hours for staff: approved, waiting for approval, billed, and the budget."""

    approved_minutes: int
    submitted_minutes: int
    billed_minutes: int
    questioned: int
    budget_minutes: int | None
    hourly_rate_minor: int | None
    rate_currency: str

    @property
    def budget_share(self) -> float | None:
        if not self.budget_minutes:
            return None
        return self.approved_minutes / self.budget_minutes


async def project_time(actor: Actor, project_id: uuid.UUID | str) -> ProjectTime:
    """One statement of sums over the project's entries (the (project, status, date) index)."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        project = await load_project(session, actor, project_id)
        approved = TimeEntry.status == TimeStatus.approved
        row = (
            await session.execute(
                select(
                    func.coalesce(func.sum(case((approved, TimeEntry.minutes), else_=0)), 0),
                    func.coalesce(
                        func.sum(case((TimeEntry.status == TimeStatus.submitted, TimeEntry.minutes), else_=0)), 0
                    ),
                    func.coalesce(func.sum(case((TimeEntry.invoice_id.is_not(None), TimeEntry.minutes), else_=0)), 0),
                    func.coalesce(func.sum(case((TimeEntry.questioned.is_(True), 1), else_=0)), 0),
                ).where(*visible(actor, TimeEntry), TimeEntry.project_id == project.id)
            )
        ).one()
        return ProjectTime(
            int(row[0]),
            int(row[1]),
            int(row[2]),
            int(row[3]),
            project.budget_minutes,
            project.hourly_rate_minor,
            project.rate_currency,
        )
