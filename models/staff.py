from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BrowserSession, IdMixin, StaffOnly, TenantOwned, Timestamped


class StaffUser(IdMixin, Timestamped, StaffOnly, Base):
    """A person on the agency's side. Not tenant-owned: one user may belong to several organizations."""

    __tablename__ = "staff_users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)


class StaffSession(BrowserSession, TenantOwned, Timestamped, StaffOnly, Base):
    """A staff member's signed-in browser."""

    __tablename__ = "staff_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)


class ApiToken(TenantOwned, Timestamped, StaffOnly, Base):
    """A bearer token for the REST API; it acts as its staff user inside its organization."""

    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, shown to staff so they can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
