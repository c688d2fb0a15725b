"""Subscribing to a recurring service, and the subscription kept in step with Stripe: each renewal recorded
once however often and in whatever order Stripe reports it, failures mailed, cancellation at the period end."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Invoice, InvoiceStatus, OutboxMail, Payment, Purchase, Subscription
from services.card_payments import checkout, purchases, subscriptions, webhooks
from services.catalog import catalog
from services.catalog.catalog import ServiceInput
from services.core import clock
from services.core.actors import PortalActor, SystemActor
from services.core.db import unit_of_work
from services.core.errors import Conflict, NotFound
from tests.support.card_payments import connect, session_id_of
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world
from tests.support.stripe_standin import StripeStandIn

COMPLETED = "checkout.session.completed"
RETAINER = ServiceInput(name="Care plan", price="300.00", currency="USD", interval="month", public=True)


@dataclass(frozen=True)
class Subscribed:
    world: OrgWorld
    account: str
    standin: StripeStandIn
    session_id: str
    stripe_id: str  # the Stripe subscription

    async def deliver(self, event: dict) -> checkout.Outcome:
        body, headers = self.standin.signed(event)
        return await webhooks.handle_webhook(body, headers["Stripe-Signature"])

    async def row(self) -> Subscription:
        async with unit_of_work(SystemActor()) as session:
            found = await session.scalar(
                select(Subscription).where(Subscription.stripe_subscription_id == self.stripe_id)
            )
            assert found is not None
            return found

    async def buyer(self) -> PortalActor:
        async with unit_of_work(SystemActor()) as session:
            purchase = await session.scalar(select(Purchase))
            assert purchase is not None and purchase.client_id and purchase.contact_id
            return PortalActor(purchase.org_id, purchase.client_id, purchase.contact_id, purchase.email)


@pytest.fixture
async def subscribed(database, stripe_standin: StripeStandIn) -> Subscribed:
    """A visitor subscribed to a monthly service and paid; Stripe told Portico once."""
    world = await make_world("acme")
    account = await connect(stripe_standin, world)
    service = await catalog.create_service(world.actor, RETAINER)
    url = await purchases.start_visitor_purchase(world.actor.org_id, service.id, "ops@buyer.test", "Buyer Ltd")
    session_id = session_id_of(url)
    stripe_standin.complete(session_id)
    stripe_id = stripe_standin.subscription_of(session_id)
    assert stripe_id is not None
    shop = Subscribed(world, account, stripe_standin, session_id, stripe_id)
    assert (await shop.deliver(stripe_standin.event(COMPLETED, session_id))).result == "paid"
    return shop


async def invoices_of(stripe_id: str) -> list[Invoice]:
    async with unit_of_work(SystemActor()) as session:
        return list(
            await session.scalars(
                select(Invoice)
                .join(Subscription, Subscription.id == Invoice.subscription_id)
                .where(Subscription.stripe_subscription_id == stripe_id)
                .order_by(Invoice.number)
            )
        )


async def test_subscribing_makes_a_subscription_on_the_agencys_account_and_one_paid_first_invoice(
    subscribed: Subscribed,
) -> None:
    standin = subscribed.standin
    [request] = [r for r in standin.requests if r.path == "/v1/checkout/sessions"]
    assert request.params["mode"] == "subscription" and request.stripe_account == subscribed.account
    assert request.params["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}
    row = await subscribed.row()
    assert (row.status, row.amount_minor, row.currency, row.stripe_account_id) == (
        "active",
        30000,
        "USD",
        subscribed.account,
    )
    assert row.current_period_end is not None  # read back from Stripe with the purchase
    first = standin.latest_invoice_of(subscribed.stripe_id)
    # Stripe's own invoice.paid for the first period, as often as it likes: the purchase recorded it already
    for _ in range(3):
        assert (await subscribed.deliver(standin.invoice_event(first))).result in ("unchanged", "duplicate")
    [invoice] = await invoices_of(subscribed.stripe_id)
    assert invoice.status == InvoiceStatus.paid and invoice.stripe_invoice_id == first
    assert await count(Payment) == 1


async def test_each_renewal_is_recorded_once_whatever_the_order_and_repeats(subscribed: Subscribed) -> None:
    standin = subscribed.standin
    renewal = standin.renew(subscribed.stripe_id)
    paid = standin.invoice_event(renewal["id"])
    updated = standin.subscription_event(subscribed.stripe_id)
    results = [(await subscribed.deliver(e)).result for e in (updated, paid, paid, updated, paid)]
    assert results[:2] == ["subscription", "paid"] and set(results[2:]) == {"duplicate"}
    # the same Stripe invoice in ten new events (Stripe resends as new events sometimes): still once
    for _ in range(10):
        assert (await subscribed.deliver(standin.invoice_event(renewal["id"]))).result == "unchanged"
    _, second = await invoices_of(subscribed.stripe_id)
    assert second.stripe_invoice_id == renewal["id"] and second.status == InvoiceStatus.paid
    assert second.total_minor == 30000 and await count(Payment) == 2
    row = await subscribed.row()
    assert (
        row.current_period_end is not None
        and row.current_period_end.timestamp() == (renewal["lines"]["data"][0]["period"]["end"])
    )
    receipts = await mails("Receipt: Care plan renewed")
    assert [m.to_addr for m in receipts] == ["ops@buyer.test"]


async def mails(subject_start: str) -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(OutboxMail).where(OutboxMail.subject.startswith(subject_start))))


async def test_a_failed_renewal_mails_both_sides_and_a_later_payment_is_recorded(subscribed: Subscribed) -> None:
    standin = subscribed.standin
    failed = standin.renew(subscribed.stripe_id, paid=False)
    assert (await subscribed.deliver(standin.invoice_event(failed["id"], "invoice.payment_failed"))).result == "failed"
    assert (await subscribed.deliver(standin.subscription_event(subscribed.stripe_id))).result == "subscription"
    assert (await subscribed.row()).status == "past_due"
    assert [m.to_addr for m in await mails("Payment failed: Care plan")] == ["ops@buyer.test"]
    assert [m.to_addr for m in await mails("Renewal failed: Care plan")] == ["owner@acme.test"]
    assert len(await invoices_of(subscribed.stripe_id)) == 1  # nothing recorded for money not taken

    standin.pay_invoice(failed["id"])
    assert (await subscribed.deliver(standin.invoice_event(failed["id"]))).result == "paid"
    assert (await subscribed.row()).status == "active"
    assert len(await invoices_of(subscribed.stripe_id)) == 2


async def test_the_contact_cancels_at_period_end_and_an_older_event_cannot_undo_the_end(
    subscribed: Subscribed,
) -> None:
    standin = subscribed.standin
    stale = standin.subscription_event(subscribed.stripe_id)  # built before the cancellation, delivered late
    buyer = await subscribed.buyer()
    view = await subscriptions.cancel_at_period_end(buyer, (await subscribed.row()).id)
    assert view.cancel_at_period_end and view.status == "active"
    [update] = [r for r in standin.requests if r.method == "POST" and r.path.startswith("/v1/subscriptions/")]
    assert update.params == {"cancel_at_period_end": "true"} and update.stripe_account == subscribed.account
    assert standin.subscriptions[subscribed.stripe_id]["cancel_at_period_end"] is True

    standin.end_period(subscribed.stripe_id)
    deleted = standin.subscription_event(subscribed.stripe_id, "customer.subscription.deleted")
    assert (await subscribed.deliver(deleted)).result == "subscription"
    assert (await subscribed.deliver(stale)).result == "unchanged"  # older than what was applied
    row = await subscribed.row()
    assert row.status == "canceled" and row.canceled_at is not None
    with pytest.raises(Conflict):
        await subscriptions.cancel_at_period_end(buyer, row.id)
    other = await make_world("bravo")
    with pytest.raises(NotFound):  # another organization's contact cannot reach it
        await subscriptions.cancel_at_period_end(other.portal_actor(), row.id)
    assert [v.service_name for v in await subscriptions.list_subscriptions(buyer)] == ["Care plan"]
    assert await subscriptions.list_subscriptions(other.portal_actor()) == []


async def test_an_end_reported_in_the_same_second_as_a_read_back_still_ends_it(subscribed: Subscribed) -> None:
    """Events carry whole seconds, a read-back the microsecond: the end must not look older than the cancel."""
    standin = subscribed.standin
    await subscriptions.cancel_at_period_end(await subscribed.buyer(), (await subscribed.row()).id)
    read_back_at = (await subscribed.row()).stripe_state_at
    assert read_back_at is not None
    standin.end_period(subscribed.stripe_id)
    deleted = standin.subscription_event(subscribed.stripe_id, "customer.subscription.deleted")
    deleted["created"] = int(read_back_at.timestamp()) - 1  # before the read-back, as a same-second one can look
    assert (await subscribed.deliver(deleted)).result == "subscription"
    assert (await subscribed.row()).status == "canceled"
    revived = standin.subscription_event(subscribed.stripe_id)
    revived["data"]["object"]["status"] = "active"  # nothing brings an ended subscription back
    assert (await subscribed.deliver(revived)).result == "unchanged"
    assert (await subscribed.row()).status == "canceled"


async def test_events_of_another_account_change_no_subscription(subscribed: Subscribed) -> None:
    standin = subscribed.standin
    stray = standin.create_account()
    renewal = standin.renew(subscribed.stripe_id)
    assert (await subscribed.deliver(standin.invoice_event(renewal["id"], account=stray))).result == "refused"
    standin.cancel_now(subscribed.stripe_id)
    forged = standin.subscription_event(subscribed.stripe_id, "customer.subscription.deleted", account=stray)
    assert (await subscribed.deliver(forged)).result == "refused"
    assert (await subscribed.row()).status == "active"
    assert len(await invoices_of(subscribed.stripe_id)) == 1


async def test_reconcile_records_a_renewal_whose_events_were_missed(subscribed: Subscribed, at) -> None:
    standin = subscribed.standin
    row = await subscribed.row()
    assert row.current_period_end is not None
    renewal = standin.renew(subscribed.stripe_id)  # no event reaches Portico
    assert await subscriptions.reconcile() == 0  # not overdue yet: nothing asked
    clock.freeze(row.current_period_end + subscriptions.OVERDUE_REPORT + timedelta(hours=1))  # `at` unfreezes it
    assert await subscriptions.reconcile() == 1
    [_, recorded] = await invoices_of(subscribed.stripe_id)
    assert recorded.stripe_invoice_id == renewal["id"]
    moved = (await subscribed.row()).current_period_end
    assert moved is not None and moved > row.current_period_end  # the next renewal, as Stripe reports it
    assert await subscriptions.reconcile() == 0  # the period moved on at Stripe: nothing is overdue any more
    assert len(await invoices_of(subscribed.stripe_id)) == 2


async def test_a_signed_in_contact_subscribes_for_their_own_client(database, stripe_standin: StripeStandIn) -> None:
    world = await make_world("acme")
    await connect(stripe_standin, world)
    service = await catalog.create_service(world.actor, RETAINER)
    session_id = session_id_of(await purchases.start_contact_purchase(world.portal_actor(), service.id))
    stripe_standin.complete(session_id)
    assert (await purchases.confirm_return(world.actor.org_id, session_id)).result == "paid"
    [view] = await subscriptions.list_subscriptions(world.portal_actor())
    assert view.client_id == world.client.id and view.status == "active"
    assert await subscriptions.list_subscriptions(world.actor, world.client.id) == [view]
    assert uuid.UUID(str(view.id))
