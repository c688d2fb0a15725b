"""Work with a client on a project: milestones, requests on a kanban, updates and their discussion, notifications.

Updates and comments are public (the client sees them) or internal (staff only). The scoping hook hides
internal ones from portal actors, so no portal query can return one, whatever it forgets to filter.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, ClientOwned, StaffOnly, Timestamped, utcnow


class RequestStatus(enum.StrEnum):
    backlog = "backlog"
    in_progress = "in_progress"
    done = "done"


class Visibility(enum.StrEnum):
    public = "public"
    internal = "internal"


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, validate_strings=True)


class Milestone(ClientOwned, Timestamped, Base):
    __tablename__ = "milestones"
    __table_args__ = (Index("ix_milestones_project_id_due_date", "project_id", "due_date"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date | None]
    done: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None]


class WorkRequest(ClientOwned, Timestamped, Base):
    """A card on a project's kanban: asked for by a contact (portal, feedback) or by staff."""

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_project_id_status_position", "project_id", "status", "position"),
        Index("ix_requests_client_id_status", "client_id", "status"),
        Index("ix_requests_assignee_user_id_status", "assignee_user_id", "status"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus), default=RequestStatus.backlog)
    position: Mapped[int] = mapped_column(default=0)  # order within its column, 0 first
    assignee_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    requester_contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    requester_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16), default="staff")  # staff, portal, feedback, api
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Update(ClientOwned, Timestamped, Base):
    """News on a project, or on one of its requests."""

    __tablename__ = "updates"
    __table_args__ = (
        Index("ix_updates_project_id_created_at", "project_id", "created_at"),
        Index("ix_updates_request_id_created_at", "request_id", "created_at"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    request_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[Visibility] = mapped_column(_enum(Visibility))
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    author_contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200), default="")  # as shown, kept if the author leaves


class Comment(ClientOwned, Timestamped, Base):
    """A reply in the discussion of an update or of a request."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_update_id_created_at", "update_id", "created_at"),
        Index("ix_comments_request_id_created_at", "request_id", "created_at"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    update_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"))
    request_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[Visibility] = mapped_column(_enum(Visibility))
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    author_contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200), default="")


class NotificationPreference(ClientOwned, Base):
    """A contact's choice of mail; no row means the defaults (both on)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("contact_id"),)

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    project_updates: Mapped[bool] = mapped_column(default=True)
    request_replies: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingNotification(ClientOwned, StaffOnly, Base):
    """Something a contact will hear of in the next digest for that project (public items only)."""

    __tablename__ = "pending_notifications"
    __table_args__ = (Index("ix_pending_notifications_contact_id_project_id", "contact_id", "project_id"),)

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # update, reply
    line: Mapped[str] = mapped_column(String(600))  # what the digest says about it
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class NotificationSent(ClientOwned, StaffOnly, Base):
    """When a contact last got a digest for a project: the next waits ten minutes from this."""

    __tablename__ = "notifications_sent"
    __table_args__ = (UniqueConstraint("contact_id", "project_id"),)

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime]
