"""Stripe goes away during Pay, the reconcile job and subscription read-backs, and comes back: nothing is charged
twice, nothing is recorded that did not happen, and every interrupted attempt can be finished afterwards.

Stripe is the loopback stand-in (tests/support/stripe_standin.py): `down()` closes its port, and
`lose_next_answers` carries a call out in full but drops its answer, as a network failing on the way back does.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import CheckoutStatus, Invoice, InvoiceStatus, Subscription
from services.card_payments import checkout, purchases, subscriptions, webhooks
from services.catalog import catalog
from services.catalog.catalog import ServiceInput
from services.core import clock
from services.core.actors import PortalActor, SystemActor
from services.core.db import unit_of_work
from tests.support.card_payments import Billed, attempts_of, connect, new_invoice, payments_of, session_id_of
from tests.support.factories import make_world
from tests.support.invoicing import make_billing
from tests.support.stripe_standin import StripeStandIn

COMPLETED = "checkout.session.completed"


@pytest.fixture
async def billed(database, stripe_standin: StripeStandIn) -> Billed:
    world = await make_world("acme")
    await connect(stripe_standin, world)
    await make_billing(world.contact.id)
    contact = PortalActor(world.actor.org_id, world.client.id, world.contact.id, world.contact.email)
    return Billed(world, await new_invoice(world, "120.00"), contact, stripe_standin)


async def invoice_row(billed: Billed) -> Invoice:
    async with unit_of_work(SystemActor()) as session:
        found = await session.get(Invoice, billed.invoice_id)
        assert found is not None
        return found


def charged(billed: Billed) -> int:
    """What the agency's account at Stripe has taken, in cents."""
    [account] = billed.standin.accounts
    return billed.standin.balance_of(account).get("eur", 0)


async def test_pay_while_stripe_is_down_charges_nothing_and_works_when_it_is_back(billed: Billed) -> None:
    with billed.standin.down():
        for _ in range(2):  # the payer tries twice during the outage
            with pytest.raises(checkout.PaymentUnavailable) as refused:
                await checkout.start_portal_checkout(billed.contact, billed.invoice_id)
            assert "Nothing was charged" in refused.value.message
    assert [a.status for a in await attempts_of(billed.invoice_id)] == [CheckoutStatus.error] * 2
    assert billed.standin.sessions == {} and await payments_of(billed.invoice_id) == []

    assert (await billed.completed(await billed.pay())).result == "paid"
    assert (await invoice_row(billed)).status == InvoiceStatus.paid
    assert [p.amount_minor for p in await payments_of(billed.invoice_id)] == [12000]
    assert charged(billed) == 12000


async def test_an_answer_lost_on_the_way_back_never_leads_to_a_second_charge(billed: Billed) -> None:
    """Stripe made the session but its answer never came: the payer is told nothing was charged (nothing was:
    no one has the session's page), tries again, and pays once through the new session."""
    billed.standin.lose_next_answers(1)
    with pytest.raises(checkout.PaymentUnavailable):
        await checkout.start_portal_checkout(billed.contact, billed.invoice_id)
    [orphan] = billed.standin.sessions  # made at Stripe, its URL known to no one
    [failed] = await attempts_of(billed.invoice_id)
    assert failed.status == CheckoutStatus.error and failed.checkout_url == ""

    session_id = await billed.pay()
    assert session_id != orphan
    billed.standin.complete(session_id)
    completed = billed.standin.event(COMPLETED, session_id)
    assert (await billed.deliver(completed)).result == "paid"
    assert (await billed.deliver(completed)).result == "duplicate"  # Stripe delivers an event more than once
    # the orphan expires unpaid
    billed.standin.expire(orphan)
    assert (await billed.deliver(billed.standin.event("checkout.session.expired", orphan))).result != "paid"
    assert [p.amount_minor for p in await payments_of(billed.invoice_id)] == [12000]
    assert charged(billed) == 12000
    with pytest.raises(checkout.NothingDue):
        await checkout.start_portal_checkout(billed.contact, billed.invoice_id)


async def test_reconcile_while_stripe_is_down_changes_nothing_and_settles_once_when_it_is_back(
    billed: Billed, at
) -> None:
    """A payment whose webhook never came: the job cannot ask while Stripe is away, then records it once."""
    at()
    session_id = await billed.pay()
    billed.standin.complete(session_id)  # paid at Stripe; the webhook is lost
    at(checkout.RECONCILE_AFTER + timedelta(minutes=1))
    with billed.standin.down():
        assert await checkout.reconcile() == 0
        assert await checkout.reconcile() == 0
    assert await payments_of(billed.invoice_id) == []
    assert (await invoice_row(billed)).status == InvoiceStatus.sent

    assert await checkout.reconcile() == 1
    assert await checkout.reconcile() == 0
    late_webhook = billed.standin.event(COMPLETED, session_id)
    assert (await billed.deliver(late_webhook)).result == "unchanged"  # recorded already, by the read-back
    assert [p.amount_minor for p in await payments_of(billed.invoice_id)] == [12000]
    assert (await invoice_row(billed)).status == InvoiceStatus.paid
    assert charged(billed) == 12000


async def test_subscription_read_backs_wait_out_an_outage_and_record_each_renewal_once(
    database, stripe_standin: StripeStandIn, at
) -> None:
    world = await make_world("acme")
    await connect(stripe_standin, world)
    service = await catalog.create_service(
        world.actor, ServiceInput(name="Care plan", price="300.00", currency="USD", interval="month", public=True)
    )
    url = await purchases.start_visitor_purchase(world.actor.org_id, service.id, "ops@buyer.test", "Buyer Ltd")
    stripe_standin.complete(session_id_of(url))
    stripe_id = stripe_standin.subscription_of(session_id_of(url))
    assert stripe_id is not None
    body, headers = stripe_standin.signed(stripe_standin.event(COMPLETED, session_id_of(url)))
    assert (await webhooks.handle_webhook(body, headers["Stripe-Signature"])).result == "paid"
    async with unit_of_work(SystemActor()) as session:
        row = await session.scalar(select(Subscription).where(Subscription.stripe_subscription_id == stripe_id))
    assert row is not None and row.current_period_end is not None

    stripe_standin.renew(stripe_id)  # renewed and paid at Stripe; no event reaches Portico
    clock.freeze(row.current_period_end + subscriptions.OVERDUE_REPORT + timedelta(hours=1))
    with stripe_standin.down():
        assert await subscriptions.reconcile() == 0
    assert await subscription_invoices(stripe_id) == 1

    assert await subscriptions.reconcile() == 1
    assert await subscriptions.reconcile() == 0
    assert await subscription_invoices(stripe_id) == 2


async def subscription_invoices(stripe_id: str) -> int:
    async with unit_of_work(SystemActor()) as session:
        return len(
            list(
                await session.scalars(
                    select(Invoice.id)
                    .join(Subscription, Subscription.id == Invoice.subscription_id)
                    .where(Subscription.stripe_subscription_id == stripe_id)
                )
            )
        )
