"""Invoices: drafting, numbering, sending, voiding, duplicating. (Views, listing and payments have modules of their own.)"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Client, Contact
from models.invoices import Invoice, InvoiceLine, InvoiceStatus
from models.organizations import Organization
from models.projects import Project
from models.time import TimeEntry
from services.billing import line_items, receivable_totals
from services.billing.invoice_views import PORTAL_STATUSES, InvoiceDetail, build_detail, public_token, public_token_hash
from services.billing.line_items import CleanLine, LineInput
from services.clients.clients import load_client
from services.core import audit, clock, events, money
from services.core.actors import Actor, PortalActor, require_staff
from services.core.common import optional_text, parse_id
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid, NotFound
from services.core.formatting import Formats
from services.core.scoping import visible
from services.mail import layout, outbox
from services.mail.layout import Recipient
from services.organizations import branding, numbering

# --- input ---------------------------------------------------------------------------------------------------------


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
    statement = select(Invoice).where(Invoice.id == parse_id(invoice_id, "Invoice not found"), *visible_invoices(actor))
    if lock:
        statement = statement.with_for_update()
    invoice = await session.scalar(statement)
    if invoice is None:
        raise NotFound("Invoice not found")
    return invoice


async def get_invoice(actor: Actor, invoice_id: uuid.UUID | str) -> InvoiceDetail:
    async with unit_of_work(actor) as session:
        return await build_detail(session, await load_invoice(session, actor, invoice_id))


# --- drafting ------------------------------------------------------------------------------------------------------


async def next_number(session: AsyncSession, org_id: uuid.UUID) -> str:
    """Take the organization's next invoice number (see `numbering.next_number`)."""
    return await numbering.next_number(session, org_id, "invoice")


@dataclass(frozen=True, slots=True)
class CheckedFields:
    currency: str
    issue_date: date
    due_date: date
    discount: Decimal
    notes: str
    terms: str
    lines: list[CleanLine]


def check_fields(
    data: InvoiceInput, default_currency: str, payment_terms_days: int, known: Sequence[Invalid] = ()
) -> CheckedFields:
    """Everything of the form that needs no database, checked before anything is refused: `Invalid.of` every
    problem (after the `known` ones a page found itself), so the editor can mark every field at once."""
    problems: list[Invalid] = list(known)
    currency = line_items.collect(lambda: money.currency(data.currency or default_currency), problems)
    issue = data.issue_date or clock.now().date()
    due = data.due_date or issue + timedelta(days=payment_terms_days)
    if due < issue:
        problems.append(Invalid("The due date cannot be before the issue date.", "due_date"))
    discount = line_items.collect(lambda: line_items.discount(data.discount_percent), problems)
    notes = line_items.collect(lambda: optional_text(data.notes, "notes", "Notes", 4000, max_lines=100), problems)
    terms = line_items.collect(lambda: optional_text(data.terms, "terms", "Terms", 4000, max_lines=100), problems)
    lines = line_items.collect(
        lambda: line_items.clean_lines(data.lines, currency or default_currency, "An invoice"), problems
    )
    if problems:
        raise Invalid.of(problems)
    assert currency is not None and discount is not None and notes is not None and terms is not None
    assert lines is not None
    return CheckedFields(currency, issue, due, discount, notes, terms, lines)


async def client_and_project(
    session: AsyncSession, actor: Actor, client_id: uuid.UUID | str, project_id: uuid.UUID | str | None
) -> tuple[Client, uuid.UUID | None]:
    """The client the actor may bill and, when one is named, which of that client's projects (quotes ask too)."""
    client = await load_client(session, actor, client_id)
    if not project_id:
        return client, None
    project = await session.scalar(
        select(Project.id).where(
            Project.id == parse_id(project_id, "Project not found"),
            *visible(actor, Project),
            Project.client_id == client.id,
        )
    )
    if project is None:
        raise Invalid("The project must be one of this client's projects.", "project_id")
    return client, project


async def _apply(session: AsyncSession, actor: Actor, invoice: Invoice, data: InvoiceInput, org: Organization) -> None:
    client, project_id = await client_and_project(session, actor, data.client_id, data.project_id)
    checked = check_fields(data, org.default_currency, org.payment_terms_days)
    await _fill_in(session, invoice, client.id, project_id, checked)


async def _fill_in(
    session: AsyncSession, invoice: Invoice, client_id: uuid.UUID, project_id: uuid.UUID | None, checked: CheckedFields
) -> None:
    computed = line_items.totals(checked.lines, checked.discount, "invoice")
    invoice.client_id, invoice.project_id, invoice.currency = client_id, project_id, checked.currency
    invoice.issue_date, invoice.due_date, invoice.discount_percent = (
        checked.issue_date,
        checked.due_date,
        checked.discount,
    )
    invoice.notes, invoice.terms = checked.notes, checked.terms
    invoice.subtotal_minor, invoice.discount_minor = computed.subtotal_minor, computed.discount_minor
    invoice.tax_minor, invoice.total_minor = computed.tax_minor, computed.total_minor
    await session.flush()
    await session.execute(
        delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id, InvoiceLine.org_id == invoice.org_id)
    )
    session.add_all(
        line_items.rows(
            InvoiceLine, checked.lines, computed, org_id=invoice.org_id, client_id=client_id, invoice_id=invoice.id
        )
    )


async def create_invoice(actor: Actor, data: InvoiceInput) -> InvoiceDetail:
    async with unit_of_work(actor) as session:
        return await build_detail(session, await create_in(session, actor, data))


async def create_in(session: AsyncSession, actor: Actor, data: InvoiceInput) -> Invoice:
    """A draft made in the caller's transaction (invoices from hours mark their entries in the same one)."""
    staff = require_staff(actor)
    org = await session.get(Organization, staff.org_id)
    assert org is not None
    client, project_id = await client_and_project(session, actor, data.client_id, data.project_id)
    checked = check_fields(data, org.default_currency, org.payment_terms_days)
    return await new_draft_in(session, actor, org.id, client.id, project_id, checked)


async def new_draft_in(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    client_id: uuid.UUID,
    project_id: uuid.UUID | None,
    checked: CheckedFields,
) -> Invoice:
    """A draft of checked fields for a client (and project) the caller has vouched for, in its transaction: the
    number is taken in it, so a rollback burns none. `actor` is who the audit log names (a quote's signer too)."""
    invoice_id = uuid.uuid4()
    invoice = Invoice(
        id=invoice_id,
        org_id=org_id,
        status=InvoiceStatus.draft,
        number=await next_number(session, org_id),
        public_token_hash=public_token_hash(public_token(invoice_id)),
    )
    session.add(invoice)
    with session.no_autoflush:  # the row is complete only once _fill_in has filled it in
        await _fill_in(session, invoice, client_id, project_id, checked)
    audit.record(
        session,
        actor,
        "invoice.created",
        org_id=org_id,
        target_type="invoice",
        target_id=invoice.id,
        target_label=invoice.number,
    )
    return invoice


async def delete_draft(actor: Actor, invoice_id: uuid.UUID | str) -> None:
    """Delete a draft (its number stays taken: numbers are never reused); hours it billed are free again."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        invoice = await load_invoice(session, actor, invoice_id, lock=True)
        if invoice.status != InvoiceStatus.draft:
            raise Conflict("Only drafts can be deleted. Void a sent invoice instead.")
        released = await release_hours(session, invoice)
        audit.record(
            session,
            actor,
            "invoice.deleted",
            target_type="invoice",
            target_id=invoice.id,
            target_label=invoice.number,
            detail={"hours_released": released} if released else {},
        )
        await session.delete(invoice)


async def release_hours(session: AsyncSession, invoice: Invoice) -> int:
    """The time entries this invoice billed are unbilled again (a deleted draft, a voided invoice); how many."""
    released = await session.execute(
        update(TimeEntry)
        .where(TimeEntry.org_id == invoice.org_id, TimeEntry.invoice_id == invoice.id)
        .values(invoice_id=None)
        .returning(TimeEntry.project_id)
        .execution_options(synchronize_session=False)
    )
    project_ids = [row[0] for row in released]
    for project_id in set(project_ids):
        events.publish(session, events.TimeChanged(invoice.org_id, invoice.client_id, project_id))
    return len(project_ids)


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
        return await build_detail(session, invoice)


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


async def recipients_by_client(session: AsyncSession, client_ids: set[uuid.UUID]) -> dict[uuid.UUID, list[Recipient]]:
    """Who invoices and reminders go to, for many clients in two queries: active billing contacts, else the client's
    email (greeted by the client's name)."""
    found: dict[uuid.UUID, list[Recipient]] = defaultdict(list)
    contacts = await session.execute(
        select(Contact.client_id, Contact.email, Contact.name)
        .where(Contact.client_id.in_(client_ids), Contact.billing.is_(True), Contact.active.is_(True))
        .order_by(Contact.email)
    )
    for client_id, email, name in contacts:
        found[client_id].append(Recipient(email, name))
    clients = await session.execute(
        select(Client.id, Client.email, Client.name).where(Client.id.in_(client_ids - found.keys()))
    )
    for client_id, email, name in clients:
        if email:
            found[client_id].append(Recipient(email, name))
    return dict(found)


async def recipients(session: AsyncSession, invoice: Invoice) -> list[Recipient]:
    return (await recipients_by_client(session, {invoice.client_id})).get(invoice.client_id, [])


async def list_recipients(actor: Actor, invoice_id: uuid.UUID | str) -> list[str]:
    """Who sending the invoice would mail, for staff to confirm first."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        return [r.email for r in await recipients(session, await load_invoice(session, actor, invoice_id))]


def invoice_mail(detail: InvoiceDetail, org: Organization, name: str) -> layout.Mail:
    """The invoice mail to `name`. It says how to pay: by the link when Stripe is configured, and by the
    organization's payment instructions, which are all a client has to go on without Stripe."""
    formats = Formats(org.locale, org.timezone)
    due = formats.money(detail.amount_due_minor, detail.currency)
    by_card = detail.card_payments
    instructions = detail.payment_instructions.strip()
    return layout.compose(
        layout.Branding.of(org),
        name,
        [
            f"{detail.seller.name} has sent you invoice {detail.number} for {due}, "
            f"due on {formats.day(detail.due_date)}.",
            "View, download or pay it here:" if by_card else "View or download it here:",
            layout.Button("View the invoice", detail.public_url),
            "The PDF is attached.",
            *(["How to pay:", instructions] if instructions else []),
        ],
        footer=layout.sender_footer(org),
    )


async def send_invoice(actor: Actor, invoice_id: uuid.UUID | str) -> InvoiceDetail:
    """Mail the invoice (link and PDF) to the client's billing contacts; a draft becomes sent. Sending again resends."""
    staff = require_staff(actor)
    logo = await branding.invoice_logo(staff.org_id)  # read before the transaction, not beside it
    async with unit_of_work(actor) as session:
        invoice = await load_invoice(session, actor, invoice_id, lock=True)
        return await send_in(session, actor, invoice, logo)


async def send_in(
    session: AsyncSession, actor: Actor, invoice: Invoice, logo: bytes | None, *, to: list[Recipient] | None = None
) -> InvoiceDetail:
    """`send_invoice` in the caller's transaction, for an invoice it has locked; `logo` is the organization's, read
    before the transaction. A quote's acceptance sends the invoice it makes, and names `to` itself: the client's
    recipients, else the signer (possibly nobody, and the invoice is still issued to the portal and its link)."""
    if invoice.status == InvoiceStatus.void:
        raise Conflict("A void invoice cannot be sent.")
    if to is None:
        to = await recipients(session, invoice)
        if not to:
            raise Invalid("This client has no billing contact and no email. Add one first.", "recipients")
    if invoice.status == InvoiceStatus.draft:
        before = receivable_totals.standing(invoice)
        invoice.status = InvoiceStatus.sent
        invoice.sent_at = clock.now()
        await receivable_totals.changed_in(session, before, invoice)
        await session.flush()
    detail = await build_detail(session, invoice)
    # Imported on first use: reportlab is some 60 ms that `serve` would otherwise spend before its first answer.
    from services.billing import invoice_pdf

    document = await asyncio.to_thread(invoice_pdf.render_invoice, detail, logo)
    org = await session.get(Organization, invoice.org_id)  # in the session already: build_detail read it
    assert org is not None
    for recipient in to:
        mail = invoice_mail(detail, org, recipient.name)
        outbox.queue(
            session,
            to=recipient.email,
            subject=f"Invoice {detail.number} from {detail.seller.name}",
            text=mail.text,
            html=mail.html,
            org_id=invoice.org_id,
            attachments=[(f"{detail.number}.pdf", "application/pdf", document)],
        )
    audit.record(
        session,
        actor,
        "invoice.sent",
        org_id=invoice.org_id,
        target_type="invoice",
        target_id=invoice.id,
        target_label=invoice.number,
        detail={"to": [r.email for r in to]},
    )
    return detail


# --- voiding -------------------------------------------------------------------------------------------------------


async def void_invoice(actor: Actor, invoice_id: uuid.UUID | str) -> InvoiceDetail:
    require_staff(actor)
    async with unit_of_work(actor) as session:
        invoice = await load_invoice(session, actor, invoice_id, lock=True)
        if invoice.status == InvoiceStatus.void:
            raise Conflict("This invoice is void already.")
        if invoice.amount_paid_minor > 0:
            raise Conflict("An invoice with payments cannot be voided.")
        before = receivable_totals.standing(invoice)
        invoice.status, invoice.voided_at = InvoiceStatus.void, clock.now()
        await receivable_totals.changed_in(session, before, invoice)
        released = await release_hours(session, invoice)
        audit.record(
            session,
            actor,
            "invoice.voided",
            target_type="invoice",
            target_id=invoice.id,
            target_label=invoice.number,
            detail={"hours_released": released} if released else {},
        )
        return await build_detail(session, invoice)
