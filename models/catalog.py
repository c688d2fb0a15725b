"""The services catalog (SPEC §12): what an agency sells from its portal, each purchase of it, and the
subscriptions recurring services become."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, ClientOwned, StaffOnly, TenantOwned, Timestamped


class Interval(enum.StrEnum):
    one_time = "one_time"
    month = "month"
    year = "year"


class Service(TenantOwned, Timestamped, Base):
    """A service on the agency's menu. Portal actors and the public page see it only while it is public and
    not archived; its project template (milestones at day offsets, an optional first request) is what a
    purchase starts."""

    __tablename__ = "services"
    __table_args__ = (Index("ix_services_org_id_position", "org_id", "position"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(4000), default="")
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    interval: Mapped[Interval] = mapped_column(Enum(Interval, native_enum=False, length=16, validate_strings=True))
    public: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]
    # [{"title": "Kick-off", "offset_days": 0}, …]: milestones due that many days after the purchase
    template_milestones: Mapped[list[dict]] = mapped_column(JSON, default=list)
    template_request_title: Mapped[str] = mapped_column(String(200), default="")
    template_request_description: Mapped[str] = mapped_column(String(4000), default="")


class PurchaseStatus(enum.StrEnum):
    creating = "creating"  # the row exists, Stripe has not answered yet
    open = "open"  # a Checkout Session waits for the buyer
    pending = "pending"  # completed with an asynchronous method; the money is not in yet
    paid = "paid"  # fulfilled: client, contact, project and paid invoice exist
    failed = "failed"
    expired = "expired"
    error = "error"  # Stripe refused or could not be reached when the session was created
    review = "review"  # money arrived that cannot be applied as asked (another amount or currency)


PURCHASE_UNSETTLED = (PurchaseStatus.creating, PurchaseStatus.open, PurchaseStatus.pending, PurchaseStatus.error)


class Purchase(TenantOwned, StaffOnly, Timestamped, Base):
    """One press of "Buy" or "Subscribe": the purchase's own checkout attempt (idempotency key, session), and
    once paid, what it made. A visitor's purchase has no client until the verified webhook makes or finds one."""

    __tablename__ = "purchases"
    __table_args__ = (Index("ix_purchases_status_created_at", "status", "created_at"),)

    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"), index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"), index=True)
    via: Mapped[str] = mapped_column(String(16))  # portal (a signed-in contact) or public (a visitor)
    email: Mapped[str] = mapped_column(String(254))  # who pays: the contact's, or what the visitor typed
    company: Mapped[str] = mapped_column(String(200), default="")
    service_name: Mapped[str] = mapped_column(String(200))  # as bought, whatever the service is renamed to
    interval: Mapped[Interval] = mapped_column(Enum(Interval, native_enum=False, length=16, validate_strings=True))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[PurchaseStatus] = mapped_column(
        Enum(PurchaseStatus, native_enum=False, length=16, validate_strings=True), default=PurchaseStatus.creating
    )
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_account_id: Mapped[str | None] = mapped_column(String(64))
    checkout_url: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(String(500), default="")
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subscriptions.id", ondelete="SET NULL"))


class Subscription(ClientOwned, Timestamped, Base):
    """A recurring service a client pays for through Stripe, kept in step with Stripe's subscription."""

    __tablename__ = "subscriptions"

    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"), index=True)
    service_name: Mapped[str] = mapped_column(String(200))
    interval: Mapped[Interval] = mapped_column(Enum(Interval, native_enum=False, length=16, validate_strings=True))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    stripe_subscription_id: Mapped[str] = mapped_column(String(255), unique=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(255), default="")
    stripe_account_id: Mapped[str | None] = mapped_column(String(64))
    # Stripe's status: active, past_due, unpaid, canceled, incomplete, incomplete_expired, trialing, paused
    status: Mapped[str] = mapped_column(String(32))
    current_period_end: Mapped[datetime | None]
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    canceled_at: Mapped[datetime | None]
    # When the state applied was true at Stripe (the event's `created`, or a read-back's time): an older event
    # arriving late is not applied over a newer one.
    stripe_state_at: Mapped[datetime | None]
