"""The invoice PDF, read back with pypdf: what it says, how it pages, its paper size and its currencies."""

from __future__ import annotations

import dataclasses
import io
import uuid
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage
from pypdf import PdfReader

from models.invoices import InvoiceStatus
from services.billing import invoice_math
from services.billing.invoice_pdf import render_invoice
from services.billing.invoice_views import InvoiceDetail, LineView, Party

SELLER = Party("Acme Agency", "12 Harbour Road\nBristol BS1 4RN", "billing@acme.test")
BUYER = Party("Initech Ltd", "4120 Freidrich Lane\nAustin TX 78744", "ap@initech.test")


def make_detail(
    lines: list[tuple[str, str, int, str]],
    *,
    currency: str = "USD",
    discount: str = "0",
    paid_minor: int = 0,
    status: InvoiceStatus = InvoiceStatus.sent,
    page_size: str = "A4",
    notes: str = "Thank you for your business.",
    terms: str = "Net 30.",
) -> InvoiceDetail:
    """`lines` are (description, quantity, unit price in minor units, tax percent); totals as the service makes them."""
    parsed = [(Decimal(q), price, Decimal(rate)) for _, q, price, rate in lines]
    totals = invoice_math.totals(parsed, Decimal(discount))
    views = tuple(
        LineView(description, q, price, rate, amounts.net_minor, amounts.tax_minor)
        for (description, *_), (q, price, rate), amounts in zip(lines, parsed, totals.lines, strict=True)
    )
    return InvoiceDetail(
        id=uuid.uuid4(),
        number="INV-0042",
        status=status,
        display_status=status.value,
        client_id=uuid.uuid4(),
        project_id=None,
        project_name="",
        currency=currency,
        issue_date=date(2026, 3, 10),
        due_date=date(2026, 4, 9),
        discount_percent=Decimal(discount),
        notes=notes,
        terms=terms,
        subtotal_minor=totals.subtotal_minor,
        discount_minor=totals.discount_minor,
        tax_minor=totals.tax_minor,
        total_minor=totals.total_minor,
        amount_paid_minor=paid_minor,
        amount_due_minor=totals.total_minor - paid_minor,
        sent_at=None,
        public_url="http://portico.test/i/x",
        seller=SELLER,
        buyer=BUYER,
        payment_instructions="Wire to IBAN GB33 BUKB 2020 1555 5555 55",
        page_size=page_size,
        lines=views,
    )


def usd(minor: int) -> str:
    """An amount as en_US writes dollars: "-$1,234.50"."""
    sign = "-" if minor < 0 else ""
    return f"{sign}${abs(minor) // 100:,}.{abs(minor) % 100:02d}"


def pages_text(document: bytes) -> list[str]:
    """Each page's text, with runs of whitespace (wrapped lines, table cells) as one space."""
    assert document.startswith(b"%PDF-")
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(document)).pages]


THREE_LINES = [
    ("Discovery workshop", "1", 150000, "20"),
    ("Design: 12 page templates, responsive, with accessibility review", "12", 45050, "20"),
    ("Hosting (March)", "1", 4999, "0"),
]


def test_a_short_invoice_says_everything_on_one_page() -> None:
    detail = make_detail(THREE_LINES, discount="10", paid_minor=100000)
    [text] = pages_text(render_invoice(detail))
    for expected in (
        "INV-0042",
        "Acme Agency",
        "12 Harbour Road",
        "Bristol BS1 4RN",
        "Initech Ltd",
        "4120 Freidrich Lane",
        "Austin TX 78744",
        "Issue date: Mar 10, 2026",
        "Due date: Apr 9, 2026",
        *(description for description, *_ in THREE_LINES),
        "$1,500.00",  # a unit price, the currency's symbol, separators and two decimals
        "$5,406.00",  # 12 × 450.50
        "Wire to IBAN GB33 BUKB 2020 1555 5555 55",
        "Thank you for your business.",
        "Net 30.",
        "Page 1 of 1",
    ):
        assert expected in text, expected
    # 1500 + 5406 + 49.99 = 6955.99; 10 % off; tax on the discounted lines.
    assert detail.subtotal_minor == 695599 and detail.discount_minor == 69560
    for label, minor in (
        ("Subtotal", detail.subtotal_minor),
        ("Discount (10%)", -detail.discount_minor),
        ("Tax", detail.tax_minor),
        ("Total", detail.total_minor),
        ("Amount paid", 100000),
        ("Amount due", detail.total_minor - 100000),
    ):
        value = usd(minor)
        assert f"{label} {value}" in text, (label, value)
    assert "PAID" not in text and "VOID" not in text


def test_an_overpaid_invoice_states_the_credit_and_others_do_not() -> None:
    overpaid = make_detail([("Consulting", "1", 10000, "0")], paid_minor=12500)
    overpaid = dataclasses.replace(overpaid, status=InvoiceStatus.paid, display_status="paid", amount_due_minor=0)
    [text] = pages_text(render_invoice(overpaid))
    assert "Amount paid $125.00" in text and "Amount due $0.00" in text
    assert "Overpaid (credit) $25.00" in text
    [text] = pages_text(render_invoice(make_detail(THREE_LINES, paid_minor=100000)))
    assert "Overpaid" not in text


def test_without_a_discount_there_is_no_discount_row() -> None:
    [text] = pages_text(render_invoice(make_detail(THREE_LINES)))
    assert "Subtotal" in text and "Discount" not in text


def test_a_long_invoice_flows_over_pages_with_the_header_repeated() -> None:
    lines = [(f"Item {n:03d} retainer hours", "1.5", 10000 + n, "20") for n in range(1, 121)]
    detail = make_detail(lines)
    texts = pages_text(render_invoice(detail))
    count = len(texts)
    assert count >= 3
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {count}" in text, number
        assert "INV-0042" in text, number  # each page says whose it is
    everything = " ".join(texts)
    for description, *_ in lines:
        assert description in everything, description
    assert "Item 001 retainer hours" in texts[0] and "Item 120 retainer hours" not in texts[0]
    for text in texts[1:]:
        if "retainer hours" in text:  # every page with lines starts with the header row again
            assert "Description" in text and "Unit price" in text and "Amount" in text
    assert "Description" in texts[1]
    for text in texts:
        if "retainer hours" in text:  # the header row comes before the page's first line
            assert text.index("Unit price") < text.index("retainer hours")
    total = usd(detail.total_minor)
    assert f"Total {total}" in everything and f"Amount due {total}" in everything
    # The totals come once, after the last line, on the last page.
    assert everything.count("Amount due") == 1 and "Amount due" in texts[-1]
    assert texts[-1].index("Item 120 retainer hours") < texts[-1].index("Subtotal")


TYPICAL_LINES = [
    "Design sprint — landing page",
    "Discovery workshop (2 days, on site)",
    "Copywriting: home, about and pricing pages",
    "Hosting and monitoring (March)",
    "Frontend development — checkout flow",
    "QA and accessibility review",
    "Illustrations for the onboarding screens, three rounds of revisions included",  # two lines in its cell
]


def test_a_twenty_line_invoice_fits_on_one_page() -> None:
    lines = [(TYPICAL_LINES[n % 7], str(1 + n % 4), 12_500 + 1_000 * n, "20") for n in range(20)]
    notes = "Thank you for your business.\nPlease quote INV-0042 with your payment.\nQuestions: billing@acme.test"
    detail = make_detail(lines, discount="5", paid_minor=10_000, notes=notes)
    detail = dataclasses.replace(detail, project_name="Website relaunch")
    document = render_invoice(detail)
    assert len(PdfReader(io.BytesIO(document)).pages) == 1
    [text] = pages_text(document)
    assert text.count("Design sprint — landing page") == 3 and "of revisions included" in text
    for expected in (
        "Project: Website relaunch",
        "Amount due",
        "Wire to IBAN",
        "Questions: billing@acme.test",
        "Net 30.",
    ):
        assert expected in text, expected
    assert "Page 1 of 1" in text


def test_long_notes_follow_the_totals_in_full() -> None:
    """Notes too long to sit beside the totals come below them, over as many pages as they need."""
    notes = "\n".join(f"Note {n:03d}: how and when the work is delivered." for n in range(1, 101))
    texts = pages_text(render_invoice(make_detail(THREE_LINES, notes=notes)))
    everything = " ".join(texts)
    assert len(texts) >= 2 and all(f"of {len(texts)}" in text for text in texts)
    assert all(f"Note {n:03d}: how" in everything for n in range(1, 101))
    assert everything.index("Amount due") < everything.index("Note 001") < everything.index("Note 100")


@pytest.mark.parametrize(("page_size", "size"), [("A4", (595.28, 841.89)), ("Letter", (612.0, 792.0))])
def test_the_page_size_follows_the_organization(page_size: str, size: tuple[float, float]) -> None:
    reader = PdfReader(io.BytesIO(render_invoice(make_detail(THREE_LINES, page_size=page_size))))
    for page in reader.pages:
        box = page.mediabox
        assert (round(float(box.width), 2), round(float(box.height), 2)) == size


@pytest.mark.parametrize(
    ("currency", "price", "unit_text", "total_text"),
    [
        ("JPY", 120000, "¥120,000", "¥240,000"),  # no minor unit
        ("KWD", 12500, "KWD 12.500", "KWD 25.000"),  # three decimals
    ],
)
def test_money_has_exactly_the_currencys_decimals(currency: str, price: int, unit_text: str, total_text: str) -> None:
    [text] = pages_text(render_invoice(make_detail([("Consulting", "2", price, "0")], currency=currency)))
    assert unit_text in text
    assert f"Total {total_text}" in text and f"Amount due {total_text}" in text, text
    if currency == "JPY":
        assert "120,000.0" not in text and "240,000.00" not in text


def test_a_german_organizations_invoice_reads_the_german_way() -> None:
    detail = dataclasses.replace(make_detail([("Beratung", "2.5", 365800, "19")], currency="EUR"), locale="de_DE")
    [text] = pages_text(render_invoice(detail))
    for expected in (
        "Issue date: 10.03.2026",
        "Due date: 09.04.2026",
        "2,5",  # the quantity
        "3.658,00 €",  # the unit price
        "9.145,00 €",  # 2.5 × 3658.00, the line's amount
        "19 %",  # German puts a space before the sign
        "Subtotal 9.145,00 €",
        "Total 10.882,55 €",
    ):
        assert expected in text, expected
    assert "EUR" not in text and "9145.00" not in text


def test_user_text_is_printed_literally_never_as_markup() -> None:
    tricky = "Fish & Chips <b>not bold</b> <font size=40>big</font> &amp;"
    detail = make_detail([(tricky, "1", 1000, "0")], notes="Notes with <i>tags</i> & more\nsecond line")
    [text] = pages_text(render_invoice(detail))
    assert "Fish & Chips <b>not bold</b> <font size=40>big</font> &amp;" in text
    assert "Notes with <i>tags</i> & more" in text and "second line" in text


def test_a_very_long_word_wraps_instead_of_failing() -> None:
    word = "x" * 400
    document = render_invoice(make_detail([(word, "1", 1000, "0")]))
    [text] = pages_text(document)
    assert "".join(text.split()).count(word) == 1  # all of it …
    raw = PdfReader(io.BytesIO(document)).pages[0].extract_text()
    assert max(len(line) for line in raw.splitlines() if "xxx" in line) < 100  # … broken over several lines


@pytest.mark.parametrize(("status", "stamp"), [(InvoiceStatus.paid, "PAID"), (InvoiceStatus.void, "VOID")])
def test_paid_and_void_invoices_say_so(status: InvoiceStatus, stamp: str) -> None:
    detail = make_detail(THREE_LINES, status=status)
    [text] = pages_text(render_invoice(detail))
    assert stamp in text
    if status == InvoiceStatus.void:  # nothing to pay on a void invoice: no instructions for paying it
        assert "Wire to IBAN" not in text


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (79, 70, 229)).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_logo_is_drawn_when_given_and_a_broken_one_is_skipped() -> None:
    detail = make_detail(THREE_LINES)
    with_logo = PdfReader(io.BytesIO(render_invoice(detail, png(400, 100))))
    assert len(with_logo.pages[0].images) == 1
    assert "Acme Agency" in with_logo.pages[0].extract_text()
    without = PdfReader(io.BytesIO(render_invoice(detail, b"not an image")))
    assert len(without.pages[0].images) == 0
    assert "INV-0042" in without.pages[0].extract_text()


# --- whatever can be saved renders ---------------------------------------------------------------------------------


def test_a_description_taller_than_a_page_continues_on_the_next() -> None:
    """Saved before line breaks were bounded: one table row taller than a page was a LayoutError (a 500 on send)."""
    tall = "a\n" * 240 + "z"
    text = pages_text(render_invoice(make_detail([(tall, "1", 1000, "0"), ("After", "1", 500, "0")])))
    assert len(text) > 2
    assert all(f"of {len(text)}" in page for page in text)
    everything = " ".join(text)
    assert everything.split().count("a") == 240  # every line of it, in order, then the next invoice line
    assert everything.index(" z ") < everything.index("After") < everything.index("Amount due")
    assert "After" in text[-1] and "Amount due" in text[-1]


def test_text_outside_cp1252_prints_as_written() -> None:
    words = ["Пример работы", "Ελληνικά", "Zażółć gęślą jaźń", "Ærøskøbing", "₹ 1,000 → ✓", "שלום", "Čeština"]
    detail = make_detail([(word, "1", 1000, "0") for word in words], notes="Спасибо!")
    detail = dataclasses.replace(detail, buyer=Party("Ολυμπία Α.Ε.", "Αθήνα", "info@olympia.test"))
    document = render_invoice(detail)
    text = " ".join(pages_text(document))
    for word in [*words[:5], "Спасибо!", "Ολυμπία Α.Ε."]:
        assert word in text
    fonts = {str(font.get("/BaseFont")) for page in PdfReader(io.BytesIO(document)).pages for font in fonts_of(page)}
    assert any(name.endswith("DejaVuSans") for name in fonts), fonts  # embedded (as a subset), not Helvetica


def fonts_of(page) -> list:
    return [ref.get_object() for ref in page["/Resources"]["/Font"].values()]


# Text as people type it into a line, an address or notes: any script, line breaks, long words, markup-like text.
typed = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("\n\n <>&"),
    max_size=500,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    descriptions=st.lists(typed.filter(str.strip), min_size=1, max_size=25),
    address=typed,
    notes=typed,
    page_size=st.sampled_from(["A4", "Letter"]),
)
def test_any_typed_text_renders(descriptions: list[str], address: str, notes: str, page_size: str) -> None:
    detail = make_detail([(d, "1", 100, "0") for d in descriptions], notes=notes, page_size=page_size)
    detail = dataclasses.replace(detail, buyer=Party("Client", address, "ap@client.test"))
    document = render_invoice(detail)
    text = pages_text(document)
    assert text[-1].endswith(f"Page {len(text)} of {len(text)}") or f"Page {len(text)} of {len(text)}" in text[-1]
    assert "INV-0042" in text[0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.integers(1, 20), width=st.integers(1, 24))
def test_descriptions_at_the_input_bounds_render(lines: int, width: int) -> None:
    """20 lines of up to 500 characters (the most a line may hold), on every line of the longest invoice."""
    description = "\n".join(["W" * width] * lines)[:500]
    document = render_invoice(make_detail([(description, "1", 100, "0")] * 50))
    assert PdfReader(io.BytesIO(document)).pages
