"""The three documents as PDFs, in the organization's branding: its logo, its accent colour, its wording.

Pure drawing from a `DocumentContent` (nothing is read here); CPU-bound, so callers run it in a thread. Every
text a person wrote goes through `pdf.text`, escaped: a title "<b>" prints as "<b>".
"""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, HRFlowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from models.collaboration import RequestStatus
from models.documents import DocumentKind
from services.adapters import pdf
from services.documents.content import DocumentContent, MilestoneLine, RequestLine
from services.time.entries import hours_text

NEXT_SHOWN = 5  # open milestones "what is next" names
STATUS_WORDS = {RequestStatus.backlog: "Backlog", RequestStatus.in_progress: "In progress", RequestStatus.done: "Done"}


def _accent(content: DocumentContent) -> colors.Color:
    try:
        return colors.HexColor(content.brand.accent)
    except (ValueError, TypeError):  # a colour saved before it was checked: the house ink instead
        return pdf.INK


def _styles(accent: colors.Color) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("doc-title", parent=pdf.BOLD, fontSize=22, leading=28, textColor=accent),
        "subtitle": ParagraphStyle("doc-subtitle", parent=pdf.BASE, fontSize=11, leading=15, textColor=pdf.MUTED),
        "section": ParagraphStyle("doc-section", parent=pdf.LABEL, textColor=accent, spaceBefore=14, spaceAfter=4),
        "lead": ParagraphStyle("doc-lead", parent=pdf.BASE, fontSize=10.5, leading=15),
        "certificate": ParagraphStyle(
            "doc-certificate", parent=pdf.BOLD, fontSize=26, leading=34, textColor=accent, alignment=TA_CENTER
        ),
        "centered": ParagraphStyle("doc-centered", parent=pdf.BASE, fontSize=12, leading=18, alignment=TA_CENTER),
    }


def _rows(rows: list[list[Flowable | str]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, pdf.RULE),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, pdf.RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _milestones(content: DocumentContent, lines: tuple[MilestoneLine, ...], width: float) -> Flowable:
    day = content.formats.day
    rows: list[list[Flowable | str]] = [
        [pdf.text("Milestone", pdf.BOLD), pdf.text("Due", pdf.BOLD), pdf.text("", pdf.BOLD)]
    ]
    for line in lines:
        state = f"Done {day(line.done_on)}" if line.done_on else ""
        rows.append([pdf.text(line.title), pdf.text(day(line.due) if line.due else "No date"), pdf.text(state)])
    return _rows(rows, [width - 80 * mm, 40 * mm, 40 * mm])


def _requests(lines: tuple[RequestLine, ...], width: float) -> Flowable:
    rows: list[list[Flowable | str]] = [[pdf.text("Request", pdf.BOLD), pdf.text("Status", pdf.BOLD)]]
    rows += [[pdf.text(line.title), pdf.text(STATUS_WORDS[line.status])] for line in lines]
    return _rows(rows, [width - 40 * mm, 40 * mm])


def _head(content: DocumentContent, styles: dict[str, ParagraphStyle], accent: colors.Color) -> list[Flowable]:
    parts: list[Flowable] = []
    if image := pdf.logo(content.brand.logo):
        parts += [image, Spacer(1, 3 * mm)]
    else:
        parts.append(pdf.text(content.brand.name, pdf.NAME))
    parts += [
        HRFlowable(width="100%", thickness=2.5, color=accent, spaceBefore=2 * mm, spaceAfter=6 * mm),
        pdf.text(content.wording.title, styles["title"]),
        pdf.text(f"{content.project_name} · {content.client_name}", styles["subtitle"]),
        pdf.text(f"{content.label}, {content.formats.day(content.made_on)}", pdf.BASE),
        Spacer(1, 5 * mm),
        pdf.text(content.wording.intro, styles["lead"]),
    ]
    return parts


def _contact_rows(content: DocumentContent) -> list[tuple[str, str]]:
    rows = []
    if content.lead_name:
        lead = f"{content.lead_name} ({content.lead_email})" if content.lead_email else content.lead_name
        rows.append(("Project lead", lead))
    support = content.brand.support_email or content.lead_email
    if support:
        rows.append(("Support", support))
    rows.append(("Your portal", content.brand.portal_url))
    return rows


def _welcome(content: DocumentContent, styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    day = content.formats.day
    parts: list[Flowable] = [Paragraph("YOUR TEAM AND SUPPORT", styles["section"])]
    parts.append(pdf.record_table(_contact_rows(content), width))
    dates = []
    if content.start_date:
        dates.append(("Start", day(content.start_date)))
    if content.due_date:
        dates.append(("Planned end", day(content.due_date)))
    if dates:
        parts += [Paragraph("DATES", styles["section"]), pdf.record_table(dates, width)]
    parts.append(Paragraph("MILESTONES", styles["section"]))
    if content.milestones:
        parts.append(_milestones(content, content.milestones, width))
    else:
        parts.append(pdf.text("The milestones are being planned; your portal shows them as they are set."))
    parts += [
        Paragraph("HOW YOUR PORTAL WORKS", styles["section"]),
        pdf.text(
            f"Sign in at {content.brand.portal_url} with your email address: we send you a sign-in link and a code, "
            "so there is no password to remember.\n"
            "• Projects: progress, milestones and news as the work moves.\n"
            "• New request: ask for a change or report a problem; follow it on the project's board.\n"
            "• Files: documents and deliverables shared with you, and a place to send us yours.\n"
            "• Invoices: see and pay them by card."
        ),
    ]
    return parts


def _progress(content: DocumentContent, styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    day = content.formats.day
    own = content.milestone
    assert own is not None
    parts: list[Flowable] = [Paragraph("MILESTONE DONE", styles["section"])]
    done_on = f"done {day(own.done_on)}" if own.done_on else "done"
    parts.append(pdf.text(f"{own.title}: {done_on}", pdf.BOLD))
    share = content.completed_milestones * 100 // content.total_milestones if content.total_milestones else 0
    parts.append(pdf.text(f"{content.completed_milestones} of {content.total_milestones} milestones done ({share} %)."))
    parts.append(Paragraph("WHAT WAS DONE", styles["section"]))
    if content.done_since:
        parts.append(_requests(content.done_since, width))
    else:
        parts.append(pdf.text("No requests were closed since the last report."))
    upcoming = tuple(m for m in content.milestones if m.done_on is None)[:NEXT_SHOWN]
    parts.append(Paragraph("WHAT IS NEXT", styles["section"]))
    if upcoming:
        parts.append(_milestones(content, upcoming, width))
    else:
        parts.append(pdf.text("Every milestone is done."))
    if content.open_requests:
        parts += [Spacer(1, 3 * mm), pdf.text("Open requests", pdf.BOLD), _requests(content.open_requests, width)]
    if content.hours is not None:
        parts += [Paragraph("HOURS", styles["section"]), pdf.text(_hours_line(content))]
    return parts


def _hours_line(content: DocumentContent) -> str:
    hours = content.hours
    assert hours is not None
    used = hours_text(hours.used_minutes)
    if not hours.budget_minutes:
        return f"{used} hours approved so far."
    share = hours.used_minutes * 100 // hours.budget_minutes
    return f"{used} of {hours_text(hours.budget_minutes)} budgeted hours used ({share} %)."


def _completion(content: DocumentContent, styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    day = content.formats.day
    parts: list[Flowable] = [
        Spacer(1, 8 * mm),
        pdf.text(content.wording.title, styles["certificate"]),
        Spacer(1, 4 * mm),
        pdf.text(f"{content.project_name}\nfor {content.client_name}", styles["centered"]),
        pdf.text(f"completed on {day(content.made_on)}", styles["centered"]),
        Spacer(1, 6 * mm),
    ]
    if content.milestones:
        parts += [Paragraph("MILESTONES DELIVERED", styles["section"]), _milestones(content, content.milestones, width)]
    if content.hours is not None:
        parts += [Paragraph("HOURS", styles["section"]), pdf.text(_hours_line(content))]
    signer = content.lead_name or content.brand.name
    parts.append(
        KeepTogether(
            [
                Spacer(1, 14 * mm),
                HRFlowable(width=70 * mm, thickness=0.6, color=pdf.INK, hAlign="LEFT"),
                pdf.text(f"{signer}\nfor {content.brand.name}"),
            ]
        )
    )
    return parts


BODIES = {DocumentKind.welcome: _welcome, DocumentKind.progress: _progress, DocumentKind.completion: _completion}


def render_document(content: DocumentContent) -> bytes:
    accent = _accent(content)
    styles = _styles(accent)

    def story(width: float) -> list[Flowable]:
        parts = _head(content, styles, accent)
        parts += BODIES[content.kind](content, styles, width)
        parts += [Spacer(1, 6 * mm), pdf.text(content.wording.closing, styles["lead"])]
        if content.brand.address:
            parts += [Spacer(1, 4 * mm), pdf.text(f"{content.brand.name}\n{content.brand.address}", pdf.BASE)]
        return parts

    return pdf.render(
        story,
        page_size=content.brand.page_size,
        title=f"{content.label}: {content.project_name}",
        author=content.brand.name,
        footer=f"{content.brand.name} · {content.label} · {content.project_name}",
    )
