"""What staff see of card payments: Stripe's state for Settings, and the attempts on one invoice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from models.organizations import Organization
from models.payments import CheckoutAttempt, CheckoutStatus, StripeEvent
from services.adapters import stripe_gateway
from services.billing import invoices
from services.core import config
from services.core.actors import Actor, require_staff
from services.core.db import unit_of_work


@dataclass(frozen=True, slots=True)
class StripeOverview:
    """Settings' view of card payments for one organization."""

    status: stripe_gateway.StripeStatus
    webhook_url: str
    last_webhook_at: datetime | None
    open_attempts: int
    needs_review: int


async def stripe_overview(actor: Actor) -> StripeOverview:
    member = require_staff(actor)
    async with unit_of_work(actor) as session:
        last = await session.scalar(
            select(func.max(StripeEvent.received_at)).where(StripeEvent.org_id == member.org_id)
        )
        counts = dict(
            (
                await session.execute(
                    select(CheckoutAttempt.status, func.count())
                    .where(
                        CheckoutAttempt.org_id == member.org_id,
                        CheckoutAttempt.status.in_(
                            (CheckoutStatus.open, CheckoutStatus.pending, CheckoutStatus.review)
                        ),
                    )
                    .group_by(CheckoutAttempt.status)
                )
            ).all()
        )
    return StripeOverview(
        status=stripe_gateway.status(),
        webhook_url=f"{config.get().base_url}/webhooks/stripe",
        last_webhook_at=last,
        open_attempts=counts.get(CheckoutStatus.open, 0) + counts.get(CheckoutStatus.pending, 0),
        needs_review=counts.get(CheckoutStatus.review, 0),
    )


async def check_stripe(actor: Actor) -> str:
    """Staff's "Check connection": "" when Stripe answered on the organization's account (the platform's own
    while none is connected: then it checks the key alone), else why not."""
    staff = require_staff(actor)
    if not stripe_gateway.configured():
        return "No Stripe secret key is configured."
    account = stripe_gateway.PLATFORM
    if not stripe_gateway.get_config().direct:
        async with unit_of_work(staff) as session:
            account = await session.scalar(
                select(Organization.stripe_account_id).where(Organization.id == staff.org_id)
            )
    return await stripe_gateway.check_connection(account)


@dataclass(frozen=True, slots=True)
class AttemptRow:
    id: uuid.UUID
    created_at: datetime
    via: str
    amount_minor: int
    currency: str
    status: str
    error: str
    stripe_session_id: str


async def list_attempts(actor: Actor, invoice_id: uuid.UUID | str, limit: int = 20) -> list[AttemptRow]:
    """The card payment attempts of one invoice, newest first, for its staff page."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        invoice = await invoices.load_invoice(session, actor, invoice_id)
        rows = await session.scalars(
            select(CheckoutAttempt)
            .where(CheckoutAttempt.invoice_id == invoice.id, CheckoutAttempt.org_id == invoice.org_id)
            .order_by(CheckoutAttempt.created_at.desc())
            .limit(max(1, min(limit, 100)))
        )
        return [
            AttemptRow(
                r.id,
                r.created_at,
                r.via,
                r.amount_minor,
                r.currency,
                r.status.value,
                r.error,
                r.stripe_session_id or "",
            )
            for r in rows
        ]
