"""The mail outbox: queued with the change, sent once, retried with backoff, safe with two workers."""

from __future__ import annotations

import asyncio
import email
import email.policy
import random
import string
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from models import OutboxMail
from models.mail import MailStatus
from services.core import db
from services.core.actors import SystemActor
from services.core.common import one_line
from services.core.db import unit_of_work
from services.mail import outbox
from tests.support.clock import T0
from tests.support.factories import make_org
from tests.support.mail import plain_text


async def queue(count: int = 1, **overrides) -> list[uuid.UUID]:
    async with unit_of_work(SystemActor(label="test")) as session:
        for n in range(count):
            values = {"to": f"client{n}@example.test", "subject": f"Hello {n}", "text": f"Body {n}"} | overrides
            outbox.queue(session, **values)
        await session.flush()
        rows = await session.scalars(select(OutboxMail.id).order_by(OutboxMail.subject))
        return list(rows)


async def rows() -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(OutboxMail).order_by(OutboxMail.subject)))


async def set_row(mail_id: uuid.UUID, **values) -> None:
    async with unit_of_work(SystemActor()) as session:
        await session.execute(update(OutboxMail).where(OutboxMail.id == mail_id).values(**values))


def message_id(mail_id: uuid.UUID) -> str:
    return f"<{mail_id}@portico>"


async def test_queued_mail_is_sent_exactly_once(database, smtp, at):
    [mail_id] = await queue(to="jane@client.test", subject="Your invoice", text="Pay here", html="<p>Pay here</p>")
    [row] = await rows()
    assert (row.status, row.attempts, row.next_attempt_at) == (MailStatus.pending, 0, T0)

    assert await outbox.send_due() == 1
    [msg] = smtp.inbox.wait_for(1)
    assert (msg["To"], msg["Subject"], msg["From"]) == (
        "jane@client.test",
        "Your invoice",
        "Portico <portico@agency.test>",
    )
    assert msg["Message-ID"] == message_id(mail_id)
    assert msg.get_body(("plain",)).get_content().strip() == "Pay here"
    assert msg.get_body(("html",)).get_content().strip() == "<p>Pay here</p>"
    [row] = await rows()
    assert (row.status, row.attempts, row.sent_at, row.last_error) == (MailStatus.sent, 1, T0, "")

    assert await outbox.send_due() == 0
    assert len(smtp.inbox.messages) == 1  # send_due returns after the server accepted: nothing is in flight


async def test_rolled_back_transaction_queues_nothing(database, smtp, at):
    with pytest.raises(RuntimeError):
        async with unit_of_work(SystemActor()) as session:
            outbox.queue(session, to="jane@client.test", subject="Never", text="Never")
            await session.flush()
            raise RuntimeError("the change failed")
    assert await rows() == []
    assert await outbox.send_due() == 0
    assert smtp.inbox.messages == []


async def test_failed_delivery_is_retried_with_backoff(database, smtp, at):
    [mail_id] = await queue()
    smtp.inbox.fail_next = 1
    assert await outbox.send_due() == 0
    [row] = await rows()
    assert (row.status, row.attempts, row.next_attempt_at) == (MailStatus.pending, 1, T0 + outbox.backoff(1))
    assert "451" in row.last_error
    assert smtp.inbox.messages == []

    at(outbox.backoff(1) - timedelta(seconds=1))
    assert await outbox.send_due() == 0  # not due yet
    at(outbox.backoff(1))
    assert await outbox.send_due() == 1
    [msg] = smtp.inbox.wait_for(1)
    assert msg["Message-ID"] == message_id(mail_id)
    [row] = await rows()
    assert (row.status, row.attempts, row.last_error) == (MailStatus.sent, 2, "")


def test_backoff_grows_and_is_capped():
    assert [outbox.backoff(n) for n in (0, 1, 2, 3)] == [timedelta(seconds=s) for s in (30, 30, 60, 120)]
    assert outbox.backoff(30) == outbox.MAX_DELAY
    assert outbox.backoff(outbox.MAX_ATTEMPTS) == outbox.MAX_DELAY  # large counts must not overflow timedelta
    assert outbox.backoff(10_000) == outbox.MAX_DELAY


async def test_gives_up_after_the_last_attempt(database, smtp, at):
    [mail_id] = await queue()
    await set_row(mail_id, attempts=outbox.MAX_ATTEMPTS - 1)
    smtp.inbox.fail_next = 1
    assert await outbox.send_due() == 0
    [row] = await rows()
    assert (row.status, row.attempts) == (MailStatus.failed, outbox.MAX_ATTEMPTS)
    at(timedelta(days=7))
    assert await outbox.send_due() == 0
    assert smtp.inbox.messages == []


async def test_file_transport_writes_an_eml(database, file_outbox, at):
    [mail_id] = await queue(to="jane@client.test", subject="Sign in", text="Your code: 123456")
    assert await outbox.send_due() == 1
    [path] = list(file_outbox.glob("*.eml"))
    assert str(mail_id) in path.name
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert (msg["To"], msg["Subject"], msg["Message-ID"]) == ("jane@client.test", "Sign in", message_id(mail_id))
    assert "Your code: 123456" in plain_text(msg)
    assert (await rows())[0].status == MailStatus.sent
    assert await outbox.send_due() == 0
    assert len(list(file_outbox.glob("*.eml"))) == 1


async def test_stale_claim_is_retried_and_fresh_one_is_not(database, smtp, at):
    stale, fresh = await queue(2)
    await set_row(stale, status=MailStatus.sending, claimed_at=T0 - outbox.CLAIM_TIMEOUT - timedelta(seconds=1))
    await set_row(fresh, status=MailStatus.sending, claimed_at=T0 - outbox.CLAIM_TIMEOUT + timedelta(seconds=1))
    assert await outbox.send_due() == 1
    [msg] = smtp.inbox.wait_for(1)
    assert msg["Message-ID"] == message_id(stale)
    assert [(r.id, r.status) for r in await rows()] == [(stale, MailStatus.sent), (fresh, MailStatus.sending)]


async def test_resend_after_a_crash_keeps_the_message_id(database, smtp, at):
    """A worker that dies after the server accepted a mail but before marking it sent: the retry has the same id."""
    [mail_id] = await queue()
    assert await outbox.send_due() == 1
    await set_row(mail_id, status=MailStatus.sending, claimed_at=T0, sent_at=None)
    at(outbox.CLAIM_TIMEOUT)
    assert await outbox.send_due() == 1
    first, second = smtp.inbox.wait_for(2)
    assert first["Message-ID"] == second["Message-ID"] == message_id(mail_id)


async def test_mail_waits_for_its_time(database, smtp, at):
    [later] = await queue()
    await set_row(later, next_attempt_at=T0 + timedelta(minutes=5))
    assert await outbox.send_due() == 0
    at(timedelta(minutes=5))
    assert await outbox.send_due() == 1
    smtp.inbox.wait_for(1)


@pytest.mark.postgres
async def test_two_workers_send_each_mail_once(postgres_url, smtp):
    db.configure(postgres_url)
    try:
        ids = await queue(20)
        first, second = await asyncio.gather(outbox.send_due(), outbox.send_due())
        assert first + second == 20
        messages = smtp.inbox.wait_for(20)
        assert sorted(m["Message-ID"] for m in messages) == sorted(message_id(i) for i in ids)
        assert [(r.status, r.attempts) for r in await rows()] == [(MailStatus.sent, 1)] * 20
        assert await outbox.send_due() == 0
        assert len(smtp.inbox.messages) == 20
    finally:
        await db.close()


async def test_a_subject_with_line_breaks_is_queued_on_one_line(database, smtp, at):
    await queue(subject="Invoice for\r\nBcc: attacker@evil.test\x0b now")
    [row] = await rows()
    assert row.subject == "Invoice for Bcc: attacker@evil.test now"
    assert await outbox.send_due() == 1
    [msg] = smtp.inbox.wait_for(1)
    assert msg["Bcc"] is None and msg["Subject"] == row.subject


async def test_a_mail_that_cannot_be_built_fails_with_its_reason_and_the_rest_go_out(database, smtp, at):
    """A row stored before subjects were made safe (or otherwise unbuildable) used to wedge the worker."""
    org = await make_org("acme")
    wedged, later = await queue(2, org_id=org.org_id)
    await set_row(wedged, subject="Evil\r\nBcc: attacker@evil.test")
    assert await outbox.send_due() == 1  # the other mail is sent in the same pass
    [msg] = smtp.inbox.wait_for(1)
    assert msg["Message-ID"] == message_id(later)
    async with unit_of_work(SystemActor()) as session:
        row = await session.get(OutboxMail, wedged)
    assert row is not None and row.status == MailStatus.failed and row.attempts == 1
    assert row.last_error.startswith("The mail could not be built: ValueError")
    at(timedelta(days=2))
    assert await outbox.send_due() == 0  # given up on: no retry can build it
    [shown] = await outbox.undelivered_mail(org)
    assert (shown.to, shown.subject, shown.reason) == ("client0@example.test", row.subject, row.last_error)
    other = await make_org("globex")
    assert await outbox.undelivered_mail(other) == []  # another agency's staff see nothing of it


async def test_mail_queued_in_bulk_is_sent_like_any_other_with_subjects_on_one_line(database, smtp, at):
    org = await make_org("acme")
    async with unit_of_work(SystemActor(label="test")) as session:
        await outbox.queue_many(
            session,
            [
                outbox.QueuedMail("a@client.test", "Reminder:\r\nBcc: x@evil.test", "Pay A", org.org_id),
                outbox.QueuedMail("b@client.test", "Reminder B", "Pay B", org.org_id),
            ],
        )
        await outbox.queue_many(session, [])  # nothing to queue is no statement at all
    queued = await rows()
    assert [(r.to_addr, r.subject, r.status) for r in sorted(queued, key=lambda r: r.to_addr)] == [
        ("a@client.test", "Reminder: Bcc: x@evil.test", MailStatus.pending),
        ("b@client.test", "Reminder B", MailStatus.pending),
    ]
    assert await outbox.send_due() == 2
    assert sorted(m["To"] for m in smtp.inbox.wait_for(2)) == ["a@client.test", "b@client.test"]


def test_queue_many_puts_a_subject_on_one_line_exactly_as_one_line_does():
    """Its shortcut for subjects already on one line changes nothing: against `one_line` over random subjects."""
    characters = string.printable + "\xa0\x85\u2028\u3000\x00\x7fé…"
    rng = random.Random(7)
    subjects = ["Reminder: INV-1", " lead", "trail ", "a  b", "x" * 300, "x" * 301, ""]
    subjects += ["".join(rng.choice(characters) for _ in range(rng.randint(0, 310))) for _ in range(2000)]
    for subject in subjects:
        assert outbox._one_line(subject) == one_line(subject)
