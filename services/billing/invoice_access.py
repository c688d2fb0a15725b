"""How clients reach invoices: the public link, views recorded from it and from the portal, payment history."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.invoices import Invoice, InvoiceStatus, InvoiceView, Payment
from services.billing import invoice_views, invoices
from services.billing.invoice_views import InvoiceDetail
from services.billing.manual_payments import PAYMENT_METHODS
from services.core import audit
from services.core.actors import Actor, PortalActor, SystemActor
from services.core.common import Page, page_window
from services.core.db import unit_of_work
from services.core.errors import NotFound
from services.core.scoping import visible

# invoice_views.public_token is a SHA-256 HMAC in hex: 64 characters, 256 bits.
TOKEN_LENGTH = 64
_TOKEN_ALPHABET = frozenset("0123456789abcdef")
PUBLIC_VIAS = ("public", "pdf")
PORTAL_VIAS = ("portal", "portal_pdf")


def _has_public_face(status: InvoiceStatus, sent_at: datetime | None) -> bool:
    """A draft has none yet; a void invoice has one only if it went out before it was voided."""
    return status != InvoiceStatus.draft and not (status == InvoiceStatus.void and sent_at is None)


def well_formed_token(token: str) -> bool:
    """The shape check that runs before any lookup: a huge or odd token never reaches the database."""
    return len(token) == TOKEN_LENGTH and set(token) <= _TOKEN_ALPHABET


def _record_view(session: AsyncSession, actor: Actor, invoice: Invoice | Row, *, via: str, ip: str, agent: str) -> None:
    """`invoice`: the Invoice, or a row with its id, org_id, client_id and number."""
    session.add(
        InvoiceView(
            org_id=invoice.org_id,
            client_id=invoice.client_id,
            invoice_id=invoice.id,
            via=via,
            contact_id=actor.contact_id if isinstance(actor, PortalActor) else None,
            ip=ip[:45],
            user_agent=agent[:400],
        )
    )
    audit.record(
        session,
        actor,
        "invoice.viewed",
        org_id=invoice.org_id,
        target_type="invoice",
        target_id=invoice.id,
        target_label=invoice.number,
        detail={"via": via, "ip": ip},
    )


async def open_public(token: str, *, ip: str, user_agent: str, via: str = "public") -> InvoiceDetail | None:
    """The invoice behind a public link, recording the view; None for an unknown token or a draft.

    The lookup is by the token's SHA-256, so timing says nothing about how close a guess came.
    """
    if via not in PUBLIC_VIAS:
        raise ValueError(f"unknown public view kind {via!r}")
    if not well_formed_token(token):
        return None
    async with unit_of_work(SystemActor(label="public link", ip=ip)) as session:
        found = (
            await session.execute(
                select(
                    Invoice.id, Invoice.org_id, Invoice.client_id, Invoice.number, Invoice.status, Invoice.sent_at
                ).where(Invoice.public_token_hash == invoice_views.public_token_hash(token))
            )
        ).one_or_none()
        if found is None or not _has_public_face(found.status, found.sent_at):
            return None
        viewer = SystemActor(org_id=found.org_id, label="public link", ip=ip)
        _record_view(session, viewer, found, via=via, ip=ip, agent=user_agent)
    try:
        return await invoices.get_invoice(SystemActor(org_id=found.org_id, label="public link"), found.id)
    except NotFound:  # deleted in between
        return None


async def record_portal_view(
    actor: PortalActor, invoice_id: uuid.UUID | str, *, via: str, ip: str, user_agent: str
) -> None:
    """A signed-in contact opened an invoice (page or PDF). What the portal may not see is not found."""
    await _portal_view(actor, invoice_id, via=via, ip=ip, user_agent=user_agent, with_detail=False)


async def open_portal_invoice(
    actor: PortalActor, invoice_id: uuid.UUID | str, *, ip: str, user_agent: str
) -> InvoiceDetail:
    """The portal's invoice page: the view recorded and the invoice read in one unit of work."""
    detail = await _portal_view(actor, invoice_id, via="portal", ip=ip, user_agent=user_agent, with_detail=True)
    assert detail is not None
    return detail


async def _portal_view(
    actor: PortalActor, invoice_id: uuid.UUID | str, *, via: str, ip: str, user_agent: str, with_detail: bool
) -> InvoiceDetail | None:
    if via not in PORTAL_VIAS:
        raise ValueError(f"unknown portal view kind {via!r}")
    if not isinstance(actor, PortalActor):
        raise NotFound("Invoice not found")
    if ip and not actor.ip:
        actor = dataclasses.replace(actor, ip=ip)
    async with unit_of_work(actor) as session:
        invoice = await invoices.load_invoice(session, actor, invoice_id)
        _record_view(session, actor, invoice, via=via, ip=ip, agent=user_agent)
        return await invoice_views.build_detail(session, invoice) if with_detail else None


@dataclass(frozen=True, slots=True)
class PaymentRow:
    id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_number: str
    paid_on: date
    amount_minor: int
    currency: str
    method: str  # a label: "Bank transfer"


async def payment_history(actor: Actor, limit: int = 10, offset: int = 0) -> Page[PaymentRow]:
    """Payments on the invoices the actor may see, newest first. Two queries, whatever the page size."""
    limit, offset = page_window(limit, offset)
    # The invoice rules (for the portal: never drafts or void) apply to the payments' invoices too.
    conditions = [*visible(actor, Payment), *invoices.visible_invoices(actor)]
    joined = Invoice.id == Payment.invoice_id
    async with unit_of_work(actor) as session:
        total = await session.scalar(select(func.count()).select_from(Payment).join(Invoice, joined).where(*conditions))
        rows = await session.execute(
            select(Payment, Invoice.number)
            .join(Invoice, joined)
            .where(*conditions)
            .order_by(Payment.paid_on.desc(), Payment.created_at.desc(), Payment.id)
            .limit(limit)
            .offset(offset)
        )
        items = [
            PaymentRow(
                payment.id,
                payment.invoice_id,
                number,
                payment.paid_on,
                payment.amount_minor,
                payment.currency,
                PAYMENT_METHODS.get(payment.method, payment.method.replace("_", " ").capitalize()),
            )
            for payment, number in rows
        ]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)
