"""Paying an invoice by card: Checkout attempts, what a session's outcome does, the payer's return, and the
reconcile job. Each session is made on the organization's own connected Stripe account (SPEC §16).

Every path that learns a Checkout Session's outcome (a webhook, the payer coming back, the reconcile job)
ends in `apply_session`, inside one transaction that first locks the attempt's row. That lock, the unique
event id in `stripe_events` and the unique session id on `payments` are what make duplicated, reordered
and concurrent deliveries harmless: a session is counted once, and its receipt is queued with it.

Money that arrives is recorded as it arrived. More than was due makes the invoice paid with a credit
that every view shows; less makes it partially paid. Money in another currency, or for an invoice voided
meanwhile, is not applied: the attempt is put up for review and the agency is mailed. A session from
another Stripe account than its attempt's, or whose metadata names another invoice, organization or attempt,
changes nothing: the named invoice's organization gets an audit row to review.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Contact
from models.invoices import Invoice, InvoiceStatus, Payment
from models.organizations import Organization
from models.payments import UNSETTLED, CheckoutAttempt, CheckoutStatus
from services.adapters import stripe_gateway
from services.adapters.stripe_gateway import CheckoutSession
from services.billing import invoices
from services.billing.invoice_views import OPEN_STATUSES, public_token_hash, public_url
from services.billing.manual_payments import apply_payment
from services.card_payments import payment_mail
from services.core import audit, clock, config, events, money
from services.core.actors import Actor, PortalActor, SystemActor
from services.core.db import unit_of_work
from services.core.errors import Conflict, NotFound, ServiceError
from services.organizations.card_account import card_account

log = logging.getLogger("portico.checkout")

STRIPE = SystemActor(label="Stripe")
# Stripe accepts 30 minutes to 24 hours; an hour is long enough to pay and short enough to reconcile soon.
SESSION_LIFETIME = timedelta(hours=1)
# An open session is offered again (rather than a second one that could be paid too) while this much is left.
REUSE_MARGIN = timedelta(minutes=10)
# Sessions this old with no final word are read back from Stripe by the reconcile job...
RECONCILE_AFTER = timedelta(minutes=5)
# ...until this age: a session lives a day at most, and bank debits settle within a few business days.
RECONCILE_WINDOW = timedelta(days=10)
RECONCILE_BATCH = 100
# A bound on new attempts per invoice, so a script cannot open thousands of sessions through a public link.
ATTEMPT_LIMIT = 10
ATTEMPT_WINDOW = timedelta(minutes=10)

NOT_OFFERED = "Card payment is not available for this invoice."
UNAVAILABLE = "Card payment is unavailable right now. Nothing was charged. Please try again in a few minutes."


class PaymentUnavailable(ServiceError):
    """Stripe could not start the payment: the payer sees the message, the attempt is kept as an error."""

    status_code = 503


class NotOffered(Conflict):
    """No card payment for this invoice: Stripe is not configured, or the invoice is not open."""


class NothingDue(Conflict):
    pass


class TooManyAttempts(Conflict):
    pass


def stripe_now() -> datetime:
    """The wall clock, for times Stripe compares with its own (session expiry), whatever services.clock says."""
    return datetime.now(UTC)


def offered(card_payments: bool, status: InvoiceStatus, amount_due_minor: int) -> bool:
    """Whether a Pay button belongs on an invoice: its organization takes card payments and something is due."""
    return card_payments and status in OPEN_STATUSES and amount_due_minor > 0


# --- starting a payment --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Started:
    attempt_id: uuid.UUID | None  # None when an open session was offered again
    url: str
    invoice_id: uuid.UUID
    org_id: uuid.UUID
    number: str
    org_name: str
    amount_minor: int
    currency: str
    success_url: str
    cancel_url: str
    customer_email: str
    idempotency_key: str
    account: str | None  # the connected account the session is made on (None: the platform's, in direct mode)


@dataclass(frozen=True, slots=True)
class _Payer:
    """Who presses Pay, and from where: the portal (a signed-in contact) or the public link (anyone holding it)."""

    actor: Actor
    via: str  # portal or public
    contact_id: uuid.UUID | None = None
    email: str = ""

    def return_urls(self, invoice: Invoice, slug: str) -> tuple[str, str]:
        """Where Checkout sends the payer back: the invoice as they opened it."""
        if self.via == "portal":
            page = f"{config.get().base_url}/portal/{slug}/invoices/{invoice.id}"
        else:
            page = public_url(invoice.id)
        return f"{page}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}", f"{page}?checkout=cancelled"


async def start_portal_checkout(actor: PortalActor, invoice_id: uuid.UUID | str) -> str:
    """A signed-in contact pays from the portal: the Checkout URL to send the browser to."""
    if not isinstance(actor, PortalActor):
        raise NotFound("Invoice not found")
    async with unit_of_work(actor) as session:  # the portal's rules decide which invoices it may pay
        found = (await invoices.load_invoice(session, actor, invoice_id)).id
    return await _start(_Payer(actor, "portal", actor.contact_id, actor.email), found)


async def start_public_checkout(token: str, *, ip: str = "") -> str:
    """Anyone holding the invoice's public link pays it without signing in."""
    actor = SystemActor(label="public link", ip=ip)
    async with unit_of_work(actor) as session:
        invoice = await session.scalar(select(Invoice).where(Invoice.public_token_hash == public_token_hash(token)))
        if invoice is None or invoice.status in (InvoiceStatus.draft, InvoiceStatus.void):
            raise NotOffered(NOT_OFFERED)
    return await _start(_Payer(actor, "public"), invoice.id)


async def _start(payer: _Payer, invoice_id: uuid.UUID) -> str:
    started = await _open_attempt(payer, invoice_id)
    actor = payer.actor
    if started.attempt_id is None:
        return started.url
    try:
        created = await stripe_gateway.create_checkout_session(
            amount_minor=started.amount_minor,
            currency=started.currency,
            description=f"Invoice {started.number} · {started.org_name}",
            metadata={
                "portico_attempt_id": str(started.attempt_id),
                "portico_invoice_id": str(started.invoice_id),
                "portico_org_id": str(started.org_id),
                "invoice_number": started.number,
            },
            client_reference_id=str(started.invoice_id),
            success_url=started.success_url,
            cancel_url=started.cancel_url,
            customer_email=started.customer_email,
            expires_at=stripe_now() + SESSION_LIFETIME,
            idempotency_key=started.idempotency_key,
            account=started.account,
        )
    except stripe_gateway.StripeUnavailable as exc:
        await _attempt_failed(actor, started, exc.reason)
        raise PaymentUnavailable(UNAVAILABLE) from exc
    if not created.id or not created.url:
        await _attempt_failed(actor, started, "Stripe answered without a session id or URL")
        raise PaymentUnavailable(UNAVAILABLE)
    async with unit_of_work(STRIPE) as session:
        attempt = await session.get(CheckoutAttempt, started.attempt_id, with_for_update=True)
        assert attempt is not None
        attempt.stripe_session_id = attempt.stripe_session_id or created.id
        attempt.checkout_url = created.url
        attempt.expires_at = created.expires_at
        if attempt.status in (CheckoutStatus.creating, CheckoutStatus.error):
            attempt.status, attempt.error = CheckoutStatus.open, ""
    return created.url


async def _open_attempt(payer: _Payer, invoice_id: uuid.UUID) -> _Started:
    """The attempt row, committed before Stripe is called, so every session Stripe makes has a row to land on.

    The caller found the invoice through the payer's own actor; attempts are staff-only rows, so this runs as
    the platform inside the invoice's organization, with the invoice locked.
    """
    now = clock.now()
    async with unit_of_work(STRIPE) as session:
        invoice = await session.scalar(select(Invoice).where(Invoice.id == invoice_id).with_for_update())
        if invoice is None:
            raise NotOffered(NOT_OFFERED)
        due = invoice.total_minor - invoice.amount_paid_minor
        if invoice.status not in OPEN_STATUSES or due <= 0:
            raise NothingDue("This invoice has nothing left to pay.")
        stripe_gateway.to_stripe_amount(due, invoice.currency)  # refuses an amount Stripe cannot charge exactly
        org = await session.get(Organization, invoice.org_id)
        assert org is not None
        payee = card_account(org)
        if payee is None:
            raise NotOffered(NOT_OFFERED)
        success_url, cancel_url = payer.return_urls(invoice, org.slug)
        started = _Started(
            attempt_id=None,
            url="",
            idempotency_key="",
            invoice_id=invoice.id,
            org_id=invoice.org_id,
            number=invoice.number,
            org_name=org.name,
            amount_minor=due,
            currency=invoice.currency,
            success_url=success_url,
            cancel_url=cancel_url,
            customer_email=payer.email,
            account=payee.account,
        )
        reusable = await session.scalar(
            select(CheckoutAttempt)
            .where(
                CheckoutAttempt.invoice_id == invoice.id,
                CheckoutAttempt.org_id == invoice.org_id,
                CheckoutAttempt.status == CheckoutStatus.open,
                CheckoutAttempt.amount_minor == due,
                CheckoutAttempt.currency == invoice.currency,
                CheckoutAttempt.via == payer.via,
                CheckoutAttempt.stripe_account_id.is_(None)
                if payee.account is None
                else CheckoutAttempt.stripe_account_id == payee.account,
                CheckoutAttempt.expires_at > stripe_now() + REUSE_MARGIN,
                CheckoutAttempt.checkout_url != "",
            )
            .order_by(CheckoutAttempt.created_at.desc())
            .limit(1)
        )
        if reusable is not None:
            return dataclasses.replace(started, url=reusable.checkout_url)
        recent = await session.scalar(
            select(func.count())
            .select_from(CheckoutAttempt)
            .where(CheckoutAttempt.invoice_id == invoice.id, CheckoutAttempt.created_at > now - ATTEMPT_WINDOW)
        )
        if (recent or 0) >= ATTEMPT_LIMIT:
            raise TooManyAttempts(
                "There have been many payment attempts for this invoice. Please try again in a few minutes."
            )
        attempt_id = uuid.uuid4()
        key = f"portico-checkout-{attempt_id}"
        session.add(
            CheckoutAttempt(
                id=attempt_id,
                org_id=invoice.org_id,
                client_id=invoice.client_id,
                invoice_id=invoice.id,
                contact_id=payer.contact_id,
                via=payer.via,
                amount_minor=due,
                currency=invoice.currency,
                idempotency_key=key,
                status=CheckoutStatus.creating,
                created_at=now,
                stripe_account_id=payee.account,
            )
        )
        audit.record(
            session,
            payer.actor,
            "invoice.checkout_started",
            org_id=invoice.org_id,
            target_type="invoice",
            target_id=invoice.id,
            target_label=invoice.number,
            detail={
                "amount": money.format_decimal(due, invoice.currency),
                "currency": invoice.currency,
                "via": payer.via,
            },
        )
        return dataclasses.replace(started, attempt_id=attempt_id, idempotency_key=key)


async def _attempt_failed(actor: Actor, started: _Started, reason: str) -> None:
    """Keep the failure where staff can see it; the payer only learns that nothing was charged."""
    async with unit_of_work(STRIPE) as session:
        await session.execute(
            update(CheckoutAttempt)
            .where(CheckoutAttempt.id == started.attempt_id, CheckoutAttempt.status == CheckoutStatus.creating)
            .values(status=CheckoutStatus.error, error=reason[:500])
        )
        audit.record(
            session,
            actor,
            "invoice.checkout_failed",
            org_id=started.org_id,
            target_type="invoice",
            target_id=started.invoice_id,
            target_label=started.number,
            detail={"reason": reason},
        )


# --- learning the outcome ------------------------------------------------------------------------------------------


def kind_of_event(event_type: str, found: CheckoutSession) -> str:
    if event_type == "checkout.session.completed":
        return "paid" if found.payment_status in ("paid", "no_payment_required") else "pending"
    return {
        "checkout.session.async_payment_succeeded": "paid",
        "checkout.session.async_payment_failed": "failed",
        "checkout.session.expired": "expired",
    }[event_type]


def kind_of_session(found: CheckoutSession) -> str:
    """What a session read back from Stripe says, for the payer's return and the reconcile job."""
    if found.status == "complete":
        if found.payment_status in ("paid", "no_payment_required"):
            return "paid"
        if found.payment_intent_status in ("requires_payment_method", "canceled"):
            return "failed"
        return "pending"
    return "expired" if found.status == "expired" else "open"


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class _Refused(Exception):
    """A session that names an attempt or invoice it does not belong to: nothing is applied, and each invoice
    involved (the attempt's, and one its metadata names) gets an audit row in its own organization, for review."""

    def __init__(self, reason: str, *invoice_ids: uuid.UUID) -> None:
        super().__init__(reason)
        self.reason, self.invoice_ids = reason, tuple(dict.fromkeys(invoice_ids))


def _disagreement(attempt: CheckoutAttempt, found: CheckoutSession, account: str | None) -> str:
    """Why a session cannot settle this attempt ("" when it can): it must come from the account the attempt's
    session was made on, and its metadata must name this attempt, its invoice and its organization."""
    if attempt.stripe_account_id != account:
        return "The payment event came from another Stripe account than the one the payment was started on."
    named = {
        "portico_attempt_id": str(attempt.id),
        "portico_invoice_id": str(attempt.invoice_id),
        "portico_org_id": str(attempt.org_id),
    }
    for key, expected in named.items():
        claimed = found.metadata.get(key)
        if claimed is not None and claimed != expected:
            return "The payment's details name another invoice, organization or payment attempt."
    if found.client_reference_id and found.client_reference_id != str(attempt.invoice_id):
        return "The payment's details name another invoice."
    return ""


async def _find_attempt(session: AsyncSession, found: CheckoutSession, account: str | None) -> CheckoutAttempt | None:
    """The attempt a session belongs to, locked: by the session id, else by the attempt id in its metadata
    (the session may have been made just before a crash that lost our copy of its id). _Refused when the
    session names one but cannot belong to it; None when it names nothing of Portico's."""
    if not found.id:
        return None
    attempt = await session.scalar(
        select(CheckoutAttempt).where(CheckoutAttempt.stripe_session_id == found.id).with_for_update()
    )
    if attempt is None:
        attempt_id = _as_uuid(found.metadata.get("portico_attempt_id", ""))
        attempt = await session.get(CheckoutAttempt, attempt_id, with_for_update=True) if attempt_id else None
        if attempt is not None and attempt.stripe_session_id not in (None, found.id):
            raise _Refused(
                "The payment names an attempt that was made with another Checkout Session.", attempt.invoice_id
            )
    named = _as_uuid(found.metadata.get("portico_invoice_id") or found.client_reference_id or "")
    if named is not None and await session.get(Invoice, named) is None:
        named = None
    if attempt is None:
        if named is not None:
            raise _Refused("The payment names this invoice but none of its payment attempts.", named)
        return None
    problem = _disagreement(attempt, found, account)
    if problem:
        log.warning(
            "Checkout Session %s (account %s) refused for attempt %s (account %s): %s",
            found.id,
            account,
            attempt.id,
            attempt.stripe_account_id,
            problem,
        )
        raise _Refused(problem, attempt.invoice_id, *([named] if named else []))
    attempt.stripe_session_id = found.id
    return attempt


# The outcomes that change what pages show (and that the reconcile jobs count).
SETTLED_RESULTS = ("paid", "pending", "failed", "expired", "review")


@dataclass(frozen=True, slots=True)
class Outcome:
    result: str  # paid, pending, failed, expired, review, refused, unchanged, ignored, duplicate
    org_id: uuid.UUID | None = None
    detail: str = ""


async def apply_session(
    session: AsyncSession, found: CheckoutSession, kind: str, source: str, account: str | None
) -> Outcome:
    """What a session's outcome (`kind`), learnt from `account`, does to its attempt and invoice."""
    try:
        attempt = await _find_attempt(session, found, account)
    except _Refused as refused:
        return await _refuse(session, found, refused, source)
    if attempt is None:
        return Outcome("ignored", None, "not a Portico checkout")
    outcome = await _apply_to_attempt(session, attempt, found, kind, source)
    if outcome.result in SETTLED_RESULTS:
        # after commit: open invoice pages (staff, and the paying client's portal) redraw from fresh data
        changed = events.InvoicePaymentChanged(attempt.org_id, attempt.client_id, attempt.invoice_id)
        events.publish(session, changed)
    return outcome


async def _refuse(session: AsyncSession, found: CheckoutSession, refused: _Refused, source: str) -> Outcome:
    """Record the refusal on each invoice involved, in its own organization, for its staff to review; nothing
    else changes. The rows name no other organization's invoice or account."""
    org_id: uuid.UUID | None = None
    for invoice_id in refused.invoice_ids:
        invoice = await session.get(Invoice, invoice_id)
        assert invoice is not None
        org_id = org_id or invoice.org_id
        audit.record(
            session,
            STRIPE,
            "invoice.payment_refused",
            org_id=invoice.org_id,
            target_type="invoice",
            target_id=invoice.id,
            target_label=invoice.number,
            detail={"problem": refused.reason, "stripe_session": found.id, "source": source},
        )
    return Outcome("refused", org_id, refused.reason)


async def _apply_to_attempt(
    session: AsyncSession, attempt: CheckoutAttempt, found: CheckoutSession, kind: str, source: str
) -> Outcome:
    org_id = attempt.org_id
    if attempt.status in (CheckoutStatus.paid, CheckoutStatus.review):
        return Outcome("unchanged", org_id, f"already {attempt.status.value}")
    if kind == "paid":
        return await _settle_paid(session, attempt, found, source)
    if kind == "pending" and attempt.status in (CheckoutStatus.creating, CheckoutStatus.open, CheckoutStatus.error):
        attempt.status = CheckoutStatus.pending
        await _audit_attempt(session, attempt, "invoice.payment_pending", {"source": source})
        return Outcome("pending", org_id)
    if kind == "failed" and attempt.status in UNSETTLED:
        attempt.status, attempt.settled_at = CheckoutStatus.failed, clock.now()
        invoice = await _audit_attempt(session, attempt, "invoice.payment_failed", {"source": source})
        await payment_mail.failure(session, attempt, invoice)
        return Outcome("failed", org_id)
    if kind == "expired" and attempt.status in (CheckoutStatus.creating, CheckoutStatus.open, CheckoutStatus.error):
        attempt.status, attempt.settled_at = CheckoutStatus.expired, clock.now()
        return Outcome("expired", org_id)
    return Outcome("unchanged", org_id, f"{kind} while {attempt.status.value}")


async def _audit_attempt(session: AsyncSession, attempt: CheckoutAttempt, action: str, detail: dict) -> Invoice:
    invoice = await session.get(Invoice, attempt.invoice_id)
    assert invoice is not None
    audit.record(
        session,
        STRIPE,
        action,
        org_id=attempt.org_id,
        target_type="invoice",
        target_id=invoice.id,
        target_label=invoice.number,
        detail={
            "amount": money.format_decimal(attempt.amount_minor, attempt.currency),
            "currency": attempt.currency,
            **detail,
        },
    )
    return invoice


async def _settle_paid(session: AsyncSession, attempt: CheckoutAttempt, found: CheckoutSession, source: str) -> Outcome:
    invoice = await session.scalar(select(Invoice).where(Invoice.id == attempt.invoice_id).with_for_update())
    assert invoice is not None
    amount = found.amount_total
    problem = ""
    if found.currency != invoice.currency or amount is None:
        problem = f"Stripe charged {found.currency or 'an unknown currency'}; the invoice is in {invoice.currency}."
    elif invoice.status not in (InvoiceStatus.sent, InvoiceStatus.partially_paid, InvoiceStatus.paid):
        problem = f"The invoice is {invoice.status.value}; the payment was not applied to it."
    elif amount <= 0:
        problem = "Stripe reported no amount charged."
    if problem:
        attempt.status, attempt.settled_at, attempt.error = CheckoutStatus.review, clock.now(), problem[:500]
        charged = (
            f"{money.format_decimal(amount, found.currency)} {found.currency}" if amount and found.currency else ""
        )
        await _audit_attempt(
            session,
            attempt,
            "invoice.payment_needs_review",
            {"problem": problem, "charged": charged, "stripe_session": found.id, "source": source},
        )
        await payment_mail.review(session, attempt, invoice, problem, found)
        return Outcome("review", attempt.org_id, problem)
    assert amount is not None
    already = await session.scalar(select(Payment.id).where(Payment.stripe_checkout_session_id == found.id))
    if already is not None:
        attempt.status, attempt.settled_at = CheckoutStatus.paid, attempt.settled_at or clock.now()
        return Outcome("unchanged", attempt.org_id, "payment already recorded")
    due_before = invoice.total_minor - invoice.amount_paid_minor
    payment = Payment(
        org_id=invoice.org_id,
        client_id=invoice.client_id,
        invoice_id=invoice.id,
        amount_minor=amount,
        currency=invoice.currency,
        paid_on=clock.now().date(),
        method="card",
        reference=f"Stripe {found.payment_intent_id or found.id}"[:200],
        stripe_checkout_session_id=found.id,
        stripe_payment_intent_id=found.payment_intent_id or None,
    )
    await apply_payment(session, invoice, payment)
    attempt.status, attempt.settled_at, attempt.error = CheckoutStatus.paid, clock.now(), ""
    await session.flush()
    overpaid = max(invoice.amount_paid_minor - invoice.total_minor, 0)
    cur = invoice.currency
    detail: dict[str, Any] = {
        "amount": money.format_decimal(amount, cur),
        "currency": cur,
        "method": "card",
        "stripe_session": found.id,
        "payment_intent": found.payment_intent_id,
        "source": source,
    }
    if amount != attempt.amount_minor:
        detail["asked"] = money.format_decimal(attempt.amount_minor, cur)
    if overpaid:
        detail["overpaid"] = money.format_decimal(overpaid, cur)
    payer = await session.get(Contact, attempt.contact_id) if attempt.contact_id else None
    audit.record(
        session,
        STRIPE,
        "invoice.payment_received",
        org_id=invoice.org_id,
        target_type="invoice",
        target_id=invoice.id,
        target_label=invoice.number,
        detail={**detail, "payer": payer.email if payer else "public link"},
    )
    await payment_mail.receipts(session, invoice, attempt, payer, amount, due_before)
    return Outcome("paid", attempt.org_id)


# --- entry points: the webhook's session events, the payer's return, reconcile -------------------------------------


def apply_event(event: dict[str, Any]) -> Callable[[AsyncSession], Awaitable[Outcome]]:
    """A Checkout Session event, to apply inside the webhook's transaction (services.card_payments.webhooks)."""
    found = stripe_gateway.session_from_event(event)
    kind = kind_of_event(event["type"], found)
    account = stripe_gateway.event_account(event)
    return lambda session: apply_session(session, found, kind, f"webhook {event['id'][:255]}", account)


async def settling_once(work: Callable[[], Awaitable[Outcome]]) -> Outcome:
    """Run `work`; if it lost a race to another path settling the same session, run it again.

    On PostgreSQL the attempt's row lock orders such races. SQLite has no row locks: there the loser is
    stopped by the unique session id on payments, its transaction rolls back whole, and the second run
    sees the winner's result.
    """
    try:
        return await work()
    except IntegrityError:
        log.info("lost a race settling a Checkout Session; looking again")
        return await work()


async def _settle_from_stripe(stripe_session_id: str, account: str | None, source: str) -> Outcome:
    """Read the session back on the account it was made on, and apply what Stripe says."""
    found = await stripe_gateway.retrieve_checkout_session(stripe_session_id, account=account)
    kind = kind_of_session(found)
    if kind == "open":
        return Outcome("unchanged", None, "still open")

    async def settle() -> Outcome:
        async with unit_of_work(STRIPE) as session:
            return await apply_session(session, found, kind, source, account)

    return await settling_once(settle)


async def confirm_return(stripe_session_id: str, *, invoice_id: uuid.UUID | None = None, token: str = "") -> Outcome:
    """The payer is back from Checkout: settle now from Stripe's own record, rather than wait for the webhook.

    Only a session that belongs to this invoice (named by id, or by its public link's token) and is not
    settled yet is looked up, so a made-up id in the address costs one indexed read and no call to Stripe;
    it is read on the account the attempt was made on, never one the address could choose.
    Failures are left to the webhook and the reconcile job.
    """
    if not stripe_gateway.configured() or not stripe_session_id or len(stripe_session_id) > 255:
        return Outcome("ignored")
    if invoice_id is not None:
        belongs = CheckoutAttempt.invoice_id == invoice_id
    elif token:
        belongs = CheckoutAttempt.invoice_id.in_(
            select(Invoice.id).where(Invoice.public_token_hash == public_token_hash(token))
        )
    else:
        return Outcome("ignored")
    async with unit_of_work(STRIPE) as session:
        waiting = (
            await session.execute(
                select(CheckoutAttempt.id, CheckoutAttempt.stripe_account_id).where(
                    CheckoutAttempt.stripe_session_id == stripe_session_id,
                    belongs,
                    CheckoutAttempt.status.in_(UNSETTLED),
                )
            )
        ).first()
    if waiting is None:
        return Outcome("ignored")
    try:
        return await _settle_from_stripe(stripe_session_id, waiting.stripe_account_id, "return")
    except stripe_gateway.StripeUnavailable as exc:
        log.warning("could not confirm Checkout Session %s on return: %s", stripe_session_id, exc.reason)
        return Outcome("unchanged", None, exc.reason)


async def reconcile() -> int:
    """Read back sessions that got no final word in a few minutes; returns how many changed state."""
    if not stripe_gateway.configured():
        return 0
    now = clock.now()
    async with unit_of_work(STRIPE) as session:
        # An attempt Stripe never answered: if a session was made after all, its webhook finds it by metadata.
        await session.execute(
            update(CheckoutAttempt)
            .where(
                CheckoutAttempt.status == CheckoutStatus.creating,
                CheckoutAttempt.created_at < now - RECONCILE_AFTER,
            )
            .values(status=CheckoutStatus.error, error="Stripe did not confirm the session")
        )
        waiting = (
            await session.execute(
                select(CheckoutAttempt.stripe_session_id, CheckoutAttempt.stripe_account_id)
                .where(
                    CheckoutAttempt.status.in_((CheckoutStatus.open, CheckoutStatus.pending)),
                    CheckoutAttempt.stripe_session_id.is_not(None),
                    CheckoutAttempt.created_at < now - RECONCILE_AFTER,
                    CheckoutAttempt.created_at > now - RECONCILE_WINDOW,
                )
                .order_by(CheckoutAttempt.created_at)
                .limit(RECONCILE_BATCH)
            )
        ).all()
    return await read_back_each([(row[0], row[1]) for row in waiting], _settle_from_stripe, "invoice")


async def read_back_each(
    waiting: Sequence[tuple[str | None, str | None]],
    settle: Callable[[str, str | None, str], Awaitable[Outcome]],
    what: str,
) -> int:
    """The reconcile jobs' loop over (session id, account) pairs; how many changed state. A session or account
    Stripe refuses is skipped; Stripe unreachable stops the batch (the next run carries on)."""
    changed = 0
    for session_id, account in waiting:
        assert session_id is not None
        try:
            outcome = await settle(session_id, account, "reconcile")
        except stripe_gateway.StripeRefused as exc:  # this session or account only (access revoked, say)
            log.warning("reconcile skipped %s session %s on %s: %s", what, session_id, account, exc.reason)
            continue
        except stripe_gateway.StripeUnavailable as exc:
            log.warning("%s reconcile stopped, Stripe unavailable: %s", what, exc.reason)
            break
        if outcome.result in SETTLED_RESULTS:
            changed += 1
    return changed
