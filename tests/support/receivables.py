"""Receivables computed straight from the invoices and payments: what the rollups must always agree with.

These are the queries `services.billing.receivables` ran before it read the rollups; they grow with the
number of invoices, which is why the service no longer runs them, and why tests can trust them.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from itertools import pairwise

from sqlalchemy import and_, case, func, select

from models import Invoice, InvoiceStatus, Organization, Payment
from services.billing.invoice_views import OPEN_STATUSES
from services.billing.receivables import AgingRow, MonthRow, month_starts
from services.core.actors import SystemActor
from services.core.db import unit_of_work


async def direct_aging(org_id: uuid.UUID, today: date) -> list[AgingRow]:
    due = Invoice.total_minor - Invoice.amount_paid_minor
    windows = (
        Invoice.due_date >= today,
        and_(Invoice.due_date < today, Invoice.due_date >= today - timedelta(days=30)),
        and_(Invoice.due_date < today - timedelta(days=30), Invoice.due_date >= today - timedelta(days=60)),
        and_(Invoice.due_date < today - timedelta(days=60), Invoice.due_date >= today - timedelta(days=90)),
        Invoice.due_date < today - timedelta(days=90),
    )
    sums = [func.coalesce(func.sum(case((window, due), else_=0)), 0) for window in windows]
    async with unit_of_work(SystemActor()) as session:
        rows = await session.execute(
            select(Invoice.currency, *sums)
            .where(Invoice.org_id == org_id, Invoice.status.in_(OPEN_STATUSES))
            .group_by(Invoice.currency)
            .order_by(Invoice.currency)
        )
        return [AgingRow(currency, *(int(x) for x in amounts)) for currency, *amounts in rows]


def _per_month(column, starts: list[date], amount, same_currency) -> list:
    """For each month: the sum of `amount` in the default currency, and the count of rows in another."""
    columns = []
    for start, end in pairwise(starts):
        in_month = and_(column >= start, column < end)
        columns.append(func.coalesce(func.sum(case((and_(in_month, same_currency), amount), else_=0)), 0))
        columns.append(func.coalesce(func.sum(case((and_(in_month, ~same_currency), 1), else_=0)), 0))
    return columns


async def direct_invoiced_vs_collected(org_id: uuid.UUID, today: date, months: int = 12) -> list[MonthRow]:
    starts = month_starts(today, months)
    default = Organization.default_currency
    invoiced_query = (
        select(default, *_per_month(Invoice.issue_date, starts, Invoice.total_minor, Invoice.currency == default))
        .select_from(Organization)
        .outerjoin(
            Invoice,
            and_(
                Invoice.org_id == Organization.id,
                Invoice.status.not_in((InvoiceStatus.draft, InvoiceStatus.void)),
                Invoice.issue_date >= starts[0],
                Invoice.issue_date < starts[-1],
            ),
        )
        .where(Organization.id == org_id)
        .group_by(default)
    )
    collected_query = (
        select(default, *_per_month(Payment.paid_on, starts, Payment.amount_minor, Payment.currency == default))
        .select_from(Organization)
        .outerjoin(
            Payment,
            and_(Payment.org_id == Organization.id, Payment.paid_on >= starts[0], Payment.paid_on < starts[-1]),
        )
        .where(Organization.id == org_id)
        .group_by(default)
    )
    async with unit_of_work(SystemActor()) as session:
        currency, *invoiced = (await session.execute(invoiced_query)).one()
        _, *collected = (await session.execute(collected_query)).one()
    return [
        MonthRow(
            month=start,
            currency=currency,
            invoiced_minor=int(invoiced[2 * n]),
            collected_minor=int(collected[2 * n]),
            other_currency_items=int(invoiced[2 * n + 1]) + int(collected[2 * n + 1]),
        )
        for n, start in enumerate(starts[:-1])
    ]
