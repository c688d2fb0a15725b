"""Buying from the catalog: nothing before payment, then exactly one client, contact, project, paid invoice and
payment however often and in whatever order Stripe reports it; a known email joins its own client only then."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import ColumnElement, select

from models import (
    AuditEvent,
    Client,
    Contact,
    Invoice,
    InvoiceStatus,
    MagicLink,
    Milestone,
    OutboxMail,
    Payment,
    Project,
    Purchase,
    PurchaseStatus,
    WorkRequest,
)
from services.card_payments import checkout, purchases, webhooks
from services.catalog import catalog
from services.catalog.catalog import ServiceInput, TemplateMilestone
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Invalid, NotFound
from tests.support.card_payments import connect, session_id_of
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world
from tests.support.stripe_standin import StripeStandIn

COMPLETED = "checkout.session.completed"
WEBSITE = ServiceInput(
    name="Website audit",
    price="450.00",
    currency="EUR",
    description="A review of your site.",
    public=True,
    milestones=(TemplateMilestone("Kick-off call", 2), TemplateMilestone("Audit report", 14)),
    request_title="Send us your site's address",
    request_description="And the logins we need.",
)


@dataclass(frozen=True)
class Shop:
    world: OrgWorld
    account: str
    service_id: uuid.UUID
    standin: StripeStandIn

    async def visitor_buys(self, email: str = "new@buyer.test", company: str = "Buyer Ltd") -> str:
        """A visitor of the public page presses Buy; the Checkout Session's id."""
        url = await purchases.start_visitor_purchase(self.world.actor.org_id, self.service_id, email, company)
        return session_id_of(url)

    async def deliver(self, event: dict) -> checkout.Outcome:
        body, headers = self.standin.signed(event)
        return await webhooks.handle_webhook(body, headers["Stripe-Signature"])


@pytest.fixture
async def shop(database, stripe_standin: StripeStandIn) -> Shop:
    world = await make_world("acme")
    account = await connect(stripe_standin, world)
    service = await catalog.create_service(world.actor, WEBSITE)
    return Shop(world, account, service.id, stripe_standin)


async def made(model: type, *where: ColumnElement[bool]) -> int:
    return await count(model, *where)


async def test_nothing_is_made_before_payment_and_the_session_is_on_the_agencys_account(shop: Shop) -> None:
    before = {model: await made(model) for model in (Client, Contact, Project, Invoice)}
    session_id = await shop.visitor_buys()
    assert {model: await made(model) for model in before} == before
    [purchase] = await purchases_of(shop)
    assert (purchase.status, purchase.email, purchase.company) == (PurchaseStatus.open, "new@buyer.test", "Buyer Ltd")
    assert shop.standin.account_of(session_id) == shop.account
    [request] = [r for r in shop.standin.requests if r.path == "/v1/checkout/sessions"]
    assert request.params["mode"] == "payment"
    assert request.params["line_items"][0]["price_data"]["unit_amount"] == "45000"
    assert request.params["metadata"]["portico_purchase_id"] == str(purchase.id)
    assert request.params["customer_email"] == "new@buyer.test"
    assert request.idempotency_key == purchase.idempotency_key


async def purchases_of(shop: Shop) -> list[Purchase]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(Purchase).where(Purchase.org_id == shop.world.actor.org_id)))


async def test_a_new_visitor_becomes_a_client_with_a_project_a_paid_invoice_and_a_welcome(shop: Shop) -> None:
    session_id = await shop.visitor_buys()
    shop.standin.complete(session_id)
    event = shop.standin.event(COMPLETED, session_id)
    outcomes = [(await shop.deliver(event)).result for _ in range(10)]  # Stripe delivering it ten times
    assert outcomes == ["paid"] + ["duplicate"] * 9

    [purchase] = await purchases_of(shop)
    assert purchase.status == PurchaseStatus.paid
    async with unit_of_work(SystemActor()) as session:
        client = await session.get(Client, purchase.client_id)
        contact = await session.get(Contact, purchase.contact_id)
        project = await session.get(Project, purchase.project_id)
        invoice = await session.get(Invoice, purchase.invoice_id)
        milestones = list(await session.scalars(select(Milestone).where(Milestone.project_id == purchase.project_id)))
        requests = list(await session.scalars(select(WorkRequest).where(WorkRequest.project_id == purchase.project_id)))
    assert client is not None and client.name == "Buyer Ltd" and client.email == "new@buyer.test"
    assert contact is not None and contact.portal_enabled and contact.billing and contact.client_id == client.id
    assert project is not None and project.name == "Website audit" and project.client_id == client.id
    today = project.start_date
    assert today is not None
    assert sorted((m.title, (m.due_date - today).days) for m in milestones if m.due_date) == [
        ("Audit report", 14),
        ("Kick-off call", 2),
    ]
    assert [(r.title, r.requester_contact_id) for r in requests] == [("Send us your site's address", contact.id)]
    assert invoice is not None and invoice.status == InvoiceStatus.paid
    assert (invoice.total_minor, invoice.amount_paid_minor, invoice.currency) == (45000, 45000, "EUR")
    assert await made(Payment, Payment.invoice_id == invoice.id, Payment.method == "card") == 1
    assert await made(Client) == 2 and await made(Project) == 2  # the world's own, and this one

    [welcome] = await mails_to("new@buyer.test")
    assert welcome.subject == "Thank you for your purchase: Website audit"
    assert "/portal/acme/link/" in welcome.body_text and "Or type this code on the sign-in page:" in welcome.body_text
    assert await made(MagicLink, MagicLink.contact_id == contact.id) == 1
    [notice] = await mails_to("owner@acme.test")
    assert notice.subject.startswith("New purchase: Website audit") and "new client" in notice.body_text
    async with unit_of_work(SystemActor()) as session:
        actions = set(await session.scalars(select(AuditEvent.action).where(AuditEvent.org_id == client.org_id)))
    assert {"purchase.started", "purchase.paid", "client.created", "contact.created", "project.created"} <= actions


async def mails_to(address: str) -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(OutboxMail).where(OutboxMail.to_addr == address)))


async def test_a_known_email_joins_its_own_client_only_after_payment(shop: Shop) -> None:
    known = shop.world.contact.email
    session_id = await shop.visitor_buys(email=known, company="Someone Else Inc")
    [purchase] = await purchases_of(shop)
    assert purchase.client_id is None and purchase.contact_id is None  # nothing says the email is known
    shop.standin.complete(session_id)
    assert (await shop.deliver(shop.standin.event(COMPLETED, session_id))).result == "paid"
    [purchase] = await purchases_of(shop)
    assert (purchase.client_id, purchase.contact_id) == (shop.world.client.id, shop.world.contact.id)
    assert await made(Client) == 1 and await made(Contact) == 1  # no new client, no second contact
    [confirmation] = await mails_to(known)
    assert confirmation.subject == "Thank you for your purchase: Website audit"


async def test_reordered_and_repeated_events_settle_once(shop: Shop) -> None:
    session_id = await shop.visitor_buys()
    shop.standin.complete(session_id, payment_status="unpaid")  # a bank debit still in flight
    pending = shop.standin.event(COMPLETED, session_id)
    shop.standin.succeed_async(session_id)
    succeeded = shop.standin.event("checkout.session.async_payment_succeeded", session_id)
    results = [(await shop.deliver(e)).result for e in (succeeded, pending, succeeded, pending, succeeded)]
    assert results == ["paid", "unchanged", "duplicate", "duplicate", "duplicate"]
    # and the buyer's return reading it back changes nothing more
    assert (await purchases.confirm_return(shop.world.actor.org_id, session_id)).result == "ignored"
    assert await made(Client) == 2 and await made(Invoice) == 1 and await made(Payment) == 1


async def test_the_return_settles_a_purchase_the_webhook_has_not_reached(shop: Shop) -> None:
    session_id = await shop.visitor_buys()
    shop.standin.complete(session_id)
    other = await make_world("bravo")
    assert (await purchases.confirm_return(other.actor.org_id, session_id)).result == "ignored"  # not bravo's
    assert (await purchases.confirm_return(shop.world.actor.org_id, session_id)).result == "paid"
    assert (await shop.deliver(shop.standin.event(COMPLETED, session_id))).result == "unchanged"
    assert await made(Invoice) == 1


async def test_an_amount_stripe_did_not_ask_for_is_put_up_for_review(shop: Shop) -> None:
    session_id = await shop.visitor_buys()
    shop.standin.complete(session_id, amount_total=100)
    assert (await shop.deliver(shop.standin.event(COMPLETED, session_id))).result == "review"
    [purchase] = await purchases_of(shop)
    assert purchase.status == PurchaseStatus.review and "Stripe charged 1.00 EUR" in purchase.error
    assert await made(Client) == 1 and await made(Invoice) == 0
    [notice] = await mails_to("owner@acme.test")
    assert notice.subject == "Purchase needs review: Website audit"


async def test_a_session_of_another_account_cannot_fulfil_a_purchase(shop: Shop) -> None:
    session_id = await shop.visitor_buys()
    shop.standin.complete(session_id)
    stray = shop.standin.create_account()
    forged = shop.standin.event(COMPLETED, session_id, account=stray)
    assert (await shop.deliver(forged)).result == "refused"
    assert await made(Client) == 1 and await made(Invoice) == 0
    [purchase] = await purchases_of(shop)
    assert purchase.status == PurchaseStatus.open


async def test_hidden_archived_and_foreign_services_cannot_be_bought(shop: Shop) -> None:
    hidden = await catalog.create_service(shop.world.actor, ServiceInput("Secret", "10.00", "EUR", public=False))
    archived = await catalog.create_service(shop.world.actor, ServiceInput("Old", "10.00", "EUR", public=True))
    await catalog.set_archived(shop.world.actor, archived.id, True)
    other = await make_world("bravo")
    theirs = await catalog.create_service(other.actor, ServiceInput("Theirs", "10.00", "EUR", public=True))
    for service_id in (hidden.id, archived.id, theirs.id, uuid.uuid4(), "not-an-id"):
        with pytest.raises(NotFound):
            await purchases.start_visitor_purchase(shop.world.actor.org_id, service_id, "a@b.test", "B")
    for email, company in (("not an email", "B"), ("a@b.test", "  ")):
        with pytest.raises(Invalid):
            await purchases.start_visitor_purchase(shop.world.actor.org_id, shop.service_id, email, company)
    assert await made(Purchase) == 0 and shop.standin.sessions == {}


async def test_a_signed_in_contact_buys_for_their_own_client(shop: Shop) -> None:
    url = await purchases.start_contact_purchase(shop.world.portal_actor(), shop.service_id)
    session_id = session_id_of(url)
    shop.standin.complete(session_id)
    assert (await shop.deliver(shop.standin.event(COMPLETED, session_id))).result == "paid"
    [purchase] = await purchases_of(shop)
    assert (purchase.client_id, purchase.contact_id, purchase.via) == (
        shop.world.client.id,
        shop.world.contact.id,
        "portal",
    )
    assert await made(Client) == 1
