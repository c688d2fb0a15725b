"""Time entries on the staff side: logging, the week, the approval queue, approving and rejecting.

Staff log time on a client's project (date, duration, description, billable or not, an internal note); an entry
is submitted, then approved or rejected by an owner, an admin or the project's lead. Editing a rejected entry
submits it again; an approved entry is changed only by owners and admins, and a billed one not at all.
Every list is paged and reads through indexes on (organization | project | client | user, status, date).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Client
from models.organizations import Membership
from models.projects import Project
from models.staff import StaffUser
from models.time import TimeEntry, TimeStatus
from services.core import audit, clock, events
from services.core.actors import Actor, StaffActor, require_staff
from services.core.common import Page, optional_text, page_window, parse_id, required_text
from services.core.db import unit_of_work
from services.core.errors import Conflict, Forbidden, Invalid, NotFound
from services.core.scoping import visible
from services.projects.projects import load_project

NOT_FOUND = "Time entry not found"
MAX_MINUTES = 24 * 60
MAX_BULK = 200  # entries one approve or reject may name
STATUS_LABELS = {TimeStatus.submitted: "Submitted", TimeStatus.approved: "Approved", TimeStatus.rejected: "Rejected"}


def parse_hours(value: object, field: str = "hours") -> int:
    """Minutes from "1.5", "1,5", "1:30" or "90m"; more than zero and at most a day, to the minute."""
    text = str(value if value is not None else "").strip().lower().replace(",", ".")
    if not text:
        raise Invalid("Enter the time spent, like 1.5 or 1:30.", field)
    try:
        if text.endswith("m"):
            minutes = Decimal(text[:-1].strip())
        elif ":" in text:
            hours, _, mins = text.partition(":")
            if not mins.isdigit() or len(mins) != 2 or int(mins) >= 60:
                raise InvalidOperation
            minutes = Decimal(hours or "0") * 60 + int(mins)
        else:
            minutes = Decimal(text.removesuffix("h").strip()) * 60
    except (InvalidOperation, ValueError):
        raise Invalid("Enter the time spent, like 1.5 or 1:30.", field) from None
    if not minutes.is_finite() or minutes <= 0 or minutes > MAX_MINUTES:
        raise Invalid("Time spent must be more than 0 and at most 24 hours.", field)
    whole = int(minutes.to_integral_value())
    if whole < 1:
        raise Invalid("Time spent must be at least a minute.", field)
    return whole


def hours_text(minutes: int) -> str:
    """Minutes as decimal hours, as the API and CSV write them: 90 -> "1.50"."""
    return str((Decimal(minutes) / 60).quantize(Decimal("0.01")))


@dataclass(frozen=True, slots=True)
class EntryInput:
    project_id: uuid.UUID | str
    work_date: date
    hours: str
    description: str
    billable: bool = True
    note: str = ""
    user_id: uuid.UUID | None = None  # someone else's time: owners and admins only


@dataclass(frozen=True, slots=True)
class EntryView:
    """An entry as staff see it (the portal has its own view without the note)."""

    id: uuid.UUID
    project_id: uuid.UUID
    project_name: str
    client_id: uuid.UUID
    client_name: str
    user_id: uuid.UUID | None
    user_name: str
    work_date: date
    minutes: int
    description: str
    note: str
    billable: bool
    status: TimeStatus
    reject_reason: str
    decided_at: datetime | None
    invoice_id: uuid.UUID | None
    questioned: bool
    question_request_id: uuid.UUID | None
    created_at: datetime

    @property
    def hours(self) -> str:
        return hours_text(self.minutes)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def _select_views() -> Select:
    return (
        select(TimeEntry, Project.name, Client.name)
        .join(Project, Project.id == TimeEntry.project_id)
        .join(Client, Client.id == TimeEntry.client_id)
    )


def _view(entry: TimeEntry, project_name: str, client_name: str) -> EntryView:
    return EntryView(
        entry.id,
        entry.project_id,
        project_name,
        entry.client_id,
        client_name,
        entry.user_id,
        entry.user_name,
        entry.work_date,
        entry.minutes,
        entry.description,
        entry.note,
        entry.billable,
        entry.status,
        entry.reject_reason,
        entry.decided_at,
        entry.invoice_id,
        entry.questioned,
        entry.question_request_id,
        entry.created_at,
    )


async def _one_view(session: AsyncSession, actor: Actor, entry_id: uuid.UUID) -> EntryView:
    row = (await session.execute(_select_views().where(TimeEntry.id == entry_id, *visible(actor, TimeEntry)))).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return _view(*row)


async def load_entry(
    session: AsyncSession, actor: Actor, entry_id: uuid.UUID | str, *, lock: bool = False
) -> TimeEntry:
    statement = select(TimeEntry).where(TimeEntry.id == parse_id(entry_id, NOT_FOUND), *visible(actor, TimeEntry))
    found = await session.scalar(statement.with_for_update() if lock else statement)
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


async def _member(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> StaffUser:
    user = await session.scalar(
        select(StaffUser)
        .join(Membership, Membership.user_id == StaffUser.id)
        .where(Membership.org_id == org_id, StaffUser.id == user_id, StaffUser.is_active.is_(True))
    )
    if user is None:
        raise Invalid("Choose a member of this organization.", "user_id")
    return user


def _changed(session: AsyncSession, entry: TimeEntry) -> None:
    # submitted and rejected entries are none of the portal's business: it does not even redraw for them
    internal = entry.status != TimeStatus.approved
    events.publish(session, events.ProjectActivity(entry.org_id, entry.client_id, entry.project_id, internal=internal))
    events.publish(session, events.TimeChanged(entry.org_id, entry.client_id, entry.project_id))


def _clean(data: EntryInput) -> tuple[int, str, str]:
    problems: list[Invalid] = []
    minutes, description, note = 0, "", ""
    try:
        minutes = parse_hours(data.hours)
    except Invalid as exc:
        problems.append(exc)
    try:
        description = required_text(data.description, "description", "Description", 500)
    except Invalid as exc:
        problems.append(exc)
    try:
        note = optional_text(data.note, "note", "Internal note", 1000, max_lines=20)
    except Invalid as exc:
        problems.append(exc)
    if not isinstance(data.work_date, date):
        problems.append(Invalid("Enter the day the work was done.", "work_date"))
    elif data.work_date > clock.now().date() + timedelta(days=1):
        problems.append(Invalid("Time is logged for days that have come, not ahead.", "work_date"))
    if problems:
        raise Invalid.of(problems)
    return minutes, description, note


async def log_entry(actor: Actor, data: EntryInput) -> EntryView:
    """A submitted entry for the acting staff user (or, for owners and admins, for another member)."""
    member = require_staff(actor)
    minutes, description, note = _clean(data)
    async with unit_of_work(actor) as session:
        project = await load_project(session, actor, data.project_id)
        user_id = data.user_id or member.user_id
        if user_id != member.user_id and not member.is_admin:
            raise Forbidden("Only owners and admins log time for someone else.")
        user = await _member(session, member.org_id, user_id)
        entry = TimeEntry(
            org_id=project.org_id,
            client_id=project.client_id,
            project_id=project.id,
            user_id=user.id,
            user_name=user.name or user.email,
            work_date=data.work_date,
            minutes=minutes,
            description=description,
            note=note,
            billable=bool(data.billable),
            status=TimeStatus.submitted,
            created_at=clock.now(),
        )
        session.add(entry)
        await session.flush()
        audit.record(
            session,
            actor,
            "time.logged",
            target_type="time_entry",
            target_id=entry.id,
            target_label=description,
            detail={"project": project.name, "minutes": minutes, "date": data.work_date.isoformat()},
        )
        _changed(session, entry)
        return await _one_view(session, actor, entry.id)


async def update_entry(actor: Actor, entry_id: uuid.UUID | str, data: EntryInput) -> EntryView:
    """Change an entry. Its author (or an owner or admin) may change a submitted or rejected one, which is then
    submitted again; an approved one only owners and admins; a billed one nobody."""
    member = require_staff(actor)
    minutes, description, note = _clean(data)
    async with unit_of_work(actor) as session:
        entry = await load_entry(session, actor, entry_id, lock=True)
        _may_change(member, entry)
        project = await load_project(session, actor, data.project_id)
        was_approved = entry.status == TimeStatus.approved
        entry.project_id, entry.client_id = project.id, project.client_id
        entry.work_date, entry.minutes, entry.description, entry.note = data.work_date, minutes, description, note
        entry.billable = bool(data.billable)
        if not was_approved:
            entry.status, entry.reject_reason, entry.decided_at, entry.decided_by_user_id = (
                TimeStatus.submitted,
                "",
                None,
                None,
            )
        audit.record(
            session,
            actor,
            "time.changed",
            target_type="time_entry",
            target_id=entry.id,
            target_label=description,
            detail={"minutes": minutes, "date": data.work_date.isoformat()},
        )
        _changed(session, entry)
        return await _one_view(session, actor, entry.id)


def _may_change(member: StaffActor, entry: TimeEntry) -> None:
    if entry.invoice_id is not None:
        raise Conflict("This time is billed on an invoice: void or delete that invoice first.")
    if entry.status == TimeStatus.approved and not member.is_admin:
        raise Forbidden("Approved time is changed by owners and admins only.")
    if entry.user_id != member.user_id and not member.is_admin:
        raise Forbidden("You can change only your own time.")


async def delete_entry(actor: Actor, entry_id: uuid.UUID | str) -> None:
    member = require_staff(actor)
    async with unit_of_work(actor) as session:
        entry = await load_entry(session, actor, entry_id, lock=True)
        _may_change(member, entry)
        audit.record(
            session,
            actor,
            "time.deleted",
            target_type="time_entry",
            target_id=entry.id,
            target_label=entry.description,
            detail={"minutes": entry.minutes, "date": entry.work_date.isoformat()},
        )
        _changed(session, entry)
        await session.delete(entry)


def parse_status(value: object) -> TimeStatus:
    try:
        return TimeStatus(str(value))
    except ValueError:
        raise Invalid("Status must be one of: submitted, approved, rejected.", "status") from None


async def list_entries(
    actor: Actor,
    *,
    project_id: uuid.UUID | str | None = None,
    user_id: uuid.UUID | str | None = None,
    status: TimeStatus | str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[EntryView]:
    """Staff's list of entries, newest day first, with the total count."""
    require_staff(actor)
    limit, offset = page_window(limit, offset)
    conditions: list[ColumnElement[bool]] = [*visible(actor, TimeEntry)]
    if project_id is not None:
        conditions.append(TimeEntry.project_id == parse_id(project_id, "Project not found"))
    if user_id is not None:
        conditions.append(TimeEntry.user_id == parse_id(user_id, "Staff member not found"))
    if status is not None:
        conditions.append(TimeEntry.status == parse_status(status))
    if date_from is not None:
        conditions.append(TimeEntry.work_date >= date_from)
    if date_to is not None:
        conditions.append(TimeEntry.work_date <= date_to)
    async with unit_of_work(actor) as session:
        total = await session.scalar(select(func.count()).select_from(TimeEntry).where(*conditions)) or 0
        rows = await session.execute(
            _select_views()
            .where(*conditions)
            .order_by(TimeEntry.work_date.desc(), TimeEntry.created_at.desc(), TimeEntry.id)
            .limit(limit)
            .offset(offset)
        )
        return Page([_view(*row) for row in rows], total, limit, offset)


@dataclass(frozen=True, slots=True)
class Week:
    start: date  # a Monday
    entries: list[EntryView]  # the acting user's, by day
    minutes_by_day: dict[date, int]

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(7)]

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes_by_day.values())


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


MAX_WEEK_ENTRIES = 500  # a person's week; the page stays bounded whatever is logged


async def my_week(actor: Actor, day: date) -> Week:
    """The acting user's entries in the week (Monday to Sunday) that holds `day`."""
    member = require_staff(actor)
    start = monday_of(day)
    end = start + timedelta(days=6)
    async with unit_of_work(actor) as session:
        rows = await session.execute(
            _select_views()
            .where(
                *visible(actor, TimeEntry),
                TimeEntry.user_id == member.user_id,
                TimeEntry.work_date >= start,
                TimeEntry.work_date <= end,
            )
            .order_by(TimeEntry.work_date, TimeEntry.created_at, TimeEntry.id)
            .limit(MAX_WEEK_ENTRIES)
        )
        entries = [_view(*row) for row in rows]
    by_day = {start + timedelta(days=n): 0 for n in range(7)}
    for entry in entries:
        by_day[entry.work_date] += entry.minutes
    return Week(start, entries, by_day)


async def copy_last_week(actor: Actor, day: date) -> int:
    """The acting user's entries of the week before `day`'s, logged again a week later (submitted); how many."""
    member = require_staff(actor)
    start = monday_of(day) - timedelta(days=7)
    async with unit_of_work(actor) as session:
        earlier = list(
            await session.scalars(
                select(TimeEntry)
                .join(Project, Project.id == TimeEntry.project_id)
                .where(
                    *visible(actor, TimeEntry),
                    TimeEntry.user_id == member.user_id,
                    TimeEntry.work_date >= start,
                    TimeEntry.work_date <= start + timedelta(days=6),
                    Project.status.in_(("planned", "active")),
                )
                .order_by(TimeEntry.work_date, TimeEntry.created_at)
                .limit(MAX_WEEK_ENTRIES)
            )
        )
        now = clock.now()
        for old in earlier:
            session.add(
                TimeEntry(
                    org_id=old.org_id,
                    client_id=old.client_id,
                    project_id=old.project_id,
                    user_id=old.user_id,
                    user_name=old.user_name,
                    work_date=old.work_date + timedelta(days=7),
                    minutes=old.minutes,
                    description=old.description,
                    note=old.note,
                    billable=old.billable,
                    status=TimeStatus.submitted,
                    created_at=now,
                )
            )
        if earlier:
            audit.record(
                session,
                actor,
                "time.week_copied",
                target_type="time_entry",
                target_label=f"week of {start}",
                detail={"entries": len(earlier)},
            )
            events.publish(session, events.TimeChanged(member.org_id, None, None))
        return len(earlier)


def _decidable(actor: StaffActor) -> list[ColumnElement[bool]]:
    """The entries this staff member may approve or reject: all (owners, admins) or their projects' (leads)."""
    if actor.is_admin:
        return []
    led = select(Project.id).where(Project.org_id == actor.org_id, Project.lead_user_id == actor.user_id)
    return [TimeEntry.project_id.in_(led)]


async def may_decide(actor: Actor) -> bool:
    """Whether the acting staff user approves or rejects any time: owners and admins, and the lead of a project
    (one indexed look-up; the navigation asks it on every staff page)."""
    member = require_staff(actor)
    if member.is_admin:
        return True
    async with unit_of_work(actor) as session:
        led = await session.scalar(
            select(Project.id).where(Project.org_id == member.org_id, Project.lead_user_id == member.user_id).limit(1)
        )
        return led is not None


async def approval_queue(actor: Actor, *, limit: int = 50, offset: int = 0) -> Page[EntryView]:
    """Submitted entries the acting user may decide, oldest day first (the longest waiting at the top)."""
    member = require_staff(actor)
    limit, offset = page_window(limit, offset)
    conditions = [*visible(actor, TimeEntry), TimeEntry.status == TimeStatus.submitted, *_decidable(member)]
    async with unit_of_work(actor) as session:
        total = await session.scalar(select(func.count()).select_from(TimeEntry).where(*conditions)) or 0
        rows = await session.execute(
            _select_views()
            .where(*conditions)
            .order_by(TimeEntry.work_date, TimeEntry.created_at, TimeEntry.id)
            .limit(limit)
            .offset(offset)
        )
        return Page([_view(*row) for row in rows], total, limit, offset)


def _ids(entry_ids: Sequence[uuid.UUID | str]) -> list[uuid.UUID]:
    if not entry_ids:
        raise Invalid("Choose the entries to decide.", "entry_ids")
    if len(entry_ids) > MAX_BULK:
        raise Invalid(f"Decide at most {MAX_BULK} entries at a time.", "entry_ids")
    return [parse_id(i, NOT_FOUND) for i in entry_ids]


async def _decide(actor: Actor, entry_ids: Sequence[uuid.UUID | str], status: TimeStatus, reason: str) -> int:
    member = require_staff(actor)
    ids = _ids(entry_ids)
    async with unit_of_work(actor) as session:
        seen = set(await session.scalars(select(TimeEntry.id).where(*visible(actor, TimeEntry), TimeEntry.id.in_(ids))))
        if len(seen) != len(set(ids)):
            raise NotFound(NOT_FOUND)  # another organization's entry is not there to decide
        permitted = set(await session.scalars(select(TimeEntry.id).where(TimeEntry.id.in_(seen), *_decidable(member))))
        if permitted != seen:
            raise Forbidden("You can approve or reject time on the projects you lead only.")
        changed = list(
            await session.execute(
                update(TimeEntry)
                .where(
                    TimeEntry.id.in_(permitted),
                    TimeEntry.org_id == member.org_id,
                    TimeEntry.invoice_id.is_(None),
                    or_(TimeEntry.status != status, TimeEntry.reject_reason != reason),
                )
                .values(status=status, decided_by_user_id=member.user_id, decided_at=clock.now(), reject_reason=reason)
                .returning(TimeEntry.id, TimeEntry.client_id, TimeEntry.project_id, TimeEntry.description)
                .execution_options(synchronize_session=False)
            )
        )
        action = "time.approved" if status == TimeStatus.approved else "time.rejected"
        rows = [
            audit.row(
                actor,
                action,
                target_type="time_entry",
                target_id=entry_id,
                target_label=description,
                detail={"reason": reason} if reason else {},
            )
            for entry_id, _, _, description in changed
        ]
        await audit.record_many(session, rows)
        for client_id, project_id in {(c, p) for _, c, p, _ in changed}:
            events.publish(session, events.ProjectActivity(member.org_id, client_id, project_id))
            events.publish(session, events.TimeChanged(member.org_id, client_id, project_id))
        return len(changed)


async def approve(actor: Actor, entry_ids: Sequence[uuid.UUID | str]) -> int:
    """Approve submitted (or rejected) entries; billed ones stay as they are. How many changed."""
    return await _decide(actor, entry_ids, TimeStatus.approved, "")


async def reject(actor: Actor, entry_ids: Sequence[uuid.UUID | str], reason: str) -> int:
    """Reject entries with a reason their authors read; billed ones stay as they are. How many changed."""
    text = required_text(reason, "reason", "Reason", 500)
    return await _decide(actor, entry_ids, TimeStatus.rejected, text)


async def get_entry(actor: Actor, entry_id: uuid.UUID | str) -> EntryView:
    """One entry as staff see it (the API's answer after logging, approving or rejecting)."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        return await _one_view(session, actor, parse_id(entry_id, NOT_FOUND))


async def member_id(actor: Actor, email: str, field: str = "user_email") -> uuid.UUID:
    """The id of the organization's active member with this email: the API names the person by email."""
    member = require_staff(actor)
    async with unit_of_work(actor) as session:
        found = await session.scalar(
            select(StaffUser.id)
            .join(Membership, Membership.user_id == StaffUser.id)
            .where(
                Membership.org_id == member.org_id,
                func.lower(StaffUser.email) == email.strip().lower(),
                StaffUser.is_active.is_(True),
            )
        )
    if found is None:
        raise Invalid("No active member of this organization has that email.", field)
    return found
