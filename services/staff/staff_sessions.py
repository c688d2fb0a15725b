"""Server-side staff sessions: the cookie holds a random token, the row holds its hash."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.staff import StaffSession
from services.core import audit, browser_sessions, clock, events
from services.core.actors import Actor, StaffActor, SystemActor, require_staff
from services.core.common import hash_secret, new_secret
from services.core.db import rows_affected, unit_of_work
from services.staff.staff import SignedInStaff, actor_for

IDLE_TIMEOUT = timedelta(hours=8)
ABSOLUTE_TIMEOUT = timedelta(days=30)
# last_seen is written at most this often, so page loads do not each cost a write.
TOUCH_INTERVAL = timedelta(minutes=1)


async def start_session(who: SignedInStaff, *, ip: str, user_agent: str) -> str:
    """A new session (a new id at every sign-in); returns the cookie value, which is stored only hashed."""
    token = new_secret()
    now = clock.now()
    actor = SystemActor(org_id=who.org_id, label=who.email, ip=ip)
    async with unit_of_work(actor) as session:
        row = StaffSession(
            org_id=who.org_id,
            user_id=who.user_id,
            token_hash=hash_secret(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + ABSOLUTE_TIMEOUT,
            ip=ip[:45],
            user_agent=user_agent[:400],
        )
        session.add(row)
        await session.flush()
        audit.record(
            session,
            StaffActor(who.org_id, who.user_id, role=who.role, email=who.email, ip=ip),
            "staff.signed_in",
            target_type="staff_session",
            target_id=row.id,
            target_label=who.email,
        )
    return token


@dataclass(frozen=True, slots=True)
class ResolvedSession:
    session_id: uuid.UUID
    actor: StaffActor


def _live(now: datetime) -> ColumnElement[bool]:
    return browser_sessions.live(StaffSession, now, IDLE_TIMEOUT)


async def resolve(token: str | None, *, ip: str = "") -> ResolvedSession | None:
    """The session behind a cookie value if it is live (not ended, not idle, not past its absolute limit)."""
    if not token or len(token) > 200:
        return None
    now = clock.now()
    async with unit_of_work(SystemActor()) as session:
        row = await session.scalar(
            select(StaffSession).where(StaffSession.token_hash == hash_secret(token), _live(now))
        )
        if row is None:
            return None
        if now - row.last_seen_at > TOUCH_INTERVAL:
            row.last_seen_at = now
        session_id, user_id, org_id = row.id, row.user_id, row.org_id
    actor = await actor_for(user_id, org_id, ip=ip)
    return ResolvedSession(session_id, actor) if actor else None


async def is_live(session_id: uuid.UUID) -> bool:
    """Open tabs ask this now and then, so a sign-out elsewhere closes them too."""
    async with unit_of_work(SystemActor()) as session:
        found = await session.scalar(select(StaffSession.id).where(StaffSession.id == session_id, _live(clock.now())))
        return found is not None


async def end_session(token: str | None, *, ip: str = "") -> None:
    """Sign-out: the row is ended on the server, so the cookie is worthless even if kept."""
    if not token:
        return
    async with unit_of_work(SystemActor()) as session:
        row = await session.scalar(
            select(StaffSession).where(StaffSession.token_hash == hash_secret(token), StaffSession.ended_at.is_(None))
        )
        if row is None:
            return
        row.ended_at = clock.now()
        audit.record(
            session,
            SystemActor(org_id=row.org_id, label="staff", ip=ip),
            "staff.signed_out",
            target_type="staff_session",
            target_id=row.id,
            detail={"user_id": str(row.user_id)},
        )


async def end_all_for_user(actor: Actor, user_id: uuid.UUID) -> int:
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        return len(await end_for_user_in(session, staff.org_id, user_id))


async def end_for_user_in(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """End the user's open sessions in the organization, in the caller's transaction; their open tabs hear of it
    once it commits and leave at once. Returns the ended sessions' ids."""
    ended = await session.scalars(
        update(StaffSession)
        .where(StaffSession.org_id == org_id, StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=clock.now())
        .returning(StaffSession.id)
        .execution_options(synchronize_session=False)
    )
    ids = frozenset(ended)
    if ids:
        events.publish(session, events.StaffSessionsEnded(user_id, ids))
    return ids


async def purge_expired() -> int:
    """Delete sessions that can never be used again (run by the `purge` job)."""
    now = clock.now()
    async with unit_of_work(SystemActor(label="purge")) as session:
        result = await session.execute(
            delete(StaffSession).where(browser_sessions.dead(StaffSession, now, IDLE_TIMEOUT))
        )
        return rows_affected(result)
