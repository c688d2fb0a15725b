from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, StaffOnly, Timestamped, utcnow


class MailStatus(enum.StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"  # gave up after the last retry; kept for staff to see


class OutboxTemplate(IdMixin, Timestamped, StaffOnly, Base):
    """An HTML body with `{field}`s shared by many queued mails (a reminder sweep writes one per organization and
    due date): tens of thousands of reminders keep a few hundred bytes of values each, not 2 KB of HTML."""

    __tablename__ = "outbox_templates"

    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    html: Mapped[str] = mapped_column(Text)


class OutboxMail(IdMixin, Timestamped, StaffOnly, Base):
    """A mail queued in the same transaction as the change that caused it; the outbox job sends it."""

    __tablename__ = "outbox_mail"
    __table_args__ = (
        Index("ix_outbox_mail_status_next_attempt_at", "status", "next_attempt_at"),
        # Staff's list of mail that could not be sent, newest first.
        Index("ix_outbox_mail_org_id_status_created_at", "org_id", "status", "created_at"),
    )

    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Extra headers, such as List-Unsubscribe on notification digests.
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status: Mapped[MailStatus] = mapped_column(
        Enum(MailStatus, native_enum=False, length=16, validate_strings=True), default=MailStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    # A sweep's mails share their HTML: the template once, and each mail only its values (already escaped),
    # filled in when it is sent. Without a template, `body_html` holds the whole HTML part.
    html_template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outbox_templates.id", ondelete="CASCADE"), index=True
    )
    html_values: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    attachments: Mapped[list[OutboxAttachment]] = relationship(lazy="raise", cascade="all, delete-orphan")


class OutboxAttachment(IdMixin, Timestamped, StaffOnly, Base):
    """A file sent with an outbox mail (an invoice PDF), kept as it was when the mail was queued."""

    __tablename__ = "outbox_attachments"

    mail_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outbox_mail.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
