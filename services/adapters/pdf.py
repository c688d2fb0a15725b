"""Invoice PDFs with reportlab, and how an invoice's numbers read on paper and on screen.

`render_invoice` is pure and CPU-bound: callers run it off the event loop (`nicegui.run.cpu_bound`, or a
thread). User text goes into Paragraphs escaped, so "<b>" in a description prints as "<b>", never as markup.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from models.invoices import InvoiceStatus
from services.billing.invoice_views import InvoiceDetail
from services.core import formatting

PAGE_SIZES = {"A4": A4, "Letter": LETTER}
# DejaVu Sans (bundled, Bitstream Vera licence): Latin, Greek, Cyrillic, Hebrew, Arabic and more, where the
# PDF standard fonts stop at cp1252. Embedded as a subset of the glyphs each invoice uses.
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
FONTS_DIR = Path(__file__).with_name("fonts")
MARGIN = 18 * mm
LOGO_MAX = (60 * mm, 18 * mm)
INK, MUTED, RULE, SHADE = (colors.HexColor(c) for c in ("#0f172a", "#64748b", "#cbd5e1", "#f1f5f9"))
STAMPS = {
    InvoiceStatus.paid: ("PAID", colors.HexColor("#15803d")),
    InvoiceStatus.void: ("VOID", colors.HexColor("#b91c1c")),
}

_BASE = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12, textColor=INK)
_BOLD = ParagraphStyle("bold", parent=_BASE, fontName=FONT_BOLD)
_RIGHT = ParagraphStyle("right", parent=_BASE, alignment=TA_RIGHT)
_NAME = ParagraphStyle("name", parent=_BOLD, fontSize=14, leading=18)
_TITLE = ParagraphStyle("title", parent=_BOLD, fontSize=20, leading=26, alignment=TA_RIGHT)
_LABEL = ParagraphStyle("label", parent=_BOLD, fontSize=8, leading=11, textColor=MUTED, spaceBefore=10)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# --- the document -------------------------------------------------------------------------------------------------


@cache
def _register_fonts() -> None:
    """Once per process (PDFs are drawn in worker processes), on first use rather than at import."""
    pdfmetrics.registerFont(TTFont(FONT, FONTS_DIR / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, FONTS_DIR / "DejaVuSans-Bold.ttf"))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def _text(value: str, style: ParagraphStyle = _BASE) -> Paragraph:
    cleaned = _CONTROL.sub(" ", value.replace("\r\n", "\n"))
    return Paragraph(escape(cleaned).replace("\n", "<br/>"), style)


class _NumberedCanvas(canvas.Canvas):
    """Two passes: each page is kept until the document ends, when the count is known for "Page x of y"."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._kept: list[dict] = []

    def showPage(self) -> None:
        self._kept.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._kept)
        for page, state in enumerate(self._kept, start=1):
            self.__dict__.update(state)
            self.setFont(FONT, 8)
            self.setFillColor(MUTED)
            self.drawRightString(self._pagesize[0] - MARGIN, MARGIN / 2, f"Page {page} of {total}")
            super().showPage()
        super().save()


def _logo(data: bytes | None) -> Image | None:
    if not data:
        return None
    try:
        width, height = ImageReader(io.BytesIO(data)).getSize()
    except Exception:  # a logo that does not decode leaves the invoice without it, never without the invoice
        return None
    scale = min(LOGO_MAX[0] / width, LOGO_MAX[1] / height)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale, hAlign="LEFT")


def _header(detail: InvoiceDetail, logo: bytes | None, width: float) -> Table:
    seller: list[Flowable] = []
    image = _logo(logo)
    if image is not None:
        seller += [image, Spacer(1, 3 * mm)]
    seller.append(_text(detail.seller.name, _NAME))
    if detail.seller.address:
        seller.append(_text(detail.seller.address))
    if detail.seller.email:
        seller.append(_text(detail.seller.email))
    facts: list[Flowable] = [
        Paragraph("INVOICE", _TITLE),
        _text(detail.number, ParagraphStyle("number", parent=_RIGHT, fontName=FONT_BOLD, fontSize=11)),
        _text(f"Issue date: {formatting.day(detail.issue_date)}", _RIGHT),
        _text(f"Due date: {formatting.day(detail.due_date)}", _RIGHT),
    ]
    if detail.status in STAMPS:
        label, colour = STAMPS[detail.status]
        stamp = ParagraphStyle("stamp", parent=_TITLE, fontSize=16, textColor=colour, spaceBefore=6)
        facts.append(Paragraph(label, stamp))
    table = Table([[seller, facts]], colWidths=[width * 0.58, width * 0.42], splitInRow=1)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    table.setStyle(TableStyle([("RIGHTPADDING", (-1, 0), (-1, 0), 0)]))
    return table


def _bill_to(detail: InvoiceDetail) -> list[Flowable]:
    parts: list[Flowable] = [Paragraph("BILL TO", _LABEL), _text(detail.buyer.name, _BOLD)]
    if detail.buyer.address:
        parts.append(_text(detail.buyer.address))
    if detail.buyer.email:
        parts.append(_text(detail.buyer.email))
    if detail.project_name:
        parts.append(_text(f"Project: {detail.project_name}"))
    return parts


def _lines(detail: InvoiceDetail, width: float) -> Table:
    numbers = [18 * mm, 28 * mm, 16 * mm, 30 * mm]
    rows: list[list[object]] = [["Description", "Qty", f"Unit price ({detail.currency})", "Tax", "Amount"]]
    for line in detail.lines:
        rows.append(
            [
                _text(line.description),
                formatting.number(line.quantity),
                formatting.amount(line.unit_price_minor, detail.currency, code=False),
                f"{formatting.number(line.tax_rate)}%",
                formatting.amount(
                    formatting.line_amount_minor(line, detail.discount_percent), detail.currency, code=False
                ),
            ]
        )
    # splitInRow: a description taller than what is left of a page continues on the next, under the header again.
    table = Table(rows, colWidths=[width - sum(numbers), *numbers], repeatRows=1, splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8),
                ("FONT", (0, 1), (-1, -1), FONT, 9),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _totals(detail: InvoiceDetail) -> Table:
    currency = detail.currency
    rows = [("Subtotal", formatting.amount(detail.subtotal_minor, currency))]
    if detail.discount_minor:
        rows.append(
            (
                f"Discount ({formatting.number(detail.discount_percent)}%)",
                formatting.amount(-detail.discount_minor, currency),
            )
        )
    rows += [
        ("Tax", formatting.amount(detail.tax_minor, currency)),
        ("Total", formatting.amount(detail.total_minor, currency)),
        ("Amount paid", formatting.amount(detail.amount_paid_minor, currency)),
        ("Amount due", formatting.amount(detail.amount_due_minor, currency)),
    ]
    total_row, due_row = len(rows) - 3, len(rows) - 1
    if detail.overpaid_minor:  # a card payment crossed a manual one: the credit is stated, not hidden in a zero due
        rows.append(("Overpaid (credit)", formatting.amount(detail.overpaid_minor, currency)))
    table = Table(rows, colWidths=[40 * mm, 45 * mm], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("FONT", (0, total_row), (-1, total_row), FONT_BOLD, 10),
                ("LINEABOVE", (0, total_row), (-1, total_row), 0.75, INK),
                ("FONT", (0, due_row), (-1, due_row), FONT_BOLD, 11),
                ("BACKGROUND", (0, due_row), (-1, due_row), SHADE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _closing(detail: InvoiceDetail) -> list[Flowable]:
    parts: list[Flowable] = []
    sections = [("NOTES", detail.notes), ("TERMS", detail.terms)]
    if detail.amount_due_minor > 0 and detail.status != InvoiceStatus.void:
        sections.insert(0, ("PAYMENT INSTRUCTIONS", detail.payment_instructions))
    for label, text in sections:
        if text.strip():
            parts += [Paragraph(label, _LABEL), _text(text)]
    return parts


def render_invoice(detail: InvoiceDetail, logo: bytes | None = None) -> bytes:
    """The invoice as PDF bytes: A4 or Letter per the organization, "Page x of y" on every page."""
    _register_fonts()
    buffer = io.BytesIO()
    pagesize = PAGE_SIZES.get(detail.page_size, A4)
    document = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=f"Invoice {detail.number}",
        author=detail.seller.name,
        creator="Portico",
        invariant=True,
    )
    width = document.width - 12  # the frame keeps 6 pt of padding on each side

    def footer(page: canvas.Canvas, _document: SimpleDocTemplate) -> None:
        page.saveState()
        page.setFont(FONT, 8)
        page.setFillColor(MUTED)
        page.drawString(MARGIN, MARGIN / 2, f"{detail.seller.name} · Invoice {detail.number}"[:120])
        page.restoreState()

    story: list[Flowable] = [
        _header(detail, logo, width),
        Spacer(1, 6 * mm),
        *_bill_to(detail),
        Spacer(1, 8 * mm),
        _lines(detail, width),
        Spacer(1, 4 * mm),
        KeepTogether([_totals(detail)]),
        *_closing(detail),
    ]
    document.build(story, onFirstPage=footer, onLaterPages=footer, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()
