"""Portal sessions: a contact's signed-in browsers, server-side, with idle and absolute limits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Contact
from models.portal import PortalSession
from services.core import audit, browser_sessions, clock, events
from services.core.actors import Actor, PortalActor, SystemActor, require_staff
from services.core.common import hash_secret, new_secret, parse_id
from services.core.db import rows_affected, unit_of_work
from services.core.errors import NotFound

IDLE_TIMEOUT = timedelta(days=7)
ABSOLUTE_TIMEOUT = timedelta(days=30)
TOUCH_INTERVAL = timedelta(minutes=1)


def _live(now: datetime) -> ColumnElement[bool]:
    return browser_sessions.live(PortalSession, now, IDLE_TIMEOUT)


async def start(session: AsyncSession, contact: Contact, *, ip: str, user_agent: str) -> str:
    """A new session for `contact` inside the caller's transaction; returns the cookie value."""
    token = new_secret()
    now = clock.now()
    row = PortalSession(
        org_id=contact.org_id,
        client_id=contact.client_id,
        contact_id=contact.id,
        token_hash=hash_secret(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + ABSOLUTE_TIMEOUT,
        ip=ip[:45],
        user_agent=user_agent[:400],
    )
    session.add(row)
    contact.last_sign_in_at = now
    await session.flush()
    actor = PortalActor(contact.org_id, contact.client_id, contact.id, contact.email, ip=ip)
    audit.record(
        session,
        actor,
        "portal.signed_in",
        target_type="portal_session",
        target_id=row.id,
        target_label=contact.email,
        detail={"user_agent": user_agent[:200]},
    )
    return token


@dataclass(frozen=True, slots=True)
class ResolvedPortalSession:
    session_id: uuid.UUID
    actor: PortalActor


async def resolve(org_id: uuid.UUID, token: str | None, *, ip: str = "") -> ResolvedPortalSession | None:
    """The live session behind a portal cookie, for this organization, of a contact who may still sign in."""
    if not token or len(token) > 200:
        return None
    now = clock.now()
    async with unit_of_work(SystemActor(org_id=org_id)) as session:
        # Columns, not entities: every portal page load runs this, and nothing here needs the ORM's objects.
        row = (
            await session.execute(
                select(PortalSession.id, PortalSession.last_seen_at, Contact.client_id, Contact.id, Contact.email)
                .join(Contact, Contact.id == PortalSession.contact_id)
                .where(
                    PortalSession.token_hash == hash_secret(token),
                    PortalSession.org_id == org_id,
                    Contact.active.is_(True),
                    Contact.portal_enabled.is_(True),
                    _live(now),
                )
            )
        ).first()
        if row is None:
            return None
        session_id, last_seen_at, client_id, contact_id, email = row
        if now - last_seen_at > TOUCH_INTERVAL:
            await session.execute(
                update(PortalSession)
                .where(PortalSession.id == session_id)
                .values(last_seen_at=now)
                .execution_options(synchronize_session=False)
            )
        actor = PortalActor(org_id, client_id, contact_id, email, ip=ip)
        return ResolvedPortalSession(session_id, actor)


async def is_live(session_id: uuid.UUID) -> bool:
    async with unit_of_work(SystemActor()) as session:
        found = await session.scalar(
            select(PortalSession.id)
            .join(Contact, Contact.id == PortalSession.contact_id)
            .where(
                PortalSession.id == session_id,
                Contact.active.is_(True),
                Contact.portal_enabled.is_(True),
                _live(clock.now()),
            )
        )
        return found is not None


async def sign_out(org_id: uuid.UUID, token: str | None, *, ip: str = "") -> None:
    if not token:
        return
    async with unit_of_work(SystemActor(org_id=org_id)) as session:
        row = await session.scalar(
            select(PortalSession).where(
                PortalSession.token_hash == hash_secret(token),
                PortalSession.org_id == org_id,
                PortalSession.ended_at.is_(None),
            )
        )
        if row is None:
            return
        row.ended_at, row.ended_reason = clock.now(), "signed_out"
        contact = await session.get(Contact, row.contact_id)
        actor = PortalActor(row.org_id, row.client_id, row.contact_id, contact.email if contact else "", ip=ip)
        audit.record(
            session,
            actor,
            "portal.signed_out",
            target_type="portal_session",
            target_id=row.id,
            target_label=actor.email,
        )
        events.publish(session, events.PortalSessionsEnded(row.org_id, frozenset({row.id})))


async def end_for_contact(session: AsyncSession, contact: Contact, reason: str) -> int:
    """End every live session of `contact` in the caller's transaction (deactivated, access removed)."""
    ids = list(
        await session.scalars(
            select(PortalSession.id).where(
                PortalSession.org_id == contact.org_id,
                PortalSession.contact_id == contact.id,
                PortalSession.ended_at.is_(None),
            )
        )
    )
    if ids:
        await session.execute(
            update(PortalSession)
            .where(PortalSession.id.in_(ids))
            .values(ended_at=clock.now(), ended_reason=reason)
            .execution_options(synchronize_session=False)
        )
        events.publish(session, events.PortalSessionsEnded(contact.org_id, frozenset(ids)))
    return len(ids)


@dataclass(frozen=True, slots=True)
class PortalSessionRow:
    id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime
    ip: str
    user_agent: str


async def list_for_contact(actor: Actor, contact_id: uuid.UUID | str) -> list[PortalSessionRow]:
    """A contact's live sessions, for staff."""
    staff = require_staff(actor)
    cid = parse_id(contact_id, "Contact not found")
    async with unit_of_work(actor) as session:
        if await session.scalar(select(Contact.id).where(Contact.id == cid, Contact.org_id == staff.org_id)) is None:
            raise NotFound("Contact not found")
        rows = await session.scalars(
            select(PortalSession)
            .where(PortalSession.org_id == staff.org_id, PortalSession.contact_id == cid, _live(clock.now()))
            .order_by(PortalSession.last_seen_at.desc())
        )
        return [PortalSessionRow(r.id, r.created_at, r.last_seen_at, r.ip, r.user_agent) for r in rows]


async def revoke(actor: Actor, session_id: uuid.UUID | str) -> None:
    staff = require_staff(actor)
    sid = parse_id(session_id, "Session not found")
    async with unit_of_work(actor) as session:
        row = await session.scalar(
            select(PortalSession).where(
                PortalSession.id == sid, PortalSession.org_id == staff.org_id, PortalSession.ended_at.is_(None)
            )
        )
        if row is None:
            raise NotFound("Session not found")
        row.ended_at, row.ended_reason = clock.now(), "revoked"
        contact = await session.get(Contact, row.contact_id)
        audit.record(
            session,
            actor,
            "portal.session_revoked",
            target_type="portal_session",
            target_id=row.id,
            target_label=contact.email if contact else "",
        )
        events.publish(session, events.PortalSessionsEnded(row.org_id, frozenset({row.id})))


async def purge_expired() -> int:
    now = clock.now()
    async with unit_of_work(SystemActor(label="purge")) as session:
        result = await session.execute(
            delete(PortalSession).where(browser_sessions.dead(PortalSession, now, IDLE_TIMEOUT))
        )
        return rows_affected(result)
