"""PDF documents with reportlab, in Portico's house style: the bundled font, styles, "Page x of y", logos.

What a document says lives with its domain (`billing/invoice_pdf.py`); this module knows only paper.
Rendering is pure and CPU-bound: callers run it off the event loop (`nicegui.run.cpu_bound`, or a thread).
User text goes into Paragraphs escaped, so "<b>" in a description prints as "<b>", never as markup.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
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
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Table, TableStyle

PAGE_SIZES = {"A4": A4, "Letter": LETTER}
# DejaVu Sans (bundled, Bitstream Vera licence): Latin, Greek, Cyrillic, Hebrew, Arabic and more, where the
# PDF standard fonts stop at cp1252. Embedded as a subset of the glyphs each document uses.
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
FONTS_DIR = Path(__file__).with_name("fonts")
MARGIN = 18 * mm
LOGO_MAX = (60 * mm, 18 * mm)
INK, MUTED, RULE, SHADE = (colors.HexColor(c) for c in ("#0f172a", "#64748b", "#cbd5e1", "#f1f5f9"))

BASE = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=12, textColor=INK)
BOLD = ParagraphStyle("bold", parent=BASE, fontName=FONT_BOLD)
RIGHT = ParagraphStyle("right", parent=BASE, alignment=TA_RIGHT)
NAME = ParagraphStyle("name", parent=BOLD, fontSize=14, leading=18)
TITLE = ParagraphStyle("title", parent=BOLD, fontSize=20, leading=26, alignment=TA_RIGHT)
LABEL = ParagraphStyle("label", parent=BOLD, fontSize=8, leading=11, textColor=MUTED, spaceBefore=10)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@cache
def register_fonts() -> None:
    """Once per process (PDFs are drawn in worker processes), on first use rather than at import."""
    pdfmetrics.registerFont(TTFont(FONT, FONTS_DIR / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, FONTS_DIR / "DejaVuSans-Bold.ttf"))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def _clean(value: str) -> str:
    return _CONTROL.sub(" ", value.replace("\r\n", "\n"))


def text(value: str, style: ParagraphStyle = BASE) -> Paragraph:
    """User text as a Paragraph: escaped, control characters dropped, its line breaks kept."""
    return Paragraph(escape(_clean(value)).replace("\n", "<br/>"), style)


def plain(value: str, width: float, *, font: str = FONT, size: float = 9) -> str:
    """User text for a table cell as plain lines: control characters dropped, its line breaks kept, wrapped to `width`.

    What a Paragraph would print, broken the way a Paragraph breaks (at spaces; a word wider than the cell by
    characters), for a fraction of its cost: a Table draws a plain string line by line with drawString, and
    never parses it as markup (so nothing needs escaping), nor measures it again on every layout pass.
    The cell's height is `line_count(result) * size * 1.2` plus its padding: the leading a Table gives plain text.
    """
    register_fonts()  # widths need the font's metrics
    return "\n".join(line for source in _clean(value).split("\n") for line in _wrap(source, width, font, size))


def line_count(cell: str) -> int:
    """How many lines a plain cell from `plain` prints."""
    return cell.count("\n") + 1


def _wrap(line: str, width: float, font: str, size: float) -> list[str]:
    """One source line broken greedily at whitespace, as a Paragraph collapses and breaks it."""
    words = line.split()
    joined = " ".join(words)
    if pdfmetrics.stringWidth(joined, font, size) <= width:  # most descriptions: one measurement, one line
        return [joined]
    space = pdfmetrics.stringWidth(" ", font, size)
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    for word in words:
        word_width = pdfmetrics.stringWidth(word, font, size)
        if current and used + space + word_width <= width:
            current.append(word)
            used += space + word_width
            continue
        if current:
            lines.append(" ".join(current))
        if word_width > width:  # its pieces on lines of their own, the last one starting the next line
            *whole, word = _break_word(word, width, font, size)
            lines += whole
            word_width = pdfmetrics.stringWidth(word, font, size)
        current, used = [word], word_width
    lines.append(" ".join(current))
    return lines


def _break_word(word: str, width: float, font: str, size: float) -> list[str]:
    """A word wider than the cell, in pieces that each fit (at least one character each)."""
    pieces: list[str] = []
    start, used = 0, 0.0
    for index, character in enumerate(word):
        character_width = pdfmetrics.stringWidth(character, font, size)
        if used + character_width > width and index > start:
            pieces.append(word[start:index])
            start, used = index, 0.0
        used += character_width
    pieces.append(word[start:])
    return pieces


def logo(data: bytes | None) -> Image | None:
    """The organization's logo scaled into LOGO_MAX; None when absent or not decodable."""
    if not data:
        return None
    try:
        width, height = ImageReader(io.BytesIO(data)).getSize()
    except Exception:  # a logo that does not decode leaves the document without it, never without the document
        return None
    scale = min(LOGO_MAX[0] / width, LOGO_MAX[1] / height)
    return Image(io.BytesIO(data), width=width * scale, height=height * scale, hAlign="LEFT")


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


HASH = ParagraphStyle("hash", parent=BASE, fontSize=7.5, leading=11)


def record_table(rows: list[tuple[str, str]], width: float, label_width: float = 45 * mm) -> Table:
    """Evidence as label and value rows (an approval, a signature). A value whose label starts with "SHA" is set
    small, so the hash stays on one line, whole: it is what a reader compares, character by character."""
    table = Table(
        [[text(label, BOLD), text(value, HASH if label.startswith("SHA") else BASE)] for label, value in rows],
        colWidths=[label_width, width - label_width],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def render(
    build_story: Callable[[float], list[Flowable]], *, page_size: str, title: str, author: str, footer: str
) -> bytes:
    """A document in the house style: `build_story(width)` gives its flowables for the usable width.

    Every page has `footer` on the left and "Page x of y" on the right.
    """
    register_fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZES.get(page_size, A4),
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=title,
        author=author,
        creator="Portico",
        invariant=True,
    )
    width = document.width - 12  # the frame keeps 6 pt of padding on each side

    def draw_footer(page: canvas.Canvas, _document: SimpleDocTemplate) -> None:
        page.saveState()
        page.setFont(FONT, 8)
        page.setFillColor(MUTED)
        page.drawString(MARGIN, MARGIN / 2, footer[:120])
        page.restoreState()

    document.build(build_story(width), onFirstPage=draw_footer, onLaterPages=draw_footer, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()
