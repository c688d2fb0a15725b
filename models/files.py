"""Files a client and its agency share, and deliverables the client reviews and approves.

A file's bytes live in the storage adapter under a key made of ids; the row holds what was measured from the
bytes (size, SHA-256, the type sniffed from the content) and the name as uploaded, for display only. The
scoping hook shows a portal actor only shared files (a contact's own uploads are always shared with their
client), deliverables once sent for review, and the versions that were sent.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, ClientOwned, Timestamped, utcnow


class FileKind(enum.StrEnum):
    upload = "upload"  # uploaded by staff or a contact
    deliverable = "deliverable"  # a version of a deliverable
    # Documents Portico wrote (SPEC §17; models.documents says how each is owed and made):
    welcome = "welcome"  # the welcome packet, when the project started
    progress = "progress"  # a progress report, when a milestone was done
    completion = "completion"  # the completion certificate, when the project was completed


class DeliverableStatus(enum.StrEnum):
    draft = "draft"
    in_review = "in_review"
    changes_requested = "changes_requested"
    approved = "approved"


class Decision(enum.StrEnum):
    approved = "approved"
    changes_requested = "changes_requested"


def _enum(kind: type[enum.StrEnum], length: int = 20) -> Enum:
    return Enum(kind, native_enum=False, length=length, validate_strings=True)


class File(ClientOwned, Timestamped, Base):
    __tablename__ = "files"
    __table_args__ = (
        Index("ix_files_client_id_created_at", "client_id", "created_at"),
        Index("ix_files_project_id_created_at", "project_id", "created_at"),
        Index("ix_files_request_id_created_at", "request_id", "created_at"),
    )

    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    request_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    comment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FileKind] = mapped_column(_enum(FileKind), default=FileKind.upload)
    name: Mapped[str] = mapped_column(String(255))  # as uploaded, cleaned; shown and offered as the download name
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(127))  # sniffed from the bytes, never taken from the upload
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    shared: Mapped[bool] = mapped_column(default=False)  # the client's contacts see it
    uploaded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    uploaded_by_contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    uploader_name: Mapped[str] = mapped_column(String(200), default="")  # as shown, kept if the uploader leaves


class Deliverable(ClientOwned, Timestamped, Base):
    """A titled piece of work on a project, reviewed by the client version by version until approved."""

    __tablename__ = "deliverables"
    __table_args__ = (Index("ix_deliverables_project_id_created_at", "project_id", "created_at"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    milestone_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("milestones.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[DeliverableStatus] = mapped_column(_enum(DeliverableStatus), default=DeliverableStatus.draft)
    version: Mapped[int] = mapped_column(default=1)  # the latest version's number
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliverableVersion(ClientOwned, Timestamped, Base):
    __tablename__ = "deliverable_versions"
    __table_args__ = (UniqueConstraint("deliverable_id", "number"),)

    deliverable_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliverables.id", ondelete="CASCADE"))
    number: Mapped[int]
    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), index=True)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_by_name: Mapped[str] = mapped_column(String(200), default="")
    sent_at: Mapped[datetime | None]  # when it went to the client for review; the portal sees only sent versions


class Approval(ClientOwned, Base):
    """A contact's decision on one version, with the evidence: who, when, from where, and the exact bytes' hash."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_deliverable_id_decided_at", "deliverable_id", "decided_at"),)

    deliverable_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliverables.id", ondelete="CASCADE"))
    version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliverable_versions.id", ondelete="CASCADE"))
    version_number: Mapped[int]
    decision: Mapped[Decision] = mapped_column(_enum(Decision))
    comment: Mapped[str] = mapped_column(Text, default="")
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(400), default="")
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
