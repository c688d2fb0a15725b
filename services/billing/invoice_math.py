"""Invoice totals, computed on the server only: Decimal throughout, each line rounded half-up once.

For each line: gross = quantity × unit price; the invoice discount takes its percentage of the gross;
net = gross − discount; tax = net × rate. Net and tax are rounded to minor units once each, from the
exact values; the invoice's totals are sums of the rounded line amounts, so the lines always add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.core.money import round_half_up

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class LineAmounts:
    gross_minor: int
    discount_minor: int
    net_minor: int
    tax_minor: int


@dataclass(frozen=True, slots=True)
class Totals:
    lines: tuple[LineAmounts, ...]
    subtotal_minor: int  # sum of gross
    discount_minor: int
    tax_minor: int
    total_minor: int  # subtotal − discount + tax


def line_amounts(quantity: Decimal, unit_price_minor: int, tax_rate: Decimal, discount_percent: Decimal) -> LineAmounts:
    gross = quantity * unit_price_minor
    net_exact = gross * (HUNDRED - discount_percent) / HUNDRED
    gross_minor = round_half_up(gross)
    net_minor = round_half_up(net_exact)
    return LineAmounts(
        gross_minor=gross_minor,
        discount_minor=gross_minor - net_minor,
        net_minor=net_minor,
        tax_minor=round_half_up(net_exact * tax_rate / HUNDRED),
    )


def totals(lines: list[tuple[Decimal, int, Decimal]], discount_percent: Decimal) -> Totals:
    """`lines` are (quantity, unit price in minor units, tax rate in percent)."""
    amounts = tuple(line_amounts(q, price, rate, discount_percent) for q, price, rate in lines)
    subtotal = sum(a.gross_minor for a in amounts)
    discount = sum(a.discount_minor for a in amounts)
    tax = sum(a.tax_minor for a in amounts)
    return Totals(amounts, subtotal, discount, tax, subtotal - discount + tax)
