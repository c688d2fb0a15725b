"""Accounts receivable for staff: the aging of what is due, and what was invoiced against what was collected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from sqlalchemy import and_, case, func, select

from models.invoices import Invoice, InvoiceStatus, Payment
from models.organizations import Organization
from services.billing.invoice_views import OPEN_STATUSES
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
    """One grouped query: each open invoice's amount due lands in the bucket its due date falls in, per currency."""
    staff = require_staff(actor)
    today = clock.now().date()
    due = Invoice.total_minor - Invoice.amount_paid_minor
    # Days past due = today − due date; comparing the due date with fixed dates keeps it dialect-neutral.
    windows = (
        Invoice.due_date >= today,
        and_(Invoice.due_date < today, Invoice.due_date >= today - timedelta(days=30)),
        and_(Invoice.due_date < today - timedelta(days=30), Invoice.due_date >= today - timedelta(days=60)),
        and_(Invoice.due_date < today - timedelta(days=60), Invoice.due_date >= today - timedelta(days=90)),
        Invoice.due_date < today - timedelta(days=90),
    )
    sums = [func.coalesce(func.sum(case((window, due), else_=0)), 0) for window in windows]
    async with unit_of_work(actor) as session:
        rows = await session.execute(
            select(Invoice.currency, *sums)
            .where(Invoice.org_id == staff.org_id, Invoice.status.in_(OPEN_STATUSES))
            .group_by(Invoice.currency)
            .order_by(Invoice.currency)
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


def _per_month(column, starts: list[date], amount, same_currency):
    """For each month: the sum of `amount` in the default currency, and the count of rows in another."""
    columns = []
    for start, end in pairwise(starts):
        in_month = and_(column >= start, column < end)
        columns.append(func.coalesce(func.sum(case((and_(in_month, same_currency), amount), else_=0)), 0))
        columns.append(func.coalesce(func.sum(case((and_(in_month, ~same_currency), 1), else_=0)), 0))
    return columns


async def invoiced_vs_collected(actor: Actor, months: int = 12) -> list[MonthRow]:
    """The last `months` months including this one, empty months too, oldest first; two queries.

    Each query starts from the organization row and outer-joins its invoices (or payments), so it yields one
    row even when there are none, and the default currency comes with it.
    """
    staff = require_staff(actor)
    if not 1 <= months <= MAX_MONTHS:
        raise Invalid(f"Choose from 1 to {MAX_MONTHS} months.", "months")
    starts = month_starts(clock.now().date(), months)
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
        .where(Organization.id == staff.org_id)
        .group_by(default)
    )
    collected_query = (
        select(default, *_per_month(Payment.paid_on, starts, Payment.amount_minor, Payment.currency == default))
        .select_from(Organization)
        .outerjoin(
            Payment,
            and_(Payment.org_id == Organization.id, Payment.paid_on >= starts[0], Payment.paid_on < starts[-1]),
        )
        .where(Organization.id == staff.org_id)
        .group_by(default)
    )
    async with unit_of_work(actor) as session:
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
