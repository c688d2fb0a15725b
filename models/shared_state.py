"""What several `serve` processes share through the database when no Redis is configured: sign-in rate limits
and one-time tickets. Neither row belongs to an organization; the keys are kept only hashed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, StaffOnly


class RateHit(IdMixin, StaffOnly, Base):
    """One counted attempt in a sliding-window limit: `key_hash` is an HMAC of the email or IP, never the key."""

    __tablename__ = "rate_hits"
    __table_args__ = (Index("ix_rate_hits_bucket_key_hash_at", "bucket", "key_hash", "at"),)

    bucket: Mapped[str] = mapped_column(String(64))
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)  # when the hit leaves its window: purged after


class OneTimeTicket(StaffOnly, Base):
    """A ticket that one request hands to another (a sign-in form to the cookie route): taken once, then gone."""

    __tablename__ = "one_time_tickets"

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the ticket
    bucket: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(index=True)
