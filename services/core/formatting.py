"""How amounts, numbers and dates read: one way for staff pages, the portal, the public page, the PDF and mails."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.core import money


def amount(minor: int, currency: str, *, code: bool = True) -> str:
    """Exactly the currency's decimals: "1200.50 USD", "1200 JPY", "12.500 KWD"."""
    text = money.format_decimal(minor, currency)
    return f"{text} {currency}" if code else text


def number(value: Decimal) -> str:
    """A quantity or a rate without trailing zeros or exponent: 2.5000 → "2.5", 20.000 → "20"."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def day(value: date) -> str:
    return f"{value.day:02d} {value:%b %Y}"
