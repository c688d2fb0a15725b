"""The mail server goes away while Portico has mail to send, and comes back: every mail arrives exactly once.

The SMTP server is a real one on 127.0.0.1 (aiosmtpd), stopped and started again on its port by the test. While
it is away, sign-in links, a sent invoice, a payment reminder and card payment receipts are queued; the outbox
tries them, fails, and keeps every one for later with the reason; once the server is back they all go out, once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import OutboxMail
from models.mail import MailStatus
from services.billing import invoices, reminders
from services.clients import magic_links
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.mail import outbox
from tests.support.card_payments import Billed, connect
from tests.support.clock import T0
from tests.support.factories import make_world
from tests.support.invoicing import draft, make_billing
from tests.support.smtp import SmtpServer
from tests.support.stripe_standin import StripeStandIn


async def queued_mail() -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(OutboxMail).order_by(OutboxMail.created_at)))


async def test_mail_queued_while_the_server_is_down_arrives_exactly_once_when_it_is_back(
    database, smtp: SmtpServer, stripe_standin: StripeStandIn, at
) -> None:
    world = await make_world("acme")
    await make_billing(world.contact.id)
    await connect(stripe_standin, world)
    invoice = await draft(world.actor, world.client.id, "300.00", due=T0.date() + timedelta(days=14))

    with smtp.down():
        assert await magic_links.request_link(world.actor.org_id, world.contact.email, ip="203.0.113.9")
        await invoices.send_invoice(world.actor, invoice.id)
        at(timedelta(days=15))  # a day past due: the reminder of the due date goes out
        assert await reminders.sweep() == 1
        billed = Billed(world, invoice.id, world.portal_actor(), stripe_standin)
        assert (await billed.completed(await billed.pay())).result == "paid"

        queued = await queued_mail()
        subjects = " | ".join(m.subject for m in queued)
        for kind in ("Your sign-in link", "Invoice ", "Overdue: invoice", "Receipt: "):
            assert kind in subjects, subjects
        assert await outbox.send_due() == 0
        after_failure = await queued_mail()
        assert [m.status for m in after_failure] == [MailStatus.pending] * len(queued)  # kept, not dropped
        assert all(m.attempts == 1 and "refused" in m.last_error.lower() for m in after_failure), [
            m.last_error for m in after_failure
        ]
        at(timedelta(days=15, minutes=1))
        assert await outbox.send_due() == 0  # still away at the retry: still kept
    assert smtp.inbox.messages == []

    at(timedelta(days=15, minutes=10))  # past the second backoff
    assert await outbox.send_due() == len(queued)
    arrived = smtp.inbox.wait_for(len(queued))
    assert sorted(m["Message-ID"].strip("<>").split("@")[0] for m in arrived) == sorted(str(m.id) for m in queued)
    assert {m["Subject"] for m in arrived} == {m.subject for m in queued}

    at(timedelta(days=16))  # later passes find nothing more to send
    assert await outbox.send_due() == 0
    assert len(smtp.inbox.messages) == len(queued)
    assert all(m.status == MailStatus.sent for m in await queued_mail())


async def test_a_server_refusing_for_a_while_delays_mail_and_loses_none(database, smtp: SmtpServer, at) -> None:
    """Up but answering "try again later" (451) to the first deliveries: those wait their backoff, then go."""
    world = await make_world("acme")
    for n in range(4):
        assert await magic_links.request_link(world.actor.org_id, world.contact.email, ip=f"203.0.113.{n}")
    smtp.inbox.fail_next = 3
    assert await outbox.send_due() == 1
    assert len(smtp.inbox.wait_for(1)) == 1
    at(timedelta(minutes=2))
    assert await outbox.send_due() == 3
    arrived = smtp.inbox.wait_for(4)
    assert len({m["Message-ID"] for m in arrived}) == 4
    assert await outbox.send_due() == 0
