from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BrowserSession, ClientOwned, StaffOnly, Timestamped


class MagicLink(ClientOwned, Timestamped, StaffOnly, Base):
    """A sign-in link mailed to a contact. Only the SHA-256 of its token and an HMAC of its code are kept."""

    __tablename__ = "magic_links"
    __table_args__ = (Index("ix_magic_links_contact_id_created_at", "contact_id", "created_at"),)

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    code_attempts: Mapped[int] = mapped_column(default=0)
    purpose: Mapped[str] = mapped_column(String(16), default="sign_in")  # sign_in or invitation
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
    requested_ip: Mapped[str] = mapped_column(String(45), default="")


class PortalSession(BrowserSession, ClientOwned, Timestamped, StaffOnly, Base):
    """A contact's signed-in browser."""

    __tablename__ = "portal_sessions"

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    ended_reason: Mapped[str] = mapped_column(String(32), default="")
