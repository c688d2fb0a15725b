"""Card payments through Stripe Checkout: each attempt to pay, and each webhook event already handled."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, ClientOwned, StaffOnly, Timestamped, utcnow


class CheckoutStatus(enum.StrEnum):
    creating = "creating"  # the row exists, Stripe has not answered yet
    open = "open"  # a Checkout Session waits for the payer
    pending = "pending"  # completed with an asynchronous method (a bank debit); the money is not in yet
    paid = "paid"  # settled: a Payment row exists
    failed = "failed"  # the asynchronous payment failed
    expired = "expired"  # the session ended unpaid
    error = "error"  # Stripe refused or could not be reached when the session was created
    review = "review"  # money arrived that cannot be applied (another currency, a void invoice): staff must act


# An attempt in one of these may still turn into money: webhooks and the reconcile job look at it.
UNSETTLED = (CheckoutStatus.creating, CheckoutStatus.open, CheckoutStatus.pending, CheckoutStatus.error)


class CheckoutAttempt(ClientOwned, StaffOnly, Timestamped, Base):
    """One press of "Pay": its own idempotency key, so a retried request never opens a second session."""

    __tablename__ = "checkout_attempts"
    __table_args__ = (
        Index("ix_checkout_attempts_invoice_id_created_at", "invoice_id", "created_at"),
        Index("ix_checkout_attempts_status_created_at", "status", "created_at"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    via: Mapped[str] = mapped_column(String(16))  # public (the invoice link) or portal
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # what was asked, in the invoice currency's minor units
    currency: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[CheckoutStatus] = mapped_column(
        Enum(CheckoutStatus, native_enum=False, length=16, validate_strings=True), default=CheckoutStatus.creating
    )
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # The connected account the session was made on (Stripe Connect); None for the platform's own account
    # (PORTAL_STRIPE_DIRECT). Read-backs go to this account, and only its events may settle the attempt.
    stripe_account_id: Mapped[str | None] = mapped_column(String(64))
    checkout_url: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(String(500), default="")


class StripeEvent(StaffOnly, Base):
    """A webhook event handled once: the primary key is Stripe's event id, inserted in the handling transaction."""

    __tablename__ = "stripe_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(200), default="")
