"""Each scheduled job runs once per interval across processes: the claim, concurrent claims, and two real
processes whose timers fire together."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from models import JobRun
from portal_app import jobs
from services.core import broadcast, clock, db, job_runs
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.mail import outbox
from tests.support.clock import T0
from tests.support.smtp import SmtpServer

ROOT = Path(__file__).resolve().parents[3]


async def test_a_job_is_claimed_once_per_interval(database, at) -> None:
    assert await job_runs.claim("reminders", 3600)
    assert not await job_runs.claim("reminders", 3600)
    assert await job_runs.claim("purge", 3600)  # each job on its own
    at(timedelta(minutes=50))  # not yet: within the interval
    assert not await job_runs.claim("reminders", 3600)
    at(timedelta(minutes=55))  # within the margin of timers that drift: due
    assert await job_runs.claim("reminders", 3600)
    async with unit_of_work(SystemActor()) as session:
        run = await session.scalar(select(JobRun).where(JobRun.name == "reminders"))
    assert run is not None and run.started_at == clock.now() and run.process == job_runs.PROCESS


async def test_timers_firing_together_make_one_run(database) -> None:
    claims = await asyncio.gather(*(job_runs.claim("reconcile", 300) for _ in range(6)))
    assert sorted(claims) == [False] * 5 + [True]


async def record_of(name: str) -> JobRun:
    async with unit_of_work(SystemActor()) as session:
        run = await session.get(JobRun, name)
        assert run is not None
        return run


async def test_a_run_records_its_end_even_when_the_job_fails_but_not_when_it_is_cut_short(database, at) -> None:
    async with job_runs.claimed("reminders", 3600) as won:
        assert won and (await record_of("reminders")).finished_at is None  # under way
    assert (await record_of("reminders")).finished_at == clock.now()
    at(timedelta(hours=1))
    with pytest.raises(RuntimeError):
        async with job_runs.claimed("reminders", 3600) as won:
            raise RuntimeError("the job failed")
    assert (await record_of("reminders")).finished_at == clock.now()  # it ran, and ended: next run on schedule
    at(timedelta(hours=2))
    with pytest.raises(asyncio.CancelledError):
        async with job_runs.claimed("reminders", 3600) as won:
            raise asyncio.CancelledError  # the process stopping mid-run
    assert (await record_of("reminders")).finished_at is None


async def test_a_run_cut_short_in_another_process_is_claimed_again_at_once(database, at) -> None:
    assert await job_runs.claim("reminders", 3600)
    async with unit_of_work(SystemActor()) as session:  # that run's process died before it finished
        await session.execute(update(JobRun).values(finished_at=None, process="elsewhere:123"))
    at(timedelta(minutes=1))
    assert await job_runs.claim("reminders", 3600)  # not an hour after it started: now
    assert not await job_runs.claim("reminders", 3600)  # and then once per interval again
    assert (await record_of("reminders")).process == job_runs.PROCESS


async def test_first_runs_follow_the_record(database, at) -> None:
    schedule = {"reminders": 3600, "purge": 3600, "outbox": 60}
    assert await job_runs.first_runs(schedule) == dict.fromkeys(schedule, clock.now())  # never ran: due now
    assert await job_runs.claim("reminders", 3600) and await job_runs.claim("purge", 3600)
    async with unit_of_work(SystemActor()) as session:
        await session.execute(update(JobRun).where(JobRun.name == "purge").values(finished_at=None, process="x:1"))
    at(timedelta(minutes=20))
    due = await job_runs.first_runs(schedule)
    assert due["reminders"] == T0 + timedelta(hours=1)  # an interval after it last started, not after this start
    assert due["purge"] == clock.now()  # cut short: at once
    assert due["outbox"] == clock.now()
    at(timedelta(hours=3))
    assert (await job_runs.first_runs(schedule))["reminders"] == clock.now()  # overdue: at once


async def test_a_job_stopped_with_its_process_is_no_error_and_is_left_for_the_next_process(
    database, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="portico.jobs")
    started = asyncio.Event()

    async def long_job() -> str:
        started.set()
        await asyncio.Event().wait()  # until cancelled, as a scheduler shutting down cancels what runs
        return ""

    monkeypatch.setitem(jobs.JOBS, "purge", long_job)
    run: asyncio.Future[None] = asyncio.ensure_future(jobs._logged("purge")())
    await started.wait()
    run.cancel()
    await run  # the job's task ends; nothing is raised to the scheduler, which would log it as an error
    assert [r.levelname for r in caplog.records if r.name == "portico.jobs"] == ["INFO"]
    assert (await record_of("purge")).finished_at is None  # cut short: the next process runs it at once


def run_job(name: str, database_url: str, var_dir: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_VAR_DIR": str(var_dir),
        "PORTAL_SECRET_KEY": "test-secret-key",
        "PORTAL_BASE_URL": "http://portico.test",
    }
    return subprocess.Popen(
        [sys.executable, "main.py", "run-job", name, "--scheduled"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
async def test_two_processes_starting_a_job_at_once_run_it_once(postgres_url: str, tmp_path: Path) -> None:
    db.configure(postgres_url)
    try:
        both = [run_job("purge", postgres_url, tmp_path / name) for name in ("a", "b")]
        outputs = [process.communicate(timeout=120) for process in both]
        assert [process.returncode for process in both] == [0, 0], outputs
        last_lines = sorted(out.strip().splitlines()[-1] for out, _ in outputs)
        assert last_lines[0].startswith("purged ") and last_lines[1].startswith("skipped: another process"), outputs
        async with unit_of_work(SystemActor()) as session:
            runs = list(await session.scalars(select(JobRun)))
        assert [run.name for run in runs] == ["purge"]
    finally:
        await db.close()


@pytest.mark.postgres
async def test_a_worker_process_sends_mail_queued_by_a_web_process_at_once(
    postgres_url: str, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    """Web processes run without the scheduler; the worker hears their MailQueued over LISTEN/NOTIFY and sends the
    mail then, not at its next idle wake-up (30 s)."""
    smtp_server.inbox.clear()
    db.configure(postgres_url)
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": postgres_url,
        "PORTAL_VAR_DIR": str(tmp_path / "worker"),
        "PORTAL_SECRET_KEY": "test-secret-key",
        "PORTAL_SMTP_URL": smtp_server.url,
    }
    worker = subprocess.Popen(
        [sys.executable, "main.py", "worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    web = broadcast.Broadcast(broadcast.carrier_for(postgres_url, ""))  # type: ignore[arg-type]
    web.start()
    try:
        await asyncio.wait_for(_listening_elsewhere(), timeout=60)
        async with unit_of_work(SystemActor(label="web")) as session:
            outbox.queue(session, to="ana@client.test", subject="Your sign-in link", text="Hello", org_id=None)
        [mail] = await asyncio.to_thread(smtp_server.inbox.wait_for, 1, timeout=20)
        assert mail["Subject"] == "Your sign-in link"
    finally:
        await web.stop()
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
        await db.close()
    assert worker.returncode == 0, output


async def _listening_elsewhere() -> None:
    """Until another connection (the worker's) LISTENs for live changes."""
    while True:
        async with unit_of_work(SystemActor()) as session:
            found = await session.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()")
            )
        if found:
            return
        await asyncio.sleep(0.1)
