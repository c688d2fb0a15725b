"""Subscriptions to the catalog's recurring services (SPEC §12), kept in step with Stripe.

Stripe bills each renewal on the agency's account; `invoice.paid` records it as a paid invoice exactly once
(the Stripe invoice id is unique on invoices), `invoice.payment_failed` mails both sides, and the
`customer.subscription.*` events keep status, period end and cancellation current. An event older than the
state already applied (by its `created`) is not applied over it, so reordered deliveries are harmless; a
duplicate is stopped by its event id before it gets here. Events are applied only to a subscription of the
event's own account. The reconcile job reads back subscriptions whose renewal should have been reported.
A contact may ask to cancel at the period end: Stripe is told, and its answer (and then its event) is applied.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import Interval, Purchase, Subscription
from models.clients import Contact
from models.invoices import Invoice
from models.organizations import Organization
from services.adapters import stripe_gateway
from services.adapters.stripe_gateway import StripeInvoice, SubscriptionState
from services.billing import invoices
from services.billing.paid_invoices import CardMoney, already_recorded, record_paid
from services.card_payments import payment_mail
from services.card_payments.checkout import STRIPE, Outcome, settling_once
from services.core import audit, clock, events, money
from services.core.actors import Actor, PortalActor, StaffActor, require_staff
from services.core.common import parse_id
from services.core.db import unit_of_work
from services.core.errors import Conflict, NotFound, ServiceError
from services.core.formatting import Formats
from services.core.scoping import visible
from services.mail.layout import Recipient

log = logging.getLogger("portico.subscriptions")

SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
INVOICE_EVENTS = ("invoice.paid", "invoice.payment_failed")
ENDED = ("canceled", "incomplete_expired")
# A renewal should be reported within hours of the period's end; after this, the reconcile job asks Stripe.
OVERDUE_REPORT = timedelta(hours=6)
NEVER_REPORTED = timedelta(minutes=10)
RECONCILE_BATCH = 100


class CancelUnavailable(ServiceError):
    status_code = 503


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    id: uuid.UUID
    client_id: uuid.UUID
    service_name: str
    interval: Interval
    amount_minor: int
    currency: str
    status: str
    current_period_end: datetime | None
    cancel_at_period_end: bool
    canceled_at: datetime | None
    invoice_count: int = 0

    @property
    def ended(self) -> bool:
        return self.status in ENDED


def _view(row: Subscription, invoice_count: int = 0) -> SubscriptionView:
    return SubscriptionView(
        id=row.id,
        client_id=row.client_id,
        service_name=row.service_name,
        interval=row.interval,
        amount_minor=row.amount_minor,
        currency=row.currency,
        status=row.status,
        current_period_end=row.current_period_end,
        cancel_at_period_end=row.cancel_at_period_end,
        canceled_at=row.canceled_at,
        invoice_count=invoice_count,
    )


# --- what Stripe reports -------------------------------------------------------------------------------------------


def _created(event: dict) -> datetime:
    created = event.get("created")
    if isinstance(created, int) and not isinstance(created, bool):
        return datetime.fromtimestamp(created, UTC)
    return datetime.now(UTC)


async def _locked(session: AsyncSession, stripe_subscription_id: str) -> Subscription | None:
    if not stripe_subscription_id:
        return None
    return await session.scalar(
        select(Subscription).where(Subscription.stripe_subscription_id == stripe_subscription_id).with_for_update()
    )


def _apply_state(row: Subscription, state: SubscriptionState, at: datetime) -> bool:
    """Stripe's state as of `at`, unless a newer one was applied already; whether anything changed.

    An end is final: Stripe never revives a canceled subscription, so an ended row takes nothing more, and an end
    applies whatever its time. That matters because events carry whole seconds while a read-back is stamped to the
    microsecond: the end reported in the same second as the last read-back would otherwise look older."""
    if row.status in ENDED:
        return False
    ends = state.status in ENDED
    if not ends and row.stripe_state_at is not None and at < row.stripe_state_at:
        return False
    before = (row.status, row.current_period_end, row.cancel_at_period_end, row.canceled_at)
    row.status = state.status or row.status
    row.current_period_end = state.current_period_end or row.current_period_end
    row.cancel_at_period_end = state.cancel_at_period_end
    row.canceled_at = state.canceled_at or (row.canceled_at if state.status not in ENDED else at)
    row.stripe_state_at = at
    return before != (row.status, row.current_period_end, row.cancel_at_period_end, row.canceled_at)


async def apply_subscription_event(session: AsyncSession, event: dict) -> Outcome:
    state = stripe_gateway.subscription_from_event(event)
    account = stripe_gateway.event_account(event)
    row = await _locked(session, state.id)
    if row is None:
        return Outcome("ignored", None, "subscription not known (yet): its purchase records it")
    if row.stripe_account_id != account:
        return await _refused(session, row, "The subscription event came from another Stripe account.", event)
    if event["type"] == "customer.subscription.deleted" and state.status not in ENDED:
        state = dataclasses.replace(state, status="canceled")
    before = row.status
    if not _apply_state(row, state, _created(event)):
        return Outcome("unchanged", row.org_id, "older or the same")
    if row.status != before:
        audit.record(
            session,
            STRIPE,
            "subscription.status_changed",
            org_id=row.org_id,
            target_type="subscription",
            target_id=row.id,
            target_label=row.service_name,
            detail={"from": before, "to": row.status},
        )
    events.publish(session, events.PurchasesChanged(row.org_id, row.client_id))
    return Outcome("subscription", row.org_id)


async def _refused(session: AsyncSession, row: Subscription, problem: str, event: dict) -> Outcome:
    log.warning("event %s refused for subscription %s: %s", event.get("id"), row.stripe_subscription_id, problem)
    audit.record(
        session,
        STRIPE,
        "subscription.event_refused",
        org_id=row.org_id,
        target_type="subscription",
        target_id=row.id,
        target_label=row.service_name,
        detail={"problem": problem, "stripe_event": str(event.get("id", ""))},
    )
    return Outcome("refused", row.org_id, problem)


async def apply_invoice_event(session: AsyncSession, event: dict) -> Outcome:
    found = stripe_gateway.invoice_from_event(event)
    row = await _locked(session, found.subscription_id)
    if row is None:
        return Outcome("ignored", None, "not an invoice of a known subscription")
    if row.stripe_account_id != stripe_gateway.event_account(event):
        return await _refused(session, row, "The invoice event came from another Stripe account.", event)
    if event["type"] == "invoice.paid":
        return await record_renewal(session, row, found, f"webhook {event['id']}")
    return await _renewal_failed(session, row, found)


async def record_renewal(session: AsyncSession, row: Subscription, found: StripeInvoice, source: str) -> Outcome:
    """A paid Stripe invoice of this subscription, recorded once as a paid invoice of the client."""
    if found.status != "paid" or not found.amount_paid or not found.currency:
        return Outcome("ignored", row.org_id, "nothing was paid")
    if await already_recorded(session, found.id):
        return Outcome("unchanged", row.org_id, "already recorded")
    if found.billing_reason == "subscription_create":
        # the purchase records the first period itself; this one is its invoice arriving first
        first = await session.scalar(select(Purchase.id).where(Purchase.subscription_id == row.id))
        if first is not None:
            return Outcome("unchanged", row.org_id, "the purchase's own invoice")
    project_id = await session.scalar(select(Purchase.project_id).where(Purchase.subscription_id == row.id))
    org = await session.get(Organization, row.org_id)
    assert org is not None
    formats = Formats(org.locale, org.timezone)
    period = f" until {formats.day(found.period_end)}" if found.period_end else ""
    invoice = await record_paid(
        session,
        org_id=row.org_id,
        client_id=row.client_id,
        project_id=project_id,
        description=f"{row.service_name}: renewal{period}",
        money=CardMoney(
            amount_minor=found.amount_paid,
            currency=found.currency,
            reference=f"Stripe {found.id}",
            stripe_invoice_id=found.id,
        ),
        subscription_id=row.id,
    )
    if row.status in ("past_due", "unpaid", "incomplete"):
        row.status = "active"
    audit.record(
        session,
        STRIPE,
        "subscription.renewed",
        org_id=row.org_id,
        target_type="invoice",
        target_id=invoice.id,
        target_label=invoice.number,
        detail={
            "amount": money.format_decimal(found.amount_paid, found.currency),
            "currency": found.currency,
            "subscription": row.service_name,
            "stripe_invoice": found.id,
            "source": source,
        },
    )
    amount = formats.money(found.amount_paid, found.currency)
    payment_mail.queue(
        session,
        org,
        await _buyers(session, row),
        f"Receipt: {row.service_name} renewed · {amount}",
        [
            f"Thank you. {org.name} received {amount} for {row.service_name}{period}.",
            f"Your receipt is invoice {invoice.number}, marked paid; it is in your client portal.",
        ],
        to_client=True,
    )
    payment_mail.queue(
        session,
        org,
        await payment_mail.agency(session, org),
        f"Subscription renewed: {row.service_name} · {amount}",
        [f"A subscription to {row.service_name} renewed{period}: invoice {invoice.number}, paid by card."],
        to_client=False,
    )
    events.publish(session, events.PurchasesChanged(row.org_id, row.client_id))
    return Outcome("paid", row.org_id)


async def _buyers(session: AsyncSession, row: Subscription) -> list[Recipient]:
    """Who hears of the subscription's renewals: the contact who bought it, else the client's billing contacts."""
    buyer = await session.scalar(
        select(Contact)
        .join(Purchase, Purchase.contact_id == Contact.id)
        .where(Purchase.subscription_id == row.id, Contact.active.is_(True))
    )
    if buyer is not None:
        return [Recipient(buyer.email, buyer.name)]
    return (await invoices.recipients_by_client(session, {row.client_id})).get(row.client_id, [])


async def _renewal_failed(session: AsyncSession, row: Subscription, found: StripeInvoice) -> Outcome:
    org = await session.get(Organization, row.org_id)
    assert org is not None
    formats = Formats(org.locale, org.timezone)
    due = formats.money(found.amount_due or row.amount_minor, found.currency or row.currency)
    audit.record(
        session,
        STRIPE,
        "subscription.payment_failed",
        org_id=row.org_id,
        target_type="subscription",
        target_id=row.id,
        target_label=row.service_name,
        detail={"stripe_invoice": found.id, "attempt": found.attempt_count},
    )
    payment_mail.queue(
        session,
        org,
        await _buyers(session, row),
        f"Payment failed: {row.service_name}",
        [
            f"Your card payment of {due} to {org.name} for {row.service_name} did not go through. "
            "Stripe will try again; to avoid an interruption, please make sure your card is up to date, "
            f"or contact {org.support_email or org.name}.",
        ],
        to_client=True,
    )
    payment_mail.queue(
        session,
        org,
        await payment_mail.agency(session, org),
        f"Renewal failed: {row.service_name} · {due}",
        [f"A renewal of {row.service_name} ({due}) failed at Stripe (attempt {found.attempt_count or 1})."],
        to_client=False,
    )
    events.publish(session, events.PurchasesChanged(row.org_id, row.client_id))
    return Outcome("failed", row.org_id)


# --- asked by the contact, read by the pages -----------------------------------------------------------------------


async def _load(session: AsyncSession, actor: Actor, subscription_id: uuid.UUID | str) -> Subscription:
    row = await session.scalar(
        select(Subscription).where(
            Subscription.id == parse_id(subscription_id, "Subscription not found"), *visible(actor, Subscription)
        )
    )
    if row is None:
        raise NotFound("Subscription not found")
    return row


async def cancel_at_period_end(actor: Actor, subscription_id: uuid.UUID | str) -> SubscriptionView:
    """A contact (or staff) asks to end the subscription when the paid period ends: Stripe is told on the
    agency's account, and its answer is applied; its event confirms it later."""
    if not isinstance(actor, PortalActor | StaffActor):
        raise NotFound("Subscription not found")
    async with unit_of_work(actor) as session:
        row = await _load(session, actor, subscription_id)
        if row.status in ENDED:
            raise Conflict("This subscription has ended already.")
        if row.cancel_at_period_end:
            return _view(row)
        stripe_id, account = row.stripe_subscription_id, row.stripe_account_id
    try:
        state = await stripe_gateway.set_cancel_at_period_end(stripe_id, True, account=account)
    except stripe_gateway.StripeUnavailable as exc:
        log.warning("could not cancel subscription %s: %s", stripe_id, exc.reason)
        raise CancelUnavailable("Stripe could not be reached. Nothing was changed; please try again shortly.") from exc
    async with unit_of_work(actor) as session:
        row = await _load(session, actor, subscription_id)
        row = await _locked(session, row.stripe_subscription_id) or row
        _apply_state(row, state, datetime.now(UTC))
        audit.record(
            session,
            actor,
            "subscription.cancel_requested",
            target_type="subscription",
            target_id=row.id,
            target_label=row.service_name,
        )
        events.publish(session, events.PurchasesChanged(row.org_id, row.client_id))
        return _view(row)


async def list_subscriptions(actor: Actor, client_id: uuid.UUID | str | None = None) -> list[SubscriptionView]:
    """A contact's own client's subscriptions; staff name the client."""
    if not isinstance(actor, PortalActor):
        require_staff(actor)
        if client_id is None:
            raise NotFound("Client not found")
    async with unit_of_work(actor) as session:
        statement = select(Subscription).where(*visible(actor, Subscription))
        if client_id is not None:
            statement = statement.where(Subscription.client_id == parse_id(client_id, "Client not found"))
        rows = list(await session.scalars(statement.order_by(Subscription.created_at.desc()).limit(100)))
        counts = dict(
            (
                await session.execute(
                    select(Invoice.subscription_id, func.count())
                    .where(*visible(actor, Invoice), Invoice.subscription_id.in_([row.id for row in rows]))
                    .group_by(Invoice.subscription_id)
                )
            ).all()
        )
        return [_view(row, counts.get(row.id, 0)) for row in rows]


# --- the reconcile job ---------------------------------------------------------------------------------------------


async def reconcile() -> int:
    """Read back subscriptions whose renewal (or end) should have been reported by now; how many changed."""
    if not stripe_gateway.configured():
        return 0
    now = clock.now()
    async with unit_of_work(STRIPE) as session:
        due = (
            await session.execute(
                select(Subscription.stripe_subscription_id, Subscription.stripe_account_id)
                .where(
                    Subscription.status.not_in(ENDED),
                    or_(
                        Subscription.current_period_end < now - OVERDUE_REPORT,
                        # never reported: the subscription's own events and the purchase's read-back both missed
                        Subscription.stripe_state_at.is_(None) & (Subscription.created_at < now - NEVER_REPORTED),
                    ),
                )
                .order_by(Subscription.current_period_end)
                .limit(RECONCILE_BATCH)
            )
        ).all()
    changed = 0
    for stripe_id, account in due:
        try:
            state = await stripe_gateway.retrieve_subscription(stripe_id, account=account)
            latest = (
                await stripe_gateway.retrieve_invoice(state.latest_invoice_id, account=account)
                if state.latest_invoice_id
                else None
            )
        except stripe_gateway.StripeRefused as exc:
            log.warning("reconcile skipped subscription %s: %s", stripe_id, exc.reason)
            continue
        except stripe_gateway.StripeUnavailable as exc:
            log.warning("subscription reconcile stopped, Stripe unavailable: %s", exc.reason)
            break

        async def settle(state: SubscriptionState = state, latest: StripeInvoice | None = latest) -> Outcome:
            async with unit_of_work(STRIPE) as session:
                row = await _locked(session, state.id)
                if row is None:
                    return Outcome("ignored")
                moved = _apply_state(row, state, datetime.now(UTC))
                recorded = await record_renewal(session, row, latest, "reconcile") if latest else Outcome("ignored")
                if moved:
                    events.publish(session, events.PurchasesChanged(row.org_id, row.client_id))
                return Outcome("changed" if moved or recorded.result == "paid" else "unchanged")

        if (await settling_once(settle)).result == "changed":
            changed += 1
    return changed
