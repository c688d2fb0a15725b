"""Buying from the services catalog (SPEC §12): "Buy" or "Subscribe", Stripe Checkout on the agency's own
account, and what a paid purchase makes.

A purchase row is the purchase's checkout attempt: committed before Stripe is called, with its own idempotency
key. Nothing else is made before payment: a visitor's email and company wait on that row. When Stripe says the
session is paid (the verified webhook, the buyer's return, or the reconcile job, all through `apply_session`,
inside one transaction that locks the row), the purchase is fulfilled once: the client and contact are found
by email or made (portal access on, a welcome sign-in mail), the project is made from the service's template,
the money is recorded on a paid invoice, a recurring service becomes a subscription, and both sides are mailed.
A session from another account than the purchase's, or whose metadata names another purchase or organization,
changes nothing (the same rules as invoice payments, services.card_payments.checkout).

Whether an email is already a contact is never shown before payment: the visitor's flow is the same either way.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import PURCHASE_UNSETTLED, Interval, Purchase, PurchaseStatus, Service, Subscription
from models.clients import Client, Contact
from models.organizations import Organization
from models.projects import Project
from services.adapters import stripe_gateway
from services.adapters.stripe_gateway import CheckoutSession, SubscriptionState
from services.billing.paid_invoices import CardMoney, record_paid
from services.card_payments import payment_mail
from services.card_payments.checkout import (
    RECONCILE_AFTER,
    RECONCILE_BATCH,
    RECONCILE_WINDOW,
    SESSION_LIFETIME,
    SETTLED_RESULTS,
    STRIPE,
    NotOffered,
    Outcome,
    PaymentUnavailable,
    TooManyAttempts,
    kind_of_session,
    read_back_each,
    settling_once,
    stripe_now,
)
from services.catalog import catalog, project_templates
from services.clients import magic_links
from services.core import audit, clock, config, events, money
from services.core.actors import Actor, PortalActor, SystemActor, require_staff
from services.core.common import normalize_email, parse_id, required_text
from services.core.db import unit_of_work
from services.core.errors import NotFound
from services.core.formatting import Formats
from services.core.scoping import visible
from services.mail import layout
from services.mail.layout import Recipient
from services.organizations.card_account import card_account

log = logging.getLogger("portico.purchases")

UNAVAILABLE = "Payment is unavailable right now. Nothing was charged. Please try again in a few minutes."
# A bound on new purchases per email and per organization, so a script cannot open thousands of sessions.
EMAIL_LIMIT, ORG_LIMIT = 10, 300
LIMIT_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class _Buyer:
    actor: Actor
    via: str  # portal or public
    email: str
    company: str = ""
    contact_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class _Opened:
    purchase_id: uuid.UUID
    key: str
    account: str | None
    amount_minor: int
    currency: str
    recurring: str
    description: str
    org_id: uuid.UUID
    slug: str
    email: str


# --- starting ------------------------------------------------------------------------------------------------------


async def start_contact_purchase(actor: PortalActor, service_id: uuid.UUID | str) -> str:
    """A signed-in contact buys or subscribes: the Checkout URL. The purchase is theirs and their client's."""
    if not isinstance(actor, PortalActor):
        raise NotFound("Service not found")
    return await _start(
        actor.org_id,
        service_id,
        _Buyer(actor, "portal", actor.email, contact_id=actor.contact_id, client_id=actor.client_id),
    )


async def start_visitor_purchase(
    org_id: uuid.UUID, service_id: uuid.UUID | str, email: str, company: str, *, ip: str = ""
) -> str:
    """Someone on the public Services page buys: the Checkout URL. Who they are is settled only after payment."""
    buyer = _Buyer(
        SystemActor(org_id=org_id, label="services page", ip=ip),
        "public",
        normalize_email(email),
        required_text(company, "company", "Company", 200),
    )
    return await _start(org_id, service_id, buyer)


async def _start(org_id: uuid.UUID, service_id: uuid.UUID | str, buyer: _Buyer) -> str:
    opened = await _open(org_id, service_id, buyer)
    base = f"{config.get().base_url}/portal/{opened.slug}/services"
    metadata = {
        "portico_purchase_id": str(opened.purchase_id),
        "portico_org_id": str(opened.org_id),
    }
    try:
        created = await stripe_gateway.create_checkout_session(
            amount_minor=opened.amount_minor,
            currency=opened.currency,
            description=opened.description,
            metadata=metadata,
            client_reference_id=str(opened.purchase_id),
            success_url=f"{base}?purchase=success&session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{base}?purchase=cancelled",
            customer_email=opened.email,
            expires_at=stripe_now() + SESSION_LIFETIME,
            idempotency_key=opened.key,
            account=opened.account,
            recurring=opened.recurring,
        )
    except stripe_gateway.StripeUnavailable as exc:
        await _failed_to_start(opened.purchase_id, exc.reason)
        raise PaymentUnavailable(UNAVAILABLE) from exc
    if not created.id or not created.url:
        await _failed_to_start(opened.purchase_id, "Stripe answered without a session id or URL")
        raise PaymentUnavailable(UNAVAILABLE)
    async with unit_of_work(STRIPE) as session:
        purchase = await session.get(Purchase, opened.purchase_id, with_for_update=True)
        assert purchase is not None
        purchase.stripe_session_id = purchase.stripe_session_id or created.id
        purchase.checkout_url, purchase.expires_at = created.url, created.expires_at
        if purchase.status in (PurchaseStatus.creating, PurchaseStatus.error):
            purchase.status, purchase.error = PurchaseStatus.open, ""
    return created.url


async def _open(org_id: uuid.UUID, service_id: uuid.UUID | str, buyer: _Buyer) -> _Opened:
    now = clock.now()
    async with unit_of_work(SystemActor(org_id=org_id, label="services page")) as session:
        org = await session.get(Organization, org_id)
        if org is None or not org.portal_enabled:
            raise NotFound("Service not found")
        service = await catalog.offered_service(session, org_id, service_id)
        payee = card_account(org)
        if payee is None:
            raise NotOffered("Card payment is not available for this service.")
        stripe_gateway.to_stripe_amount(service.price_minor, service.currency)
        recent_by_email = await session.scalar(
            select(func.count())
            .select_from(Purchase)
            .where(Purchase.org_id == org_id, Purchase.email == buyer.email, Purchase.created_at > now - LIMIT_WINDOW)
        )
        recent = await session.scalar(
            select(func.count())
            .select_from(Purchase)
            .where(Purchase.org_id == org_id, Purchase.created_at > now - LIMIT_WINDOW)
        )
        if (recent_by_email or 0) >= EMAIL_LIMIT or (recent or 0) >= ORG_LIMIT:
            raise TooManyAttempts("There have been many purchase attempts. Please try again in a few minutes.")
        purchase_id = uuid.uuid4()
        key = f"portico-purchase-{purchase_id}"
        session.add(
            Purchase(
                id=purchase_id,
                org_id=org_id,
                service_id=service.id,
                contact_id=buyer.contact_id,
                client_id=buyer.client_id,
                via=buyer.via,
                email=buyer.email,
                company=buyer.company,
                service_name=service.name,
                interval=service.interval,
                amount_minor=service.price_minor,
                currency=service.currency,
                idempotency_key=key,
                status=PurchaseStatus.creating,
                stripe_account_id=payee.account,
                created_at=now,
            )
        )
        audit.record(
            session,
            buyer.actor,
            "purchase.started",
            org_id=org_id,
            target_type="service",
            target_id=service.id,
            target_label=service.name,
            detail={
                "amount": money.format_decimal(service.price_minor, service.currency),
                "currency": service.currency,
                "via": buyer.via,
            },
        )
        return _Opened(
            purchase_id=purchase_id,
            key=key,
            account=payee.account,
            amount_minor=service.price_minor,
            currency=service.currency,
            recurring="" if service.interval == Interval.one_time else service.interval.value,
            description=f"{service.name} · {org.name}",
            org_id=org_id,
            slug=org.slug,
            email=buyer.email,
        )


async def _failed_to_start(purchase_id: uuid.UUID, reason: str) -> None:
    async with unit_of_work(STRIPE) as session:
        await session.execute(
            update(Purchase)
            .where(Purchase.id == purchase_id, Purchase.status == PurchaseStatus.creating)
            .values(status=PurchaseStatus.error, error=reason[:500])
        )


# --- learning the outcome ------------------------------------------------------------------------------------------


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _disagreement(purchase: Purchase, found: CheckoutSession, account: str | None) -> str:
    if purchase.stripe_account_id != account:
        return "The payment event came from another Stripe account than the one the purchase was started on."
    for key, expected in (("portico_purchase_id", str(purchase.id)), ("portico_org_id", str(purchase.org_id))):
        claimed = found.metadata.get(key)
        if claimed is not None and claimed != expected:
            return "The payment's details name another purchase or organization."
    if found.client_reference_id and found.client_reference_id != str(purchase.id):
        return "The payment's details name another purchase."
    return ""


async def _find(session: AsyncSession, found: CheckoutSession) -> Purchase | None:
    purchase = await session.scalar(select(Purchase).where(Purchase.stripe_session_id == found.id).with_for_update())
    if purchase is None:
        purchase_id = _as_uuid(found.metadata.get("portico_purchase_id", ""))
        purchase = await session.get(Purchase, purchase_id, with_for_update=True) if purchase_id else None
    return purchase


def is_purchase(found: CheckoutSession) -> bool:
    """A session Portico made for the catalog (it names a purchase), rather than for an invoice."""
    return "portico_purchase_id" in found.metadata


async def prefetch(found: CheckoutSession, account: str | None) -> SubscriptionState | None:
    """A paid subscription session's subscription, read before the transaction (for its period end); None when
    there is none or Stripe cannot be asked: the subscription's own events fill it in then."""
    if found.mode != "subscription" or not found.subscription_id:
        return None
    try:
        return await stripe_gateway.retrieve_subscription(found.subscription_id, account=account)
    except stripe_gateway.StripeUnavailable as exc:
        log.info("subscription %s not read back: %s", found.subscription_id, exc.reason)
        return None


async def apply_session(
    session: AsyncSession,
    found: CheckoutSession,
    kind: str,
    source: str,
    account: str | None,
    subscription: SubscriptionState | None = None,
) -> Outcome:
    purchase = await _find(session, found)
    if purchase is None:
        return Outcome("ignored", None, "not a Portico purchase")
    problem = _disagreement(purchase, found, account)
    if not problem and purchase.stripe_session_id not in (None, found.id):
        problem = "The payment names a purchase that was made with another Checkout Session."
    if problem:
        log.warning("Checkout Session %s refused for purchase %s: %s", found.id, purchase.id, problem)
        audit.record(
            session,
            STRIPE,
            "purchase.refused",
            org_id=purchase.org_id,
            target_type="service",
            target_id=purchase.service_id,
            target_label=purchase.service_name,
            detail={"problem": problem, "stripe_session": found.id, "source": source},
        )
        return Outcome("refused", purchase.org_id, problem)
    purchase.stripe_session_id = found.id
    if purchase.status in (PurchaseStatus.paid, PurchaseStatus.review):
        return Outcome("unchanged", purchase.org_id, f"already {purchase.status.value}")
    outcome = await _apply_kind(session, purchase, found, kind, source, subscription)
    if outcome.result in SETTLED_RESULTS:
        events.publish(session, events.PurchasesChanged(purchase.org_id, purchase.client_id))
    return outcome


async def _apply_kind(
    session: AsyncSession,
    purchase: Purchase,
    found: CheckoutSession,
    kind: str,
    source: str,
    subscription: SubscriptionState | None,
) -> Outcome:
    org_id = purchase.org_id
    if kind == "paid":
        return await _fulfil(session, purchase, found, source, subscription)
    if kind == "pending" and purchase.status in (PurchaseStatus.creating, PurchaseStatus.open, PurchaseStatus.error):
        purchase.status = PurchaseStatus.pending
        return Outcome("pending", org_id)
    if kind == "failed" and purchase.status in PURCHASE_UNSETTLED:
        purchase.status, purchase.settled_at = PurchaseStatus.failed, clock.now()
        return Outcome("failed", org_id)
    if kind == "expired" and purchase.status in (PurchaseStatus.creating, PurchaseStatus.open, PurchaseStatus.error):
        purchase.status, purchase.settled_at = PurchaseStatus.expired, clock.now()
        return Outcome("expired", org_id)
    return Outcome("unchanged", org_id, f"{kind} while {purchase.status.value}")


async def _fulfil(
    session: AsyncSession,
    purchase: Purchase,
    found: CheckoutSession,
    source: str,
    subscription: SubscriptionState | None,
) -> Outcome:
    org = await session.get(Organization, purchase.org_id)
    assert org is not None
    if found.currency != purchase.currency or found.amount_total != purchase.amount_minor:
        charged = (
            f"{money.format_decimal(found.amount_total, found.currency)} {found.currency}"
            if found.amount_total is not None and found.currency
            else "an unknown amount"
        )
        problem = f"Stripe charged {charged} for a purchase of {money.format_decimal(purchase.amount_minor, purchase.currency)} {purchase.currency}."
        purchase.status, purchase.settled_at, purchase.error = PurchaseStatus.review, clock.now(), problem[:500]
        audit.record(
            session,
            STRIPE,
            "purchase.needs_review",
            org_id=org.id,
            target_type="service",
            target_id=purchase.service_id,
            target_label=purchase.service_name,
            detail={"problem": problem, "stripe_session": found.id, "source": source},
        )
        payment_mail.queue(
            session,
            org,
            await payment_mail.agency(session, org),
            f"Purchase needs review: {purchase.service_name}",
            [
                f"Stripe reports a payment for {purchase.service_name} by {purchase.email} that Portico did not apply.",
                problem,
                f"Please check it in Stripe (session {found.id}) and refund it or set the client up by hand.",
            ],
            to_client=False,
        )
        return Outcome("review", org.id, problem)
    client, contact, new = await _buyer(session, org, purchase, found)
    project = await _project(session, org, purchase, client, contact)
    record = None
    if purchase.interval != Interval.one_time and found.subscription_id:
        record = await _subscription(session, purchase, client, found, subscription)
    invoice = await record_paid(
        session,
        org_id=org.id,
        client_id=client.id,
        project_id=project.id,
        description=purchase.service_name if record is None else f"{purchase.service_name}: first period",
        money=CardMoney(
            amount_minor=purchase.amount_minor,
            currency=purchase.currency,
            reference=f"Stripe {found.payment_intent_id or found.invoice_id or found.id}",
            stripe_session_id=found.id,
            stripe_payment_intent_id=found.payment_intent_id or None,
            stripe_invoice_id=found.invoice_id or None,
        ),
        subscription_id=record.id if record else None,
    )
    purchase.client_id, purchase.contact_id = client.id, contact.id
    purchase.project_id, purchase.invoice_id = project.id, invoice.id
    purchase.subscription_id = record.id if record else None
    purchase.status, purchase.settled_at, purchase.error = PurchaseStatus.paid, clock.now(), ""
    audit.record(
        session,
        STRIPE,
        "purchase.paid",
        org_id=org.id,
        target_type="service",
        target_id=purchase.service_id,
        target_label=purchase.service_name,
        detail={
            "amount": money.format_decimal(purchase.amount_minor, purchase.currency),
            "currency": purchase.currency,
            "client": client.name,
            "buyer": purchase.email,
            "new_client": new,
            "invoice": invoice.number,
            "stripe_session": found.id,
            "source": source,
        },
    )
    await _mails(session, org, purchase, client, contact, project, invoice.number, new)
    events.publish(session, events.ProjectActivity(org.id, client.id, project.id))
    return Outcome("paid", org.id)


async def _buyer(
    session: AsyncSession, org: Organization, purchase: Purchase, found: CheckoutSession
) -> tuple[Client, Contact, bool]:
    """The signed-in buyer's client; else the existing contact with this email and its client; else new ones."""
    if purchase.contact_id is not None:
        contact = await session.get(Contact, purchase.contact_id)
        if contact is not None:
            client = await session.get(Client, contact.client_id)
            assert client is not None
            return client, contact, False
    known = await session.scalar(select(Contact).where(Contact.org_id == org.id, Contact.email == purchase.email))
    if known is not None:
        client = await session.get(Client, known.client_id)
        assert client is not None
        return client, known, False
    name = purchase.company or purchase.email
    client = Client(org_id=org.id, name=name[:200], name_key=name[:200].lower(), email=purchase.email)
    session.add(client)
    await session.flush()
    contact = Contact(
        org_id=org.id,
        client_id=client.id,
        email=purchase.email,
        name=(found.customer_name or purchase.email.split("@")[0])[:200],
        portal_enabled=True,
        billing=True,
    )
    session.add(contact)
    await session.flush()
    for action, target, label in (
        ("client.created", ("client", client.id), client.name),
        ("contact.created", ("contact", contact.id), contact.email),
    ):
        audit.record(
            session,
            STRIPE,
            action,
            org_id=org.id,
            target_type=target[0],
            target_id=target[1],
            target_label=label,
            detail={"via": "purchase", "service": purchase.service_name},
        )
    return client, contact, True


async def _project(
    session: AsyncSession, org: Organization, purchase: Purchase, client: Client, contact: Contact
) -> Project:
    """The project the service starts, from its template: milestones due days after today, a first request."""
    service = await session.get(Service, purchase.service_id)
    assert service is not None
    return await project_templates.start_project_in(
        session,
        STRIPE,
        org,
        client_id=client.id,
        name=purchase.service_name,
        template=service,
        requester_contact_id=contact.id,
        via="purchase",
    )


async def _subscription(
    session: AsyncSession,
    purchase: Purchase,
    client: Client,
    found: CheckoutSession,
    state: SubscriptionState | None,
) -> Subscription:
    existing = await session.scalar(
        select(Subscription).where(Subscription.stripe_subscription_id == found.subscription_id)
    )
    if existing is not None:
        return existing
    record = Subscription(
        org_id=purchase.org_id,
        client_id=client.id,
        service_id=purchase.service_id,
        service_name=purchase.service_name,
        interval=purchase.interval,
        amount_minor=purchase.amount_minor,
        currency=purchase.currency,
        stripe_subscription_id=found.subscription_id,
        stripe_customer_id=found.customer_id,
        stripe_account_id=purchase.stripe_account_id,
        status=state.status if state else "active",
        current_period_end=state.current_period_end if state else None,
        cancel_at_period_end=state.cancel_at_period_end if state else False,
        stripe_state_at=clock.now() if state else None,
    )
    session.add(record)
    await session.flush()
    return record


async def _mails(
    session: AsyncSession,
    org: Organization,
    purchase: Purchase,
    client: Client,
    contact: Contact,
    project: Project,
    invoice_number: str,
    new: bool,
) -> None:
    formats = Formats(org.locale, org.timezone)
    price = formats.money(purchase.amount_minor, purchase.currency)
    every = {Interval.month: " a month", Interval.year: " a year"}.get(purchase.interval, "")
    welcome: list[layout.Block] = []
    if contact.active and contact.portal_enabled:
        welcome = await magic_links.welcome_blocks(session, contact, org)
    payment_mail.queue(
        session,
        org,
        [Recipient(purchase.email, contact.name)],
        f"Thank you for your purchase: {purchase.service_name}",
        [
            f"Thank you. {org.name} received your payment of {price}{every} for {purchase.service_name}.",
            f"Your receipt is invoice {invoice_number}, marked paid. The project “{project.name}” is set up.",
            *welcome,
        ],
        to_client=True,
    )
    payment_mail.queue(
        session,
        org,
        await payment_mail.agency(session, org),
        f"New purchase: {purchase.service_name} · {price}{every} by {client.name}",
        [
            f"{client.name} ({purchase.email}) bought {purchase.service_name} for {price}{every}."
            + (" They are a new client; their portal access is on." if new else ""),
            f"Invoice {invoice_number} is recorded as paid, and the project “{project.name}” was made.",
            layout.Button("Open the project", f"{config.get().base_url}/projects/{project.id}"),
        ],
        to_client=False,
    )


# --- the buyer's return and the reconcile job ----------------------------------------------------------------------


async def _settle_from_stripe(session_id: str, account: str | None, source: str) -> Outcome:
    found = await stripe_gateway.retrieve_checkout_session(session_id, account=account)
    kind = kind_of_session(found)
    if kind == "open":
        return Outcome("unchanged", None, "still open")
    subscription = await prefetch(found, account) if kind == "paid" else None

    async def settle() -> Outcome:
        async with unit_of_work(STRIPE) as session:
            return await apply_session(session, found, kind, source, account, subscription)

    return await settling_once(settle)


async def confirm_return(org_id: uuid.UUID, session_id: str) -> Outcome:
    """The buyer is back on the Services page: settle now from Stripe's record of a session of this organization
    that is not settled yet (a made-up id costs one indexed read and no call to Stripe)."""
    if not stripe_gateway.configured() or not session_id or len(session_id) > 255:
        return Outcome("ignored")
    async with unit_of_work(STRIPE) as session:
        waiting = (
            await session.execute(
                select(Purchase.id, Purchase.stripe_account_id).where(
                    Purchase.stripe_session_id == session_id,
                    Purchase.org_id == org_id,
                    Purchase.status.in_(PURCHASE_UNSETTLED),
                )
            )
        ).first()
    if waiting is None:
        return Outcome("ignored")
    try:
        return await _settle_from_stripe(session_id, waiting.stripe_account_id, "return")
    except stripe_gateway.StripeUnavailable as exc:
        log.warning("could not confirm purchase session %s on return: %s", session_id, exc.reason)
        return Outcome("unchanged", None, exc.reason)


async def reconcile() -> int:
    """Read back purchase sessions that got no final word in a few minutes; how many changed state."""
    if not stripe_gateway.configured():
        return 0
    now = clock.now()
    async with unit_of_work(STRIPE) as session:
        await session.execute(
            update(Purchase)
            .where(Purchase.status == PurchaseStatus.creating, Purchase.created_at < now - RECONCILE_AFTER)
            .values(status=PurchaseStatus.error, error="Stripe did not confirm the session")
        )
        waiting = (
            await session.execute(
                select(Purchase.stripe_session_id, Purchase.stripe_account_id)
                .where(
                    Purchase.status.in_((PurchaseStatus.open, PurchaseStatus.pending)),
                    Purchase.stripe_session_id.is_not(None),
                    Purchase.created_at < now - RECONCILE_AFTER,
                    Purchase.created_at > now - RECONCILE_WINDOW,
                )
                .order_by(Purchase.created_at)
                .limit(RECONCILE_BATCH)
            )
        ).all()
    return await read_back_each([(row[0], row[1]) for row in waiting], _settle_from_stripe, "purchase")


# --- what staff read -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PurchaseView:
    id: uuid.UUID
    service_name: str
    interval: Interval
    amount_minor: int
    currency: str
    status: PurchaseStatus
    email: str
    via: str
    created_at: datetime
    project_id: uuid.UUID | None
    invoice_id: uuid.UUID | None
    subscription_id: uuid.UUID | None


async def list_purchases(actor: Actor, client_id: uuid.UUID | str) -> list[PurchaseView]:
    """A client's purchases, newest first, for its staff page."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        rows = await session.scalars(
            select(Purchase)
            .where(*visible(actor, Purchase), Purchase.client_id == parse_id(client_id, "Client not found"))
            .order_by(Purchase.created_at.desc())
            .limit(100)
        )
        return [
            PurchaseView(
                id=row.id,
                service_name=row.service_name,
                interval=row.interval,
                amount_minor=row.amount_minor,
                currency=row.currency,
                status=row.status,
                email=row.email,
                via=row.via,
                created_at=row.created_at,
                project_id=row.project_id,
                invoice_id=row.invoice_id,
                subscription_id=row.subscription_id,
            )
            for row in rows
        ]
