"""Scheduled jobs. Each job is one call into services/; `run-job NAME` and APScheduler run the same function."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from portal_app.settings import Settings
from services.card_payments import checkout, purchases, subscriptions, webhooks
from services.clients import magic_links, portal_sessions
from services.core import broadcast, job_runs, shared_state
from services.documents import making
from services.files import uploads
from services.mail import outbox
from services.projects import notifications
from services.staff import staff_sessions

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger("portico.jobs")

# A job due at start-up runs this many seconds after it: the server answers its first requests first.
FIRST_RUN_DELAY = 2.0


async def run_outbox() -> str:
    return f"sent {await outbox.send_due()} mail(s)"


async def run_purge() -> str:
    staff = await staff_sessions.purge_expired()
    portal = await portal_sessions.purge_expired()
    links = await magic_links.purge_expired()
    stripe_events = await webhooks.purge_events()
    shared = await shared_state.purge_expired()
    unfinished = await uploads.purge_unfinished()
    return (
        f"purged {staff} staff session(s), {portal} portal session(s), {links} sign-in link(s), "
        f"{stripe_events} Stripe event id(s), {shared} rate-limit hit(s) and ticket(s), "
        f"{unfinished} unfinished upload(s)"
    )


async def run_reminders() -> str:
    # Imported when the job runs: the reminders sweep imports SQLAlchemy's PostgreSQL dialect at module level
    # (about 0.1 s), and nothing else in `serve` needs the module before its first hourly run.
    from services.billing import reminders

    return f"queued reminders for {await reminders.sweep()} invoice(s)"


async def run_reconcile() -> str:
    settled = await checkout.reconcile() + await purchases.reconcile()
    result = f"settled {settled} Stripe session(s)"
    if renewed := await subscriptions.reconcile():  # said only when there is something to say: scripts read the line
        result += f", brought {renewed} subscription(s) up to date"
    return result


async def run_notifications() -> str:
    return f"queued {await notifications.send_digests()} notification digest(s)"


async def run_documents() -> str:
    return f"made {await making.make_all_due()} document(s)"


JOBS: dict[str, Callable[[], Awaitable[str]]] = {
    "outbox": run_outbox,
    "purge": run_purge,
    "reminders": run_reminders,
    "reconcile": run_reconcile,
    "notifications": run_notifications,
    "documents": run_documents,
}

# name -> seconds between runs inside `serve`
SCHEDULE: dict[str, int] = {
    "outbox": 60,  # retries; fresh mail is sent at once by the outbox worker
    "purge": 3600,
    "reminders": 3600,  # a step is due from the start of its day; an hourly sweep sends it early that day
    "reconcile": 300,  # sessions left without a webhook for five minutes are read back from Stripe
    "notifications": 60,  # digests wait ten minutes per contact and project; a minute's delay on top is fine
    "documents": 60,  # retries and missed wake-ups; a fresh document is made at once by the documents worker
}


async def run_scheduled(name: str) -> str:
    """The job as the scheduler runs it: only when no process has started it within its interval (SPEC §15)."""
    async with job_runs.claimed(name, SCHEDULE[name]) as won:
        if not won:
            return "skipped: another process ran it this interval"
        return await JOBS[name]()


def _logged(name: str) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            log.info("job %s: %s", name, await run_scheduled(name))
        except asyncio.CancelledError:
            # The process is stopping (the scheduler cancels what runs). Not an error: the run is recorded as
            # unfinished, and the next process to start takes it up at once. Ending here ends the job's own task.
            log.info("job %s stopped with the process; it runs again when a process starts", name)
        except Exception:
            log.exception("job %s failed", name)

    return run


class Background:
    """The scheduler and the outbox worker that live as long as `serve` (or `worker`). Every process may run them:
    each job runs once per interval across all (`run_scheduled`), and the outbox worker claims each mail."""

    def __init__(self) -> None:
        # APScheduler is imported by `serve` alone: `run-job` and the other commands never schedule anything.
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.scheduler: AsyncIOScheduler = AsyncIOScheduler(timezone="UTC")
        self.stop = asyncio.Event()
        self.worker: asyncio.Task[None] | None = None
        self.documents: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Each job first runs when the shared record says it is due (at once if it is overdue, never ran, or was
        # cut short), then every interval: restarting more often than an interval never starves a job.
        try:
            due = await job_runs.first_runs(SCHEDULE)
        except Exception:  # the database is not reachable yet: every job a first interval from now, as before
            log.exception("could not read when the jobs last ran")
            due = {}
        soonest = datetime.now(UTC) + timedelta(seconds=FIRST_RUN_DELAY)
        for name, seconds in SCHEDULE.items():
            start = max(due.get(name, soonest + timedelta(seconds=seconds)), soonest)
            # coalesce + max_instances=1: a slow run is never overlapped by the next, missed runs fold into one
            self.scheduler.add_job(
                _logged(name),
                "interval",
                seconds=seconds,
                start_date=start,
                id=name,
                coalesce=True,
                max_instances=1,
            )
        self.scheduler.start()
        self.worker = asyncio.create_task(outbox.run_worker(self.stop))
        self.documents = asyncio.create_task(making.run_worker(self.stop))

    async def shutdown(self) -> None:
        self.stop.set()
        for task in (self.worker, self.documents):
            if task:
                await task
        self.scheduler.shutdown(wait=False)


def live_changes(settings: Settings) -> broadcast.Broadcast | None:
    """This process's link to the others' live changes (not started yet); None with one process on SQLite."""
    carrier = broadcast.carrier_for(settings.resolved_database_url, settings.redis_url)
    return broadcast.Broadcast(carrier) if carrier is not None else None


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """`python main.py worker`: the scheduled jobs and the outbox worker, no web server, until `stop` is set. Web
    processes run with PORTAL_SCHEDULER_ENABLED=false; their queued mail reaches this worker as live changes."""
    linked = live_changes(settings)
    background = Background()
    if linked:
        linked.start()
    await background.start()
    log.info("worker running: %s", ", ".join(f"{name} every {s} s" for name, s in SCHEDULE.items()))
    try:
        await stop.wait()
    finally:
        await background.shutdown()
        if linked:
            await linked.stop()
