"""The paper layer: plain table cells wrapped as a Paragraph would wrap them, and nothing done at import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from reportlab.pdfbase.pdfmetrics import stringWidth

from services.adapters import pdf


def widths(cell: str) -> list[float]:
    return [stringWidth(line, pdf.FONT, 9) for line in cell.split("\n")]


def test_a_short_description_is_one_line_as_written() -> None:
    assert pdf.plain("Design sprint — landing page", 200) == "Design sprint — landing page"
    assert pdf.line_count("Design sprint — landing page") == 1


def test_line_breaks_are_kept_and_whitespace_collapsed() -> None:
    cell = pdf.plain("First  line\r\n\nthird\tline \x07bell", 200)
    assert cell == "First line\n\nthird line bell"
    assert pdf.line_count(cell) == 3


def test_markup_is_text_and_needs_no_escaping() -> None:
    assert pdf.plain("Fish & Chips <b>not bold</b> &amp;", 300) == "Fish & Chips <b>not bold</b> &amp;"


def test_long_text_wraps_at_spaces_within_the_width() -> None:
    text = "Illustrations for the onboarding screens, three rounds of revisions included"
    cell = pdf.plain(text, 120)
    assert pdf.line_count(cell) > 1
    assert all(width <= 120 for width in widths(cell))
    assert cell.replace("\n", " ") == text


def test_a_word_wider_than_the_cell_is_broken() -> None:
    cell = pdf.plain("x" * 400, 100)
    assert cell.replace("\n", "") == "x" * 400
    assert all(width <= 100 for width in widths(cell))


# Any text people type, control characters included (they print as spaces).
typed = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from("\n  <>&"))


@given(typed)
def test_any_text_keeps_its_words_and_fits(text: str) -> None:
    cell = pdf.plain(text, 150)
    assert "".join(cell.split()) == "".join(pdf._clean(text).split())  # nothing lost, nothing added
    assert all(width <= 150 or len(line) == 1 for line, width in zip(cell.split("\n"), widths(cell), strict=True))


def test_importing_registers_no_fonts() -> None:
    """Fonts load on the first render (in the worker that draws), never when a module is imported."""
    probe = (
        "import services.billing.invoice_pdf\n"
        "from reportlab.pdfbase import pdfmetrics\n"
        "print(sorted(name for name in pdfmetrics.getRegisteredFontNames() if 'DejaVu' in name))\n"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=root)
    assert result.stdout.strip() == "[]"
