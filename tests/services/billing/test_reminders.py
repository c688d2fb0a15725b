"""Payment reminders with a frozen clock, on SQLite and PostgreSQL: the right step on the right day, exactly once."""

from __future__ import annotations

import asyncio
import gc
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Invoice, InvoiceStatus, OutboxMail, OutboxTemplate, ReminderSent
from portal_app import jobs
from services.adapters import stripe_gateway
from services.billing import invoice_views, invoices, manual_payments, reminders
from services.clients import clients, contacts
from services.core import db
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.mail import outbox
from tests.support.clock import T0
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import draft, make_billing, mark_sent, set_org
from tests.support.mail import HOSTILE_NAME, html_part, queued_html, read_eml

TODAY = T0.date()  # 2026-03-10
DUE = TODAY + timedelta(days=10)


async def new_invoice(world: OrgWorld, due: date = DUE, amount: str = "100.00", *, sent: bool = True) -> uuid.UUID:
    detail = await draft(world.actor, world.client.id, amount, issue=min(TODAY, due), due=due)
    if sent:
        await mark_sent(detail.id)
    return detail.id


async def sent_steps(invoice_id: uuid.UUID) -> list[tuple[int, date]]:
    async with unit_of_work(SystemActor()) as session:
        rows = await session.execute(
            select(ReminderSent.step, ReminderSent.sent_at)
            .where(ReminderSent.invoice_id == invoice_id)
            .order_by(ReminderSent.step)
        )
        return [(step, sent_at.date()) for step, sent_at in rows]


async def mails() -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(OutboxMail).order_by(OutboxMail.created_at, OutboxMail.to_addr)))


async def sweep_on(at, day: date, times: int = 1) -> int:
    at(day - TODAY)
    return sum([await reminders.sweep() for _ in range(times)])


# --- when --------------------------------------------------------------------------------------------------------


async def test_each_default_step_fires_on_its_day_exactly_once(database, at):
    world = await make_world("acme")
    invoice = await new_invoice(world)
    fired = {}
    for offset in range(46):
        day = TODAY + timedelta(days=offset)
        if n := await sweep_on(at, day, times=2):
            fired[day] = n
    assert fired == {DUE + timedelta(days=s): 1 for s in (-3, 0, 7, 14, 30)}
    assert await sent_steps(invoice) == [(s, DUE + timedelta(days=s)) for s in (-3, 0, 7, 14, 30)]
    assert [m.to_addr for m in await mails()] == ["billing@client-acme.test"] * 5
    assert await count(AuditEvent, AuditEvent.action == "invoice.reminder_sent") == 5


async def test_after_downtime_only_the_latest_step_goes_out_and_older_ones_never(database, at):
    world = await make_world("acme")
    invoice = await new_invoice(world)
    assert await sweep_on(at, DUE + timedelta(days=20), times=3) == 1
    assert await sent_steps(invoice) == [(14, DUE + timedelta(days=20))]
    for offset in range(21, 30):
        assert await sweep_on(at, DUE + timedelta(days=offset)) == 0
    assert await sweep_on(at, DUE + timedelta(days=30)) == 1
    assert [s for s, _ in await sent_steps(invoice)] == [14, 30]
    assert len(await mails()) == 2


async def test_nothing_before_the_first_step_and_nothing_after_the_last(database, at):
    world = await make_world("acme")
    invoice = await new_invoice(world)
    assert await sweep_on(at, DUE - timedelta(days=4)) == 0
    assert await sweep_on(at, DUE + timedelta(days=200)) == 1
    assert await sweep_on(at, DUE + timedelta(days=400)) == 0
    assert await sent_steps(invoice) == [(30, DUE + timedelta(days=200))]


async def test_steps_on_or_before_the_day_the_invoice_went_out_are_skipped(database, at):
    world = await make_world("acme")
    late = await new_invoice(world, due=TODAY)  # sent on its due date: the invoice mail was that notice
    assert await sweep_on(at, TODAY, times=2) == 0
    assert await sweep_on(at, TODAY + timedelta(days=7)) == 1
    assert [s for s, _ in await sent_steps(late)] == [7]


# --- which invoices ----------------------------------------------------------------------------------------------


async def test_drafts_paid_and_void_invoices_get_no_reminders(database, at):
    world = await make_world("acme")
    draft = await new_invoice(world, sent=False)
    paid = await new_invoice(world)
    await manual_payments.record_payment(world.actor, paid, manual_payments.PaymentInput("100.00", paid_on=TODAY))
    void = await new_invoice(world)
    await invoices.void_invoice(world.actor, void)
    for offset in (-3, 0, 7, 14, 30):
        assert await sweep_on(at, DUE + timedelta(days=offset)) == 0
    assert await count(ReminderSent) == 0
    assert await mails() == []
    statuses = [(await invoices.get_invoice(world.actor, i)).status for i in (draft, paid, void)]
    assert statuses == [InvoiceStatus.draft, InvoiceStatus.paid, InvoiceStatus.void]


async def test_an_invoice_paid_in_between_stops_and_a_partial_payment_reminds_of_the_rest(database, at):
    world = await make_world("acme")
    paid, partly = await new_invoice(world), await new_invoice(world)
    assert await sweep_on(at, DUE - timedelta(days=3)) == 2
    await manual_payments.record_payment(world.actor, paid, manual_payments.PaymentInput("100.00"))
    await manual_payments.record_payment(world.actor, partly, manual_payments.PaymentInput("60.00"))
    assert await sweep_on(at, DUE) == 1
    assert [s for s, _ in await sent_steps(paid)] == [-3]
    assert [s for s, _ in await sent_steps(partly)] == [-3, 0]
    last = (await mails())[-1]
    assert "$40.00" in last.body_text
    assert "$100.00" not in last.body_text


async def test_each_organization_follows_its_own_schedule(database, at):
    acme, globex, initech = await make_world("acme"), await make_world("globex"), await make_world("initech")
    await set_org(globex.actor.org_id, reminder_schedule=[2, 5])
    await set_org(initech.actor.org_id, reminder_schedule=[])
    a, g, i = await new_invoice(acme), await new_invoice(globex), await new_invoice(initech)
    for offset in range(-5, 40):
        await sweep_on(at, DUE + timedelta(days=offset))
    assert [s for s, _ in await sent_steps(a)] == [-3, 0, 7, 14, 30]
    assert await sent_steps(g) == [(2, DUE + timedelta(days=2)), (5, DUE + timedelta(days=5))]
    assert await sent_steps(i) == []
    assert await count(OutboxMail, OutboxMail.org_id == globex.actor.org_id) == 2


async def test_many_invoices_are_swept_in_batches(database, at):
    world = await make_world("acme")
    ids = [await new_invoice(world) for _ in range(7)]
    at(DUE - TODAY)
    assert await reminders.sweep(batch=3) == 7
    assert await reminders.sweep(batch=3) == 0
    assert await reminders.sweep(batch=1) == 0
    assert [await sent_steps(i) for i in ids] == [[(0, DUE)]] * 7
    assert len(await mails()) == 7


async def test_a_failing_batch_rolls_back_and_stops_the_whole_sweep(database, at, monkeypatch):
    world = await make_world("acme")
    ids = [await new_invoice(world) for _ in range(5)]

    async def mail_store_down(*args: object) -> None:
        raise RuntimeError("mail store down")

    monkeypatch.setattr(outbox, "queue_many", mail_store_down)
    at(DUE - TODAY)
    with pytest.raises(RuntimeError, match="mail store down"):
        await reminders.sweep(batch=2)
    assert [t for t in asyncio.all_tasks() if getattr(t.get_coro(), "__name__", "") == "_work"] == []  # none left
    assert await count(ReminderSent) == 0
    monkeypatch.undo()
    assert await reminders.sweep(batch=2) == 5
    assert [await sent_steps(i) for i in ids] == [[(0, DUE)]] * 5


# --- whom and what -----------------------------------------------------------------------------------------------


async def test_a_sent_reminder_carries_its_html_filled_from_the_sweeps_stored_template(database, at, file_outbox):
    world = await make_world("acme")
    second = await contacts.create_contact(
        world.actor, world.client.id, contacts.ContactInput(email="ap@client-acme.test", name="A <P> & Co")
    )
    await make_billing(world.contact.id)
    await make_billing(second.id)
    invoice = await new_invoice(world, amount="1200.50")
    await sweep_on(at, DUE)
    async with unit_of_work(SystemActor()) as session:
        assert await session.scalar(select(func.count()).select_from(OutboxTemplate)) == 1  # one wording, once
    assert await outbox.send_due() == 2
    sent = {m["To"]: m for m in (read_eml(p) for p in file_outbox.glob("*.eml"))}
    html = html_part(sent["ap@client-acme.test"])
    assert "Hello A &lt;P&gt; &amp; Co," in html and "<P>" not in html  # each mail's own values, escaped
    assert f'href="{invoice_views.public_url(invoice)}"' in html and "$1,200.50" in html
    assert "Hello Jane Doe," in html_part(sent["jane@client-acme.test"])


async def test_reminders_go_to_each_billing_contact_with_the_right_wording(database, at):
    world = await make_world("acme")
    await set_org(world.actor.org_id, payment_instructions="IBAN DE00 1234 5678")
    second = await contacts.create_contact(
        world.actor, world.client.id, contacts.ContactInput(email="ap@client-acme.test", name="AP")
    )
    await make_billing(world.contact.id)
    await make_billing(second.id)
    invoice = await new_invoice(world, amount="1200.50")
    link = invoice_views.public_url(invoice)
    texts = {}
    for offset in (-3, 0, 7):
        await sweep_on(at, DUE + timedelta(days=offset))
        batch = [m for m in await mails() if m.subject not in texts]
        assert sorted(m.to_addr for m in batch) == ["ap@client-acme.test", "jane@client-acme.test"]
        assert len({m.subject for m in batch}) == 1
        by_name = {m.to_addr: m.body_text for m in batch}
        assert by_name["ap@client-acme.test"].startswith("Hello AP,\n\n")
        assert by_name["jane@client-acme.test"].startswith("Hello Jane Doe,\n\n")
        assert by_name["ap@client-acme.test"].removeprefix("Hello AP,") == by_name[
            "jane@client-acme.test"
        ].removeprefix("Hello Jane Doe,")
        assert all(["</html>" in await queued_html(m) for m in batch])
        assert all(m.body_html == "" and m.html_template_id for m in batch)  # the sweep's HTML is stored once
        texts[batch[0].subject] = batch[0].body_text
    number = (await invoices.get_invoice(world.actor, invoice)).number
    due = "Mar 20, 2026"
    assert list(texts) == [
        f"Reminder: invoice {number} is due on {due}",
        f"Invoice {number} is due today",
        f"Overdue: invoice {number} was due on {due}",
    ]
    before, on, after = texts.values()
    assert "in 3 days" in before and "due today" in on and "7 days ago" in after
    for text in texts.values():
        assert "$1,200.50" in text
        assert link in text
        assert "IBAN DE00 1234 5678" in text
        assert "Acme" in text


async def test_an_organization_text_goes_into_the_mail_as_it_is(database, at):
    world = await make_world("acme")
    await set_org(world.actor.org_id, name="Acme {number} 100%", payment_instructions="Pay to {url} {{IBAN}} %s")
    invoice = await new_invoice(world)
    assert await sweep_on(at, DUE) == 1
    [mail] = await mails()
    number = (await invoices.get_invoice(world.actor, invoice)).number
    assert mail.subject == f"Invoice {number} is due today"
    assert f"This is Acme {{number}} 100%: invoice {number} for $100.00 is due today" in mail.body_text
    assert "Pay to {url} {{IBAN}} %s" in mail.body_text
    assert invoice_views.public_url(invoice) in mail.body_text


async def test_a_reminder_is_branded_escaped_and_says_how_to_pay_without_stripe(database, at):
    # Card payments on for the first sweep: a platform key and the organization's own connected account (the
    # autouse fixture turns Stripe off again after the test); off for the second, once the account is unbound.
    stripe_gateway.configure(stripe_gateway.StripeConfig(secret_key="sk_test_reminders"))
    world = await make_world("acme")
    await set_org(world.actor.org_id, name=HOSTILE_NAME, payment_instructions="IBAN <DE00>", accent_color="#0f766e")
    await set_org(world.actor.org_id, stripe_account_id="acct_reminders0001")
    with_stripe = await new_invoice(world)
    assert await sweep_on(at, DUE) == 1
    await set_org(world.actor.org_id, stripe_account_id=None)
    without = await new_invoice(world, due=DUE + timedelta(days=1))
    assert await sweep_on(at, DUE + timedelta(days=1)) == 1
    paying, plain = await mails()
    assert "View, download or pay it here:" in paying.body_text
    assert "View or download it here:" in plain.body_text and "pay it" not in plain.body_text
    for mail, invoice in ((paying, with_stripe), (plain, without)):
        assert mail.body_text.startswith("Hello Acme Client,\n\n")
        assert "How to pay:\n\nIBAN <DE00>" in mail.body_text
        html = await queued_html(mail)
        assert "IBAN &lt;DE00&gt;" in html and "<script>" not in html
        assert f'href="{invoice_views.public_url(invoice)}"' in html
        assert "Hello Acme Client," in html and "#0f766e" in html


async def test_no_recipient_means_no_reminder_until_there_is_one(database, at):
    world = await make_world("acme")
    await clients.update_client(world.actor, world.client.id, clients.ClientInput(name="Acme Client", email=""))
    invoice = await new_invoice(world)
    assert await sweep_on(at, DUE) == 0
    assert await sent_steps(invoice) == []
    await make_billing(world.contact.id)
    assert await sweep_on(at, DUE + timedelta(days=1)) == 1
    assert await sent_steps(invoice) == [(0, DUE + timedelta(days=1))]
    assert [m.to_addr for m in await mails()] == ["jane@client-acme.test"]


async def test_recipients_are_billing_contacts_else_the_client_email(database, at):
    world = await make_world("acme")
    other = await clients.create_client(world.actor, clients.ClientInput(name="No Mail"))
    await make_billing(world.contact.id)
    plain = await clients.create_client(world.actor, clients.ClientInput(name="Plain", email="ap@plain.test"))
    async with unit_of_work(SystemActor()) as session:
        found = await invoices.recipients_by_client(session, {world.client.id, other.id, plain.id})
        single = await invoices.recipients(session, Invoice(org_id=world.actor.org_id, client_id=plain.id))
    assert found == {world.client.id: [("jane@client-acme.test", "Jane Doe")], plain.id: [("ap@plain.test", "Plain")]}
    assert single == [("ap@plain.test", "Plain")]


async def test_reminders_are_audited_and_delivered_through_the_outbox(database, at, smtp):
    world = await make_world("acme")
    invoice = await new_invoice(world)
    assert await sweep_on(at, DUE) == 1
    async with unit_of_work(SystemActor()) as session:
        [event] = await session.scalars(select(AuditEvent).where(AuditEvent.action == "invoice.reminder_sent"))
    assert (event.org_id, event.target_id, event.actor_type, event.actor_label) == (
        world.actor.org_id,
        invoice,
        "system",
        "reminders",
    )
    assert event.detail == {"step": 0, "to": ["billing@client-acme.test"]}
    assert await outbox.send_due() == 1
    [message] = smtp.inbox.wait_for(1)
    assert message["To"] == "billing@client-acme.test"
    assert message["Subject"].endswith("is due today")


async def test_the_reminders_job_is_registered_and_runs(database, at):
    assert jobs.SCHEDULE["reminders"] == 3600
    world = await make_world("acme")
    await new_invoice(world)
    at(DUE - TODAY)
    assert await jobs.JOBS["reminders"]() == "queued reminders for 1 invoice(s)"
    assert await jobs.JOBS["reminders"]() == "queued reminders for 0 invoice(s)"


@pytest.mark.parametrize(
    ("stored", "steps"),
    [
        ([-3, 0, 7, 14, 30], (-3, 0, 7, 14, 30)),
        ([30, 7, 7, -3], (-3, 7, 30)),
        ([1, "2", 3.0, True, None, 400, -400], (1,)),
        ({"days": [1]}, ()),
        (None, ()),
    ],
)
def test_stored_schedules_are_read_defensively(stored, steps):
    assert reminders.schedule_steps(stored) == steps


def test_the_step_to_send_is_the_latest_due_one_after_the_invoice_went_out_and_not_sent_yet():
    """Against the definition, over a grid of days: every due step after the day of sending; the latest of them,
    unless that or a later one went out already."""
    steps = (-3, 0, 7, 14, 30)
    due = date(2026, 3, 20)
    for today in (due + timedelta(days=n) for n in range(-6, 40)):
        for sent_on in (None, *(due + timedelta(days=n) for n in (-40, -3, -1, 0, 7, 20))):
            for latest_sent in (None, -3, 0, 7, 14, 30):
                due_steps = [
                    s
                    for s in steps
                    if due + timedelta(days=s) <= today and (sent_on is None or due + timedelta(days=s) > sent_on)
                ]
                expected = due_steps[-1] if due_steps and (latest_sent is None or latest_sent < due_steps[-1]) else None
                assert reminders.step_to_send(steps, due, sent_on, today, latest_sent) == expected


async def test_a_sweep_leaves_the_garbage_collector_as_it_found_it(database, at):
    world = await make_world("acme")
    await new_invoice(world)
    at(DUE - TODAY)
    assert gc.isenabled()
    assert await reminders.sweep() == 1
    assert gc.isenabled()
    gc.disable()
    try:
        await new_invoice(world)
        at(DUE - TODAY + timedelta(days=7))
        assert await reminders.sweep() == 2
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_a_claim_too_big_for_one_sqlite_statement_is_split(sqlite_url, at, monkeypatch):
    db.configure(sqlite_url)
    try:
        monkeypatch.setattr(reminders, "_SQLITE_MAX_PARAMETERS", 12)  # two rows a statement
        world = await make_world("acme")
        ids = [await new_invoice(world) for _ in range(5)]
        at(DUE - TODAY)
        assert await reminders.sweep() == 5
        assert await reminders.sweep() == 0
        assert [await sent_steps(i) for i in ids] == [[(0, DUE)]] * 5
        assert len(await mails()) == 5
    finally:
        await db.close()


async def test_a_claim_inserts_only_the_steps_not_sent_yet_and_says_which(database, at):
    """What a sweep that read before another one wrote meets: some of its steps went out meanwhile."""
    world = await make_world("acme")
    ids = [await new_invoice(world) for _ in range(3)]
    async with unit_of_work(SystemActor()) as session:
        session.add(ReminderSent(org_id=world.actor.org_id, invoice_id=ids[1], step=0, sent_at=T0))
    due = [reminders._Due(i, world.actor.org_id, world.client.id, "INV", "USD", DUE, 10_000, 0) for i in ids]
    async with unit_of_work(SystemActor()) as session:
        assert await reminders._claim(session, due, T0) == {ids[0], ids[2]}
    assert [await sent_steps(i) for i in ids] == [[(0, TODAY)]] * 3


# --- two sweeps at once --------------------------------------------------------------------------------------------


@pytest.mark.postgres
async def test_two_sweeps_at_once_send_each_reminder_once(postgres_url, at, monkeypatch):
    db.configure(postgres_url)
    try:
        world = await make_world("acme")
        ids = [await new_invoice(world) for _ in range(12)]
        # Both sweeps read the same candidates before either writes: the unique constraint alone must decide.
        both_read = asyncio.Barrier(2)
        send = reminders._send

        async def send_after_both_read(*args, **kwargs):
            await asyncio.wait_for(both_read.wait(), timeout=30)  # a guard against a hang, not a wait
            return await send(*args, **kwargs)

        monkeypatch.setattr(reminders, "_send", send_after_both_read)
        at(DUE - TODAY)
        results = await asyncio.gather(reminders.sweep(), reminders.sweep())
        assert sorted(results) == [0, 12]
        assert [await sent_steps(i) for i in ids] == [[(0, DUE)]] * 12
        assert len(await mails()) == 12
        assert await count(AuditEvent, AuditEvent.action == "invoice.reminder_sent") == 12
    finally:
        await db.close()


@pytest.mark.postgres
async def test_two_sweeps_at_once_over_many_batches_send_each_reminder_once(postgres_url, at, monkeypatch):
    db.configure(postgres_url)
    try:
        world = await make_world("acme")
        ids = sorted([await new_invoice(world) for _ in range(15)])
        # Both sweeps claim their first batch (the same invoices) only once both have read it; the later batches,
        # two at a time in each sweep, race as they come.
        first_batch_read = asyncio.Barrier(2)
        claim = reminders._claim

        async def claim_first_batch_together(session, due, now):
            if due[0].id == ids[0]:
                await asyncio.wait_for(first_batch_read.wait(), timeout=30)  # a guard against a hang, not a wait
            return await claim(session, due, now)

        monkeypatch.setattr(reminders, "_claim", claim_first_batch_together)
        at(DUE - TODAY)
        results = await asyncio.gather(reminders.sweep(batch=4), reminders.sweep(batch=4))
        assert sum(results) == 15
        assert [await sent_steps(i) for i in ids] == [[(0, DUE)]] * 15
        assert len(await mails()) == 15
        assert await count(AuditEvent, AuditEvent.action == "invoice.reminder_sent") == 15
    finally:
        await db.close()
