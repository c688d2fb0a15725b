"""Running totals of receivables, so the staff home's figures cost the same at 100 or 100,000 invoices.

The billing services keep them in the transaction of each change (services/billing/receivable_totals.py);
migration 0007 built them from the rows that existed before.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, StaffOnly, TenantOwned


class ReceivableMonth(TenantOwned, StaffOnly, Base):
    """One organization's invoices (by issue month, neither draft nor void) and payments (by date) in one currency."""

    __tablename__ = "receivable_months"
    __table_args__ = (UniqueConstraint("org_id", "currency", "month"),)

    currency: Mapped[str] = mapped_column(String(3))
    month: Mapped[date]  # its first day
    invoiced_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    invoices: Mapped[int] = mapped_column(default=0)
    collected_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    payments: Mapped[int] = mapped_column(default=0)


class ReceivableDueDate(TenantOwned, StaffOnly, Base):
    """What an organization's open invoices due on one day still owe in one currency; gone when none is open."""

    __tablename__ = "receivable_due_dates"
    __table_args__ = (UniqueConstraint("org_id", "currency", "due_date"),)

    currency: Mapped[str] = mapped_column(String(3))
    due_date: Mapped[date]
    due_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    invoices: Mapped[int] = mapped_column(default=0)  # open invoices due that day; the row is deleted at 0
