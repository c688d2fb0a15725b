"""Priced lines, as invoices and quotes both take them: the checks of what was typed, the stored rows, and the
deposit a quote's acceptance invoices. The amounts are `invoice_math`'s, so a quote and the invoice it becomes
add up the same way."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TypeVar

from models.invoices import LineColumns
from services.billing import invoice_math
from services.core import money
from services.core.common import required_text
from services.core.errors import Invalid
from services.core.money import round_half_up

MAX_LINES = 500
T = TypeVar("T")

# A line's description prints in one table cell: a few lines of detail, not a document.
LINE_LINES = 20


@dataclass(frozen=True, slots=True)
class LineInput:
    description: str
    quantity: object  # decimal string, int or Decimal
    unit_price: object  # a decimal amount in the document's currency: "1200.50"
    tax_rate: object = "0"  # percent: "20" is 20 %


@dataclass(frozen=True, slots=True)
class CleanLine:
    description: str
    quantity: Decimal
    unit_price_minor: int
    tax_rate: Decimal


def collect(check: Callable[[], T], problems: list[Invalid]) -> T | None:
    """The check's value, or None with its problem noted (and any problems it reported together)."""
    try:
        return check()
    except Invalid as exc:
        problems.extend(exc.problems)
        return None


def clean_lines(lines: Sequence[LineInput], currency: str, document: str) -> list[CleanLine]:
    """Every line checked; every problem of every line reported together (see `Invalid.of`).
    `document` names what has the lines, in a sentence's first words: "An invoice", "A quote"."""
    if not lines:
        raise Invalid(f"{document} needs at least one line.", "lines")
    if len(lines) > MAX_LINES:
        raise Invalid(f"{document} can have at most {MAX_LINES} lines.", "lines")
    cleaned: list[CleanLine] = []
    problems: list[Invalid] = []
    for n, line in enumerate(lines):
        description = collect(partial(_line_description, line, n), problems)
        quantity = collect(partial(_line_quantity, line, n), problems)
        price = collect(partial(_line_price, line, n, currency), problems)
        rate = collect(partial(_line_tax, line, n), problems)
        if description is not None and quantity is not None and price is not None and rate is not None:
            cleaned.append(CleanLine(description, quantity, price, rate))
    if problems:
        raise Invalid.of(problems)
    return cleaned


def _line_description(line: LineInput, n: int) -> str:
    where = f"lines.{n}.description"
    return required_text(line.description, where, f"Line {n + 1} description", 500, max_lines=LINE_LINES)


def _line_quantity(line: LineInput, n: int) -> Decimal:
    where = f"lines.{n}.quantity"
    quantity = money.decimal(line.quantity, where, f"Line {n + 1} quantity")
    if quantity <= 0 or quantity >= Decimal("1e10") or quantity != quantity.quantize(Decimal("0.0001")):
        raise Invalid(f"Line {n + 1}: the quantity must be above 0, with at most 4 decimals.", where)
    return quantity


def _line_price(line: LineInput, n: int, currency: str) -> int:
    where = f"lines.{n}.unit_price"
    price = money.to_minor(line.unit_price, currency, where, f"Line {n + 1} unit price")
    if price < 0:
        raise Invalid(f"Line {n + 1}: the unit price cannot be negative.", where)
    return price


def _line_tax(line: LineInput, n: int) -> Decimal:
    where = f"lines.{n}.tax_rate"
    rate = money.decimal(line.tax_rate if line.tax_rate not in (None, "") else "0", where, f"Line {n + 1} tax rate")
    if rate < 0 or rate > 100 or rate != rate.quantize(Decimal("0.001")):
        raise Invalid(f"Line {n + 1}: the tax rate must be a percentage from 0 to 100.", where)
    return rate


def percentage(value: object, field: str, label: str) -> Decimal:
    """A percentage from 0 to 100 with at most 2 decimals (a discount, a deposit); empty is 0."""
    number = money.decimal(value if value not in (None, "") else "0", field, label)
    if number < 0 or number > 100 or number != number.quantize(Decimal("0.01")):
        raise Invalid(f"The {label.lower()} must be a percentage from 0 to 100, with at most 2 decimals.", field)
    return number


def discount(value: object) -> Decimal:
    return percentage(value, "discount_percent", "Discount")


def totals(lines: Sequence[CleanLine], discount_percent: Decimal, document: str) -> invoice_math.Totals:
    """The lines' amounts; `Invalid` when the total is beyond what any amount may be."""
    computed = invoice_math.totals([(ln.quantity, ln.unit_price_minor, ln.tax_rate) for ln in lines], discount_percent)
    if computed.total_minor >= money.MAX_MINOR:
        raise Invalid(f"The {document} total is too large.", "lines")
    return computed


def rows(
    model: Callable[..., LineColumns],
    lines: Sequence[CleanLine],
    computed: invoice_math.Totals,
    **owner: uuid.UUID,
) -> list[LineColumns]:
    """The stored lines, in order: `model` is InvoiceLine or QuoteLine, `owner` its org, client and parent ids."""
    return [
        model(
            **owner,
            position=position,
            description=line.description,
            quantity=line.quantity,
            unit_price_minor=line.unit_price_minor,
            tax_rate=line.tax_rate,
            net_minor=amounts.net_minor,
            tax_minor=amounts.tax_minor,
        )
        for position, (line, amounts) in enumerate(zip(lines, computed.lines, strict=True))
    ]


def from_rows(stored: Sequence[LineColumns]) -> list[CleanLine]:
    """Stored lines as lines to write again (a copy: a duplicate, a quote's lines on its invoice)."""
    return [CleanLine(ln.description, ln.quantity, ln.unit_price_minor, ln.tax_rate) for ln in stored]


@dataclass(frozen=True, slots=True)
class NetAtRate:
    """What a deposit is worked out from, per line: its tax rate and its net after discount (a stored line has both,
    and so has a line the editor is previewing)."""

    tax_rate: Decimal
    net_minor: int


def deposit_lines(stored: Sequence[LineColumns | NetAtRate], percent: Decimal, label: str) -> list[CleanLine]:
    """A deposit of `percent` of the lines' amounts: one line per tax rate, its price that share of the lines' net
    (after discount) at that rate, taxed at that rate, so the deposit carries the same tax as the work it is for.
    `label` begins each description: "Deposit of 30% on quote Q-0001"."""
    net_by_rate: dict[Decimal, int] = {}
    for line in stored:
        rate = Decimal(line.tax_rate)
        net_by_rate[rate] = net_by_rate.get(rate, 0) + line.net_minor
    several = len(net_by_rate) > 1
    return [
        CleanLine(
            f"{label} (tax {money.plain(rate)}%)" if several else label,
            Decimal(1),
            round_half_up(Decimal(net) * percent / invoice_math.HUNDRED),
            rate,
        )
        for rate, net in net_by_rate.items()
    ]
