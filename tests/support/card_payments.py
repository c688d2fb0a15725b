"""Card payment helpers for tests: invoices to pay, Stripe events signed by the stand-in, what was recorded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from models import AuditEvent, CheckoutAttempt, OutboxMail, Payment
from services.billing import invoice_views
from services.card_payments import checkout, stripe_accounts, webhooks
from services.core.actors import PortalActor, SystemActor
from services.core.db import unit_of_work
from tests.support.factories import OrgWorld
from tests.support.invoicing import draft, mark_sent
from tests.support.stripe_standin import StripeStandIn


async def connect(standin: StripeStandIn, world: OrgWorld, **account: object) -> str:
    """Give the world's organization its own connected account at the stand-in (charges enabled unless told
    otherwise), bound the way an operator binds one; the account's id."""
    account_id = standin.create_account(business_name=world.slug.title(), **account)  # type: ignore[arg-type]
    return await stripe_accounts.bind_account(world.slug, account_id)


def session_id_of(url: str) -> str:
    """The Checkout Session's id from the stand-in's hosted page URL."""
    return url.rstrip("/").rsplit("/", 1)[1]


async def webhook(standin: StripeStandIn, event_type: str, session_id: str) -> checkout.Outcome:
    """Stripe telling Portico about the session, signed as Stripe signs it."""
    body, headers = standin.signed(standin.event(event_type, session_id))
    return await webhooks.handle_webhook(body, headers["Stripe-Signature"])


@dataclass(frozen=True)
class Billed:
    world: OrgWorld
    invoice_id: uuid.UUID
    contact: PortalActor
    standin: StripeStandIn

    @property
    def token(self) -> str:
        return invoice_views.public_token(self.invoice_id)

    async def pay(self) -> str:
        """Press Pay in the portal; the Checkout Session's id."""
        url = await checkout.start_portal_checkout(self.contact, self.invoice_id)
        return url.rstrip("/").rsplit("/", 1)[1]

    async def deliver(self, event: dict, **signing: object) -> checkout.Outcome:
        body, headers = self.standin.signed(event, **signing)  # type: ignore[arg-type]
        return await webhooks.handle_webhook(body, headers["Stripe-Signature"])

    async def completed(self, session_id: str, **complete: object) -> checkout.Outcome:
        """The payer finishes checkout and Stripe tells us."""
        self.standin.complete(session_id, **complete)  # type: ignore[arg-type]
        return await self.deliver(self.standin.event("checkout.session.completed", session_id))


async def new_invoice(world: OrgWorld, *prices: str, currency: str = "EUR") -> uuid.UUID:
    detail = await draft(world.actor, world.client.id, *(prices or ("120.00",)), currency=currency)
    await mark_sent(detail.id)
    return detail.id


async def payments_of(invoice_id: uuid.UUID) -> list[Payment]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(Payment).where(Payment.invoice_id == invoice_id)))


async def attempts_of(invoice_id: uuid.UUID) -> list[CheckoutAttempt]:
    async with unit_of_work(SystemActor()) as session:
        return list(
            await session.scalars(
                select(CheckoutAttempt)
                .where(CheckoutAttempt.invoice_id == invoice_id)
                .order_by(CheckoutAttempt.created_at)
            )
        )


async def refusals_of(invoice_id: uuid.UUID) -> list[AuditEvent]:
    """The refused payment events recorded on an invoice, for its organization to review."""
    async with unit_of_work(SystemActor()) as session:
        return list(
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "invoice.payment_refused", AuditEvent.target_id == invoice_id
                )
            )
        )


async def mails(subject_start: str) -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return list(
            await session.scalars(
                select(OutboxMail).where(OutboxMail.subject.startswith(subject_start)).order_by(OutboxMail.to_addr)
            )
        )
