"""The audit log: written inside the transaction of the change it describes, read by staff."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import AuditEvent
from services.core import clock
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
    """Many audit rows (made by `row`) in the caller's transaction, as one batched INSERT: for sweeps."""
    if rows:
        await session.execute(insert(AuditEvent), rows)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str = ""
    actor: str = ""  # part of the actor's email or label
    date_from: date | None = None
    date_to: date | None = None


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


async def list_events(actor: Actor, filters: AuditFilter, limit: int = 50, offset: int = 0) -> Page[AuditRow]:
    staff = require_staff(actor)
    limit, offset = page_window(limit, offset)
    conditions = [AuditEvent.org_id == staff.org_id]
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.actor:
        conditions.append(func.lower(AuditEvent.actor_label).contains(filters.actor.lower(), autoescape=True))
    if filters.date_from:
        conditions.append(AuditEvent.at >= datetime.combine(filters.date_from, time.min, clock.now().tzinfo))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, clock.now().tzinfo)
        conditions.append(AuditEvent.at < end)
    async with unit_of_work(actor) as session:
        total = await session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions))
        rows = await session.scalars(
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.at.desc(), AuditEvent.id)
            .limit(limit)
            .offset(offset)
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
            )
            for row in rows
        ]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


async def list_actions(actor: Actor) -> list[str]:
    """The distinct actions this organization's log holds, for the filter's choices."""
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        rows = await session.scalars(
            select(AuditEvent.action).where(AuditEvent.org_id == staff.org_id).distinct().order_by(AuditEvent.action)
        )
        return list(rows)
