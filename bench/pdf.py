"""Invoice PDFs: `services.billing.invoice_pdf.render_invoice` against bare reportlab drawing the same text with drawString.

    .venv/bin/python -m bench.pdf [--repeat 15]

The baseline is the floor for this content: one canvas, fixed row heights, no layout engine, no wrapping.
The ratio says what the Platypus layout (wrapped descriptions, repeated table headers, kept-together
totals, two-pass "Page x of y") costs on top of it.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from models.invoices import InvoiceStatus
from services.billing import invoice_math, invoice_pdf
from services.billing.invoice_views import InvoiceDetail, LineView, Party
from services.billing.presentation import line_amount_minor
from services.core import formatting

ROW = 14  # points per table row in the baseline


def detail_with(lines: int) -> InvoiceDetail:
    """A sent invoice with `lines` lines of varied quantities, prices and tax rates (no database needed)."""
    raw = [(Decimal(1 + n % 7) / 2, 1_250 + 37 * n, Decimal((0, 7, 20)[n % 3])) for n in range(lines)]
    discount = Decimal(5)
    totals = invoice_math.totals(raw, discount)
    views = tuple(
        LineView(f"Line {n + 1}: design and development work, sprint {n // 10 + 1}", q, p, r, a.net_minor, a.tax_minor)
        for n, ((q, p, r), a) in enumerate(zip(raw, totals.lines, strict=True))
    )
    issue = date(2026, 3, 10)
    return InvoiceDetail(
        id=uuid.uuid4(),
        number="INV-0042",
        status=InvoiceStatus.sent,
        display_status="sent",
        client_id=uuid.uuid4(),
        project_id=None,
        project_name="Website relaunch",
        currency="USD",
        issue_date=issue,
        due_date=issue + timedelta(days=30),
        discount_percent=discount,
        notes="Thank you for your business.",
        terms="Payment within 30 days.",
        subtotal_minor=totals.subtotal_minor,
        discount_minor=totals.discount_minor,
        tax_minor=totals.tax_minor,
        total_minor=totals.total_minor,
        amount_paid_minor=0,
        amount_due_minor=totals.total_minor,
        sent_at=None,
        public_url="https://portico.example/i/token",
        seller=Party("Bench Agency", "1 Main Street\n10115 Berlin", "billing@agency.example"),
        buyer=Party("Client GmbH", "2 Side Street\n80331 Munich", "ap@client.example"),
        payment_instructions="Bank transfer to IBAN DE00 0000 0000 0000 0000 00",
        page_size="A4",
        lines=views,
    )


def bare(detail: InvoiceDetail) -> bytes:
    """The same text placed by hand: header, bill-to, one row per line, totals, instructions, page x of y."""
    width, height = A4
    left, right, top, bottom = 18 * mm, width - 18 * mm, height - 18 * mm, 22 * mm
    first_rows = int((top - 80 * mm - bottom) // ROW)
    later_rows = int((top - ROW - bottom) // ROW)
    rest = max(len(detail.lines) - first_rows, 0)
    pages = 1 + -(-rest // later_rows) + 1  # the totals and instructions get a page of their own at worst
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    number = 1

    def new_page() -> float:
        nonlocal number
        page.setFont("Helvetica", 8)
        page.drawString(left, 9 * mm, f"{detail.seller.name} · Invoice {detail.number}")
        page.drawRightString(right, 9 * mm, f"Page {number} of {pages}")
        page.showPage()
        number += 1
        return top

    def header_row(y: float) -> float:
        page.setFont("Helvetica-Bold", 8)
        for x, text in ((left, "Description"), (right - 92 * mm, "Qty"), (right - 64 * mm, "Unit price")):
            page.drawString(x, y, text)
        page.drawRightString(right - 30 * mm, y, "Tax")
        page.drawRightString(right, y, "Amount")
        page.setFont("Helvetica", 9)
        return y - ROW

    y = top
    page.setFont("Helvetica-Bold", 14)
    page.drawString(left, y, detail.seller.name)
    page.setFont("Helvetica-Bold", 20)
    page.drawRightString(right, y, "INVOICE")
    page.setFont("Helvetica", 9)
    for n, text in enumerate([*detail.seller.address.splitlines(), detail.seller.email]):
        page.drawString(left, y - 16 - 12 * n, text)
    for n, text in enumerate(
        (
            detail.number,
            f"Issue date: {formatting.day(detail.issue_date)}",
            f"Due date: {formatting.day(detail.due_date)}",
        )
    ):
        page.drawRightString(right, y - 28 - 12 * n, text)
    y -= 40 * mm
    for n, text in enumerate(["BILL TO", detail.buyer.name, *detail.buyer.address.splitlines(), detail.buyer.email]):
        page.drawString(left, y - 12 * n, text)
    y = header_row(top - 80 * mm)
    for line in detail.lines:
        if y < bottom:
            y = header_row(new_page())
        page.drawString(left, y, line.description[:70])
        page.drawRightString(right - 80 * mm, y, formatting.number(line.quantity))
        page.drawRightString(right - 46 * mm, y, formatting.amount(line.unit_price_minor, detail.currency, code=False))
        page.drawRightString(right - 30 * mm, y, f"{formatting.number(line.tax_rate)}%")
        line_amount = line_amount_minor(line, detail.discount_percent)
        page.drawRightString(right, y, formatting.amount(line_amount, detail.currency, code=False))
        y -= ROW
    closing = [
        ("Subtotal", formatting.amount(detail.subtotal_minor, detail.currency)),
        (
            f"Discount ({formatting.number(detail.discount_percent)}%)",
            formatting.amount(-detail.discount_minor, detail.currency),
        ),
        ("Tax", formatting.amount(detail.tax_minor, detail.currency)),
        ("Total", formatting.amount(detail.total_minor, detail.currency)),
        ("Amount paid", formatting.amount(detail.amount_paid_minor, detail.currency)),
        ("Amount due", formatting.amount(detail.amount_due_minor, detail.currency)),
        ("PAYMENT INSTRUCTIONS", detail.payment_instructions),
        ("NOTES", detail.notes),
        ("TERMS", detail.terms),
    ]
    if y - ROW * len(closing) < bottom:
        y = new_page()
    for label, text in closing:
        page.drawString(right - 85 * mm, y, label)
        page.drawRightString(right, y, text)
        y -= ROW
    new_page()
    page.save()
    return buffer.getvalue()


def timed(render: Callable[[InvoiceDetail], bytes], detail: InvoiceDetail, repeat: int) -> tuple[float, int]:
    """Median milliseconds per render after one warm-up, and the document's size."""
    size = len(render(detail))
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        render(detail)
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print(f"{'lines':>5}  {'render_invoice':>16}  {'bare canvas':>13}  {'ratio':>6}")
    for lines in (20, 500):
        detail = detail_with(lines)
        ours, ours_size = timed(invoice_pdf.render_invoice, detail, args.repeat)
        base, base_size = timed(bare, detail, args.repeat)
        print(
            f"{lines:>5}  {ours:>10.1f} ms/pdf  {base:>7.1f} ms/pdf  {ours / base:>5.1f}x"
            f"   ({ours_size / 1024:.0f} KiB vs {base_size / 1024:.0f} KiB)"
        )


if __name__ == "__main__":
    main()
