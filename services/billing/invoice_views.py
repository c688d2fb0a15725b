"""How an invoice is seen: its list row, its full detail (page, PDF, mails), its derived status and public link."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Client
from models.invoices import Invoice, InvoiceLine, InvoiceStatus, Payment
from models.organizations import Organization
from models.projects import Project
from services.core import clock, config, formatting
from services.organizations.card_account import card_account

OPEN_STATUSES = (InvoiceStatus.sent, InvoiceStatus.partially_paid)
PORTAL_STATUSES = (InvoiceStatus.sent, InvoiceStatus.partially_paid, InvoiceStatus.paid)


def public_token(invoice_id: uuid.UUID) -> str:
    """The public link's token: 256 bits derived from the id under the secret key, never stored."""
    return config.keyed_hash("invoice-public-link", str(invoice_id))


def public_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def public_url(invoice_id: uuid.UUID) -> str:
    return f"{config.get().base_url}/i/{public_token(invoice_id)}"


def display_status(status: InvoiceStatus, due_date: date, today: date) -> str:
    """Overdue is derived, never stored: sent or partially paid and past its due date."""
    if status in OPEN_STATUSES and due_date < today:
        return "overdue"
    return status.value


STATUS_LABELS = {
    "draft": "Draft",
    "sent": "Sent",
    "partially_paid": "Partially paid",
    "paid": "Paid",
    "void": "Void",
    "overdue": "Overdue",
}


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    id: uuid.UUID
    number: str
    client_id: uuid.UUID
    client_name: str
    status: InvoiceStatus
    display_status: str
    issue_date: date
    due_date: date
    currency: str
    total_minor: int
    amount_due_minor: int


@dataclass(frozen=True, slots=True)
class LineView:
    description: str
    quantity: Decimal
    unit_price_minor: int
    tax_rate: Decimal
    net_minor: int
    tax_minor: int


@dataclass(frozen=True, slots=True)
class PaymentView:
    id: uuid.UUID
    amount_minor: int
    currency: str
    paid_on: date
    method: str
    reference: str


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    address: str
    email: str


@dataclass(frozen=True, slots=True)
class InvoiceDetail:
    """Everything the invoice page, the PDF and the mails show. No costs, no internal notes: safe for clients."""

    id: uuid.UUID
    number: str
    status: InvoiceStatus
    display_status: str
    client_id: uuid.UUID
    project_id: uuid.UUID | None
    project_name: str
    currency: str
    issue_date: date
    due_date: date
    discount_percent: Decimal
    notes: str
    terms: str
    subtotal_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int
    amount_paid_minor: int
    amount_due_minor: int
    sent_at: datetime | None
    public_url: str
    seller: Party
    buyer: Party
    payment_instructions: str
    page_size: str
    lines: tuple[LineView, ...] = ()
    payments: tuple[PaymentView, ...] = field(default=())
    locale: str = formatting.DEFAULT_LOCALE  # the seller's: every rendering writes money and dates its way
    timezone: str = formatting.DEFAULT_TIMEZONE
    card_payments: bool = False  # the seller takes card payments (services.organizations.card_account)

    @property
    def formats(self) -> formatting.Formats:
        return formatting.Formats(self.locale, self.timezone)

    @property
    def overpaid_minor(self) -> int:
        """More was paid than the total (a card payment crossed a manual one): shown, never hidden."""
        return max(self.amount_paid_minor - self.total_minor, 0)


async def build_detail(session: AsyncSession, invoice: Invoice) -> InvoiceDetail:
    # Seller, buyer and project name in one query (the project is optional, hence the outer join).
    org, client, project_name = (
        await session.execute(
            select(Organization, Client, Project.name)
            .join(Client, and_(Client.id == invoice.client_id, Client.org_id == Organization.id))
            .outerjoin(Project, and_(Project.id == invoice.project_id, Project.org_id == Organization.id))
            .where(Organization.id == invoice.org_id)
        )
    ).one()
    lines = await session.scalars(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice.id, InvoiceLine.org_id == invoice.org_id)
        .order_by(InvoiceLine.position)
    )
    payments = await session.scalars(
        select(Payment)
        .where(Payment.invoice_id == invoice.id, Payment.org_id == invoice.org_id)
        .order_by(Payment.paid_on, Payment.created_at)
    )
    return InvoiceDetail(
        id=invoice.id,
        number=invoice.number,
        status=invoice.status,
        display_status=display_status(invoice.status, invoice.due_date, clock.now().date()),
        client_id=invoice.client_id,
        project_id=invoice.project_id,
        project_name=project_name or "",
        currency=invoice.currency,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        discount_percent=invoice.discount_percent,
        notes=invoice.notes,
        terms=invoice.terms,
        subtotal_minor=invoice.subtotal_minor,
        discount_minor=invoice.discount_minor,
        tax_minor=invoice.tax_minor,
        total_minor=invoice.total_minor,
        amount_paid_minor=invoice.amount_paid_minor,
        amount_due_minor=max(invoice.total_minor - invoice.amount_paid_minor, 0),
        sent_at=invoice.sent_at,
        public_url=public_url(invoice.id),
        seller=Party(org.name, org.address, org.support_email),
        buyer=Party(client.name, client.address, client.email),
        payment_instructions=org.payment_instructions,
        page_size=org.page_size,
        lines=tuple(
            LineView(
                line.description, line.quantity, line.unit_price_minor, line.tax_rate, line.net_minor, line.tax_minor
            )
            for line in lines
        ),
        payments=tuple(
            PaymentView(p.id, p.amount_minor, p.currency, p.paid_on, p.method, p.reference) for p in payments
        ),
        locale=org.locale,
        timezone=org.timezone,
        card_payments=card_account(org) is not None,
    )
