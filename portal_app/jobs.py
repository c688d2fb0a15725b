"""Scheduled jobs. Each job is one call into services/; `run-job NAME` and APScheduler run the same function."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from services.card_payments import checkout, purchases, subscriptions, webhooks
from services.clients import magic_links, portal_sessions
from services.mail import outbox
from services.projects import notifications
from services.staff import staff_sessions

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger("portico.jobs")


async def run_outbox() -> str:
    return f"sent {await outbox.send_due()} mail(s)"


async def run_purge() -> str:
    staff = await staff_sessions.purge_expired()
    portal = await portal_sessions.purge_expired()
    links = await magic_links.purge_expired()
    stripe_events = await webhooks.purge_events()
    return (
        f"purged {staff} staff session(s), {portal} portal session(s), {links} sign-in link(s), "
        f"{stripe_events} Stripe event id(s)"
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


JOBS: dict[str, Callable[[], Awaitable[str]]] = {
    "outbox": run_outbox,
    "purge": run_purge,
    "reminders": run_reminders,
    "reconcile": run_reconcile,
    "notifications": run_notifications,
}

# name -> seconds between runs inside `serve`
SCHEDULE: dict[str, int] = {
    "outbox": 60,  # retries; fresh mail is sent at once by the outbox worker
    "purge": 3600,
    "reminders": 3600,  # a step is due from the start of its day; an hourly sweep sends it early that day
    "reconcile": 300,
    "notifications": 60,  # digests wait ten minutes per contact and project; a minute's delay on top is fine  # sessions left without a webhook for five minutes are read back from Stripe
}


def _logged(name: str) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            log.info("job %s: %s", name, await JOBS[name]())
        except Exception:
            log.exception("job %s failed", name)

    return run


class Background:
    """The scheduler and the outbox worker that live as long as `serve`."""

    def __init__(self) -> None:
        # APScheduler is imported by `serve` alone: `run-job` and the other commands never schedule anything.
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.scheduler: AsyncIOScheduler = AsyncIOScheduler(timezone="UTC")
        self.stop = asyncio.Event()
        self.worker: asyncio.Task[None] | None = None

    def start(self) -> None:
        for name, seconds in SCHEDULE.items():
            # coalesce + max_instances=1: a slow run is never overlapped by the next, missed runs fold into one
            self.scheduler.add_job(_logged(name), "interval", seconds=seconds, id=name, coalesce=True, max_instances=1)
        self.scheduler.start()
        self.worker = asyncio.create_task(outbox.run_worker(self.stop))

    async def shutdown(self) -> None:
        self.stop.set()
        if self.worker:
            await self.worker
        self.scheduler.shutdown(wait=False)
