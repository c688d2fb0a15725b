"""Invoices: drafting, numbering, sending, manual payments, voiding, duplicating, listing."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Client, Contact
from models.invoices import Invoice, InvoiceLine, InvoiceStatus, Payment
from models.organizations import Organization
from models.projects import Project
from services import audit, branding, clock, config, invoice_math, money, outbox
from services.actors import Actor, PortalActor, require_staff
from services.clients import load_client
from services.common import Page, optional_text, page_window, parse_id, required_text
from services.db import unit_of_work
from services.errors import Conflict, Invalid, NotFound
from services.scoping import visible

MAX_LINES = 500
OPEN_STATUSES = (InvoiceStatus.sent, InvoiceStatus.partially_paid)
PORTAL_STATUSES = (InvoiceStatus.sent, InvoiceStatus.partially_paid, InvoiceStatus.paid)
PAYMENT_METHODS = {"bank_transfer": "Bank transfer", "card": "Card", "cash": "Cash", "check": "Check", "other": "Other"}


# --- input ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineInput:
    description: str
    quantity: object  # decimal string, int or Decimal
    unit_price: object  # a decimal amount in the invoice's currency: "1200.50"
    tax_rate: object = "0"  # percent: "20" is 20 %


@dataclass(frozen=True, slots=True)
class InvoiceInput:
    client_id: uuid.UUID | str
    lines: list[LineInput]
    currency: str | None = None  # the organization's default when None
    project_id: uuid.UUID | str | None = None
    issue_date: date | None = None  # today when None
    due_date: date | None = None  # issue date + the organization's payment terms when None
    discount_percent: object = "0"
    notes: str = ""
    terms: str = ""


@dataclass(frozen=True, slots=True)
class _CleanLine:
    description: str
    quantity: Decimal
    unit_price_minor: int
    tax_rate: Decimal


def _clean_lines(lines: list[LineInput], currency: str) -> list[_CleanLine]:
    if not lines:
        raise Invalid("An invoice needs at least one line.", "lines")
    if len(lines) > MAX_LINES:
        raise Invalid(f"An invoice can have at most {MAX_LINES} lines.", "lines")
    cleaned = []
    for n, line in enumerate(lines):
        where = f"lines.{n}"
        quantity = money.decimal(line.quantity, f"{where}.quantity", f"Line {n + 1} quantity")
        if quantity <= 0 or quantity >= Decimal("1e10") or quantity != quantity.quantize(Decimal("0.0001")):
            raise Invalid(f"Line {n + 1}: the quantity must be above 0, with at most 4 decimals.", f"{where}.quantity")
        price = money.to_minor(line.unit_price, currency, f"{where}.unit_price", f"Line {n + 1} unit price")
        if price < 0:
            raise Invalid(f"Line {n + 1}: the unit price cannot be negative.", f"{where}.unit_price")
        rate = money.decimal(
            line.tax_rate if line.tax_rate not in (None, "") else "0", f"{where}.tax_rate", f"Line {n + 1} tax rate"
        )
        if rate < 0 or rate > 100 or rate != rate.quantize(Decimal("0.001")):
            raise Invalid(f"Line {n + 1}: the tax rate must be a percentage from 0 to 100.", f"{where}.tax_rate")
        cleaned.append(
            _CleanLine(
                required_text(line.description, f"{where}.description", f"Line {n + 1} description", 500),
                quantity,
                price,
                rate,
            )
        )
    return cleaned


def _discount(value: object) -> Decimal:
    discount = money.decimal(value if value not in (None, "") else "0", "discount_percent", "Discount")
    if discount < 0 or discount > 100 or discount != discount.quantize(Decimal("0.01")):
        raise Invalid("The discount must be a percentage from 0 to 100, with at most 2 decimals.", "discount_percent")
    return discount


# --- views ---------------------------------------------------------------------------------------------------------


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


async def _detail(session: AsyncSession, invoice: Invoice) -> InvoiceDetail:
    org = await session.get(Organization, invoice.org_id)
    client = await session.get(Client, invoice.client_id)
    project_name = ""
    if invoice.project_id:
        project_name = await session.scalar(select(Project.name).where(Project.id == invoice.project_id)) or ""
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
    assert org is not None and client is not None
    return InvoiceDetail(
        id=invoice.id,
        number=invoice.number,
        status=invoice.status,
        display_status=display_status(invoice.status, invoice.due_date, clock.now().date()),
        client_id=invoice.client_id,
        project_id=invoice.project_id,
        project_name=project_name,
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
    )


# --- loading -------------------------------------------------------------------------------------------------------


def visible_invoices(actor: Actor) -> list:
    """The explicit filters: own organization (and client), and for the portal never drafts or void invoices."""
    conditions = visible(actor, Invoice)
    if isinstance(actor, PortalActor):
        conditions.append(Invoice.status.in_(PORTAL_STATUSES))
    return conditions


async def load_invoice(
    session: AsyncSession, actor: Actor, invoice_id: uuid.UUID | str, *, lock: bool = False
) -> Invoice:
    statement = select(Invoice).where(
        Invoice.id == parse_id(invoice_id, "Invoice not found"), *visible_invoices(actor)
    )
    if lock:
        statement = statement.with_for_update()
    invoice = await session.scalar(statement)
    if invoice is None:
        raise NotFound("Invoice not found")
    return invoice


async def get_invoice(actor: Actor, invoice_id: uuid.UUID | str) -> InvoiceDetail:
    async with unit_of_work(actor) as session:
        return await _detail(session, await load_invoice(session, actor, invoice_id))


# --- drafting ------------------------------------------------------------------------------------------------------


async def _next_number(session: AsyncSession, org_id: uuid.UUID) -> str:
    """Take the organization's next number: one UPDATE … RETURNING, so concurrent drafts never share one."""
    row = (
        await session.execute(
            update(Organization)
            .where(Organization.id == org_id)
            .values(next_invoice_number=Organization.next_invoice_number + 1)
            .returning(Organization.invoice_prefix, Organization.next_invoice_number)
            .execution_options(synchronize_session=False)
        )
    ).one()
    prefix, following = row
    return f"{prefix}{following - 1:04d}"


async def _apply(session: AsyncSession, actor: Actor, invoice: Invoice, data: InvoiceInput, org: Organization) -> None:
    client = await load_client(session, actor, data.client_id)
    project_id = None
    if data.project_id:
        project = await session.scalar(
            select(Project.id).where(
                Project.id == parse_id(data.project_id, "Project not found"),
                *visible(actor, Project),
                Project.client_id == client.id,
            )
        )
        if project is None:
            raise Invalid("The project must be one of this client's projects.", "project_id")
        project_id = project
    currency = money.currency(data.currency or org.default_currency)
    issue = data.issue_date or clock.now().date()
    due = data.due_date or issue + timedelta(days=org.payment_terms_days)
    if due < issue:
        raise Invalid("The due date cannot be before the issue date.", "due_date")
    lines = _clean_lines(data.lines, currency)
    discount = _discount(data.discount_percent)
    computed = invoice_math.totals([(ln.quantity, ln.unit_price_minor, ln.tax_rate) for ln in lines], discount)
    if computed.total_minor >= money.MAX_MINOR:
        raise Invalid("The invoice total is too large.", "lines")
    invoice.client_id, invoice.project_id, invoice.currency = client.id, project_id, currency
    invoice.issue_date, invoice.due_date, invoice.discount_percent = issue, due, discount
    invoice.notes = optional_text(data.notes, "notes", "Notes", 4000)
    invoice.terms = optional_text(data.terms, "terms", "Terms", 4000)
    invoice.subtotal_minor, invoice.discount_minor = computed.subtotal_minor, computed.discount_minor
    invoice.tax_minor, invoice.total_minor = computed.tax_minor, computed.total_minor
    await session.flush()
    await session.execute(
        delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id, InvoiceLine.org_id == invoice.org_id)
    )
    for position, (line, amounts) in enumerate(zip(lines, computed.lines, strict=True)):
        session.add(
            InvoiceLine(
                org_id=invoice.org_id,
                client_id=client.id,
                invoice_id=invoice.id,
                position=position,
                description=line.description,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                tax_rate=line.tax_rate,
                net_minor=amounts.net_minor,
                tax_minor=amounts.tax_minor,
            )
        )


async def create_invoice(actor: Actor, data: InvoiceInput) -> InvoiceDetail:
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        org = await session.get(Organization, staff.org_id)
        assert org is not None
        invoice_id = uuid.uuid4()
        # The number is taken in this transaction: bad input rolls it back with everything else, burning none.
        invoice = Invoice(
            id=invoice_id,
            org_id=staff.org_id,
            status=InvoiceStatus.draft,
            number=await _next_number(session, staff.org_id),
            public_token_hash=public_token_hash(public_token(invoice_id)),
        )
        session.add(invoice)
        with session.no_autoflush:  # the row is complete only once _apply has filled it in
            await _apply(session, actor, invoice, data, org)
        audit.record(
            session, actor, "invoice.created", target_type="invoice", target_id=invoice.id, target_label=invoice.number
        )
        return await _detail(session, invoice)


async def update_invoice(actor: Actor, invoice_id: uuid.UUID | str, data: InvoiceInput) -> InvoiceDetail:
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        invoice = await load_invoice(session, actor, invoice_id, lock=True)
        if invoice.status != InvoiceStatus.draft:
            raise Conflict("Only drafts can be edited. Duplicate the invoice to change it.")
        org = await session.get(Organization, staff.org_id)
        assert org is not None
        await _apply(session, actor, invoice, data, org)
        audit.record(
            session, actor, "invoice.updated", target_type="invoice", target_id=invoice.id, target_label=invoice.number
        )
        return await _detail(session, invoice)


async def duplicate_invoice(actor: Actor, invoice_id: uuid.UUID | str) -> InvoiceDetail:
    """A new draft with the same client, project, lines and terms, dated today."""
    source = await get_invoice(actor, invoice_id)
    return await create_invoice(
        actor,
        InvoiceInput(
            client_id=source.client_id,
            project_id=source.project_id,
            currency=source.currency,
            discount_percent=source.discount_percent,
            notes=source.notes,
            terms=source.terms,
            lines=[
                LineInput(
                    line.description,
                    line.quantity,
                    money.from_minor(line.unit_price_minor, source.currency),
                    line.tax_rate,
                )
                for line in source.lines
            ],
        ),
    )


# --- sending -------------------------------------------------------------------------------------------------------


async def recipients(session: AsyncSession, invoice: Invoice) -> list[str]:
    """The client's active billing contacts; the client's own email when it has none."""
    emails = list(
        await session.scalars(
            select(Contact.email)
            .where(
                Contact.org_id == invoice.org_id,
                Contact.client_id == invoice.client_id,
                Contact.billing.is_(True),
                Contact.active.is_(True),
            )
            .order_by(Contact.email)
        )
    )
    if not emails:
        client_email = await session.scalar(select(Client.email).where(Client.id == invoice.client_id))
        emails = [client_email] if client_email else []
    return emails


async def list_recipients(actor: Actor, invoice_id: uuid.UUID | str) -> list[str]:
    """Who sending the invoice would mail, for staff to confirm first."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        return await recipients(session, await load_invoice(session, actor, invoice_id))


def _invoice_mail_text(detail: InvoiceDetail) -> str:
    due = money.format_decimal(detail.amount_due_minor, detail.currency)
    return (
        f"Hello,\n\n{detail.seller.name} has sent you invoice {detail.number} for {due} {detail.currency}, "
        f"due on {detail.due_date:%d %B %Y}.\n\nView, download or pay it here:\n\n{detail.public_url}\n\n"
        f"The PDF is attached.\n\n{detail.payment_instructions}\n".rstrip()
        + "\n"
    )


async def send_invoice(actor: Actor, invoice_id: uuid.UUID | str) -> InvoiceDetail:
    """Mail the invoice (link and PDF) to the client's billing contacts; a draft becomes sent. Sending again resends."""
    from services import pdf  # reportlab is heavy; load it when the first invoice goes out

    require_staff(actor)
    async with unit_of_work(actor) as session:
        invoice = await load_invoice(session, actor, invoice_id, lock=True)
        if invoice.status == InvoiceStatus.void:
            raise Conflict("A void invoice cannot be sent.")
        to = await recipients(session, invoice)
        if not to:
            raise Invalid("This client has no billing contact and no email. Add one first.", "recipients")
        if invoice.status == InvoiceStatus.draft:
            invoice.status = InvoiceStatus.sent
            invoice.sent_at = clock.now()
            await session.flush()
        detail = await _detail(session, invoice)
        logo = await branding.invoice_logo(invoice.org_id)
        document = await asyncio.to_thread(pdf.render_invoice, detail, logo)
        for address in to:
            outbox.queue(
                session,
                to=address,
                subject=f"Invoice {detail.number} from {detail.seller.name}",
                text=_invoice_mail_text(detail),
                org_id=invoice.org_id,
                attachments=[(f"{detail.number}.pdf", "application/pdf", document)],
            )
        audit.record(
            session,
            actor,
            "invoice.sent",
            target_type="invoice",
            target_id=invoice.id,
            target_label=invoice.number,
            detail={"to": to},
        )
        return detail


# --- payments and voiding ------------------------------------------------------------------------------------------


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
            raise Invalid(
                f"That is more than the {money.format_decimal(due, invoice.currency)} {invoice.currency} due.", "amount"
            )
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
        session.add(payment)
        invoice.amount_paid_minor += amount
        invoice.status = status_after_payment(invoice.total_minor, invoice.amount_paid_minor)
        if invoice.status == InvoiceStatus.paid:
            invoice.paid_at = clock.now()
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
        return await _detail(session, invoice)


async def void_invoice(actor: Actor, invoice_id: uuid.UUID | str) -> InvoiceDetail:
    require_staff(actor)
    async with unit_of_work(actor) as session:
        invoice = await load_invoice(session, actor, invoice_id, lock=True)
        if invoice.status == InvoiceStatus.void:
            raise Conflict("This invoice is void already.")
        if invoice.amount_paid_minor > 0:
            raise Conflict("An invoice with payments cannot be voided.")
        invoice.status, invoice.voided_at = InvoiceStatus.void, clock.now()
        audit.record(
            session, actor, "invoice.voided", target_type="invoice", target_id=invoice.id, target_label=invoice.number
        )
        return await _detail(session, invoice)


# --- listing -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    status: str = ""  # one of InvoiceStatus, or "overdue", or "open" (sent or partially paid); empty for all
    client_id: uuid.UUID | str | None = None
    date_from: date | None = None  # issue date range, inclusive
    date_to: date | None = None


def _filter_conditions(filters: InvoiceFilter, today: date) -> list:
    conditions: list = []
    if filters.status == "overdue":
        conditions += [Invoice.status.in_(OPEN_STATUSES), Invoice.due_date < today]
    elif filters.status == "open":
        conditions.append(Invoice.status.in_(OPEN_STATUSES))
    elif filters.status:
        try:
            conditions.append(Invoice.status == InvoiceStatus(filters.status))
        except ValueError:
            raise Invalid("Unknown status filter.", "status") from None
    if filters.client_id:
        conditions.append(Invoice.client_id == parse_id(filters.client_id, "Client not found"))
    if filters.date_from:
        conditions.append(Invoice.issue_date >= filters.date_from)
    if filters.date_to:
        conditions.append(Invoice.issue_date <= filters.date_to)
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise Invalid("The end of the date range is before its start.", "date_to")
    return conditions


async def list_invoices(
    actor: Actor, filters: InvoiceFilter = InvoiceFilter(), limit: int = 25, offset: int = 0
) -> Page[InvoiceRow]:
    limit, offset = page_window(limit, offset)
    today = clock.now().date()
    conditions = [*visible_invoices(actor), *_filter_conditions(filters, today)]
    async with unit_of_work(actor) as session:
        total = await session.scalar(select(func.count()).select_from(Invoice).where(*conditions))
        rows = await session.execute(
            select(Invoice, Client.name)
            .join(Client, Client.id == Invoice.client_id)
            .where(*conditions)
            .order_by(Invoice.issue_date.desc(), Invoice.number.desc())
            .limit(limit)
            .offset(offset)
        )
        items = [
            InvoiceRow(
                invoice.id,
                invoice.number,
                invoice.client_id,
                client_name,
                invoice.status,
                display_status(invoice.status, invoice.due_date, today),
                invoice.issue_date,
                invoice.due_date,
                invoice.currency,
                invoice.total_minor,
                max(invoice.total_minor - invoice.amount_paid_minor, 0),
            )
            for invoice, client_name in rows
        ]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


@dataclass(frozen=True, slots=True)
class Balance:
    currency: str
    outstanding_minor: int
    overdue_minor: int


async def outstanding(actor: Actor, client_id: uuid.UUID | str | None = None) -> list[Balance]:
    """What is still due (and how much of it is overdue), per currency. One query."""
    today = clock.now().date()
    conditions = [*visible_invoices(actor), Invoice.status.in_(OPEN_STATUSES)]
    if client_id:
        conditions.append(Invoice.client_id == parse_id(client_id, "Client not found"))
    due = Invoice.total_minor - Invoice.amount_paid_minor
    async with unit_of_work(actor) as session:
        rows = await session.execute(
            select(
                Invoice.currency,
                func.coalesce(func.sum(due), 0),
                func.coalesce(func.sum(due).filter(Invoice.due_date < today), 0),
            )
            .where(*conditions)
            .group_by(Invoice.currency)
            .order_by(Invoice.currency)
        )
        return [Balance(currency, int(total), int(overdue)) for currency, total, overdue in rows]
