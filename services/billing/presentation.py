"""How an invoice reads, in one place: its totals rows, its status badge and its line amounts.

The PDF, the public page, the portal and the staff page only lay these out, so all four say the same thing
in the same words ("Discount (10%)", "Amount paid", "Overpaid (credit)").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from services.billing import invoice_math
from services.billing.invoice_views import STATUS_LABELS, InvoiceDetail, LineView
from services.core import formatting

Emphasis = Literal["", "total", "due", "credit"]
Tone = Literal["neutral", "info", "positive", "warning", "negative", "muted"]


@dataclass(frozen=True, slots=True)
class TotalsRow:
    label: str
    amount_minor: int
    text: str  # the amount as the seller's locale writes it: "$4,220.00", "4.220,00 €"
    emphasis: Emphasis = ""


@dataclass(frozen=True, slots=True)
class StatusBadge:
    label: str
    tone: Tone
    color: str  # the tone's colour, for every renderer (CSS, Quasar's `color`, reportlab)


# The one status colour map: tones by display status, colours by tone.
STATUS_TONES: dict[str, Tone] = {
    "draft": "neutral",
    "sent": "info",
    "partially_paid": "warning",
    "paid": "positive",
    "void": "muted",
    "overdue": "negative",
}
TONE_COLORS: dict[Tone, str] = {
    "neutral": "#475569",
    "info": "#4f46e5",
    "positive": "#15803d",
    "warning": "#b45309",
    "negative": "#b91c1c",
    "muted": "#64748b",
}


def status_badge(display_status: str) -> StatusBadge:
    tone = STATUS_TONES.get(display_status, "neutral")
    return StatusBadge(STATUS_LABELS.get(display_status, display_status), tone, TONE_COLORS[tone])


def totals_rows(detail: InvoiceDetail) -> list[TotalsRow]:
    """Subtotal, discount, tax, total, paid, due, and any credit: what every rendering of the invoice shows."""
    currency, formats = detail.currency, detail.formats

    def row(label: str, minor: int, emphasis: Emphasis = "") -> TotalsRow:
        return TotalsRow(label, minor, formats.money(minor, currency), emphasis)

    rows = [row("Subtotal", detail.subtotal_minor)]
    if detail.discount_minor:
        rows.append(row(f"Discount ({formats.percent(detail.discount_percent)})", -detail.discount_minor))
    rows += [
        row("Tax", detail.tax_minor),
        row("Total", detail.total_minor, "total"),
        row("Amount paid", detail.amount_paid_minor),
        row("Amount due", detail.amount_due_minor, "due"),
    ]
    if detail.overpaid_minor:  # a card payment crossed a manual one: the credit is stated, never hidden in a zero due
        rows.append(row("Overpaid (credit)", detail.overpaid_minor, "credit"))
    return rows


def payment_text(amount_minor: int, currency: str, formats: formatting.Formats) -> str:
    """A payment as words and a positive amount: "Paid $5,000.00", or "Refunded $5,000.00" for money given back
    (never "Paid -$5,000.00")."""
    verb = "Refunded" if amount_minor < 0 else "Paid"
    return f"{verb} {formats.money(abs(amount_minor), currency)}"


def line_amount_minor(line: LineView, discount_percent: Decimal) -> int:
    """The line's quantity × unit price as the invoice's subtotal counts it (before discount and tax)."""
    return invoice_math.line_amounts(line.quantity, line.unit_price_minor, line.tax_rate, discount_percent).gross_minor
