"""Invoice arithmetic against an independent oracle (exact fractions), and money's conversions and refusals."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.billing import invoice_math
from services.core import money
from services.core.errors import Invalid


def half_up(value: Fraction) -> int:
    """Round half up, for the non-negative amounts invoices hold."""
    assert value >= 0
    return math.floor(value + Fraction(1, 2))


def scaled(places: int):
    """Decimals with at most `places` decimal places, built from integers so no float is ever involved."""
    return lambda n: Decimal(n).scaleb(-places)


quantities = st.integers(1, 10**9).map(scaled(4))  # 0.0001 … 99999.9999
unit_prices = st.integers(0, 10**10)  # minor units
tax_rates = st.integers(0, 100_000).map(scaled(3))  # 0 … 100.000 %
discounts = st.integers(0, 10_000).map(scaled(2))  # 0 … 100.00 %
lines = st.lists(st.tuples(quantities, unit_prices, tax_rates), min_size=1, max_size=20)
properties = settings(max_examples=300)


@properties
@given(lines=lines, discount=discounts)
def test_totals_match_exact_arithmetic_rounded_once_per_line(lines, discount):
    result = invoice_math.totals(lines, discount)
    assert len(result.lines) == len(lines)
    for (quantity, price, rate), amounts in zip(lines, result.lines, strict=True):
        gross = Fraction(quantity) * price
        net = gross * (100 - Fraction(discount)) / 100
        tax = net * Fraction(rate) / 100
        assert amounts.gross_minor == half_up(gross)
        assert amounts.net_minor == half_up(net)
        assert amounts.tax_minor == half_up(tax)
        assert amounts.discount_minor == amounts.gross_minor - amounts.net_minor
    assert result.subtotal_minor == sum(a.gross_minor for a in result.lines)
    assert result.discount_minor == sum(a.discount_minor for a in result.lines)
    assert result.tax_minor == sum(a.tax_minor for a in result.lines)
    assert result.total_minor == result.subtotal_minor - result.discount_minor + result.tax_minor
    assert result.total_minor == sum(a.net_minor + a.tax_minor for a in result.lines)


@properties
@given(lines=lines)
def test_no_discount_and_no_tax_is_plain_multiplication(lines):
    untaxed = [(q, p, Decimal(0)) for q, p, _ in lines]
    result = invoice_math.totals(untaxed, Decimal(0))
    assert (result.discount_minor, result.tax_minor) == (0, 0)
    assert result.total_minor == sum(half_up(Fraction(q) * p) for q, p, _ in untaxed)


@properties
@given(lines=lines)
def test_a_full_discount_leaves_nothing_to_pay(lines):
    result = invoice_math.totals(lines, Decimal(100))
    assert (result.total_minor, result.tax_minor) == (0, 0)
    assert result.discount_minor == result.subtotal_minor


def test_half_a_minor_unit_rounds_up_once_per_line():
    # 0.5 × 1 cent = 0.5 → 1; 20 % tax on 2.5 cents = 0.5 → 1 (from the exact net, not the rounded one).
    [line] = invoice_math.totals([(Decimal("0.5"), 1, Decimal(0))], Decimal(0)).lines
    assert (line.gross_minor, line.net_minor) == (1, 1)
    [line] = invoice_math.totals([(Decimal("0.5"), 5, Decimal(20))], Decimal(0)).lines
    assert (line.net_minor, line.tax_minor) == (3, 1)
    three = invoice_math.totals([(Decimal("0.5"), 1, Decimal(0))] * 3, Decimal(0))
    assert three.total_minor == 3  # per line, not 1.5 → 2 on the sum


# --- money ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "places"), [("USD", 2), ("eur", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("CLF", 4)]
)
def test_exponents(code, places):
    assert money.exponent(code) == places
    assert money.currency(f" {code} ") == code.upper()


@pytest.mark.parametrize("code", ["", "US", "XYZ", "XAU", "usdd", "€"])
def test_unknown_currencies_are_refused(code):
    with pytest.raises(Invalid) as error:
        money.currency(code)
    assert error.value.field == "currency"


@properties
@given(minor=st.integers(-(10**15) + 1, 10**15 - 1), code=st.sampled_from(["USD", "JPY", "KWD", "BHD", "CLF"]))
def test_minor_units_round_trip_through_decimal_strings(minor, code):
    text = money.format_decimal(minor, code)
    places = money.exponent(code)
    assert ("." in text) == (places > 0)
    if places:
        assert len(text.rsplit(".", 1)[1]) == places
    assert money.to_minor(text, code) == minor
    assert money.to_minor(money.from_minor(minor, code), code) == minor
    if places == 0:
        assert money.to_minor(minor, code) == minor


@pytest.mark.parametrize(
    ("amount", "code", "minor"),
    [
        ("1200.50", "USD", 120050),
        ("1200.5", "USD", 120050),
        ("1200", "USD", 120000),
        (" 7 ", "USD", 700),
        (3, "USD", 300),
        (Decimal("0.01"), "USD", 1),
        ("1200", "JPY", 1200),
        ("1200.00", "JPY", 1200),
        ("12.5", "KWD", 12500),
        ("12.500", "BHD", 12500),
        ("-4.20", "USD", -420),
    ],
)
def test_to_minor(amount, code, minor):
    assert money.to_minor(amount, code) == minor


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("1.005", "USD"),
        ("1.5", "JPY"),
        ("0.0001", "KWD"),
        (0.1, "USD"),
        (1.0, "JPY"),
        ("abc", "USD"),
        ("", "USD"),
        ("1,000.00", "USD"),
        ("NaN", "USD"),
        ("Infinity", "USD"),
        ("1e20", "USD"),
        (None, "USD"),
        # Exponents are refused before any arithmetic: these held the event loop for seconds, overflowed, or
        # were taken as 0.00.
        ("1e700000", "USD"),
        ("1e999999999", "USD"),
        ("1e-999999999", "USD"),
        ("1E2", "JPY"),
        (Decimal("1e700000"), "USD"),
        (Decimal("1e-999999999"), "USD"),
        (10**700, "USD"),
        ("9" * 16, "JPY"),
        ("0." + "0" * 13 + "1", "USD"),
        ("1" * 41, "USD"),
        ("١٢", "USD"),  # digits of another script
        ("12 50", "USD"),
        ("--1", "USD"),
        (".", "USD"),
        (True, "USD"),
    ],
)
def test_to_minor_refuses_what_is_not_an_exact_amount(amount, code):
    with pytest.raises(Invalid) as error:
        money.to_minor(amount, code, "lines.0.unit_price", "Unit price")
    assert error.value.field == "lines.0.unit_price"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", Decimal(0)),
        ("-3", Decimal(-3)),
        (".5", Decimal("0.5")),
        ("12.", Decimal(12)),
        ("+7.25", Decimal("7.25")),
        ("000000000000000000012.5", Decimal("12.5")),  # leading zeros are not magnitude
        ("999999999999999.999999999999", Decimal("999999999999999.999999999999")),
    ],
)
def test_plain_numbers_within_the_bounds_are_read_exactly(text, expected):
    assert money.decimal(text, "amount", "Amount") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("1e5", "must be a number like 12.50"), ("1" * 16, "too large"), ("0." + "1" * 13, "too many decimal places")],
)
def test_out_of_bounds_numbers_say_why(text, message):
    with pytest.raises(Invalid, match=message):
        money.decimal(text, "amount", "Amount")


def test_floats_are_refused_with_a_reason():
    with pytest.raises(Invalid, match="decimal string, not a float"):
        money.to_minor(0.1, "USD")


@pytest.mark.parametrize(
    ("minor", "code", "text"),
    [
        (120050, "USD", "1200.50"),
        (1200, "JPY", "1200"),
        (12500, "KWD", "12.500"),
        (5, "USD", "0.05"),
        (-5, "KWD", "-0.005"),
    ],
)
def test_format_decimal(minor, code, text):
    assert money.format_decimal(minor, code) == text
