from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, ClientOwned, Timestamped


class ProjectStatus(enum.StrEnum):
    planned = "planned"
    active = "active"
    on_hold = "on_hold"
    completed = "completed"
    cancelled = "cancelled"


class Project(ClientOwned, Timestamped, Base):
    __tablename__ = "projects"
    __table_args__ = (
        Index("ix_projects_org_id_status", "org_id", "status"),
        Index("ix_projects_org_id_created_at", "org_id", "created_at"),
        Index("ix_projects_client_id_created_at", "client_id", "created_at"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(4000), default="")
    status: Mapped[ProjectStatus] = mapped_column(
        Enum(ProjectStatus, native_enum=False, length=16, validate_strings=True), default=ProjectStatus.active
    )
    phase: Mapped[str] = mapped_column(String(100), default="")
    lead_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    start_date: Mapped[date | None]
    due_date: Mapped[date | None]
    # Percent done: from the milestones (done of all), unless staff set it by hand.
    progress_manual: Mapped[int | None]
    # Time (services.time): the hourly rate hours are billed at (minor units of `rate_currency`), and the budget in
    # hours the client sees used up. Rates stay on the staff side.
    hourly_rate_minor: Mapped[int | None] = mapped_column(BigInteger)
    rate_currency: Mapped[str] = mapped_column(String(3), default="", server_default="")
    budget_minutes: Mapped[int | None]
