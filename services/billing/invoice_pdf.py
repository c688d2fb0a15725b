"""The invoice as a PDF: header, both parties, the lines, the totals from `presentation`, instructions and notes.

`render_invoice` is pure and CPU-bound: callers run it off the event loop.
"""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from models.invoices import InvoiceStatus
from services.adapters import pdf
from services.billing.invoice_views import InvoiceDetail
from services.billing.presentation import TONE_COLORS, line_amount_minor, totals_rows
from services.core import formatting

STAMPS = {
    InvoiceStatus.paid: ("PAID", colors.HexColor(TONE_COLORS["positive"])),
    InvoiceStatus.void: ("VOID", colors.HexColor(TONE_COLORS["negative"])),
}
_EMPHASIS_FONTS = {"total": (pdf.FONT_BOLD, 10), "due": (pdf.FONT_BOLD, 11)}


def _header(detail: InvoiceDetail, logo: bytes | None, width: float) -> Table:
    seller: list[Flowable] = []
    image = pdf.logo(logo)
    if image is not None:
        seller += [image, Spacer(1, 3 * mm)]
    seller.append(pdf.text(detail.seller.name, pdf.NAME))
    if detail.seller.address:
        seller.append(pdf.text(detail.seller.address))
    if detail.seller.email:
        seller.append(pdf.text(detail.seller.email))
    facts: list[Flowable] = [
        Paragraph("INVOICE", pdf.TITLE),
        pdf.text(detail.number, ParagraphStyle("number", parent=pdf.RIGHT, fontName=pdf.FONT_BOLD, fontSize=11)),
        pdf.text(f"Issue date: {formatting.day(detail.issue_date)}", pdf.RIGHT),
        pdf.text(f"Due date: {formatting.day(detail.due_date)}", pdf.RIGHT),
    ]
    if detail.status in STAMPS:
        label, colour = STAMPS[detail.status]
        stamp = ParagraphStyle("stamp", parent=pdf.TITLE, fontSize=16, textColor=colour, spaceBefore=6)
        facts.append(Paragraph(label, stamp))
    table = Table([[seller, facts]], colWidths=[width * 0.58, width * 0.42], splitInRow=1)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0)]))
    table.setStyle(TableStyle([("RIGHTPADDING", (-1, 0), (-1, 0), 0)]))
    return table


def _bill_to(detail: InvoiceDetail) -> list[Flowable]:
    parts: list[Flowable] = [Paragraph("BILL TO", pdf.LABEL), pdf.text(detail.buyer.name, pdf.BOLD)]
    if detail.buyer.address:
        parts.append(pdf.text(detail.buyer.address))
    if detail.buyer.email:
        parts.append(pdf.text(detail.buyer.email))
    if detail.project_name:
        parts.append(pdf.text(f"Project: {detail.project_name}"))
    return parts


def _lines(detail: InvoiceDetail, width: float) -> Table:
    numbers = [18 * mm, 28 * mm, 16 * mm, 30 * mm]
    rows: list[list[object]] = [["Description", "Qty", f"Unit price ({detail.currency})", "Tax", "Amount"]]
    for line in detail.lines:
        rows.append(
            [
                pdf.text(line.description),
                formatting.number(line.quantity),
                formatting.amount(line.unit_price_minor, detail.currency, code=False),
                f"{formatting.number(line.tax_rate)}%",
                formatting.amount(line_amount_minor(line, detail.discount_percent), detail.currency, code=False),
            ]
        )
    # splitInRow: a description taller than what is left of a page continues on the next, under the header again.
    table = Table(rows, colWidths=[width - sum(numbers), *numbers], repeatRows=1, splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), pdf.FONT_BOLD, 8),
                ("FONT", (0, 1), (-1, -1), pdf.FONT, 9),
                ("TEXTCOLOR", (0, 0), (-1, 0), pdf.MUTED),
                ("BACKGROUND", (0, 0), (-1, 0), pdf.SHADE),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, pdf.RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _totals(detail: InvoiceDetail) -> Table:
    rows = totals_rows(detail)
    table = Table([(row.label, row.text) for row in rows], colWidths=[40 * mm, 45 * mm], hAlign="RIGHT")
    style: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), pdf.FONT, 9),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for n, row in enumerate(rows):
        if row.emphasis in _EMPHASIS_FONTS:
            style.append(("FONT", (0, n), (-1, n), *_EMPHASIS_FONTS[row.emphasis]))
        if row.emphasis == "total":
            style.append(("LINEABOVE", (0, n), (-1, n), 0.75, pdf.INK))
        if row.emphasis == "due":
            style.append(("BACKGROUND", (0, n), (-1, n), pdf.SHADE))
    table.setStyle(TableStyle(style))
    return table


def _closing(detail: InvoiceDetail) -> list[Flowable]:
    parts: list[Flowable] = []
    sections = [("NOTES", detail.notes), ("TERMS", detail.terms)]
    if detail.amount_due_minor > 0 and detail.status != InvoiceStatus.void:
        sections.insert(0, ("PAYMENT INSTRUCTIONS", detail.payment_instructions))
    for label, text in sections:
        if text.strip():
            parts += [Paragraph(label, pdf.LABEL), pdf.text(text)]
    return parts


def render_invoice(detail: InvoiceDetail, logo: bytes | None = None) -> bytes:
    """The invoice as PDF bytes: A4 or Letter per the organization, "Page x of y" on every page."""

    def story(width: float) -> list[Flowable]:
        return [
            _header(detail, logo, width),
            Spacer(1, 6 * mm),
            *_bill_to(detail),
            Spacer(1, 8 * mm),
            _lines(detail, width),
            Spacer(1, 4 * mm),
            KeepTogether([_totals(detail)]),
            *_closing(detail),
        ]

    return pdf.render(
        story,
        page_size=detail.page_size,
        title=f"Invoice {detail.number}",
        author=detail.seller.name,
        footer=f"{detail.seller.name} · Invoice {detail.number}",
    )
