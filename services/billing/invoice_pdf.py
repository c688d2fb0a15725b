"""The invoice as a PDF: header, both parties, the lines, the totals from `presentation`, instructions and notes.

`render_invoice` is pure and CPU-bound: callers run it off the event loop.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from models.invoices import InvoiceStatus
from services.adapters import pdf
from services.billing.invoice_views import InvoiceDetail, LineView, Party
from services.billing.presentation import TONE_COLORS, TotalsRow, line_amount_minor, totals_rows
from services.core.formatting import Formats

# Sizes of the lines table. A Table gives plain text a leading of 1.2 x its size (also when it splits a row
# across pages), so row heights are computed here with the same rule instead of being measured by the Table.
# Cells keep reportlab's default 3 pt top and bottom padding (set by no style command: each costs a pass per cell).
_LINE_SIZE, _HEAD_SIZE, _PADDING = 9, 8, 3
_NUMBER_WIDTHS = (16 * mm, 30 * mm, 14 * mm, 30 * mm)  # Qty, Unit price, Tax, Amount (with the currency's symbol)
_TOTALS_WIDTHS = (40 * mm, 45 * mm)
_GAP = 10 * mm
# Instructions and notes up to this height sit beside the totals; longer ones follow below them, since a table row
# that does not fit moves whole to the next page, and one taller than a page could not be placed at all.
_BESIDE_TOTALS_MAX = 220

_NUMBER = ParagraphStyle("number", parent=pdf.RIGHT, fontName=pdf.FONT_BOLD, fontSize=11)
STAMP_STYLES = {
    label: ParagraphStyle(label.lower(), parent=pdf.TITLE, fontSize=16, textColor=colour, spaceBefore=6)
    for label, colour in (
        ("PAID", colors.HexColor(TONE_COLORS["positive"])),
        ("VOID", colors.HexColor(TONE_COLORS["negative"])),
        ("ACCEPTED", colors.HexColor(TONE_COLORS["positive"])),
        ("DECLINED", colors.HexColor(TONE_COLORS["muted"])),
        ("EXPIRED", colors.HexColor(TONE_COLORS["muted"])),
    )
}
STAMPS = {InvoiceStatus.paid: "PAID", InvoiceStatus.void: "VOID"}
_EMPHASIS_FONTS = {"total": (pdf.FONT_BOLD, 10), "due": (pdf.FONT_BOLD, 11)}


class Priced(Protocol):
    """What the lines table reads: an invoice's detail, or a quote's."""

    @property
    def lines(self) -> tuple[LineView, ...]: ...
    @property
    def currency(self) -> str: ...
    @property
    def discount_percent(self) -> Decimal: ...
    @property
    def formats(self) -> Formats: ...


def header(
    seller: Party, logo: bytes | None, title: str, number: str, facts: list[str], width: float, stamp: str = ""
) -> Table:
    """The seller (logo, name, address, email) on the left; the document's title, number and dates on the right,
    with its stamp ("PAID", "ACCEPTED") in the tone of `STAMP_STYLES`."""
    left: list[Flowable] = []
    image = pdf.logo(logo)
    if image is not None:
        left += [image, Spacer(1, 3 * mm)]
    left.append(pdf.text(seller.name, pdf.NAME))
    if seller.address:
        left.append(pdf.text(seller.address))
    if seller.email:
        left.append(pdf.text(seller.email))
    right: list[Flowable] = [Paragraph(title, pdf.TITLE), pdf.text(number, _NUMBER)]
    right += [pdf.text(fact, pdf.RIGHT) for fact in facts]
    if stamp:
        right.append(Paragraph(stamp, STAMP_STYLES[stamp]))
    table = Table([[left, right]], colWidths=[width * 0.58, width * 0.42], splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 0),  # the page's margin is above it
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("RIGHTPADDING", (-1, 0), (-1, 0), 0),
            ]
        )
    )
    return table


def _header(detail: InvoiceDetail, logo: bytes | None, width: float) -> Table:
    formats = detail.formats
    dates = [f"Issue date: {formats.day(detail.issue_date)}", f"Due date: {formats.day(detail.due_date)}"]
    stamp = STAMPS.get(detail.status, "")
    return header(detail.seller, logo, "INVOICE", detail.number, dates, width, stamp)


def bill_to(label: str, buyer: Party, project_name: str) -> list[Flowable]:
    parts: list[Flowable] = [Paragraph(label, pdf.LABEL), pdf.text(buyer.name, pdf.BOLD)]
    if buyer.address:
        parts.append(pdf.text(buyer.address))
    if buyer.email:
        parts.append(pdf.text(buyer.email))
    if project_name:
        parts.append(pdf.text(f"Project: {project_name}"))
    return parts


def _row_height(size: float, lines: int = 1) -> float:
    return lines * size * 1.2 + 2 * _PADDING


def lines_table(detail: Priced, width: float) -> Table:
    description_width = width - sum(_NUMBER_WIDTHS)
    wrap_width = description_width - 12  # the cell's 6 pt of padding on each side
    formats = detail.formats
    rows: list[list[str]] = [["Description", "Qty", "Unit price", "Tax", "Amount"]]
    heights = [_row_height(_HEAD_SIZE)]
    for line in detail.lines:
        # Plain wrapped text, not a Paragraph per cell: the same lines on paper at a fraction of the cost.
        description = pdf.plain(line.description, wrap_width, size=_LINE_SIZE)
        rows.append(
            [
                description,
                formats.number(line.quantity),
                formats.money(line.unit_price_minor, detail.currency),
                formats.percent(line.tax_rate),
                formats.money(line_amount_minor(line, detail.discount_percent), detail.currency),
            ]
        )
        heights.append(_row_height(_LINE_SIZE, pdf.line_count(description)))
    # Known row heights: the Table would otherwise measure every cell again on each pass (wrap, split, each page).
    # splitInRow: a description taller than what is left of a page continues on the next, under the header again.
    table = Table(rows, colWidths=[description_width, *_NUMBER_WIDTHS], rowHeights=heights, repeatRows=1, splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), pdf.FONT_BOLD, _HEAD_SIZE),
                ("FONT", (0, 1), (-1, -1), pdf.FONT, _LINE_SIZE),
                ("TEXTCOLOR", (0, 0), (-1, 0), pdf.MUTED),
                ("TEXTCOLOR", (0, 1), (0, -1), pdf.INK),  # the descriptions, as printed when they were Paragraphs
                ("BACKGROUND", (0, 0), (-1, 0), pdf.SHADE),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, pdf.RULE),
            ]
        )
    )
    return table


def totals_table(rows: list[TotalsRow]) -> Table:
    table = Table([(row.label, row.text) for row in rows], colWidths=list(_TOTALS_WIDTHS), hAlign="RIGHT")
    style: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), pdf.FONT, 9),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
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


def _height(flowables: list[Flowable], width: float) -> float:
    """Their height in a table cell, where the first one's space before does not count."""
    total = sum(flowable.wrap(width, 10_000)[1] + flowable.getSpaceBefore() for flowable in flowables)
    return total - flowables[0].getSpaceBefore()


def _ending(detail: InvoiceDetail, width: float) -> list[Flowable]:
    """The totals, with the instructions and notes on their left when short (as on most invoices), else below."""
    totals, closing = totals_table(totals_rows(detail)), _closing(detail)
    closing_width = width - sum(_TOTALS_WIDTHS)
    if not closing or _height(closing, closing_width - _GAP) > _BESIDE_TOTALS_MAX:
        return [KeepTogether([totals]), *closing]
    # One row, so it moves whole to the next page when it does not fit: the totals are never split.
    table = Table([[closing, totals]], colWidths=[closing_width, sum(_TOTALS_WIDTHS)])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, 0), _GAP),
                ("TOPPADDING", (1, 0), (1, 0), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [table]


def render_invoice(detail: InvoiceDetail, logo: bytes | None = None) -> bytes:
    """The invoice as PDF bytes: A4 or Letter per the organization, "Page x of y" on every page."""

    def story(width: float) -> list[Flowable]:
        return [
            _header(detail, logo, width),
            *bill_to("BILL TO", detail.buyer, detail.project_name),  # its label's space before sets it off
            Spacer(1, 5 * mm),
            lines_table(detail, width),
            Spacer(1, 4 * mm),
            *_ending(detail, width),
        ]

    return pdf.render(
        story,
        page_size=detail.page_size,
        title=f"Invoice {detail.number}",
        author=detail.seller.name,
        footer=f"{detail.seller.name} · Invoice {detail.number}",
    )
