"""Payments staff record by hand (bank transfers, cash, checks): partial payments move an invoice to partially paid."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from models.invoices import Invoice, InvoiceStatus, Payment
from models.organizations import Organization
from services.billing import receivable_totals
from services.billing.invoice_views import OPEN_STATUSES, STATUS_LABELS, InvoiceDetail, build_detail
from services.billing.invoices import load_invoice
from services.core import audit, clock, formatting, money
from services.core.actors import Actor, require_staff
from services.core.common import optional_text
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid

PAYMENT_METHODS = {"bank_transfer": "Bank transfer", "card": "Card", "cash": "Cash", "check": "Check", "other": "Other"}


def status_after_payment(total_minor: int, paid_minor: int) -> InvoiceStatus:
    if paid_minor >= total_minor:
        return InvoiceStatus.paid
    return InvoiceStatus.partially_paid if paid_minor > 0 else InvoiceStatus.sent


@dataclass(frozen=True, slots=True)
class PaymentInput:
    amount: object  # a decimal amount: "250.00"
    paid_on: date | None = None
    method: str = "bank_transfer"
    reference: str = ""


async def apply_payment(session: AsyncSession, invoice: Invoice, payment: Payment) -> None:
    """Add a new payment (manual or by card) to its invoice in the caller's transaction: the amount paid, the status
    it leads to, when it was paid in full, and the receivables rollups."""
    session.add(payment)
    before = receivable_totals.standing(invoice)
    invoice.amount_paid_minor += payment.amount_minor
    invoice.status = status_after_payment(invoice.total_minor, invoice.amount_paid_minor)
    if invoice.status == InvoiceStatus.paid and invoice.paid_at is None:
        invoice.paid_at = clock.now()
    await receivable_totals.changed_in(session, before, invoice, [payment])


async def _formats_of(session: AsyncSession, org_id: uuid.UUID) -> formatting.Formats:
    """The organization's way with money, for a message that states an amount (read only when one is needed)."""
    org = await session.get(Organization, org_id)
    return formatting.Formats(org.locale, org.timezone) if org else formatting.DEFAULT


async def record_payment(actor: Actor, invoice_id: uuid.UUID | str, data: PaymentInput) -> InvoiceDetail:
    """A payment staff received outside Portico. Partial payments are fine; more than is due is refused."""
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        invoice = await load_invoice(session, actor, invoice_id, lock=True)
        if invoice.status not in OPEN_STATUSES:
            raise Conflict(
                f"Payments can be recorded only for sent invoices; this one is {STATUS_LABELS[invoice.status.value].lower()}."
            )
        amount = money.to_minor(data.amount, invoice.currency, "amount", "Amount")
        due = invoice.total_minor - invoice.amount_paid_minor
        if amount <= 0:
            raise Invalid("The amount must be above zero.", "amount")
        if amount > due:
            formats = await _formats_of(session, invoice.org_id)
            raise Invalid(f"That is more than the {formats.money(due, invoice.currency)} due.", "amount")
        if data.method not in PAYMENT_METHODS:
            raise Invalid("Choose how the payment was made.", "method")
        paid_on = data.paid_on or clock.now().date()
        if paid_on > clock.now().date() + timedelta(days=1):
            raise Invalid("The payment date cannot be in the future.", "paid_on")
        payment = Payment(
            org_id=invoice.org_id,
            client_id=invoice.client_id,
            invoice_id=invoice.id,
            amount_minor=amount,
            currency=invoice.currency,
            paid_on=paid_on,
            method=data.method,
            reference=optional_text(data.reference, "reference", "Reference", 200),
            recorded_by_user_id=staff.user_id,
        )
        await apply_payment(session, invoice, payment)
        await session.flush()
        audit.record(
            session,
            actor,
            "invoice.payment_recorded",
            target_type="invoice",
            target_id=invoice.id,
            target_label=invoice.number,
            detail={
                "amount": money.format_decimal(amount, invoice.currency),
                "currency": invoice.currency,
                "method": data.method,
            },
        )
        return await build_detail(session, invoice)
