"""Scheduled jobs run once per interval across all processes (SPEC §15).

Every `serve` process may run the scheduler (or one `python main.py worker` does, with it off on the others).
When a job's timer fires, the process tries to claim the run:

- on PostgreSQL it first takes the job's advisory lock, held on a connection of its own for the whole run: while
  one process runs a job, no other starts it (a run longer than its interval is never overlapped);
- then the start is recorded by a conditional UPDATE, only when the job's last start (in any process) was at least
  the interval ago, less a small margin for timers that drift: two processes whose timers fire together, one
  after the other, make one run.

Only the process whose claim succeeds runs the job. On SQLite there is one process; the UPDATE is the same.
"""

from __future__ import annotations

import os
import socket
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import text, update

from models.scheduling import JobRun
from services.core import clock
from services.core.actors import SystemActor
from services.core.db import get_database, insert_or_skip, rows_affected, unit_of_work

# A run that started this much less than an interval ago still counts for the interval: timers in two processes
# never fire at exactly the same moment.
MARGIN = 0.1
PROCESS = f"{socket.gethostname()}:{os.getpid()}"[:80]
NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def lock_key(name: str) -> int:
    """The job's advisory lock: a stable 32-bit number from its name, in a namespace of Portico's own."""
    return zlib.crc32(f"portico.job.{name}".encode())


@asynccontextmanager
async def claimed(name: str, interval_seconds: float, now: datetime | None = None) -> AsyncIterator[bool]:
    """Whether this process runs `name` now (its start recorded); the job runs inside the block, under its lock."""
    engine = get_database().engine
    if engine.dialect.name != "postgresql":
        yield await _record_start(name, interval_seconds, now)
        return
    async with engine.connect() as connection:
        key = {"key": lock_key(name)}
        if not await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), key):
            yield False  # running in another process right now
            return
        try:
            yield await _record_start(name, interval_seconds, now)
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
            await connection.commit()


async def claim(name: str, interval_seconds: float, now: datetime | None = None) -> bool:
    """`claimed` for a job that has nothing to run under the lock (tests, and a quick look)."""
    async with claimed(name, interval_seconds, now) as won:
        return won


async def _record_start(name: str, interval_seconds: float, now: datetime | None) -> bool:
    now = now or clock.now()
    async with unit_of_work(SystemActor(label="scheduler")) as session:
        await session.execute(
            insert_or_skip(session, JobRun.__table__, ["name"], JobRun.__table__.c.name).values(
                name=name, started_at=NEVER, process=""
            )
        )
        result = await session.execute(
            update(JobRun)
            .where(JobRun.name == name, JobRun.started_at <= now - timedelta(seconds=interval_seconds * (1 - MARGIN)))
            .values(started_at=now, process=PROCESS)
            .execution_options(synchronize_session=False)
        )
        return rows_affected(result) == 1
