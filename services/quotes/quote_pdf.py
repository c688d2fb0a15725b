"""The quote as a PDF: the invoice's layout (header, parties, lines, totals), its terms, its fingerprint, and once
accepted the acceptance record: who signed, when, from where, and the SHA-256 of the quote they were shown.

`render_quote` is pure and CPU-bound: callers run it off the event loop.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from services.adapters import pdf
from services.billing.invoice_pdf import bill_to, header, lines_table, totals_table
from services.quotes.quote_views import QuoteDetail, totals_rows

STAMPS = {"accepted": "ACCEPTED", "declined": "DECLINED", "expired": "EXPIRED"}


def acceptance_rows(detail: QuoteDetail) -> list[tuple[str, str]]:
    """The acceptance record as the PDF and the staff page state it; empty until a signature exists."""
    signed = detail.acceptance
    if signed is None:
        return []
    moment = signed.accepted_at
    return [
        ("Signed by (typed name)", signed.full_name),
        ("Email", signed.email or "not given"),
        ("Accepted at", f"{detail.formats.moment(moment)} ({moment.strftime('%Y-%m-%d %H:%M:%S')} UTC)"),
        ("Accepted through", "the client portal" if signed.via == "portal" else "the quote's link"),
        ("From IP address", signed.ip or "not recorded"),
        ("Browser", signed.user_agent or "not recorded"),
        ("SHA-256 of the quote as shown", signed.sha256),
        ("SHA-256 of the terms agreed", signed.terms_version),
    ]


def _answer(detail: QuoteDetail, width: float) -> list[Flowable]:
    rows = acceptance_rows(detail)
    if rows:
        return [
            Paragraph("ACCEPTANCE RECORD", pdf.LABEL),
            pdf.text(
                f"{detail.acceptance.full_name if detail.acceptance else ''} accepted this quote and its terms by "
                "typing their full name and ticking “I agree”. The quote they were shown has the SHA-256 below."
            ),
            Spacer(1, 2 * mm),
            KeepTogether([pdf.record_table(rows, width, 55 * mm)]),
        ]
    formats = detail.formats
    if detail.converted and detail.decided_at:
        return [
            Paragraph("ACCEPTED", pdf.LABEL),
            pdf.text(
                f"Accepted on the client's word and recorded by {detail.seller.name} on "
                f"{formats.moment(detail.decided_at)}. No signature was collected."
            ),
        ]
    if detail.display_status == "declined" and detail.decided_at:
        by = f" by {detail.declined_by}" if detail.declined_by else ""
        return [
            Paragraph("DECLINED", pdf.LABEL),
            pdf.text(f"Declined{by} on {formats.moment(detail.decided_at)}: {detail.decline_reason}"),
        ]
    return []


def render_quote(detail: QuoteDetail, logo: bytes | None = None) -> bytes:
    """The quote as PDF bytes: A4 or Letter per the organization, "Page x of y" on every page."""

    def story(width: float) -> list[Flowable]:
        formats = detail.formats
        dates = [f"Issue date: {formats.day(detail.issue_date)}", f"Valid until: {formats.day(detail.valid_until)}"]
        parts: list[Flowable] = [
            header(detail.seller, logo, "QUOTE", detail.number, dates, width, STAMPS.get(detail.display_status, "")),
            *bill_to("PREPARED FOR", detail.buyer, detail.project_name),
        ]
        if detail.title:
            parts += [Paragraph("FOR", pdf.LABEL), pdf.text(detail.title, pdf.BOLD)]
        parts += [
            Spacer(1, 5 * mm),
            lines_table(detail, width),
            Spacer(1, 4 * mm),
            KeepTogether([totals_table(totals_rows(detail))]),
        ]
        for label, text in (("NOTES", detail.notes), ("TERMS", detail.terms)):
            if text.strip():
                parts += [Paragraph(label, pdf.LABEL), pdf.text(text)]
        parts += [
            Paragraph("FINGERPRINT", pdf.LABEL),
            pdf.text(f"SHA-256 of this quote's content: {detail.sha256}", pdf.HASH),
            *_answer(detail, width),
        ]
        return parts

    return pdf.render(
        story,
        page_size=detail.page_size,
        title=f"Quote {detail.number}",
        author=detail.seller.name,
        footer=f"{detail.seller.name} · Quote {detail.number}",
    )
