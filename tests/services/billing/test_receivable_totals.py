"""The receivables rollups agree with the invoices and payments they sum, whatever happens to them, on both databases."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import select

from models import ReceivableDueDate, ReceivableMonth
from services.billing import invoices, manual_payments, receivable_totals, receivables
from services.billing.receivables import MAX_MONTHS
from services.core import clock, money
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from tests.support.card_payments import Billed, connect
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import draft, make_billing, mark_sent
from tests.support.receivables import direct_aging, direct_invoiced_vs_collected
from tests.support.stripe_standin import StripeStandIn

CURRENCIES = ("USD", "USD", "USD", "EUR", "JPY")  # USD, the organizations' default, most often


@dataclass(frozen=True)
class Owed:
    currency: str
    issue_date: date
    total_minor: int
    due_minor: int


@dataclass
class Books:
    """One organization's invoices as the test drove them: drafts, and open invoices with what they still owe."""

    world: OrgWorld
    standin: StripeStandIn
    drafts: list[uuid.UUID] = field(default_factory=list)
    open: dict[uuid.UUID, Owed] = field(default_factory=dict)

    def card(self, invoice_id: uuid.UUID) -> Billed:
        """The world's contact (a billing contact) paying the invoice by card in the portal."""
        return Billed(self.world, invoice_id, self.world.portal_actor(), self.standin)

    def voidable(self) -> list[uuid.UUID]:
        return self.drafts + [i for i, owed in self.open.items() if owed.due_minor == owed.total_minor]

    def settle(self, invoice_id: uuid.UUID, due_minor: int) -> None:
        if due_minor:
            self.open[invoice_id] = replace(self.open[invoice_id], due_minor=due_minor)
        else:
            del self.open[invoice_id]


async def books(slug: str, standin: StripeStandIn) -> Books:
    world = await make_world(slug)
    await connect(standin, world)  # each organization paid into its own account
    await make_billing(world.contact.id)
    return Books(world, standin)


async def assert_rollups_agree(world: OrgWorld) -> set[str]:
    """The currencies something is owed in, once the rollups are checked against the rows."""
    today, org_id = clock.now().date(), world.actor.org_id
    aged = await receivables.aging(world.actor)
    assert aged == await direct_aging(org_id, today)
    expected = await direct_invoiced_vs_collected(org_id, today, MAX_MONTHS)
    assert await receivables.invoiced_vs_collected(world.actor, MAX_MONTHS) == expected
    return {row.currency for row in aged if row.total_minor}


def price(rng: random.Random, currency: str) -> str:
    return str(rng.randint(100, 900_000)) if currency == "JPY" else f"{rng.randint(1, 5_000)}.{rng.randint(0, 99):02d}"


async def new_draft(rng: random.Random, b: Books) -> None:
    today, currency = clock.now().date(), rng.choice(CURRENCIES)
    issue = today - timedelta(days=rng.randint(0, 70))  # often in an earlier month
    due = issue + timedelta(days=rng.choice((0, 14, 30, 45)))
    made = await draft(b.world.actor, b.world.client.id, price(rng, currency), currency=currency, issue=issue, due=due)
    b.drafts.append(made.id)


async def send(rng: random.Random, b: Books) -> None:
    invoice_id = b.drafts.pop(rng.randrange(len(b.drafts)))
    if rng.random() < 0.5:
        detail = await invoices.send_invoice(b.world.actor, invoice_id)  # renders and queues the PDF too
    else:
        await mark_sent(invoice_id)
        detail = await invoices.get_invoice(b.world.actor, invoice_id)
    b.open[invoice_id] = Owed(detail.currency, detail.issue_date, detail.total_minor, detail.amount_due_minor)


async def pay_by_hand(rng: random.Random, b: Books, *, fully: bool) -> None:
    invoice_id = rng.choice(list(b.open))
    owed = b.open[invoice_id]
    amount = owed.due_minor if fully or owed.due_minor < 2 else rng.randint(1, owed.due_minor - 1)
    paid_on = max(owed.issue_date, clock.now().date() - timedelta(days=rng.randint(0, 40)))  # an earlier month too
    paid = manual_payments.PaymentInput(str(money.from_minor(amount, owed.currency)), paid_on=paid_on)
    detail = await manual_payments.record_payment(b.world.actor, invoice_id, paid)
    b.settle(invoice_id, detail.amount_due_minor)


async def pay_by_card(rng: random.Random, b: Books) -> None:
    """Checkout through the Stripe stand-in: Stripe may report less, exactly or more than was asked."""
    invoice_id = rng.choice(list(b.open))
    due = b.open[invoice_id].due_minor
    card = b.card(invoice_id)
    charged = rng.choice((due, max(due // 2, 1), due + 500))
    assert (await card.completed(await card.pay(), amount_total=charged)).result == "paid"
    b.settle(invoice_id, max(due - charged, 0))


async def card_after_paid_in_full(rng: random.Random, b: Books) -> None:
    """A checkout left open while staff record the whole amount by hand, then completed: money on a paid invoice."""
    invoice_id = rng.choice(list(b.open))
    owed, card = b.open[invoice_id], b.card(invoice_id)
    session_id = await card.pay()
    paid = manual_payments.PaymentInput(str(money.from_minor(owed.due_minor, owed.currency)))
    await manual_payments.record_payment(b.world.actor, invoice_id, paid)
    assert (await card.completed(session_id)).result == "paid"
    b.settle(invoice_id, 0)


async def void(rng: random.Random, b: Books) -> None:
    invoice_id = rng.choice(b.voidable())
    await invoices.void_invoice(b.world.actor, invoice_id)
    if invoice_id in b.drafts:
        b.drafts.remove(invoice_id)
    b.open.pop(invoice_id, None)


async def rollup_rows(org_id: uuid.UUID) -> tuple[list[tuple], list[tuple]]:
    async with unit_of_work(SystemActor()) as session:
        months = await session.execute(
            select(
                ReceivableMonth.currency,
                ReceivableMonth.month,
                ReceivableMonth.invoiced_minor,
                ReceivableMonth.invoices,
                ReceivableMonth.collected_minor,
                ReceivableMonth.payments,
            )
            .where(ReceivableMonth.org_id == org_id, (ReceivableMonth.invoices != 0) | (ReceivableMonth.payments != 0))
            .order_by(ReceivableMonth.currency, ReceivableMonth.month)
        )
        dues = await session.execute(
            select(
                ReceivableDueDate.currency,
                ReceivableDueDate.due_date,
                ReceivableDueDate.due_minor,
                ReceivableDueDate.invoices,
            )
            .where(ReceivableDueDate.org_id == org_id)
            .order_by(ReceivableDueDate.currency, ReceivableDueDate.due_date)
        )
        return [tuple(r) for r in months], [tuple(r) for r in dues]


async def test_a_random_history_keeps_the_rollups_equal_to_the_invoices_and_payments(
    database, at, stripe_standin: StripeStandIn
) -> None:
    rng = random.Random(20261129)
    acme, globex = await books("acme", stripe_standin), await books("globex", stripe_standin)
    done: list[str] = []
    owed_in: set[str] = set()
    for step in range(70):
        at(timedelta(days=step * 7, hours=rng.randint(0, 12)))  # the clock crosses sixteen month ends
        b = rng.choice((acme, acme, globex))
        moves = ["draft", "draft"] + ["send"] * bool(b.drafts) + ["void"] * bool(b.voidable())
        if b.open:
            moves += ["pay part", "pay part", "pay in full", "card", "card after paid in full"]
        move = rng.choice(moves)
        if move == "draft":
            await new_draft(rng, b)
        elif move == "send":
            await send(rng, b)
        elif move == "void":
            await void(rng, b)
        elif move == "card":
            await pay_by_card(rng, b)
        elif move == "card after paid in full":
            await card_after_paid_in_full(rng, b)
        else:
            await pay_by_hand(rng, b, fully=move == "pay in full")
        done.append(move)
        owed_in |= await assert_rollups_agree(b.world)
    for b in (acme, globex):
        await assert_rollups_agree(b.world)
    assert set(done) >= {"draft", "send", "void", "pay part", "pay in full", "card", "card after paid in full"}
    assert owed_in == {"USD", "EUR", "JPY"}
    assert sum(r.other_currency_items for r in await receivables.invoiced_vs_collected(acme.world.actor, 24)) > 0

    # Rebuilding from the rows (what bench data and repairs use) lands on the same rollups.
    kept = await rollup_rows(acme.world.actor.org_id)
    async with unit_of_work(SystemActor()) as session:
        await receivable_totals.rebuild_in(session, acme.world.actor.org_id)
    assert await rollup_rows(acme.world.actor.org_id) == kept


async def test_a_day_with_no_open_invoice_left_has_no_row(database, at) -> None:
    world = await make_world("acme")
    first = await draft(world.actor, world.client.id, "10.00", due=date(2026, 4, 1))
    second = await draft(world.actor, world.client.id, "20.00", due=date(2026, 4, 1))
    for made in (first, second):
        await mark_sent(made.id)
    assert (await rollup_rows(world.actor.org_id))[1] == [("USD", date(2026, 4, 1), 3000, 2)]
    await manual_payments.record_payment(world.actor, first.id, manual_payments.PaymentInput("10.00"))
    assert (await rollup_rows(world.actor.org_id))[1] == [("USD", date(2026, 4, 1), 2000, 1)]
    await invoices.void_invoice(world.actor, second.id)
    assert (await rollup_rows(world.actor.org_id))[1] == []
    assert await receivables.aging(world.actor) == []
