"""The staff inbox: what clients sent or asked (requests, feedback, comments, replies), unread per staff user.

An item is written by the service that made the thing it reports, in the same transaction, so the inbox holds
exactly what happened. Items belong to the whole organization; `InboxRead` records who opened which. Both are
staff-only: the scoping hook hides them from portal actors whatever a query forgets.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, ClientOwned, StaffOnly, TenantOwned, utcnow


class InboxKind(enum.StrEnum):
    """What an item reports. Stored as a plain string (no CHECK constraint), so a new kind needs no migration:
    a time entry a client questions will add `questioned` with a pointer column of its own."""

    request = "request"  # a new request from the portal
    feedback = "feedback"  # the portal's feedback form (a request in the lead's backlog)
    comment = "comment"  # a contact's comment on a request
    reply = "reply"  # a contact's reply under an update
    file = "file"  # a contact's upload to a project or a request
    decision = "decision"  # a contact approved a deliverable or asked for changes
    questioned = "questioned"  # a contact questioned a time entry (the request it became is `request_id`)


class InboxItem(ClientOwned, StaffOnly, Base):
    __tablename__ = "inbox_items"
    # The list (newest first) and the unread count read the organization's items through this index.
    __table_args__ = (Index("ix_inbox_items_org_id_created_at_id", "org_id", "created_at", "id"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    kind: Mapped[InboxKind] = mapped_column(Enum(InboxKind, native_enum=False, length=16, validate_strings=True))
    # What the item points at: the request (for a comment, the request it is on), the comment, the update replied to.
    # Indexed, so the cascade from a deleted request, comment or update finds its items.
    request_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    update_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"), index=True)
    summary: Mapped[str] = mapped_column(String(300))  # one line, as the inbox shows it
    author_name: Mapped[str] = mapped_column(String(200), default="")  # kept if the contact leaves
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboxRead(TenantOwned, StaffOnly, Base):
    """One staff user opened one item (or marked it read). No row: unread for that user."""

    __tablename__ = "inbox_reads"
    # Serves the unread count's anti-join: for each of the organization's items, is there a row of this user?
    __table_args__ = (UniqueConstraint("user_id", "item_id"),)

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbox_items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    read_at: Mapped[datetime] = mapped_column(default=utcnow)
