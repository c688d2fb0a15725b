"""An invoice's life on SQLite and PostgreSQL: sending, payments, voiding, listing, and what the portal sees."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, OutboxMail
from services.billing import invoice_listing, invoices, manual_payments
from services.clients import clients, contacts
from services.core import audit
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid, NotFound
from services.mail import outbox
from tests.support.clock import T0
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import draft, make_billing, mark_sent
from tests.support.mail import plain_text

TODAY = T0.date()
PaymentInput, InvoiceFilter = manual_payments.PaymentInput, invoice_listing.InvoiceFilter


@pytest.fixture
async def world(database, at) -> OrgWorld:
    return await make_world("acme")


async def sent(world: OrgWorld, *prices: str, due: date | None = None, issue: date | None = None):
    detail = await draft(world.actor, world.client.id, *prices, due=due, issue=issue)
    await mark_sent(detail.id)
    return detail


# --- sending -------------------------------------------------------------------------------------------------------


async def test_sending_mails_each_billing_contact_the_link_and_the_pdf(world, smtp):
    ap = await contacts.create_contact(
        world.actor, world.client.id, contacts.ContactInput(email="ap@client-acme.test", name="AP")
    )
    await make_billing(world.contact.id, ap.id)
    detail = await draft(world.actor, world.client.id, "1200.50")
    result = await invoices.send_invoice(world.actor, detail.id)
    assert (result.status.value, result.sent_at) == ("sent", T0)
    assert await outbox.send_due() == 2
    messages = sorted(smtp.inbox.wait_for(2), key=lambda m: m["To"])
    assert [m["To"] for m in messages] == ["ap@client-acme.test", "jane@client-acme.test"]
    for message in messages:
        assert message["Subject"] == "Invoice INV-0001 from Acme"
        text = plain_text(message)
        assert detail.public_url in text and "$1,200.50" in text and "Apr 9, 2026" in text
        assert message.get_body(("html",)) is not None
        [attachment] = list(message.iter_attachments())
        assert (attachment.get_filename(), attachment.get_content_type()) == ("INV-0001.pdf", "application/pdf")
        assert attachment.get_content().startswith(b"%PDF")
    events = await audit.list_events(world.actor, audit.AuditFilter(action="invoice.sent"))
    assert [e.detail["to"] for e in events.items] == [["ap@client-acme.test", "jane@client-acme.test"]]


async def test_without_billing_contacts_the_clients_email_gets_it_and_resending_keeps_the_date(world, at):
    detail = await draft(world.actor, world.client.id)
    await invoices.send_invoice(world.actor, detail.id)
    at(timedelta(days=2))
    again = await invoices.send_invoice(world.actor, detail.id)
    assert (again.status.value, again.sent_at) == ("sent", T0)
    async with unit_of_work(SystemActor()) as session:
        recipients = list(await session.scalars(select(OutboxMail.to_addr)))
    assert recipients == ["billing@client-acme.test"] * 2


async def test_no_recipient_is_invalid_and_the_draft_stays_a_draft(world):
    await clients.update_client(world.actor, world.client.id, clients.ClientInput(name="Acme Client", email=""))
    detail = await draft(world.actor, world.client.id)
    with pytest.raises(Invalid) as error:
        await invoices.send_invoice(world.actor, detail.id)
    assert error.value.field == "recipients"
    assert (await invoices.get_invoice(world.actor, detail.id)).status.value == "draft"
    assert await count(OutboxMail) == 0


async def test_a_void_invoice_cannot_be_sent(world):
    detail = await draft(world.actor, world.client.id)
    await invoices.void_invoice(world.actor, detail.id)
    with pytest.raises(Conflict):
        await invoices.send_invoice(world.actor, detail.id)
    assert await count(OutboxMail) == 0


# --- payments and voiding ------------------------------------------------------------------------------------------


async def test_partial_then_full_payment(world):
    detail = await sent(world, "100.00", "50.00")
    partly = await manual_payments.record_payment(world.actor, detail.id, PaymentInput("100", reference="TX-1"))
    assert (partly.status.value, partly.amount_paid_minor, partly.amount_due_minor) == ("partially_paid", 10000, 5000)
    with pytest.raises(Invalid) as error:
        await manual_payments.record_payment(world.actor, detail.id, PaymentInput("50.01"))
    assert error.value.field == "amount" and error.value.message == "That is more than the $50.00 due."
    paid = await manual_payments.record_payment(world.actor, detail.id, PaymentInput("50.00", method="card"))
    assert (paid.status.value, paid.amount_due_minor) == ("paid", 0)
    assert [(p.amount_minor, p.method, p.reference) for p in paid.payments] == [
        (10000, "bank_transfer", "TX-1"),
        (5000, "card", ""),
    ]
    assert await count(AuditEvent, AuditEvent.action == "invoice.payment_recorded") == 2
    with pytest.raises(Conflict):
        await manual_payments.record_payment(world.actor, detail.id, PaymentInput("1.00"))


@pytest.mark.parametrize(
    ("payment", "field"),
    [
        (PaymentInput("0"), "amount"),
        (PaymentInput("-5"), "amount"),
        (PaymentInput("1.001"), "amount"),
        (PaymentInput(0.5), "amount"),
        (PaymentInput("10", method="bitcoin"), "method"),
        (PaymentInput("10", paid_on=TODAY + timedelta(days=5)), "paid_on"),
        (PaymentInput("10", reference="r" * 201), "reference"),
    ],
)
async def test_bad_payments_change_nothing(world, payment, field):
    detail = await sent(world)
    with pytest.raises(Invalid) as error:
        await manual_payments.record_payment(world.actor, detail.id, payment)
    assert error.value.field == field
    after = await invoices.get_invoice(world.actor, detail.id)
    assert (after.status.value, after.amount_paid_minor, after.payments) == ("sent", 0, ())


async def test_payments_on_drafts_or_void_invoices_are_conflicts(world):
    drafted = await draft(world.actor, world.client.id)
    voided = await sent(world)
    await invoices.void_invoice(world.actor, voided.id)
    for invoice_id in (drafted.id, voided.id):
        with pytest.raises(Conflict):
            await manual_payments.record_payment(world.actor, invoice_id, PaymentInput("1.00"))


async def test_void_refuses_twice_and_refuses_paid_money(world):
    detail = await sent(world)
    void = await invoices.void_invoice(world.actor, detail.id)
    assert (void.status.value, void.display_status) == ("void", "void")
    with pytest.raises(Conflict):
        await invoices.void_invoice(world.actor, detail.id)
    partly = await sent(world)
    await manual_payments.record_payment(world.actor, partly.id, PaymentInput("1.00"))
    with pytest.raises(Conflict):
        await invoices.void_invoice(world.actor, partly.id)
    assert (await invoices.get_invoice(world.actor, partly.id)).status.value == "partially_paid"


# --- listing -------------------------------------------------------------------------------------------------------


@pytest.fixture
async def ledger(world):
    """One invoice in each state, one of them overdue with the frozen clock, and one for another client."""
    past = TODAY - timedelta(days=40)
    made = {
        "draft": await draft(world.actor, world.client.id, issue=TODAY - timedelta(days=1)),
        "current": await sent(world, due=TODAY + timedelta(days=5)),
        "overdue": await sent(world, issue=past, due=TODAY - timedelta(days=1)),
        "partly": await sent(world, issue=past, due=TODAY),
        "paid": await sent(world, issue=past, due=past),
        "void": await draft(world.actor, world.client.id, issue=past, due=past),
    }
    await manual_payments.record_payment(world.actor, made["partly"].id, PaymentInput("10.00"))
    await manual_payments.record_payment(world.actor, made["paid"].id, PaymentInput("100.00"))
    await invoices.void_invoice(world.actor, made["void"].id)
    other = await clients.create_client(world.actor, clients.ClientInput(name="Beta", email="ap@beta.test"))
    made["beta"] = await draft(world.actor, other.id)
    await mark_sent(made["beta"].id)
    return made, other


async def listed(actor, **filters) -> set[str]:
    page = await invoice_listing.list_invoices(actor, InvoiceFilter(**filters), limit=200)
    assert page.total == len(page.items)
    return {row.number for row in page.items}


async def test_list_filters(world, ledger):
    made, beta = ledger
    n = {key: d.number for key, d in made.items()}
    assert await listed(world.actor) == set(n.values())
    assert await listed(world.actor, status="draft") == {n["draft"]}
    assert await listed(world.actor, status="sent") == {n["current"], n["overdue"], n["beta"]}
    assert await listed(world.actor, status="open") == {n["current"], n["overdue"], n["partly"], n["beta"]}
    assert await listed(world.actor, status="overdue") == {n["overdue"]}  # due today is not overdue yet
    assert await listed(world.actor, status="paid") == {n["paid"]}
    assert await listed(world.actor, status="void") == {n["void"]}
    assert await listed(world.actor, client_id=beta.id) == {n["beta"]}
    recent = await listed(world.actor, date_from=TODAY - timedelta(days=1))
    assert recent == {n["draft"], n["current"], n["beta"]}
    assert await listed(world.actor, date_to=TODAY - timedelta(days=40)) == {
        n[k] for k in ("overdue", "partly", "paid", "void")
    }
    rows = {r.number: r for r in (await invoice_listing.list_invoices(world.actor)).items}
    assert rows[n["overdue"]].display_status == "overdue"
    assert (rows[n["partly"]].display_status, rows[n["partly"]].amount_due_minor) == ("partially_paid", 9000)


async def test_bad_list_filters_are_invalid(world):
    with pytest.raises(Invalid):
        await invoice_listing.list_invoices(world.actor, InvoiceFilter(status="late"))
    with pytest.raises(Invalid):
        await invoice_listing.list_invoices(
            world.actor, InvoiceFilter(date_from=TODAY, date_to=TODAY - timedelta(days=1))
        )
    with pytest.raises(Invalid):
        await invoice_listing.list_invoices(world.actor, limit=0)


async def test_list_pages(world):
    for _ in range(5):
        await draft(world.actor, world.client.id)
    pages = [await invoice_listing.list_invoices(world.actor, limit=2, offset=o) for o in (0, 2, 4)]
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert {p.total for p in pages} == {5}
    assert [r.number for p in pages for r in p.items] == [f"INV-{k:04d}" for k in range(5, 0, -1)]


async def test_outstanding_sums_what_is_due_and_overdue(world, ledger):
    [usd] = await invoice_listing.outstanding(world.actor)
    # current 100 + overdue 100 + partly 90 + beta 100; overdue: only the one past its due date.
    assert (usd.currency, usd.outstanding_minor, usd.overdue_minor) == ("USD", 39000, 10000)


# --- the portal ----------------------------------------------------------------------------------------------------


async def test_the_portal_never_sees_drafts_void_or_other_clients_invoices(world, ledger):
    made, _ = ledger
    portal = world.portal_actor()
    for hidden in ("draft", "void", "beta"):
        with pytest.raises(NotFound):
            await invoices.get_invoice(portal, made[hidden].id)
    assert (await invoices.get_invoice(portal, made["paid"].id)).status.value == "paid"
    expected = {made[k].number for k in ("current", "overdue", "partly", "paid")}
    assert await listed(portal) == expected
    assert await listed(portal, status="draft") == set()
    assert await listed(portal, status="void") == set()
    for call in (invoices.send_invoice, invoices.void_invoice, invoices.duplicate_invoice):
        with pytest.raises(NotFound):
            await call(portal, made["current"].id)
    with pytest.raises(NotFound):
        await manual_payments.record_payment(portal, made["current"].id, PaymentInput("1.00"))
