"""Invoice PDFs: `services.billing.invoice_pdf.render_invoice` against the same invoice written by hand in reportlab.

    .venv/bin/python -m bench.pdf [--repeat 15] [--lines 20 200 500]

The baseline is what a competent engineer writes directly with reportlab's Platypus, without Portico's house-style
layer, and it draws the same document with the same look: the bundled DejaVu Sans and Sans Bold TTFs (registered
once, under names of its own, embedded as subsets), A4 with the same margins; a header table (seller name, address
and email on the left; "INVOICE", number, issue and due dates on the right), the BILL TO block, the lines as one
platypus Table with the same five columns, widths, fonts, colours, paddings and rules, its header row repeated on
every page, each description an escaped Paragraph wrapping in its cell and the numbers plain strings; then the
totals table (subtotal, discount, tax, total, paid, due) with the payment instructions, notes and terms beside it,
the footer line and "Page x of y" (the two-pass NumberedCanvas recipe) on every page.
Both are rendered round by round, alternately first, after one warm-up each; the table gives the median and the
p10-p90 spread in milliseconds per document, the ratio of the medians, and each document's pages and size.
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table

from models.invoices import InvoiceStatus
from services.adapters.pdf import FONTS_DIR
from services.billing import invoice_math, invoice_pdf
from services.billing.invoice_views import InvoiceDetail, LineView, Party
from services.billing.presentation import line_amount_minor, totals_rows

DESCRIPTIONS = (
    "Design sprint — landing page",
    "Discovery workshop (2 days, on site)",
    "Copywriting: home, about and pricing pages",
    "Hosting and monitoring (March)",
    "Frontend development — checkout flow",
    "Illustrations for the onboarding screens, three rounds of revisions included",  # wraps to two lines
    "QA and accessibility review",
    "Project management",
)
NOTES = "Thank you for your business.\nPlease quote INV-0042 with your payment.\nQuestions: billing@agency.example"


def detail_with(lines: int) -> InvoiceDetail:
    """A sent invoice with `lines` lines of varied descriptions, quantities, prices and tax rates (no database)."""
    raw = [(Decimal(1 + n % 7) / 2, 1_250 + 37 * n, Decimal((0, 7, 20)[n % 3])) for n in range(lines)]
    discount = Decimal(5)
    totals = invoice_math.totals(raw, discount)
    views = tuple(
        LineView(DESCRIPTIONS[n % len(DESCRIPTIONS)], q, p, r, a.net_minor, a.tax_minor)
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
        notes=NOTES,
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


# --- the baseline: the same invoice written by hand -----------------------------------------------------------------

SANS, SANS_BOLD = "BenchSans", "BenchSans-Bold"  # its own registrations of the same files
INK, MUTED, RULE, SHADE = (colors.HexColor(c) for c in ("#0f172a", "#64748b", "#cbd5e1", "#f1f5f9"))
MARGIN = 18 * mm


@cache
def baseline_styles() -> dict[str, ParagraphStyle]:
    """The fonts registered and the paragraph styles made once, as any long-running renderer would."""
    pdfmetrics.registerFont(TTFont(SANS, FONTS_DIR / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont(SANS_BOLD, FONTS_DIR / "DejaVuSans-Bold.ttf"))
    pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD)
    base = ParagraphStyle("base", fontName=SANS, fontSize=9, leading=12, textColor=INK)
    bold = ParagraphStyle("bold", parent=base, fontName=SANS_BOLD)
    right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
    return {
        "base": base,
        "bold": bold,
        "right": right,
        "cell": ParagraphStyle("cell", parent=base, leading=10.8),
        "name": ParagraphStyle("name", parent=bold, fontSize=14, leading=18),
        "title": ParagraphStyle("title", parent=bold, fontSize=20, leading=26, alignment=TA_RIGHT),
        "number": ParagraphStyle("number", parent=right, fontName=SANS_BOLD, fontSize=11),
        "label": ParagraphStyle("label", parent=bold, fontSize=8, leading=11, textColor=MUTED, spaceBefore=10),
    }


def para(value: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(value).replace("\n", "<br/>"), style)


class NumberedCanvas(canvas.Canvas):
    """ReportLab's usual "Page x of y" recipe: keep each page until the count is known."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(SANS, 8)
            self.setFillColor(MUTED)
            self.drawRightString(self._pagesize[0] - MARGIN, MARGIN / 2, f"Page {number} of {len(self._pages)}")
            super().showPage()
        super().save()


def baseline_header(detail: InvoiceDetail, width: float) -> Table:
    s = baseline_styles()
    seller = [para(detail.seller.name, s["name"]), para(detail.seller.address, s["base"])]
    seller.append(para(detail.seller.email, s["base"]))
    facts = [
        Paragraph("INVOICE", s["title"]),
        para(detail.number, s["number"]),
        para(f"Issue date: {detail.formats.day(detail.issue_date)}", s["right"]),
        para(f"Due date: {detail.formats.day(detail.due_date)}", s["right"]),
    ]
    table = Table([[seller, facts]], colWidths=[width * 0.58, width * 0.42])
    table.setStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 0),
            ("LEFTPADDING", (0, 0), (0, 0), 0),
            ("RIGHTPADDING", (1, 0), (1, 0), 0),
        ]
    )
    return table


def baseline_lines(detail: InvoiceDetail, width: float) -> Table:
    numbers = [16 * mm, 30 * mm, 14 * mm, 30 * mm]
    cell, formats = baseline_styles()["cell"], detail.formats
    rows: list[list[object]] = [["Description", "Qty", "Unit price", "Tax", "Amount"]]
    for line in detail.lines:
        amount = line_amount_minor(line, detail.discount_percent)
        rows.append(
            [
                para(line.description, cell),
                formats.number(line.quantity),
                formats.money(line.unit_price_minor, detail.currency),
                formats.percent(line.tax_rate),
                formats.money(amount, detail.currency),
            ]
        )
    table = Table(rows, colWidths=[width - sum(numbers), *numbers], repeatRows=1)
    table.setStyle(
        [
            ("FONT", (0, 0), (-1, 0), SANS_BOLD, 8),
            ("FONT", (0, 1), (-1, -1), SANS, 9),
            ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
        ]
    )
    return table


def baseline_ending(detail: InvoiceDetail, width: float) -> Table:
    s = baseline_styles()
    rows = totals_rows(detail)
    totals = Table([(row.label, row.text) for row in rows], colWidths=[40 * mm, 45 * mm])
    style: list[tuple] = [("FONT", (0, 0), (-1, -1), SANS, 9), ("ALIGN", (1, 0), (1, -1), "RIGHT")]
    for n, row in enumerate(rows):
        if row.emphasis == "total":
            style += [("FONT", (0, n), (-1, n), SANS_BOLD, 10), ("LINEABOVE", (0, n), (-1, n), 0.75, INK)]
        if row.emphasis == "due":
            style += [("FONT", (0, n), (-1, n), SANS_BOLD, 11), ("BACKGROUND", (0, n), (-1, n), SHADE)]
    totals.setStyle(style)
    closing: list[Flowable] = []
    for label, text in (
        ("PAYMENT INSTRUCTIONS", detail.payment_instructions),
        ("NOTES", detail.notes),
        ("TERMS", detail.terms),
    ):
        closing += [Paragraph(label, s["label"]), para(text, s["base"])]
    table = Table([[closing, totals]], colWidths=[width - 85 * mm, 85 * mm])
    table.setStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (0, 0), 10 * mm),
            ("TOPPADDING", (1, 0), (1, 0), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
        ]
    )
    return table


def baseline(detail: InvoiceDetail) -> bytes:
    """The same invoice, written directly with Platypus (see the module's docstring for what it draws)."""
    s = baseline_styles()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=f"Invoice {detail.number}",
        author=detail.seller.name,
        invariant=True,
    )
    width = document.width - 12
    bill_to = [Paragraph("BILL TO", s["label"]), para(detail.buyer.name, s["bold"])]
    bill_to += [para(detail.buyer.address, s["base"]), para(detail.buyer.email, s["base"])]
    bill_to.append(para(f"Project: {detail.project_name}", s["base"]))
    story = [
        baseline_header(detail, width),
        *bill_to,
        Spacer(1, 5 * mm),
        baseline_lines(detail, width),
        Spacer(1, 4 * mm),
        baseline_ending(detail, width),
    ]

    def footer(page: canvas.Canvas, _document: SimpleDocTemplate) -> None:
        page.saveState()
        page.setFont(SANS, 8)
        page.setFillColor(MUTED)
        page.drawString(MARGIN, MARGIN / 2, f"{detail.seller.name} · Invoice {detail.number}")
        page.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer, canvasmaker=NumberedCanvas)
    return buffer.getvalue()


# --- the measurement ------------------------------------------------------------------------------------------------

Render = Callable[[InvoiceDetail], bytes]
_PAGE = re.compile(rb"/Type /Page\b(?!s)")


def pages(document: bytes) -> int:
    return len(_PAGE.findall(document))


def interleaved(renders: dict[str, Render], detail: InvoiceDetail, repeat: int) -> dict[str, list[float]]:
    """Milliseconds per render of each, round by round (the order alternating), after one warm-up each."""
    for render in renders.values():
        render(detail)
    runs: dict[str, list[float]] = {name: [] for name in renders}
    names = list(renders)
    for round_number in range(repeat):
        for name in names if round_number % 2 == 0 else reversed(names):
            started = time.perf_counter()
            renders[name](detail)
            runs[name].append((time.perf_counter() - started) * 1000)
    return runs


def spread(runs: list[float]) -> str:
    """Median and p10-p90 (min-max below ten runs)."""
    low, high = (min(runs), max(runs)) if len(runs) < 10 else statistics.quantiles(runs, n=10)[::8]
    return f"{statistics.median(runs):7.1f} ({low:5.1f}-{high:5.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--lines", type=int, nargs="+", default=[20, 200, 500])
    args = parser.parse_args()
    renders: dict[str, Render] = {"portico": invoice_pdf.render_invoice, "baseline": baseline}
    print("ms per document: median (p10-p90)")
    print(f"{'lines':>5}  {'render_invoice':>22}  {'hand-written baseline':>22}  {'ratio':>6}  pages  KiB")
    for lines in args.lines:
        detail = detail_with(lines)
        runs = interleaved(renders, detail, args.repeat)
        ratio = statistics.median(runs["portico"]) / statistics.median(runs["baseline"])
        ours, theirs = invoice_pdf.render_invoice(detail), baseline(detail)
        print(
            f"{lines:>5}  {spread(runs['portico']):>22}  {spread(runs['baseline']):>22}  {ratio:>5.2f}x"
            f"  {pages(ours)} / {pages(theirs)}  {len(ours) / 1024:.0f} / {len(theirs) / 1024:.0f}"
        )


if __name__ == "__main__":
    main()
