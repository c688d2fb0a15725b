from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, ClientOwned, StaffOnly, TenantOwned, Timestamped, utcnow


class InvoiceStatus(enum.StrEnum):
    draft = "draft"
    sent = "sent"
    partially_paid = "partially_paid"
    paid = "paid"
    void = "void"


class Invoice(ClientOwned, Timestamped, Base):
    """Totals are computed on the server from the lines and stored, so lists and sums never recompute them."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("org_id", "number"),
        UniqueConstraint("public_token_hash"),
        # The lists' order (issue date, then number) with the id, so a page's ids come from the index alone:
        # unfiltered or by issue date (with the status and due date that "open" and "overdue" test), by one
        # status, by client.
        Index(
            "ix_invoices_org_id_issue_date_number_id_status_due_date",
            "org_id",
            "issue_date",
            "number",
            "id",
            "status",
            "due_date",
        ),
        Index("ix_invoices_org_id_status_issue_date_number_id", "org_id", "status", "issue_date", "number", "id"),
        Index("ix_invoices_org_id_client_id_issue_date_number_id", "org_id", "client_id", "issue_date", "number", "id"),
        Index("ix_invoices_org_id_status_due_date", "org_id", "status", "due_date"),
    )

    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    status: Mapped[InvoiceStatus] = mapped_column(
        Enum(InvoiceStatus, native_enum=False, length=16, validate_strings=True), default=InvoiceStatus.draft
    )
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date]
    due_date: Mapped[date]
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    notes: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    subtotal_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # before discount and tax
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # The public link's token is an HMAC of the invoice id under the secret key: derivable, never stored.
    public_token_hash: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    # A subscription's invoices (services catalog): Stripe's invoice it records, once (unique), and whose it is.
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="SET NULL"), index=True
    )


class LineColumns:
    """A priced line, as invoices and quotes both keep it (services.billing.invoice_math computes the amounts)."""

    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal(0))  # percent: 20 is 20 %
    net_minor: Mapped[int] = mapped_column(BigInteger)  # after the invoice discount, before tax
    tax_minor: Mapped[int] = mapped_column(BigInteger)


class InvoiceLine(LineColumns, ClientOwned, Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (Index("ix_invoice_lines_invoice_id_position", "invoice_id", "position"),)

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))


class Payment(ClientOwned, Timestamped, Base):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_invoice_id_paid_on", "invoice_id", "paid_on"),
        Index("ix_payments_org_id_paid_on", "org_id", "paid_on"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    paid_on: Mapped[date]
    method: Mapped[str] = mapped_column(String(32), default="manual")  # manual, bank_transfer, cash, check, card
    reference: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    # Card payments: unique, so one Checkout Session can never be counted twice, whatever path settles it.
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255))


class InvoiceView(ClientOwned, StaffOnly, Base):
    """Each time a client looked at an invoice, through its public link or the portal."""

    __tablename__ = "invoice_views"
    __table_args__ = (Index("ix_invoice_views_invoice_id_at", "invoice_id", "at"),)

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    via: Mapped[str] = mapped_column(String(16))  # public, portal, pdf
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(400), default="")


class ReminderSent(TenantOwned, StaffOnly, Base):
    """One row per invoice and schedule step; the unique constraint is what makes a reminder go out once."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("invoice_id", "step"),)

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    step: Mapped[int]  # days relative to the due date: -3 is three days before, 7 is a week after
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
