"""The client page's Subscriptions and Purchases sections (SPEC §12), from rows as the webhook leaves them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from nicegui import ui
from nicegui.testing.user import User
from sqlalchemy import update

from models.catalog import Interval, Purchase, PurchaseStatus, Subscription
from services.catalog import catalog
from services.catalog.catalog import ServiceInput
from services.core import events
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import draft
from tests.support.locales import speak
from tests.support.pages import sees_within, signed_in

RENEWAL = datetime(2026, 12, 24, 12, tzinfo=UTC)


async def bought(world: OrgWorld, *, recurring: bool = False) -> tuple[Purchase, Subscription | None]:
    """A paid purchase of the world's client (and the subscription it started, when recurring)."""
    interval = Interval.month if recurring else Interval.one_time
    service = await catalog.create_service(
        world.actor,
        ServiceInput(
            name="Care plan" if recurring else "Website audit", price="1200", currency="EUR", interval=interval
        ),
    )
    invoice = await draft(world.actor, world.client.id, "1200.00", currency="EUR")
    org_id, client_id = world.actor.org_id, world.client.id
    async with unit_of_work(SystemActor(org_id=org_id)) as session:
        subscription = None
        if recurring:
            subscription = Subscription(
                org_id=org_id,
                client_id=client_id,
                service_id=service.id,
                service_name=service.name,
                interval=interval,
                amount_minor=service.price_minor,
                currency="EUR",
                stripe_subscription_id=f"sub_{uuid.uuid4().hex}",
                status="active",
                current_period_end=RENEWAL,
            )
            session.add(subscription)
            await session.flush()
        purchase = Purchase(
            org_id=org_id,
            client_id=client_id,
            service_id=service.id,
            via="portal",
            email=world.contact.email,
            service_name=service.name,
            interval=interval,
            amount_minor=service.price_minor,
            currency="EUR",
            idempotency_key=uuid.uuid4().hex,
            status=PurchaseStatus.paid,
            project_id=world.project.id,
            invoice_id=invoice.id,
            subscription_id=subscription.id if subscription else None,
        )
        session.add(purchase)
    return purchase, subscription


def text_of(user: User, marker: str) -> str:
    [element] = user.find(kind=ui.label, marker=marker).elements
    return element.text


async def test_a_client_without_purchases_shows_neither_section(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    await user.should_see("Invoices", retries=50)
    await user.should_not_see(marker="purchases")
    await user.should_not_see(marker="subscriptions")


async def test_purchases_and_subscriptions_are_listed_with_links_and_renewal(user: User) -> None:
    world = await make_world("acme")
    purchase, _ = await bought(world)
    renewal, subscription = await bought(world, recurring=True)
    assert subscription is not None
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    await user.should_see(marker="purchases", retries=50)
    await sees_within(user, f"purchase-{purchase.id}", "Website audit")
    await sees_within(user, f"purchase-{purchase.id}", "€1,200.00")
    await sees_within(user, f"purchase-{purchase.id}", "Paid")
    await sees_within(user, f"purchase-{renewal.id}", "€1,200.00 / month")
    with user.scope(marker=f"purchase-{purchase.id}"):
        [project] = user.find(marker="purchase-project").elements
        [invoice] = user.find(marker="purchase-invoice").elements
    assert project.props["href"] == f"/projects/{world.project.id}"
    assert invoice.props["href"] == f"/invoices/{purchase.invoice_id}"

    await sees_within(user, f"subscription-{subscription.id}", "Care plan")
    await sees_within(user, f"subscription-{subscription.id}", "Active")
    await sees_within(user, f"subscription-{subscription.id}", "Renews Dec 24, 2026")
    assert text_of(user, "subscription-amount") == "€1,200.00 / month"
    await user.should_not_see(marker="subscription-cancels")

    # the contact asks to end it at the period's end: the open page follows
    async with unit_of_work(SystemActor(org_id=world.actor.org_id)) as session:
        await session.execute(
            update(Subscription).where(Subscription.id == subscription.id).values(cancel_at_period_end=True)
        )
        events.publish(session, events.PurchasesChanged(world.actor.org_id, world.client.id))
    await user.should_see(marker="subscription-cancels", retries=50)
    await sees_within(user, f"subscription-{subscription.id}", "Cancels at period end")
    await sees_within(user, f"subscription-{subscription.id}", "Ends Dec 24, 2026")


async def test_a_german_organization_reads_amounts_and_dates_in_german(user: User) -> None:
    world = await make_world("acme")
    await speak(world, "de_DE", "Europe/Berlin")
    _, subscription = await bought(world, recurring=True)
    assert subscription is not None
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    await user.should_see(marker="subscriptions", retries=50)
    assert text_of(user, "subscription-amount") == "1.200,00\xa0€ / month"
    assert text_of(user, "subscription-details") == "Renews 24.12.2026"
