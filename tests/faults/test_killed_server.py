"""`serve` killed outright (SIGKILL: no shutdown, no cleanup) in the middle of a reminder sweep, of sending the
outbox, and of handling a Stripe webhook; then started again. Afterwards every reminder, mail and payment exists
exactly once: none twice, none missing.

Each kill lands at a known moment, not at a random one: the test holds a PostgreSQL lock the server's work needs
(or the SMTP server holds the conversation), waits until the server is seen waiting on it, and kills it there.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from models import JobRun, OutboxMail, Payment, ReminderSent, StripeEvent
from models.mail import MailStatus
from services.card_payments import checkout
from services.core import db
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.documents import wording
from services.mail import outbox
from tests.support.card_payments import connect, session_id_of
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import draft, make_billing, mark_sent
from tests.support.live import LiveServer, start_server
from tests.support.pages import eventually
from tests.support.smtp import SmtpServer
from tests.support.stripe_standin import StripeStandIn

pytestmark = pytest.mark.postgres

INVOICES = 10


@pytest.fixture
async def shared_db(postgres_url: str) -> AsyncIterator[str]:
    """The database the servers and this test share."""
    db.configure(postgres_url)
    yield postgres_url
    await db.close()


class Serving:
    """Start `serve` on the database (again and again), and kill it."""

    def __init__(self, url: str, var: Path, env: dict[str, str]) -> None:
        self.url, self.var, self.env = url, var, env
        self.server: LiveServer | None = None
        self.starts = 0

    async def start(self) -> LiveServer:
        self.starts += 1
        env = {"PORTAL_SECRET_KEY": "test-secret-key", **self.env}
        self.server = await asyncio.to_thread(start_server, self.url, self.var / f"run-{self.starts}", env)
        return self.server

    def kill(self) -> None:
        assert self.server is not None
        self.server.process.kill()  # SIGKILL
        self.server.process.wait(timeout=30)
        self.server = None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


@pytest.fixture
async def serving(shared_db: str, tmp_path: Path, smtp_server: SmtpServer) -> AsyncIterator[Callable[..., Serving]]:
    started: list[Serving] = []
    smtp_server.inbox.clear()

    def make(**env: str) -> Serving:
        serving = Serving(shared_db, tmp_path, {"PORTAL_SMTP_URL": smtp_server.url, **env})
        started.append(serving)
        return serving

    yield make
    smtp_server.inbox.release()
    for serving in started:
        await asyncio.to_thread(serving.stop)


async def waiting_on_a_lock() -> bool:
    """Whether a session of the server is blocked on a lock this test holds."""
    async with db.get_database().engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
        )
    return bool(waiting)


# --- a reminder sweep ---------------------------------------------------------------------------------------------


async def overdue_invoices(world: OrgWorld) -> list[uuid.UUID]:
    """Sent 20 days ago, due 2 days ago (real dates: the server's clock is the real one): each has its due-date
    reminder to go out."""
    today = datetime.now(UTC).date()
    await make_billing(world.contact.id)
    ids = []
    for _ in range(INVOICES):
        made = await draft(
            world.actor, world.client.id, "90.00", issue=today - timedelta(days=20), due=today - timedelta(days=2)
        )
        await mark_sent(made.id, datetime.now(UTC) - timedelta(days=20))
        ids.append(made.id)
    return ids


async def test_a_sweep_killed_midway_is_taken_up_on_restart_and_reminds_each_invoice_once(
    serving, smtp_server: SmtpServer
) -> None:
    world = await make_world("acme")
    invoice_ids = await overdue_invoices(world)
    first = serving()
    async with db.get_database().engine.connect() as lock:
        # A reminder row of the test's own, not committed, for one invoice's step: the sweep's claiming INSERT
        # waits on it, inside the sweep's transaction.
        await lock.execute(
            text(
                "INSERT INTO reminders_sent (id, org_id, invoice_id, step, sent_at) "
                "VALUES (:id, :org, :invoice, 0, now())"
            ),
            {"id": uuid.uuid4(), "org": world.actor.org_id, "invoice": invoice_ids[3]},
        )
        await first.start()  # the sweep has never run: it runs right after start-up
        await eventually(waiting_on_a_lock, timeout=60)
        first.kill()
        await lock.rollback()
    assert await count(ReminderSent) == 0  # the killed sweep's transaction never committed
    assert await count(OutboxMail, OutboxMail.subject.startswith("Overdue")) == 0
    async with unit_of_work(SystemActor()) as session:
        run = await session.get(JobRun, "reminders")
    assert run is not None and run.finished_at is None  # cut short, and the record says so

    await serving().start()  # the cut-short sweep runs again at once, not an hour later
    reminders = smtp_server.inbox.wait_for(INVOICES, timeout=60)
    await eventually(lambda: finished("reminders"), timeout=60)
    assert await count(ReminderSent) == INVOICES
    assert sorted(r for r in await reminded_invoices()) == sorted(invoice_ids)
    assert await count(OutboxMail, OutboxMail.subject.startswith("Overdue")) == INVOICES
    await eventually(lambda: all_sent(), timeout=60)
    assert len([m for m in smtp_server.inbox.messages if m["Subject"].startswith("Overdue")]) == INVOICES
    assert len(reminders) == INVOICES


async def finished(job: str) -> bool:
    async with unit_of_work(SystemActor()) as session:
        run = await session.get(JobRun, job)
        return run is not None and run.finished_at is not None


async def reminded_invoices() -> list[uuid.UUID]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(ReminderSent.invoice_id)))


async def all_sent() -> bool:
    return await count(OutboxMail, OutboxMail.status != MailStatus.sent) == 0


# --- the outbox ---------------------------------------------------------------------------------------------------


async def test_an_outbox_killed_mid_conversation_sends_every_mail_once_after_restart(
    serving, smtp_server: SmtpServer
) -> None:
    world = await make_world("acme")
    # Only the six mails below: the project's welcome packet (and its mail) is not made in this organization.
    await wording.save_wording(world.actor, "welcome", enabled=False, title="", intro="", closing="")
    async with unit_of_work(SystemActor()) as session:
        for n in range(6):
            outbox.queue(
                session, to=f"person{n}@client.test", subject=f"Mail {n}", text="Hello", org_id=world.actor.org_id
            )
    smtp_server.inbox.hold_after(2)  # the third conversation stops at its recipient: nothing of it handed over
    first = serving()
    await first.start()
    assert await asyncio.to_thread(smtp_server.inbox.holding.wait, 60)
    first.kill()
    smtp_server.inbox.release()
    assert len(smtp_server.inbox.messages) == 2
    statuses = await mail_statuses()
    assert sorted(statuses.values()) == sorted([MailStatus.sent] * 2 + [MailStatus.sending] + [MailStatus.pending] * 3)

    # The killed process's claim is left for the claim timeout, in case it is only slow, not dead: move it that
    # far back, as ten minutes passing would.
    async with unit_of_work(SystemActor()) as session:
        [claimed] = await session.scalars(select(OutboxMail).where(OutboxMail.status == MailStatus.sending))
        assert claimed.claimed_at is not None
        claimed.claimed_at -= outbox.CLAIM_TIMEOUT
    await serving().start()
    arrived = smtp_server.inbox.wait_for(6, timeout=60)
    await eventually(all_sent, timeout=60)
    assert len(smtp_server.inbox.messages) == 6
    assert sorted(m["Subject"] for m in arrived) == [f"Mail {n}" for n in range(6)]
    assert len({m["Message-ID"] for m in arrived}) == 6


async def mail_statuses() -> dict[str, MailStatus]:
    async with unit_of_work(SystemActor()) as session:
        return {row.subject: row.status for row in await session.scalars(select(OutboxMail))}


# --- a webhook ----------------------------------------------------------------------------------------------------


async def test_a_webhook_killed_mid_transaction_is_applied_once_when_stripe_delivers_it_again(
    serving, stripe_standin: StripeStandIn
) -> None:
    world = await make_world("acme")
    await connect(stripe_standin, world)
    await make_billing(world.contact.id)
    invoice = await draft(world.actor, world.client.id, "250.00")
    await mark_sent(invoice.id)
    url = await checkout.start_portal_checkout(world.portal_actor(), invoice.id)
    session_id = session_id_of(url)
    stripe_standin.complete(session_id)  # paid at Stripe; the webhook is on its way
    event = stripe_standin.event("checkout.session.completed", session_id)
    env = stripe_standin.serve_environment()
    first = serving(**env)
    server = await first.start()
    async with db.get_database().engine.connect() as lock:
        await lock.execute(text("SELECT id FROM invoices WHERE id = :id FOR UPDATE"), {"id": invoice.id})
        delivery = asyncio.create_task(
            asyncio.to_thread(stripe_standin.deliver, event, f"{server.url}/webhooks/stripe")
        )
        await eventually(waiting_on_a_lock, timeout=60)
        first.kill()
        cut = await delivery
        await lock.rollback()
    assert cut.status == 0 and cut.error  # Stripe got no answer: it will deliver the event again
    assert await count(Payment) == 0
    assert await count(StripeEvent) == 0  # the event's id was claimed in the transaction that died with it

    server = await serving(**env).start()
    again = await asyncio.to_thread(stripe_standin.deliver, event, f"{server.url}/webhooks/stripe")
    assert again.status == 200 and json.loads(again.body) == {"received": True, "result": "paid"}, again
    mails = await count(OutboxMail)
    once_more = await asyncio.to_thread(stripe_standin.deliver, event, f"{server.url}/webhooks/stripe")
    assert once_more.status == 200 and json.loads(once_more.body)["result"] == "duplicate", once_more
    assert await count(Payment) == 1
    assert await count(OutboxMail) == mails  # the duplicate mailed no one
    receipts = OutboxMail.subject.startswith("Receipt:"), OutboxMail.to_addr == world.contact.email
    assert await count(OutboxMail, *receipts) == 1
