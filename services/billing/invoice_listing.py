"""Finding invoices: the filtered, paginated list and the outstanding balance."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Client
from models.invoices import Invoice, InvoiceStatus
from services.billing.invoice_views import OPEN_STATUSES, InvoiceRow, display_status
from services.billing.invoices import visible_invoices
from services.core import clock
from services.core.actors import Actor
from services.core.common import Page, page_window, parse_id
from services.core.db import unit_of_work
from services.core.errors import Invalid


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
    """Newest first (issue date, then number), in two statements whatever the page's depth.

    The count and the page's ids come from indexes alone (org, [status | client,] issue date, number, id): a
    deep page skips index entries, not rows. Only the page's invoices are then read, with their clients' names.
    """
    limit, offset = page_window(limit, offset)
    today = clock.now().date()
    conditions = [*visible_invoices(actor), *_filter_conditions(filters, today)]
    order = (Invoice.issue_date.desc(), Invoice.number.desc())
    page_ids = select(Invoice.id).where(*conditions).order_by(*order).limit(limit).offset(offset).subquery()
    async with unit_of_work(actor) as session:
        total = await session.scalar(select(func.count()).select_from(Invoice).where(*conditions))
        rows = await session.execute(
            select(
                Invoice.id,
                Invoice.number,
                Invoice.client_id,
                Client.name,
                Invoice.status,
                Invoice.issue_date,
                Invoice.due_date,
                Invoice.currency,
                Invoice.total_minor,
                Invoice.amount_paid_minor,
            )
            .select_from(page_ids)
            .join(Invoice, Invoice.id == page_ids.c.id)
            .join(Client, Client.id == Invoice.client_id)
            .order_by(*order)
        )
        items = [
            InvoiceRow(
                row.id,
                row.number,
                row.client_id,
                row.name,
                row.status,
                display_status(row.status, row.due_date, today),
                row.issue_date,
                row.due_date,
                row.currency,
                row.total_minor,
                max(row.total_minor - row.amount_paid_minor, 0),
            )
            for row in rows
        ]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


@dataclass(frozen=True, slots=True)
class Balance:
    currency: str
    outstanding_minor: int
    overdue_minor: int


async def outstanding(actor: Actor, client_id: uuid.UUID | str | None = None) -> list[Balance]:
    """What is still due (and how much of it is overdue), per currency. One query."""
    async with unit_of_work(actor) as session:
        return await balances_in(session, actor, client_id)


@dataclass(frozen=True, slots=True)
class AtAGlance:
    """What the portal's Invoices page starts with: whether there is anything to list, and what is due."""

    any_invoices: bool
    balances: list[Balance]


async def at_a_glance(actor: Actor) -> AtAGlance:
    """Whether the actor sees any invoice, and the balances, in one unit of work (two small indexed queries)."""
    async with unit_of_work(actor) as session:
        first = await session.scalar(select(Invoice.id).where(*visible_invoices(actor)).limit(1))
        return AtAGlance(first is not None, await balances_in(session, actor) if first is not None else [])


async def balances_in(session: AsyncSession, actor: Actor, client_id: uuid.UUID | str | None = None) -> list[Balance]:
    today = clock.now().date()
    conditions = [*visible_invoices(actor), Invoice.status.in_(OPEN_STATUSES)]
    if client_id:
        conditions.append(Invoice.client_id == parse_id(client_id, "Client not found"))
    due = Invoice.total_minor - Invoice.amount_paid_minor
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
