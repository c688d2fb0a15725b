"""Accounts receivable for staff: the aging of what is due, and what was invoiced against what was collected.

Both read the rollups that services/billing/receivable_totals.py keeps, not the invoices themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import and_, case, func, select

from models.organizations import Organization
from models.receivables import ReceivableDueDate, ReceivableMonth
from services.core import clock
from services.core.actors import Actor, require_staff
from services.core.db import unit_of_work
from services.core.errors import Invalid

AGING_BUCKETS = ("Current", "1–30 days", "31–60 days", "61–90 days", "90+ days")
MAX_MONTHS = 36


@dataclass(frozen=True, slots=True)
class AgingRow:
    """What open invoices in one currency still owe, by how far past their due date they are."""

    currency: str
    current_minor: int  # not yet due (due today included)
    days_1_30_minor: int
    days_31_60_minor: int
    days_61_90_minor: int
    over_90_minor: int

    @property
    def buckets(self) -> tuple[int, int, int, int, int]:
        """In the order of AGING_BUCKETS."""
        return (
            self.current_minor,
            self.days_1_30_minor,
            self.days_31_60_minor,
            self.days_61_90_minor,
            self.over_90_minor,
        )

    @property
    def total_minor(self) -> int:
        return sum(self.buckets)


async def aging(actor: Actor) -> list[AgingRow]:
    """One grouped query over the open balances by due date (a row per day some open invoice falls due).

    Each day's amount lands in the bucket its due date falls in, per currency; the rollup keeps the query's cost
    independent of the number of invoices.
    """
    staff = require_staff(actor)
    today = clock.now().date()
    due_date, due = ReceivableDueDate.due_date, ReceivableDueDate.due_minor
    # Days past due = today − due date; comparing the due date with fixed dates keeps it dialect-neutral.
    windows = (
        due_date >= today,
        and_(due_date < today, due_date >= today - timedelta(days=30)),
        and_(due_date < today - timedelta(days=30), due_date >= today - timedelta(days=60)),
        and_(due_date < today - timedelta(days=60), due_date >= today - timedelta(days=90)),
        due_date < today - timedelta(days=90),
    )
    sums = [func.coalesce(func.sum(case((window, due), else_=0)), 0) for window in windows]
    async with unit_of_work(actor) as session:
        rows = await session.execute(
            select(ReceivableDueDate.currency, *sums)
            .where(ReceivableDueDate.org_id == staff.org_id)
            .group_by(ReceivableDueDate.currency)
            .order_by(ReceivableDueDate.currency)
        )
        return [AgingRow(currency, *(int(x) for x in amounts)) for currency, *amounts in rows]


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: date  # the first day of the month
    currency: str  # the organization's default currency
    invoiced_minor: int  # totals of invoices issued that month (not drafts, not void)
    collected_minor: int  # payments received that month
    # Invoices and payments of that month in other currencies, which the two sums leave out.
    other_currency_items: int = 0


def month_starts(today: date, months: int) -> list[date]:
    """The first days of the last `months` months up to today's, oldest first, and of the month after."""
    first = today.replace(day=1)
    index = first.year * 12 + first.month - 1 - (months - 1)
    return [date((index + n) // 12, (index + n) % 12 + 1, 1) for n in range(months + 1)]


async def invoiced_vs_collected(actor: Actor, months: int = 12) -> list[MonthRow]:
    """The last `months` months including this one, empty months too, oldest first; one query over the rollup.

    The query starts from the organization row and outer-joins its monthly totals, so it yields a row even when
    there are none, and the default currency comes with it. Totals in other currencies are only counted.
    """
    staff = require_staff(actor)
    if not 1 <= months <= MAX_MONTHS:
        raise Invalid(f"Choose from 1 to {MAX_MONTHS} months.", "months")
    starts = month_starts(clock.now().date(), months)
    totals = ReceivableMonth
    query = (
        select(
            Organization.default_currency,
            totals.currency,
            totals.month,
            totals.invoiced_minor,
            totals.collected_minor,
            totals.invoices + totals.payments,
        )
        .select_from(Organization)
        .outerjoin(totals, and_(totals.org_id == Organization.id, totals.month >= starts[0], totals.month < starts[-1]))
        .where(Organization.id == staff.org_id)
    )
    async with unit_of_work(actor) as session:
        rows = (await session.execute(query)).all()
    default = rows[0][0]
    found = {start: MonthRow(start, default, 0, 0) for start in starts[:-1]}
    for _, currency, month, invoiced, collected, items in rows:
        if month is None:
            continue  # the organization without any totals in the window
        row = found[month]
        if currency == default:
            found[month] = replace(
                row, invoiced_minor=row.invoiced_minor + invoiced, collected_minor=row.collected_minor + collected
            )
        else:
            found[month] = replace(row, other_currency_items=row.other_currency_items + items)
    return list(found.values())
