"""When each scheduled job last started and finished, in any process: what makes a job run once per interval
across them, and a run cut short (its process killed) start again as soon as a process comes back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class JobRun(Base):
    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime]
    # None while a run is under way, and after one that never finished: its process died or was stopped mid-run.
    finished_at: Mapped[datetime | None]
    process: Mapped[str] = mapped_column(String(80), default="")  # host and pid of the process that ran it
