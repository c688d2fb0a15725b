"""Documents Portico writes for a project (SPEC §17), and the calendar feeds contacts subscribe to.

A `DocumentRequest` is one document owed for one event: the welcome packet when a project starts, a progress
report when a milestone is done, a completion certificate when the project is completed. Its unique
(project, kind, subject) is what makes an event that repeats (a milestone ticked twice, two processes hearing the
same change) owe one document, not two. The `documents` job claims pending requests, writes the PDF into a file of
the project (`files.kind` says which document it is) and marks the request done; regenerating sets it pending
again and replaces the same file's bytes.

A `CalendarFeed` is one contact's ICS URL, for one project or (project None) for all of theirs. Its token is an
HMAC of the feed's id under the secret key, never stored: the row keeps the token's SHA-256 to find the feed by.
Revoking sets `revoked_at`; a new URL is a new row.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, ClientOwned, StaffOnly, TenantOwned, Timestamped, utcnow


class DocumentKind(enum.StrEnum):
    welcome = "welcome"
    progress = "progress"
    completion = "completion"


class DocumentStatus(enum.StrEnum):
    pending = "pending"  # owed: the job makes it when due
    working = "working"  # claimed by a job run until `claimed_until`; past that, another run may take it
    done = "done"
    failed = "failed"  # gave up after repeated errors; staff may regenerate
    skipped = "skipped"  # the organization had this kind turned off when it was due


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, validate_strings=True)


class DocumentRequest(ClientOwned, StaffOnly, Timestamped, Base):
    __tablename__ = "document_requests"
    __table_args__ = (
        UniqueConstraint("project_id", "kind", "subject"),
        Index("ix_document_requests_status_due_at", "status", "due_at"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind))
    # What the document is about within its project: the milestone's id for a progress report, "" otherwise.
    subject: Mapped[str] = mapped_column(String(36), default="")
    milestone_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("milestones.id", ondelete="SET NULL"))
    status: Mapped[DocumentStatus] = mapped_column(_enum(DocumentStatus), default=DocumentStatus.pending)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(String(400), default="")
    # The file the document is written to: chosen when first claimed, so a run cut short and retried writes the
    # same object rather than leaving one behind.
    file_id: Mapped[uuid.UUID | None]
    # Whether making it tells the client (feed and mail): the first time yes, a regeneration no.
    announce: Mapped[bool] = mapped_column(default=True)
    requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None]


class DocumentSettings(TenantOwned, StaffOnly, Base):
    """An organization's choices for one kind of document; no row means on, with Portico's own wording."""

    __tablename__ = "document_settings"
    __table_args__ = (UniqueConstraint("org_id", "kind"),)

    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind))
    enabled: Mapped[bool] = mapped_column(default=True)
    title: Mapped[str] = mapped_column(String(120), default="")  # "" means the kind's own title
    intro: Mapped[str] = mapped_column(Text, default="")  # the opening paragraph; "" means Portico's wording
    closing: Mapped[str] = mapped_column(Text, default="")  # the closing paragraph; "" means Portico's wording
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarFeed(ClientOwned, Timestamped, Base):
    __tablename__ = "calendar_feeds"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        Index("ix_calendar_feeds_contact_id_project_id", "contact_id", "project_id"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    last_fetched_at: Mapped[datetime | None]
