"""Invoices that are paid as they are made: a catalog purchase, and each renewal of a subscription (SPEC §12).

The money came in through Stripe before the invoice existed, so the invoice is issued, sent and paid in the
caller's transaction: a number from the organization's sequence, one line, a card payment, the receivables
rollups. A Stripe invoice is recorded once: `invoices.stripe_invoice_id` is unique.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.invoices import Invoice, InvoiceLine, InvoiceStatus, Payment
from services.billing import receivable_totals
from services.billing.invoice_views import public_token, public_token_hash
from services.billing.invoices import next_number
from services.billing.manual_payments import apply_payment
from services.core import clock


@dataclass(frozen=True, slots=True)
class CardMoney:
    """What Stripe took, and how to find it there."""

    amount_minor: int
    currency: str
    reference: str  # shown on the payment: "Stripe pi_…", "Stripe in_…"
    stripe_session_id: str | None = None
    stripe_payment_intent_id: str | None = None
    stripe_invoice_id: str | None = None


async def already_recorded(session: AsyncSession, stripe_invoice_id: str) -> bool:
    return await session.scalar(select(Invoice.id).where(Invoice.stripe_invoice_id == stripe_invoice_id)) is not None


async def record_paid(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    client_id: uuid.UUID,
    project_id: uuid.UUID | None,
    description: str,
    money: CardMoney,
    subscription_id: uuid.UUID | None = None,
) -> Invoice:
    """A sent, paid invoice of one line for the money Stripe took; its Payment is a card payment."""
    today = clock.now().date()
    invoice_id = uuid.uuid4()
    invoice = Invoice(
        id=invoice_id,
        org_id=org_id,
        client_id=client_id,
        project_id=project_id,
        number=await next_number(session, org_id),
        status=InvoiceStatus.draft,
        currency=money.currency,
        issue_date=today,
        due_date=today,
        subtotal_minor=money.amount_minor,
        discount_percent=Decimal(0),
        discount_minor=0,
        tax_minor=0,
        total_minor=money.amount_minor,
        amount_paid_minor=0,
        public_token_hash=public_token_hash(public_token(invoice_id)),
        stripe_invoice_id=money.stripe_invoice_id,
        subscription_id=subscription_id,
    )
    session.add(invoice)
    session.add(
        InvoiceLine(
            org_id=org_id,
            client_id=client_id,
            invoice_id=invoice_id,
            position=0,
            description=description[:500],
            quantity=Decimal(1),
            unit_price_minor=money.amount_minor,
            tax_rate=Decimal(0),
            net_minor=money.amount_minor,
            tax_minor=0,
        )
    )
    before = receivable_totals.standing(invoice)
    invoice.status, invoice.sent_at = InvoiceStatus.sent, clock.now()
    await receivable_totals.changed_in(session, before, invoice)
    await session.flush()
    payment = Payment(
        org_id=org_id,
        client_id=client_id,
        invoice_id=invoice_id,
        amount_minor=money.amount_minor,
        currency=money.currency,
        paid_on=today,
        method="card",
        reference=money.reference[:200],
        stripe_checkout_session_id=money.stripe_session_id,
        stripe_payment_intent_id=money.stripe_payment_intent_id,
    )
    await apply_payment(session, invoice, payment)
    await session.flush()
    return invoice
