"""Receivables for staff: aging buckets and invoiced vs collected by month, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from nicegui import ui
from nicegui.testing.user import User

from services.billing import invoice_views, invoices, manual_payments, receivables
from services.core.db import Database
from services.core.errors import Invalid, NotFound
from tests.support.clock import T0
from tests.support.factories import make_world
from tests.support.invoicing import draft, mark_sent
from tests.support.pages import signed_in

TODAY = T0.date()  # 2026-03-10


async def make_invoice(
    actor, client_id, price: str, *, currency: str = "USD", issue=None, due=None, send: bool = True
) -> invoice_views.InvoiceDetail:
    """One line of `price`; sent (the state send_invoice leaves) unless `send=False`."""
    detail = await draft(actor, client_id, price, currency=currency, issue=issue or due, due=due)
    if send:
        await mark_sent(detail.id)
    return detail


async def test_aging_puts_each_amount_due_in_its_bucket_at_the_boundaries(database: Database, at) -> None:
    world = await make_world("acme")
    # Powers of two, so each bucket's sum shows exactly which invoices landed in it.
    for n, days_late in enumerate((-5, 0, 1, 30, 31, 60, 61, 90, 91)):
        await make_invoice(world.actor, world.client.id, f"{2**n}.00", due=TODAY - timedelta(days=days_late))
    [usd] = await receivables.aging(world.actor)
    assert usd.currency == "USD"
    assert usd.current_minor == (1 + 2) * 100  # 5 days ahead, due today
    assert usd.days_1_30_minor == (4 + 8) * 100  # 1 and 30 days late
    assert usd.days_31_60_minor == (16 + 32) * 100
    assert usd.days_61_90_minor == (64 + 128) * 100
    assert usd.over_90_minor == 256 * 100
    assert usd.total_minor == 511 * 100
    assert usd.buckets == (300, 1200, 4800, 19200, 25600)


async def test_aging_separates_currencies_and_counts_only_what_is_still_due(database: Database, at) -> None:
    world = await make_world("acme")
    actor, client = world.actor, world.client.id
    await make_invoice(actor, client, "100.00", due=TODAY - timedelta(days=10))
    partly = await make_invoice(actor, client, "300.00", due=TODAY - timedelta(days=45))
    await manual_payments.record_payment(actor, partly.id, manual_payments.PaymentInput("120.00"))
    paid = await make_invoice(actor, client, "999.00", due=TODAY - timedelta(days=45))
    await manual_payments.record_payment(actor, paid.id, manual_payments.PaymentInput("999.00"))
    voided = await make_invoice(actor, client, "888.00", due=TODAY)
    await invoices.void_invoice(actor, voided.id)
    await make_invoice(actor, client, "777.00", due=TODAY, send=False)  # a draft
    await make_invoice(actor, client, "5000", currency="JPY", due=TODAY + timedelta(days=3))
    await make_invoice(actor, client, "12.500", currency="KWD", due=TODAY - timedelta(days=100))
    other = await make_world("globex")
    await make_invoice(other.actor, other.client.id, "50.00", due=TODAY)  # another organization

    rows = {row.currency: row for row in await receivables.aging(actor)}
    assert list(rows) == ["JPY", "KWD", "USD"]
    assert rows["USD"].buckets == (0, 10000, 18000, 0, 0)
    assert rows["JPY"].buckets == (5000, 0, 0, 0, 0)
    assert rows["KWD"].buckets == (0, 0, 0, 0, 12500)
    assert [r.buckets for r in await receivables.aging(other.actor)] == [(5000, 0, 0, 0, 0)]


async def test_invoiced_vs_collected_by_month_with_empty_months(database: Database, at) -> None:
    world = await make_world("acme")
    actor, client = world.actor, world.client.id
    january = await make_invoice(actor, client, "300.00", issue=date(2026, 1, 5), due=date(2026, 2, 4))
    await manual_payments.record_payment(
        actor, january.id, manual_payments.PaymentInput("100.00", paid_on=date(2026, 2, 20))
    )
    await manual_payments.record_payment(
        actor, january.id, manual_payments.PaymentInput("50.00", paid_on=date(2026, 3, 1))
    )
    december = await make_invoice(actor, client, "1000.00", issue=date(2025, 12, 20), due=date(2026, 1, 19))
    await manual_payments.record_payment(
        actor, december.id, manual_payments.PaymentInput("1000.00", paid_on=date(2026, 1, 10))
    )
    await make_invoice(actor, client, "70.00", issue=date(2025, 10, 31), due=date(2025, 11, 30))  # before the window
    await make_invoice(actor, client, "40.00", issue=date(2026, 2, 1), due=date(2026, 3, 1), send=False)  # draft
    voided = await make_invoice(actor, client, "60.00", issue=date(2026, 2, 10), due=date(2026, 3, 10))
    await invoices.void_invoice(actor, voided.id)
    euro = await make_invoice(actor, client, "80.00", currency="EUR", issue=date(2026, 3, 2), due=date(2026, 4, 1))
    await manual_payments.record_payment(
        actor, euro.id, manual_payments.PaymentInput("80.00", paid_on=date(2026, 3, 3))
    )

    rows = await receivables.invoiced_vs_collected(actor, months=5)
    assert [(r.month, r.invoiced_minor, r.collected_minor, r.other_currency_items) for r in rows] == [
        (date(2025, 11, 1), 0, 0, 0),
        (date(2025, 12, 1), 100000, 0, 0),
        (date(2026, 1, 1), 30000, 100000, 0),
        (date(2026, 2, 1), 0, 10000, 0),
        (date(2026, 3, 1), 0, 5000, 2),  # the EUR invoice and its payment are left out, and counted
    ]
    assert {r.currency for r in rows} == {"USD"}
    twelve = await receivables.invoiced_vs_collected(actor)
    assert len(twelve) == 12 and twelve[0].month == date(2025, 4, 1) and twelve[-1].month == date(2026, 3, 1)


async def test_invoiced_vs_collected_for_an_organization_without_invoices(database: Database, at) -> None:
    world = await make_world("acme")
    rows = await receivables.invoiced_vs_collected(world.actor, months=2)
    assert [(r.month, r.currency, r.invoiced_minor, r.collected_minor) for r in rows] == [
        (date(2026, 2, 1), "USD", 0, 0),
        (date(2026, 3, 1), "USD", 0, 0),
    ]
    with pytest.raises(Invalid):
        await receivables.invoiced_vs_collected(world.actor, months=0)


async def test_receivables_are_staff_only(database: Database) -> None:
    world = await make_world("acme")
    portal = world.portal_actor()
    for call in (receivables.aging(portal), receivables.invoiced_vs_collected(portal)):
        with pytest.raises(NotFound):
            await call


async def test_home_shows_the_aging_and_the_monthly_chart(user: User, at) -> None:
    world = await make_world("acme")
    await make_invoice(world.actor, world.client.id, "100.00", issue=date(2026, 2, 1), due=date(2026, 2, 28))
    await make_invoice(world.actor, world.client.id, "40.00", issue=TODAY, due=TODAY + timedelta(days=10))
    await make_invoice(world.actor, world.client.id, "75.00", currency="EUR", due=TODAY - timedelta(days=95))
    await signed_in(user, world.owner_email)
    await user.should_see("Accounts receivable", retries=50)

    def cells(currency: str) -> list[str]:
        return [next(iter(user.find(kind=ui.label, marker=f"aging-{currency}-{n}").elements)).text for n in range(6)]

    assert cells("USD") == ["$40.00", "$100.00", "—", "—", "—", "$140.00"]  # an empty bucket is a dash
    assert cells("EUR") == ["—", "—", "—", "—", "€75.00", "€75.00"]
    assert all("font-mono" not in e.classes for e in user.find(kind=ui.label, marker="aging-USD-5").elements)
    chart = next(iter(user.find(ui.echart).elements))
    assert chart.options["xAxis"]["data"][-1] == "Mar 2026" and len(chart.options["xAxis"]["data"]) == 12
    invoiced = chart.options["series"][0]["data"]
    assert invoiced == ["0.00"] * 10 + ["100.00", "40.00"]  # by issue month; the EUR invoice is left out
    await user.should_see("invoices and payments in other currencies are left out")
