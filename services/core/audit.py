"""The audit log: written inside the transaction of the change it describes, read by staff."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import AuditEvent
from models.clients import Contact
from models.staff import StaffUser
from services.core import audit_actions, bulk, clock
from services.core.actors import Actor, PortalActor, StaffActor, require_staff
from services.core.common import Page, page_window
from services.core.db import unit_of_work


def _actor_fields(actor: Actor) -> dict[str, Any]:
    if isinstance(actor, StaffActor):
        return {"actor_type": actor.via, "actor_id": actor.user_id, "actor_label": actor.email}
    if isinstance(actor, PortalActor):
        return {"actor_type": "portal", "actor_id": actor.contact_id, "actor_label": actor.email}
    return {"actor_type": "system", "actor_id": None, "actor_label": actor.label}


def row(
    actor: Actor,
    action: str,
    *,
    org_id: uuid.UUID | None = None,
    target_type: str = "",
    target_id: uuid.UUID | None = None,
    target_label: str = "",
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An audit row's values: who (actor and IP), what, on which target, when."""
    org = org_id or actor.org_id
    if org is None:
        raise ValueError("an audit row needs an organization")
    return {
        "org_id": org,
        "at": clock.now(),
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "target_label": target_label[:254],
        "ip": actor.ip,
        "detail": detail or {},
        **_actor_fields(actor),
    }


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    org_id: uuid.UUID | None = None,
    target_type: str = "",
    target_id: uuid.UUID | None = None,
    target_label: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit row to the caller's transaction: it lands exactly when the change does."""
    values = row(
        actor,
        action,
        org_id=org_id,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        detail=detail,
    )
    session.add(AuditEvent(**values))


async def record_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Many audit rows (made by `row`) in the caller's transaction, in one bulk write: for sweeps.

    The rows go to the driver as plain values (COPY on PostgreSQL), not through the ORM or a Core executemany: a
    sweep writes thousands per batch, and per row those cost more than the database does.
    """
    if rows:
        fields = tuple(rows[0])  # every row made by `row` has the same fields
        values = itemgetter(*fields)
        ids = bulk.new_ids(len(rows))
        await bulk.insert_rows(
            session, AuditEvent.__table__, ("id", *fields), [(i, *values(r)) for i, r in zip(ids, rows, strict=True)]
        )
    await audit_actions.remember_in(session, rows)


# Counting stops here: beyond it the page says "10,000+", and the count costs the same however long the log is.
COUNT_CAP = 10_000


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str = ""
    actor: str = ""  # part of the actor's email or label
    date_from: date | None = None
    date_to: date | None = None
    timezone: str = "UTC"  # whose days the dates are: the organization's, as the log shows its times


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: uuid.UUID
    at: datetime
    actor_type: str
    actor_label: str
    action: str
    target_type: str
    target_label: str
    ip: str
    detail: dict[str, Any] = field(default_factory=dict)
    actor_name: str = ""  # the staff user's or contact's name as it is now; empty for the system or a removed one

    @property
    def who(self) -> str:
        """How the log names the actor: the name, else the email or label it was recorded with."""
        return self.actor_name or self.actor_label


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


async def list_events(actor: Actor, filters: AuditFilter, limit: int = 50, offset: int = 0) -> Page[AuditRow]:
    """Newest first, in two statements whatever the log's size: a capped count, then the page.

    `total` counts at most COUNT_CAP + 1 events: a total above COUNT_CAP means "more than COUNT_CAP". The page's
    ids come from an index (org, [action,] at, id) alone; only those rows are read in full.
    """
    staff = require_staff(actor)
    limit, offset = page_window(limit, offset)
    conditions = [AuditEvent.org_id == staff.org_id]
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.actor:
        conditions.append(func.lower(AuditEvent.actor_label).contains(filters.actor.lower(), autoescape=True))
    zone = _zone(filters.timezone)
    if filters.date_from:
        conditions.append(AuditEvent.at >= datetime.combine(filters.date_from, time.min, zone))
    if filters.date_to:
        conditions.append(AuditEvent.at < datetime.combine(filters.date_to + timedelta(days=1), time.min, zone))
    order = (AuditEvent.at.desc(), AuditEvent.id.desc())
    matching = select(AuditEvent.id).where(*conditions)
    page_ids = matching.order_by(*order).limit(limit).offset(offset).subquery()
    async with unit_of_work(actor) as session:
        total = await session.scalar(select(func.count()).select_from(matching.limit(COUNT_CAP + 1).subquery()))
        rows = await session.execute(
            select(AuditEvent, StaffUser.name, Contact.name)
            .join(page_ids, page_ids.c.id == AuditEvent.id)
            .outerjoin(StaffUser, (StaffUser.id == AuditEvent.actor_id) & AuditEvent.actor_type.in_(("staff", "api")))
            .outerjoin(
                Contact,
                (Contact.id == AuditEvent.actor_id)
                & (Contact.org_id == AuditEvent.org_id)
                & (AuditEvent.actor_type == "portal"),
            )
            .order_by(*order)
        )
        items = [
            AuditRow(
                id=row.id,
                at=row.at,
                actor_type=row.actor_type,
                actor_label=row.actor_label,
                action=row.action,
                target_type=row.target_type,
                target_label=row.target_label,
                ip=row.ip,
                detail=dict(row.detail or {}),
                actor_name=staff_name or contact_name or "",
            )
            for row, staff_name, contact_name in rows
        ]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


async def list_actions(actor: Actor) -> list[str]:
    """The actions this organization's log holds, for the filter's choices (kept as rows are written)."""
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        return await audit_actions.known_in(session, staff.org_id)
