"""Scheduled jobs run once per interval across all processes (SPEC §15).

Every `serve` process may run the scheduler (or one `python main.py worker` does, with it off on the others).
When a job's timer fires, the process tries to claim the run:

- on PostgreSQL it first takes the job's advisory lock, held on a connection of its own for the whole run: while
  one process runs a job, no other starts it (a run longer than its interval is never overlapped);
- then the start is recorded by a conditional UPDATE, only when the job's last start (in any process) was at least
  the interval ago, less a small margin for timers that drift: two processes whose timers fire together, one
  after the other, make one run.

Only the process whose claim succeeds runs the job. On SQLite there is one process; the UPDATE is the same.

A run records when it finished. One that never did (its process was killed, or stopped mid-run) may be claimed
again at once rather than an interval after it started: on PostgreSQL the advisory lock shows its runner is gone
(a dead connection's locks are released), and on SQLite the run is another process's, or this process's before
a restart. Every job is safe to run again (each claims its own work: a reminder step, a mail, a Stripe session),
so the run picks up what the cut-short one left. When a process starts, `first_runs` says when each job is next
due by that record, so restarts neither delay a job by a whole interval nor starve an hourly one.
"""

from __future__ import annotations

import os
import socket
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update

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
        async with _finished_when_done(name, await _record_start(name, interval_seconds, now)) as won:
            yield won
        return
    async with engine.connect() as connection:
        key = {"key": lock_key(name)}
        if not await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), key):
            yield False  # running in another process right now
            return
        try:
            async with _finished_when_done(name, await _record_start(name, interval_seconds, now)) as won:
                yield won
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
            await connection.commit()


async def claim(name: str, interval_seconds: float, now: datetime | None = None) -> bool:
    """`claimed` for a job that has nothing to run under the lock (tests, and a quick look)."""
    async with claimed(name, interval_seconds, now) as won:
        return won


@asynccontextmanager
async def _finished_when_done(name: str, won: bool) -> AsyncIterator[bool]:
    """The run's end recorded when the job returns or fails; not when it is cancelled (the process stopping
    mid-run), which leaves it unfinished, to be taken up by the next process that starts."""
    try:
        yield won
    except Exception:
        if won:
            await _record_finish(name)
        raise
    if won:
        await _record_finish(name)


async def _record_start(name: str, interval_seconds: float, now: datetime | None) -> bool:
    now = now or clock.now()
    due = JobRun.started_at <= now - timedelta(seconds=interval_seconds * (1 - MARGIN))
    # Cut short: unfinished and not this process's run under way (APScheduler never overlaps a job in a process).
    cut_short = JobRun.finished_at.is_(None) & (JobRun.process != PROCESS)
    async with unit_of_work(SystemActor(label="scheduler")) as session:
        await session.execute(
            insert_or_skip(session, JobRun.__table__, ["name"], JobRun.__table__.c.name).values(
                name=name, started_at=NEVER, finished_at=NEVER, process=""
            )
        )
        result = await session.execute(
            update(JobRun)
            .where(JobRun.name == name, due | cut_short)
            .values(started_at=now, finished_at=None, process=PROCESS)
            .execution_options(synchronize_session=False)
        )
        return rows_affected(result) == 1


async def _record_finish(name: str) -> None:
    async with unit_of_work(SystemActor(label="scheduler")) as session:
        await session.execute(
            update(JobRun)
            .where(JobRun.name == name, JobRun.process == PROCESS, JobRun.finished_at.is_(None))
            .values(finished_at=clock.now())
            .execution_options(synchronize_session=False)
        )


async def first_runs(schedule: dict[str, int], now: datetime | None = None) -> dict[str, datetime]:
    """When each job is next due, by the record: an interval after its last start, at once when that has passed,
    when it never ran, or when its last run never finished."""
    now = now or clock.now()
    async with unit_of_work(SystemActor(label="scheduler")) as session:
        runs = {run.name: run for run in await session.scalars(select(JobRun).where(JobRun.name.in_(schedule)))}
    due: dict[str, datetime] = {}
    for name, seconds in schedule.items():
        run = runs.get(name)
        if run is None or run.finished_at is None:
            due[name] = now
        else:
            due[name] = max(now, run.started_at + timedelta(seconds=seconds))
    return due
