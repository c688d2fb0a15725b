"""Keeping the receivables rollups (models/receivables.py) in step with invoices and payments.

Every service that changes what an invoice counts for (its status, total or amount paid) or records a payment
takes the invoice's `standing` before the change and calls `changed_in` after it, in the same transaction: the
rollups then move by the difference, with upserts that add to the stored sums, so concurrent writers never
overwrite each other's work. `receivables` reads them; `rebuild_in` makes them afresh from the rows.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Insert, Table, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from models.invoices import Invoice, InvoiceStatus, Payment
from models.receivables import ReceivableDueDate, ReceivableMonth
from services.billing.invoice_views import OPEN_STATUSES
from services.core.db import dialect_insert

NOT_INVOICED = (InvoiceStatus.draft, InvoiceStatus.void)
CHUNK = 500  # rows per upsert when rebuilding: well under SQLite's limit of bound parameters
MONTH_SUMS = ("invoiced_minor", "invoices", "collected_minor", "payments")

# Deltas by key: (currency, first day of the month) -> [invoiced, invoices, collected, payments], and
# (currency, due date) -> [due, open invoices].
MonthDeltas = dict[tuple[str, date], list[int]]
DueDeltas = dict[tuple[str, date], list[int]]


@dataclass(frozen=True, slots=True)
class Standing:
    """What one invoice adds to the rollups: its total to its issue month, and what it still owes to its due date."""

    org_id: uuid.UUID
    currency: str
    month: date | None  # the issue month, unless the invoice is a draft or void
    invoiced_minor: int
    due_date: date | None  # set while the invoice is open (sent or partially paid)
    due_minor: int


def month_of(day: date) -> date:
    return day.replace(day=1)


def standing(invoice: Invoice) -> Standing:
    invoiced = invoice.status not in NOT_INVOICED
    is_open = invoice.status in OPEN_STATUSES
    return Standing(
        org_id=invoice.org_id,
        currency=invoice.currency,
        month=month_of(invoice.issue_date) if invoiced else None,
        invoiced_minor=invoice.total_minor if invoiced else 0,
        due_date=invoice.due_date if is_open else None,
        due_minor=invoice.total_minor - invoice.amount_paid_minor if is_open else 0,
    )


async def changed_in(
    session: AsyncSession, before: Standing, invoice: Invoice, payments: Sequence[Payment] = ()
) -> None:
    """Move the rollups from the invoice's `before` standing to its present one, and add `payments` (new rows)."""
    months: MonthDeltas = defaultdict(lambda: [0, 0, 0, 0])
    dues: DueDeltas = defaultdict(lambda: [0, 0])
    for sign, state in ((-1, before), (1, standing(invoice))):
        _add(months, dues, state, sign)
    for payment in payments:
        if payment.org_id != invoice.org_id:
            raise ValueError("a payment of another organization's invoice")
        _add_payment(months, payment.currency, payment.paid_on, payment.amount_minor, 1)
    await _apply(session, invoice.org_id, months, dues)


def _add(months: MonthDeltas, dues: DueDeltas, state: Standing, sign: int) -> None:
    if state.month is not None:
        row = months[(state.currency, state.month)]
        row[0] += sign * state.invoiced_minor
        row[1] += sign
    if state.due_date is not None:
        due = dues[(state.currency, state.due_date)]
        due[0] += sign * state.due_minor
        due[1] += sign


def _add_payment(months: MonthDeltas, currency: str, paid_on: date, amount_minor: int, count: int) -> None:
    row = months[(currency, month_of(paid_on))]
    row[2] += amount_minor
    row[3] += count


def _upsert(
    session: AsyncSession, table: Table, keys: list[str], rows: list[dict[str, Any]], sums: Iterable[str]
) -> Insert:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET each sum = stored + new, in the session's dialect."""
    statement = dialect_insert(session.get_bind().dialect.name, table).values(rows)
    return statement.on_conflict_do_update(
        index_elements=keys, set_={name: table.c[name] + statement.excluded[name] for name in sums}
    )


async def _apply(session: AsyncSession, org_id: uuid.UUID, months: MonthDeltas, dues: DueDeltas) -> None:
    """Add the deltas, in key order (so two writers lock shared rows in the same order), then drop closed days."""
    month_rows = [
        {
            "id": uuid.uuid4(),
            "org_id": org_id,
            "currency": currency,
            "month": month,
            **dict(zip(MONTH_SUMS, d, strict=True)),
        }
        for (currency, month), d in sorted(months.items())
        if any(d)
    ]
    due_rows = [
        {
            "id": uuid.uuid4(),
            "org_id": org_id,
            "currency": currency,
            "due_date": day,
            "due_minor": d[0],
            "invoices": d[1],
        }
        for (currency, day), d in sorted(dues.items())
        if any(d)
    ]
    months_table, dues_table = ReceivableMonth.__table__, ReceivableDueDate.__table__
    for start in range(0, len(month_rows), CHUNK):
        chunk = month_rows[start : start + CHUNK]
        await session.execute(_upsert(session, months_table, ["org_id", "currency", "month"], chunk, MONTH_SUMS))
    closed: list[tuple[str, date]] = []
    for start in range(0, len(due_rows), CHUNK):
        chunk = due_rows[start : start + CHUNK]
        upsert = _upsert(session, dues_table, ["org_id", "currency", "due_date"], chunk, ("due_minor", "invoices"))
        left = await session.execute(
            upsert.returning(dues_table.c.currency, dues_table.c.due_date, dues_table.c.invoices)
        )
        closed += [(currency, day) for currency, day, count in left if count == 0]
    if closed:
        await session.execute(
            delete(ReceivableDueDate)
            .where(
                ReceivableDueDate.org_id == org_id,
                tuple_(ReceivableDueDate.currency, ReceivableDueDate.due_date).in_(closed),
                ReceivableDueDate.invoices == 0,
            )
            .execution_options(synchronize_session=False)
        )


async def rebuild_in(session: AsyncSession, org_id: uuid.UUID) -> None:
    """The organization's rollups made afresh from its invoices and payments: after rows were loaded in bulk."""
    await session.execute(delete(ReceivableMonth).where(ReceivableMonth.org_id == org_id))
    await session.execute(delete(ReceivableDueDate).where(ReceivableDueDate.org_id == org_id))
    months: MonthDeltas = defaultdict(lambda: [0, 0, 0, 0])
    dues: DueDeltas = defaultdict(lambda: [0, 0])
    # Grouped by day in SQL (portable), folded into months here.
    invoiced = await session.execute(
        select(Invoice.currency, Invoice.issue_date, func.sum(Invoice.total_minor), func.count())
        .where(Invoice.org_id == org_id, Invoice.status.not_in(NOT_INVOICED))
        .group_by(Invoice.currency, Invoice.issue_date)
    )
    for currency, day, total, count in invoiced:
        row = months[(currency, month_of(day))]
        row[0] += int(total)
        row[1] += count
    collected = await session.execute(
        select(Payment.currency, Payment.paid_on, func.sum(Payment.amount_minor), func.count())
        .where(Payment.org_id == org_id)
        .group_by(Payment.currency, Payment.paid_on)
    )
    for currency, day, total, count in collected:
        _add_payment(months, currency, day, int(total), count)
    owed = await session.execute(
        select(
            Invoice.currency, Invoice.due_date, func.sum(Invoice.total_minor - Invoice.amount_paid_minor), func.count()
        )
        .where(Invoice.org_id == org_id, Invoice.status.in_(OPEN_STATUSES))
        .group_by(Invoice.currency, Invoice.due_date)
    )
    for currency, day, total, count in owed:
        dues[(currency, day)] = [int(total), count]
    await _apply(session, org_id, months, dues)
