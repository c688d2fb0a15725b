"""Time staff spend on a client's projects, its approval, and the hours a client sees and is billed for.

An entry is submitted, then approved or rejected by an owner, an admin or the project's lead; only approved
billable entries are billed, each at most once (`invoice_id`, set by one conditional UPDATE). The scoping hook
shows a portal actor approved entries only; the services never hand it a rate, a cost or an internal note.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, ClientOwned, Timestamped


class TimeStatus(enum.StrEnum):
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"


class TimeEntry(ClientOwned, Timestamped, Base):
    __tablename__ = "time_entries"
    __table_args__ = (
        CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes_in_a_day"),
        # Every index leads with the organization: the scoping hook adds `org_id = ?` to every query, and SQLite,
        # without statistics, takes the index that matches the most leading columns.
        # the approval queue (organization, status, oldest days first) and the staff time lists
        Index("ix_time_entries_org_id_status_work_date", "org_id", "status", "work_date"),
        # a project's totals by status, its unbilled approved hours, the portal's hours of one project
        Index("ix_time_entries_org_id_project_id_status_work_date", "org_id", "project_id", "status", "work_date"),
        # the portal's Hours page: a client's approved entries in a date range
        Index("ix_time_entries_org_id_client_id_status_work_date", "org_id", "client_id", "status", "work_date"),
        # my week
        Index("ix_time_entries_org_id_user_id_work_date", "org_id", "user_id", "work_date"),
        # the hours an invoice bills, released when it is voided or its draft deleted
        Index("ix_time_entries_org_id_invoice_id", "org_id", "invoice_id"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    user_name: Mapped[str] = mapped_column(String(200), default="")  # who did it, kept if they leave
    work_date: Mapped[date]
    minutes: Mapped[int]
    description: Mapped[str] = mapped_column(String(500))
    note: Mapped[str] = mapped_column(String(1000), default="")  # internal: never shown to the client
    billable: Mapped[bool] = mapped_column(default=True)
    status: Mapped[TimeStatus] = mapped_column(
        Enum(TimeStatus, native_enum=False, length=16, validate_strings=True), default=TimeStatus.submitted
    )
    decided_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    reject_reason: Mapped[str] = mapped_column(String(500), default="")
    # the invoice that bills it; cleared when that draft is deleted or the invoice voided
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
    questioned: Mapped[bool] = mapped_column(default=False)
    question_request_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("requests.id", ondelete="SET NULL"))
