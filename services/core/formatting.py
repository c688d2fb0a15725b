"""How amounts, numbers and dates read: one way for staff pages, the portal, the public page, the PDF and mails."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.billing import invoice_math
from services.billing.invoice_views import LineView
from services.core import money


def amount(minor: int, currency: str, *, code: bool = True) -> str:
    """Exactly the currency's decimals: "1200.50 USD", "1200 JPY", "12.500 KWD"."""
    text = money.format_decimal(minor, currency)
    return f"{text} {currency}" if code else text


def number(value: Decimal) -> str:
    """A quantity or a rate without trailing zeros or exponent: 2.5000 → "2.5", 20.000 → "20"."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def line_amount_minor(line: LineView, discount_percent: Decimal) -> int:
    """The line's quantity × unit price as the invoice's subtotal counts it (before discount and tax)."""
    return invoice_math.line_amounts(line.quantity, line.unit_price_minor, line.tax_rate, discount_percent).gross_minor


def day(value: date) -> str:
    return f"{value.day:02d} {value:%b %Y}"
