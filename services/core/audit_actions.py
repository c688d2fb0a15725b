"""Which actions each organization's audit log holds, kept as rows are written: the log page's filter choices.

Reading them from the log itself (SELECT DISTINCT over every event) grows with the log; this table has a row
per organization and action, added with INSERT … ON CONFLICT DO NOTHING by both ways audit rows are written:
`audit.record` (ORM objects, seen here when the session flushes them) and `audit.record_many` (a bulk INSERT,
which calls `remember_in`).

Each process remembers the pairs it has seen committed, so a write whose action the table has already costs no
statement at all: only an organization's first event of a kind inserts. A pair joins that memory only after its
transaction commits (a rolled-back insert leaves nothing behind to remember).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Insert, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models.audit import AuditAction, AuditEvent
from services.core.db import dialect_insert

Pair = tuple[uuid.UUID, str]  # (organization id, action)
KNOWN_LIMIT = 100_000  # pairs a process remembers; past it, it starts again (the inserts stay idempotent)
_known: set[Pair] = set()
_PENDING = "audit_actions.pending"  # in session.info: pairs inserted by the open transaction


def _unknown(session: Session, pairs: set[Pair]) -> set[Pair]:
    """The pairs to insert: not yet committed as far as this process knows, and not inserted already in this
    transaction. Marks them pending in the session."""
    pending: set[Pair] = session.info.setdefault(_PENDING, set())
    fresh = pairs - _known - pending
    pending |= fresh
    return fresh


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        if len(_known) + len(pending) > KNOWN_LIMIT:
            _known.clear()
        _known.update(pending)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _insert_new(dialect_name: str, pairs: set[Pair]) -> Insert:
    rows = [{"id": uuid.uuid4(), "org_id": org_id, "action": action} for org_id, action in sorted(pairs)]
    statement = dialect_insert(dialect_name, AuditAction.__table__).values(rows)
    return statement.on_conflict_do_nothing(index_elements=["org_id", "action"])


async def remember_in(session: AsyncSession, rows: Iterable[Mapping[str, Any]]) -> None:
    """Note the actions of audit rows (made by `audit.row`) written in bulk in the caller's transaction."""
    pairs = _unknown(session.sync_session, {(row["org_id"], row["action"]) for row in rows})
    if pairs:
        await session.execute(_insert_new(session.get_bind().dialect.name, pairs))


@event.listens_for(Session, "before_flush")
def _remember_recorded(session: Session, _context: object, _instances: object) -> None:
    """Note the actions of the audit events `audit.record` added, in the flush that inserts them."""
    pairs = _unknown(session, {(obj.org_id, obj.action) for obj in session.new if isinstance(obj, AuditEvent)})
    if pairs:
        connection = session.connection()
        connection.execute(_insert_new(connection.dialect.name, pairs))


async def known_in(session: AsyncSession, org_id: uuid.UUID) -> list[str]:
    """The organization's actions in alphabetical order (an index-only read of a small table)."""
    return list(
        await session.scalars(
            select(AuditAction.action).where(AuditAction.org_id == org_id).order_by(AuditAction.action)
        )
    )
