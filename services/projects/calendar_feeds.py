"""Calendar feeds (SPEC §17): one unguessable ICS URL per contact and project (or for all their projects), revocable.

The URL's token is an HMAC of the feed's id under the secret key, so it is never stored: the row keeps only its
SHA-256 to find the feed by, as the public invoice link does. A contact's own feed is made when they ask for it
and reused after; resetting it revokes it and makes another (a new id, so a new token). Staff revoke any of a
contact's feeds.

A feed is read with no sign-in (calendar apps poll it), so it answers only while its contact may use the portal:
active, with portal access, in an organization whose portal is on. That is checked at each fetch, not by revoking,
so access given back brings the same URLs back. Everything in it is read as the contact's portal actor, through
the scoping hook and the explicit filters: nothing internal, nothing of another client; invoice due dates only for
a billing contact.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Contact
from models.collaboration import Milestone
from models.documents import CalendarFeed
from models.invoices import Invoice, InvoiceStatus
from models.organizations import Organization
from models.projects import Project
from services.core import audit, clock, config
from services.core.actors import Actor, PortalActor, StaffActor, SystemActor, require_staff
from services.core.common import hash_secret, parse_id
from services.core.db import unit_of_work
from services.core.errors import NotFound
from services.core.scoping import visible
from services.projects.calendar_ics import DueDay, FeedDocument, render
from services.projects.projects import load_project

# The token is a SHA-256 HMAC in hex: 64 characters, 256 bits. Anything else is refused before any lookup.
TOKEN_LENGTH = 64
_TOKEN_ALPHABET = frozenset("0123456789abcdef")
# Calendar apps poll every few minutes; the time of the last fetch is only there for staff to see, so it is
# written at most this often.
FETCH_NOTE_INTERVAL = timedelta(minutes=1)
# A feed stays bounded whatever the client holds (a project has at most 200 milestones; all projects can have more).
MAX_EVENTS = 1000
MAX_LISTED = 100  # a contact's active feeds on the staff page
# Invoices still to be paid (billing's OPEN_STATUSES, which this domain sits below and cannot import).
UNPAID = (InvoiceStatus.sent, InvoiceStatus.partially_paid)
ALL_PROJECTS = "All projects"


@dataclass(frozen=True, slots=True)
class FeedLink:
    feed_id: uuid.UUID
    url: str  # http(s)://…/calendar/{token}.ics: what a calendar app subscribes to
    webcal_url: str  # the same as webcal://, which opens the calendar app ready to subscribe


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A contact's active feed, for staff."""

    id: uuid.UUID
    project_id: uuid.UUID | None
    project_name: str  # ALL_PROJECTS for the feed of all the contact's projects
    created_at: datetime
    last_fetched_at: datetime | None


def feed_token(feed_id: uuid.UUID) -> str:
    return config.keyed_hash("calendar-feed", str(feed_id))


def well_formed_token(token: str) -> bool:
    """The shape check that runs before any lookup: a huge or odd token never reaches the database."""
    return len(token) == TOKEN_LENGTH and set(token) <= _TOKEN_ALPHABET


def _link(feed_id: uuid.UUID) -> FeedLink:
    url = f"{config.get().base_url}/calendar/{feed_token(feed_id)}.ics"
    return FeedLink(feed_id, url, "webcal://" + url.split("://", 1)[1])


def _require_portal(actor: Actor) -> PortalActor:
    if isinstance(actor, PortalActor):
        return actor
    raise NotFound("Project not found")


async def _project_id(
    session: AsyncSession, actor: PortalActor, project_id: uuid.UUID | str | None
) -> uuid.UUID | None:
    """The project the contact may see (None: all their projects); another's or an unknown one is not found."""
    if project_id is None:
        return None
    return (await load_project(session, actor, project_id)).id


def _own_feeds(actor: PortalActor, project_id: uuid.UUID | None) -> list:
    return [
        *visible(actor, CalendarFeed),
        CalendarFeed.contact_id == actor.contact_id,
        CalendarFeed.project_id.is_(None) if project_id is None else CalendarFeed.project_id == project_id,
        CalendarFeed.revoked_at.is_(None),
    ]


def _new_feed(session: AsyncSession, actor: PortalActor, project_id: uuid.UUID | None) -> FeedLink:
    feed_id = uuid.uuid4()  # chosen here: the token derives from it
    session.add(
        CalendarFeed(
            id=feed_id,
            org_id=actor.org_id,
            client_id=actor.client_id,
            contact_id=actor.contact_id,
            project_id=project_id,
            token_hash=hash_secret(feed_token(feed_id)),
            created_at=clock.now(),
        )
    )
    return _link(feed_id)


async def feed_link(actor: Actor, project_id: uuid.UUID | str | None = None) -> FeedLink:
    """The contact's feed of one project (or, with None, of all their projects): the one they have, else a new one."""
    contact = _require_portal(actor)
    async with unit_of_work(contact) as session:
        pid = await _project_id(session, contact, project_id)
        # Two tabs asking at once may each make one; both work, and the newest is the one shown from then on.
        found = await session.scalar(
            select(CalendarFeed.id).where(*_own_feeds(contact, pid)).order_by(CalendarFeed.created_at.desc()).limit(1)
        )
        return _link(found) if found is not None else _new_feed(session, contact, pid)


async def reset_link(actor: Actor, project_id: uuid.UUID | str | None = None) -> FeedLink:
    """Revoke the contact's feed of the project (or of all their projects) and make a new one: the old URL ends."""
    contact = _require_portal(actor)
    async with unit_of_work(contact) as session:
        pid = await _project_id(session, contact, project_id)
        feeds = list(await session.scalars(select(CalendarFeed).where(*_own_feeds(contact, pid))))
        if feeds:
            labels = await _labels(session, contact.org_id, feeds)
            for feed in feeds:
                _revoke(session, contact, feed, labels[feed.id])
        return _new_feed(session, contact, pid)


async def list_contact_feeds(actor: Actor, contact_id: uuid.UUID | str) -> list[FeedRow]:
    """A contact's active feeds, newest first, for staff."""
    staff = require_staff(actor)
    cid = parse_id(contact_id, "Contact not found")
    async with unit_of_work(staff) as session:
        if await session.scalar(select(Contact.id).where(Contact.id == cid, *visible(staff, Contact))) is None:
            raise NotFound("Contact not found")
        rows = await session.execute(
            select(CalendarFeed, Project.name)
            .outerjoin(Project, (Project.id == CalendarFeed.project_id) & (Project.org_id == staff.org_id))
            .where(*visible(staff, CalendarFeed), CalendarFeed.contact_id == cid, CalendarFeed.revoked_at.is_(None))
            .order_by(CalendarFeed.created_at.desc())
            .limit(MAX_LISTED)
        )
        return [
            FeedRow(feed.id, feed.project_id, name or ALL_PROJECTS, feed.created_at, feed.last_fetched_at)
            for feed, name in rows
        ]


async def revoke_feed(actor: Actor, feed_id: uuid.UUID | str) -> None:
    """End one feed: staff any of their organization's, a contact only their own. Its URL answers nothing after."""
    fid = parse_id(feed_id, "Calendar feed not found")
    if not isinstance(actor, StaffActor | PortalActor):
        raise NotFound("Calendar feed not found")
    conditions = [*visible(actor, CalendarFeed), CalendarFeed.id == fid, CalendarFeed.revoked_at.is_(None)]
    if isinstance(actor, PortalActor):
        conditions.append(CalendarFeed.contact_id == actor.contact_id)
    async with unit_of_work(actor) as session:
        feed = await session.scalar(select(CalendarFeed).where(*conditions))
        if feed is None:
            raise NotFound("Calendar feed not found")
        labels = await _labels(session, feed.org_id, [feed])
        _revoke(session, actor, feed, labels[feed.id])


async def _labels(session: AsyncSession, org_id: uuid.UUID, feeds: list[CalendarFeed]) -> dict[uuid.UUID, str]:
    """How the audit log names each feed: "Jane Doe · Website" (its contact and project); one query for all."""
    contact_ids = {f.contact_id for f in feeds}
    project_ids = {f.project_id for f in feeds if f.project_id is not None}
    names: dict[uuid.UUID | None, str] = {
        cid: name
        for cid, name in await session.execute(select(Contact.id, Contact.name).where(Contact.id.in_(contact_ids)))
    }
    if project_ids:
        found = select(Project.id, Project.name).where(Project.id.in_(project_ids), Project.org_id == org_id)
        names |= {pid: name for pid, name in await session.execute(found)}
    return {
        f.id: f"{names.get(f.contact_id, '')} · {names.get(f.project_id, '') if f.project_id else ALL_PROJECTS}"
        for f in feeds
    }


def _revoke(session: AsyncSession, actor: Actor, feed: CalendarFeed, label: str) -> None:
    feed.revoked_at = clock.now()
    audit.record(
        session,
        actor,
        "calendar_feed.revoked",
        org_id=feed.org_id,
        target_type="calendar_feed",
        target_id=feed.id,
        target_label=label,
        detail={"contact_id": str(feed.contact_id), "project_id": str(feed.project_id or "")},
    )


# --- the feed itself ------------------------------------------------------------------------------------------------


async def open_feed(token: str) -> FeedDocument | None:
    """The calendar behind a feed URL; None for a malformed, unknown or revoked token, or a contact who may not use
    the portal now. No actor: the token is the credential (the lookup is by its SHA-256, so timing says nothing
    about how close a guess came); what it shows is then read as the feed's contact."""
    if not well_formed_token(token):
        return None
    now = clock.now()
    async with unit_of_work(SystemActor(label="calendar feed")) as session:
        found = (
            await session.execute(
                select(
                    CalendarFeed.id,
                    CalendarFeed.org_id,
                    CalendarFeed.client_id,
                    CalendarFeed.contact_id,
                    CalendarFeed.project_id,
                    CalendarFeed.last_fetched_at,
                    Contact.email,
                    Contact.billing,
                    Organization.name,
                    Organization.slug,
                )
                .join(
                    Contact,
                    (Contact.id == CalendarFeed.contact_id)
                    & (Contact.org_id == CalendarFeed.org_id)
                    & (Contact.client_id == CalendarFeed.client_id),
                )
                .join(Organization, Organization.id == CalendarFeed.org_id)
                .where(
                    CalendarFeed.token_hash == hash_secret(token),
                    CalendarFeed.revoked_at.is_(None),
                    Contact.active.is_(True),
                    Contact.portal_enabled.is_(True),
                    Organization.portal_enabled.is_(True),
                )
            )
        ).one_or_none()
        if found is None:
            return None
        if found.last_fetched_at is None or now - found.last_fetched_at >= FETCH_NOTE_INTERVAL:
            await session.execute(
                update(CalendarFeed)
                .where(CalendarFeed.id == found.id)
                .values(last_fetched_at=now)
                .execution_options(synchronize_session=False)
            )
    contact = PortalActor(found.org_id, found.client_id, found.contact_id, found.email)
    try:
        return await _document(contact, found, now)
    except NotFound:  # the project went away in between
        return None


async def _document(contact: PortalActor, feed: Row, now: datetime) -> FeedDocument:
    base_url = config.get().base_url
    portal = f"{base_url}/portal/{feed.slug}"
    async with unit_of_work(contact) as session:
        projects = select(Project.id, Project.name, Project.due_date).where(*visible(contact, Project))
        if feed.project_id is not None:
            projects = projects.where(Project.id == feed.project_id)
        names: dict[uuid.UUID, str] = {}
        days: list[DueDay] = []
        for pid, name, due in await session.execute(projects.order_by(Project.created_at.desc()).limit(MAX_EVENTS)):
            names[pid] = name
            if due is not None:
                days.append(
                    DueDay("project", pid, due, f"{name} due", f"Due date of {name}", f"{portal}/projects/{pid}")
                )
        if feed.project_id is not None and not names:
            raise NotFound("Project not found")
        days += await _milestones(session, contact, feed.project_id, names, portal)
        if feed.billing:
            days += await _invoices(session, contact, feed.project_id, portal)
    days.sort(key=lambda d: (d.day, d.kind, d.summary))
    title = f"{names[feed.project_id]} · {feed.name}" if feed.project_id is not None else f"{feed.name} projects"
    return render(title, days, base_url=base_url, now=now)


async def _milestones(
    session: AsyncSession, contact: PortalActor, project_id: uuid.UUID | None, names: dict[uuid.UUID, str], portal: str
) -> list[DueDay]:
    statement = (
        select(Milestone.id, Milestone.project_id, Milestone.title, Milestone.due_date, Milestone.done)
        .join(Project, Project.id == Milestone.project_id)
        .where(*visible(contact, Milestone), *visible(contact, Project), Milestone.due_date.is_not(None))
    )
    if project_id is not None:
        statement = statement.where(Milestone.project_id == project_id)
    rows = await session.execute(statement.order_by(Milestone.due_date.desc(), Milestone.id).limit(MAX_EVENTS))
    return [
        DueDay(
            "milestone",
            mid,
            due,
            f"{title} (Done)" if done else title,
            f"Milestone of {names.get(pid, 'your project')}" + (" · Done" if done else ""),
            f"{portal}/projects/{pid}",
        )
        for mid, pid, title, due, done in rows
        if due is not None  # filtered above: this tells the type checker
    ]


async def _invoices(
    session: AsyncSession, contact: PortalActor, project_id: uuid.UUID | None, portal: str
) -> list[DueDay]:
    statement = select(Invoice.id, Invoice.number, Invoice.due_date).where(
        *visible(contact, Invoice), Invoice.status.in_(UNPAID)
    )
    if project_id is not None:
        statement = statement.where(Invoice.project_id == project_id)
    rows = await session.execute(statement.order_by(Invoice.due_date.desc(), Invoice.id).limit(MAX_EVENTS))
    return [
        DueDay(
            "invoice",
            iid,
            due,
            f"Invoice {number} due",
            f"Payment due for invoice {number}",
            f"{portal}/invoices/{iid}",
        )
        for iid, number, due in rows
    ]
