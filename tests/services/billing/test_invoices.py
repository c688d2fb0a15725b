"""Drafting invoices on SQLite and PostgreSQL: totals, validation that changes nothing, numbering, duplicating."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from models import AuditEvent, Invoice, InvoiceLine
from services.billing import invoice_listing, invoice_views, invoices
from services.billing.invoices import InvoiceInput, LineInput
from services.clients import clients
from services.core import audit, db
from services.core.errors import Conflict, Invalid, NotFound
from services.projects import projects
from tests.support.clock import T0
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import draft, mark_sent, set_org

TODAY = T0.date()


@pytest.fixture
async def world(database, at) -> OrgWorld:
    return await make_world("acme")


def base_input(world: OrgWorld, **overrides: Any) -> InvoiceInput:
    """A valid input, with `overrides` (bad values too: see BAD_INPUTS)."""
    good = InvoiceInput(
        client_id=world.client.id,
        currency="USD",
        lines=[LineInput("Design", "10", "120.00", "20"), LineInput("Hosting", "1.5", "9.99", "0")],
    )
    return replace(good, **overrides)


# --- creating ------------------------------------------------------------------------------------------------------


async def test_create_computes_totals_and_numbers_the_draft(world):
    detail = await invoices.create_invoice(world.actor, base_input(world, discount_percent="10", notes="Thanks!"))
    assert (detail.number, detail.status.value, detail.display_status) == ("INV-0001", "draft", "draft")
    assert (detail.issue_date, detail.due_date) == (TODAY, TODAY + timedelta(days=30))  # the org's payment terms
    # 10 × 120.00 = 1200.00 and 1.5 × 9.99 = 14.985 → 14.99; 10 % off each line; 20 % tax on the first only.
    assert [(ln.net_minor, ln.tax_minor) for ln in detail.lines] == [(108000, 21600), (1349, 0)]
    assert (detail.subtotal_minor, detail.discount_minor, detail.tax_minor) == (121499, 12150, 21600)
    assert (detail.total_minor, detail.amount_paid_minor, detail.amount_due_minor) == (130949, 0, 130949)
    assert [ln.quantity for ln in detail.lines] == [Decimal(10), Decimal("1.5")]
    assert (detail.notes, detail.buyer.name, detail.seller.name) == ("Thanks!", "Acme Client", "Acme")
    assert detail.public_url == f"http://portico.test/i/{invoice_views.public_token(detail.id)}"
    assert await invoices.get_invoice(world.actor, detail.id) == detail
    events = await audit.list_events(world.actor, audit.AuditFilter(action="invoice.created"))
    assert [e.target_label for e in events.items] == ["INV-0001"]


@pytest.mark.parametrize(
    ("currency", "price", "total"), [("JPY", "1200", 1200), ("KWD", "12.345", 12345), ("usd", "0.01", 1)]
)
async def test_zero_and_three_decimal_currencies(world, currency, price, total):
    detail = await invoices.create_invoice(
        world.actor, base_input(world, currency=currency, lines=[LineInput("One", "1", price)])
    )
    assert (detail.currency, detail.total_minor) == (currency.upper(), total)


async def test_the_project_must_belong_to_the_client(world):
    detail = await invoices.create_invoice(world.actor, base_input(world, project_id=world.project.id))
    assert (detail.project_id, detail.project_name) == (world.project.id, "Acme Website")
    other = await clients.create_client(world.actor, clients.ClientInput(name="Other"))
    elsewhere = await projects.create_project(world.actor, other.id, projects.ProjectInput(name="Elsewhere"))
    with pytest.raises(Invalid) as error:
        await invoices.create_invoice(world.actor, base_input(world, project_id=elsewhere.id))
    assert error.value.field == "project_id"


def _lines(**changes) -> list[LineInput]:
    good = [LineInput("Design", "1", "10.00"), LineInput("Hosting", "2", "5.00", "20")]
    return [good[0], replace(good[1], **changes)]


BAD_INPUTS: list[tuple[dict[str, object], str]] = [
    ({"lines": []}, "lines"),
    ({"lines": [LineInput("x", "1", "1")] * 501}, "lines"),
    ({"lines": _lines(quantity="0")}, "lines.1.quantity"),
    ({"lines": _lines(quantity="-1")}, "lines.1.quantity"),
    ({"lines": _lines(quantity="1.00001")}, "lines.1.quantity"),
    ({"lines": _lines(quantity="two")}, "lines.1.quantity"),
    ({"lines": _lines(quantity=0.1)}, "lines.1.quantity"),
    ({"lines": _lines(quantity="1e10")}, "lines.1.quantity"),
    ({"lines": _lines(unit_price="5.001")}, "lines.1.unit_price"),
    ({"lines": _lines(unit_price="-5")}, "lines.1.unit_price"),
    ({"lines": _lines(unit_price="NaN")}, "lines.1.unit_price"),
    ({"lines": _lines(tax_rate="100.5")}, "lines.1.tax_rate"),
    ({"lines": _lines(tax_rate="-1")}, "lines.1.tax_rate"),
    ({"lines": _lines(tax_rate="7.0001")}, "lines.1.tax_rate"),
    ({"lines": _lines(description="  ")}, "lines.1.description"),
    ({"lines": _lines(description="x" * 501)}, "lines.1.description"),
    ({"currency": "XYZ"}, "currency"),
    ({"discount_percent": "100.01"}, "discount_percent"),
    ({"discount_percent": "1.234"}, "discount_percent"),
    ({"issue_date": TODAY, "due_date": TODAY - timedelta(days=1)}, "due_date"),
    ({"notes": "x" * 4001}, "notes"),
    ({"terms": "a\x00b"}, "terms"),
    ({"lines": [LineInput("Huge", "1000", "999999999999.99")]}, "lines"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_INPUTS, ids=[f"{f}-{n}" for n, (_, f) in enumerate(BAD_INPUTS)])
async def test_bad_input_names_its_field_changes_nothing_and_burns_no_number(world, changes, field):
    with pytest.raises(Invalid) as error:
        await invoices.create_invoice(world.actor, base_input(world, **changes))
    assert error.value.field == field
    assert error.value.message
    assert (
        await count(Invoice),
        await count(InvoiceLine),
        await count(AuditEvent, AuditEvent.action.like("invoice.%")),
    ) == (0, 0, 0)
    assert (await draft(world.actor, world.client.id)).number == "INV-0001"


async def test_every_problem_of_a_form_is_reported_at_once(world):
    bad = base_input(
        world,
        currency="XYZ",
        issue_date=TODAY,
        due_date=TODAY - timedelta(days=1),
        discount_percent="150",
        lines=[LineInput("", "0", "12.50"), LineInput("Fine", "1", "10.00"), LineInput("Tax", "1", "-1", "200")],
    )
    with pytest.raises(Invalid) as error:
        await invoices.create_invoice(world.actor, bad)
    fields = [problem.field for problem in error.value.problems]
    assert fields == [
        "currency",
        "due_date",
        "discount_percent",
        "lines.0.description",
        "lines.0.quantity",
        "lines.2.unit_price",
        "lines.2.tax_rate",
    ]
    assert error.value.field == "currency"  # the first, which is what the API answers with
    assert await count(Invoice) == 0


async def test_unknown_or_foreign_clients_are_not_found(world):
    other = await make_world("globex")
    for client_id in (other.client.id, "not-a-uuid"):
        with pytest.raises(NotFound):
            await invoices.create_invoice(world.actor, base_input(world, client_id=client_id))
    assert (await draft(world.actor, world.client.id)).number == "INV-0001"


# --- updating and reading -----------------------------------------------------------------------------------------


async def test_a_draft_can_be_edited_and_its_totals_follow(world):
    detail = await invoices.create_invoice(world.actor, base_input(world))
    changed = await invoices.update_invoice(
        world.actor, detail.id, base_input(world, currency="EUR", lines=[LineInput("Workshop", "2", "500")])
    )
    assert (changed.number, changed.currency, changed.total_minor) == ("INV-0001", "EUR", 100000)
    assert [ln.description for ln in changed.lines] == ["Workshop"]
    assert await count(InvoiceLine) == 1


async def test_bad_edits_change_nothing(world):
    detail = await invoices.create_invoice(world.actor, base_input(world))
    for changes, field in BAD_INPUTS[:6]:
        with pytest.raises(Invalid) as error:
            await invoices.update_invoice(world.actor, detail.id, base_input(world, **changes))
        assert error.value.field == field
    assert await invoices.get_invoice(world.actor, detail.id) == detail


async def test_only_drafts_can_be_edited(world):
    detail = await draft(world.actor, world.client.id)
    await mark_sent(detail.id)
    with pytest.raises(Conflict):
        await invoices.update_invoice(world.actor, detail.id, base_input(world))
    assert (await invoices.get_invoice(world.actor, detail.id)).total_minor == 10000


@pytest.mark.parametrize("invoice_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", ""])
async def test_unknown_invoices_are_not_found(world, invoice_id):
    for call in (invoices.get_invoice, invoices.send_invoice, invoices.void_invoice, invoices.duplicate_invoice):
        with pytest.raises(NotFound):
            await call(world.actor, invoice_id)


# --- numbering ---------------------------------------------------------------------------------------------------


async def test_numbers_follow_the_organizations_prefix_and_sequence(world):
    other = await make_world("globex")
    await set_org(other.actor.org_id, invoice_prefix="GX/2026/", next_invoice_number=41)
    ours = [(await draft(world.actor, world.client.id)).number for _ in range(3)]
    theirs = [(await draft(other.actor, other.client.id)).number for _ in range(2)]
    assert ours == ["INV-0001", "INV-0002", "INV-0003"]
    assert theirs == ["GX/2026/0041", "GX/2026/0042"]
    with pytest.raises(Invalid):
        await invoices.create_invoice(world.actor, base_input(world, lines=[]))
    assert (await draft(world.actor, world.client.id)).number == "INV-0004"


@pytest.mark.postgres
async def test_concurrent_drafts_never_share_a_number(postgres_url, at):
    db.configure(postgres_url)
    try:
        world = await make_world("acme")
        created = await asyncio.gather(*(draft(world.actor, world.client.id, f"{n}.00") for n in range(1, 21)))
        assert sorted(d.number for d in created) == [f"INV-{n:04d}" for n in range(1, 21)]
        assert (await invoice_listing.list_invoices(world.actor, limit=50)).total == 20
    finally:
        await db.close()


# --- duplicating -------------------------------------------------------------------------------------------------


async def test_duplicate_is_a_new_draft_with_the_same_lines_dated_today(world, at):
    source = await invoices.create_invoice(
        world.actor,
        base_input(
            world,
            project_id=world.project.id,
            discount_percent="5",
            terms="Net 30",
            issue_date=date(2026, 1, 5),
            due_date=date(2026, 2, 4),
        ),
    )
    await mark_sent(source.id)
    at(timedelta(days=3))
    copy = await invoices.duplicate_invoice(world.actor, source.id)
    assert (copy.number, copy.status.value, copy.issue_date) == ("INV-0002", "draft", TODAY + timedelta(days=3))
    assert copy.due_date == copy.issue_date + timedelta(days=30)
    assert (copy.project_id, copy.discount_percent, copy.terms) == (source.project_id, Decimal(5), "Net 30")
    assert [(ln.description, ln.quantity, ln.unit_price_minor, ln.tax_rate) for ln in copy.lines] == [
        (ln.description, ln.quantity, ln.unit_price_minor, ln.tax_rate) for ln in source.lines
    ]
    assert copy.total_minor == source.total_minor
    assert (await invoices.get_invoice(world.actor, source.id)).status.value == "sent"
