"""Builders for invoice tests: drafts through the services, and shortcuts for state the tests are not about."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TypedDict, Unpack

from sqlalchemy import update

from models import Contact, Invoice, InvoiceStatus, Organization
from services.billing import invoice_views, invoices, receivable_totals
from services.billing.invoice_views import InvoiceDetail
from services.billing.invoices import InvoiceInput, LineInput
from services.core.actors import StaffActor, SystemActor
from services.core.db import unit_of_work
from tests.support.clock import T0
from tests.support.factories import OrgWorld


async def draft(
    actor: StaffActor,
    client_id: uuid.UUID,
    *prices: str,
    currency: str = "USD",
    issue: date | None = None,
    due: date | None = None,
) -> invoice_views.InvoiceDetail:
    """A draft with one line per price (quantity 1, no tax); one line of 100.00 when no price is given."""
    return await invoices.create_invoice(
        actor,
        invoices.InvoiceInput(
            client_id=client_id,
            currency=currency,
            issue_date=issue,
            due_date=due,
            lines=[invoices.LineInput(f"Item {n + 1}", "1", price) for n, price in enumerate(prices or ("100.00",))],
        ),
    )


async def mark_sent(invoice_id: uuid.UUID, at: datetime = T0) -> None:
    """The state send_invoice leaves (receivables rollups included), without rendering and mailing a PDF."""
    async with unit_of_work(SystemActor()) as session:
        invoice = await session.get(Invoice, invoice_id)
        assert invoice is not None
        before = receivable_totals.standing(invoice)
        invoice.status, invoice.sent_at = InvoiceStatus.sent, at
        await receivable_totals.changed_in(session, before, invoice)


async def make_billing(*contact_ids: uuid.UUID) -> None:
    async with unit_of_work(SystemActor()) as session:
        await session.execute(update(Contact).where(Contact.id.in_(contact_ids)).values(billing=True))


async def set_org(org_id: uuid.UUID, **values: object) -> None:
    async with unit_of_work(SystemActor()) as session:
        await session.execute(update(Organization).where(Organization.id == org_id).values(**values))


DESIGN = LineInput("Website design", "10", "120.00", "20")


class InvoiceFields(TypedDict, total=False):
    """The rest of an InvoiceInput, for `issue_invoice`."""

    currency: str | None
    project_id: uuid.UUID | str | None
    issue_date: date | None
    due_date: date | None
    discount_percent: object
    notes: str
    terms: str


async def issue_invoice(
    world: OrgWorld,
    *,
    send: bool = True,
    lines: list[LineInput] | None = None,
    client_id: uuid.UUID | None = None,
    **fields: Unpack[InvoiceFields],
) -> InvoiceDetail:
    """A draft for the world's client (or `client_id`), marked sent unless `send=False`."""
    data = InvoiceInput(client_id=client_id or world.client.id, lines=lines or [DESIGN], **fields)
    draft = await invoices.create_invoice(world.actor, data)
    if not send:
        return draft
    await mark_sent(draft.id)  # what send_invoice leaves, without the mail (its tests are elsewhere)
    return await invoices.get_invoice(world.actor, draft.id)
