from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, StaffOnly, TenantOwned, utcnow


class AuditEvent(TenantOwned, StaffOnly, Base):
    """Who did what, when, from which IP. Append-only."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # The log's order (newest first, the id breaking ties) from the index alone, with and without an action.
        Index("ix_audit_events_org_id_at_id", "org_id", "at", "id"),
        Index("ix_audit_events_org_id_action_at_id", "org_id", "action", "at", "id"),
    )

    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(16))  # staff, portal, api, system
    actor_id: Mapped[uuid.UUID | None]
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[uuid.UUID | None]
    target_label: Mapped[str] = mapped_column(String(254), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditAction(TenantOwned, StaffOnly, Base):
    """Each action an organization's log holds, once: the log page's filter choices without reading the log."""

    __tablename__ = "audit_actions"
    __table_args__ = (UniqueConstraint("org_id", "action"),)

    action: Mapped[str] = mapped_column(String(64))
