"""Stripe's webhook deliveries to POST /webhooks/stripe: the platform's own events and, with Stripe Connect, the
events of every connected account (each carries its `account`).

An event is handled once: its id is inserted first, in the same transaction as its effects, so a duplicate
finds it there (on PostgreSQL a concurrent duplicate waits for the first to commit, then finds it), and a
failure rolls both back, so Stripe's retry gets a clean second chance. What a Checkout Session event does is
decided by `checkout.apply_session`, which applies an event only to an attempt made on the event's own account.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.payments import StripeEvent
from services.adapters import stripe_gateway
from services.adapters.stripe_gateway import SubscriptionState
from services.card_payments import checkout, purchases, stripe_accounts, subscriptions
from services.card_payments.checkout import STRIPE, Outcome
from services.core import clock
from services.core.db import insert_or_skip, rows_affected, unit_of_work

CHECKOUT_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
ACCOUNT_EVENTS = ("account.updated",)
# What to select on the Connect endpoint, beside the Checkout events: the catalog's subscriptions and the accounts.
CATALOG_EVENTS = (*subscriptions.SUBSCRIPTION_EVENTS, *subscriptions.INVOICE_EVENTS)
# Handled event ids are kept well past Stripe's three days of retries, then purged.
EVENT_RETENTION = timedelta(days=30)


async def handle_webhook(payload: bytes, signature_header: str) -> Outcome:
    """A delivery. Raises stripe_gateway.BadSignature for anything not signed by Stripe."""
    event = stripe_gateway.verify_event(payload, signature_header)
    subscription = await _prefetch(event)
    return await checkout.settling_once(lambda: _handle_event(event, subscription))


async def _prefetch(event: dict) -> SubscriptionState | None:
    """What a paid subscription purchase needs from Stripe besides the event, read before the transaction."""
    if event["type"] not in PAID_EVENTS:
        return None
    found = stripe_gateway.session_from_event(event)
    if not purchases.is_purchase(found):
        return None
    return await purchases.prefetch(found, stripe_gateway.event_account(event))


async def _apply_session_event(session: AsyncSession, event: dict, subscription: SubscriptionState | None) -> Outcome:
    found = stripe_gateway.session_from_event(event)
    if not purchases.is_purchase(found):
        return await checkout.apply_event(event)(session)
    kind = checkout.kind_of_event(event["type"], found)
    account = stripe_gateway.event_account(event)
    return await purchases.apply_session(session, found, kind, f"webhook {event['id'][:255]}", account, subscription)


async def _handle_event(event: dict, subscription: SubscriptionState | None = None) -> Outcome:
    event_id, event_type = event["id"][:255], event["type"][:100]
    async with unit_of_work(STRIPE) as session:
        claimed = await session.scalar(
            insert_or_skip(session, StripeEvent.__table__, ["event_id"], StripeEvent.__table__.c.event_id),
            [{"event_id": event_id, "type": event_type, "received_at": clock.now(), "outcome": ""}],
        )
        if claimed is None:
            return Outcome("duplicate")
        if event_type in CHECKOUT_EVENTS:
            outcome = await _apply_session_event(session, event, subscription)
        elif event_type in subscriptions.SUBSCRIPTION_EVENTS:
            outcome = await subscriptions.apply_subscription_event(session, event)
        elif event_type in subscriptions.INVOICE_EVENTS:
            outcome = await subscriptions.apply_invoice_event(session, event)
        elif event_type in ACCOUNT_EVENTS:
            state = stripe_gateway.account_from_event(event)
            org_id = await stripe_accounts.apply_account_update(session, stripe_gateway.event_account(event), state)
            outcome = Outcome("account", org_id) if org_id else Outcome("ignored", None, "account not connected")
        else:
            outcome = Outcome("ignored", None, "event type not handled")
        await session.execute(
            update(StripeEvent)
            .where(StripeEvent.event_id == event_id)
            .values(org_id=outcome.org_id, outcome=f"{outcome.result} {outcome.detail}".strip()[:200])
        )
    return outcome


async def purge_events() -> int:
    """Forget handled webhook event ids once Stripe can no longer deliver them again (it retries for 3 days)."""
    async with unit_of_work(STRIPE) as session:
        result = await session.execute(
            delete(StripeEvent).where(StripeEvent.received_at < clock.now() - EVENT_RETENTION)
        )
        return rows_affected(result)
