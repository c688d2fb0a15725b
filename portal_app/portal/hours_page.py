"""/portal/{slug}/hours: the client's approved hours in a date range (this month by default), for all projects or
one: the total per project with its hour budget, the overall total, the entries a page at a time, a CSV of
exactly that, and "Question" on an entry, which becomes a request on its project.

Everything comes through the contact's portal actor and `services.time.hours`, whose views have no field for a
rate, a cost, an internal note or an unapproved entry: this page cannot show what it is never given. A view is
six statements however many entries and projects the client has (the session, the projects for the filter, the
totals, the count, the page of entries, the budgets' use).

Live redraws follow `events.ProjectActivity` of this client that is not internal (an entry approved, un-approved
or questioned, a budget changed), never `events.TimeChanged`: that one is also published for time merely logged
or rejected, and a redraw's timing must not tell the client that unapproved time exists.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.events import ValueChangeEventArguments

from components.date_input import date_filled, date_input
from components.forms import FieldErrors, dialog_actions
from portal_app.live import Coalesced, follow, portal_hears
from portal_app.portal.layout import PortalPage, empty_state, frame, portal_page
from services.core.common import MAX_PAGE_SIZE
from services.core.errors import Invalid, NotFound
from services.core.events import ProjectActivity
from services.core.formatting import Formats
from services.projects import projects
from services.time import hours
from services.time.hours import ClientEntry, HoursReport, ProjectHours

HOURS_PAGE = 25  # entries per page: the page holds a bounded number of elements whatever the client has
ALL = ""  # the project filter's value for every project


def hours_label(minutes: int, formats: Formats) -> str:
    """Minutes as hours in the locale's numbers, to the hundredth: 90 → "1.5 h" ("1,5 h" in German)."""
    return f"{formats.number((Decimal(minutes) / 60).quantize(Decimal('0.01')))} h"


def budget_label(row: ProjectHours, formats: Formats) -> str:
    """ "12.5 of 40 h used": the budget is in hours only, never money."""
    assert row.budget_minutes
    used = hours_label(row.used_minutes, formats).removesuffix(" h")
    return f"{used} of {hours_label(row.budget_minutes, formats)} used"


def csv_href(page: PortalPage, date_from: date, date_to: date, project_id: uuid.UUID | None) -> str:
    """The CSV route (portal_app.routes.hours_csv) for the range and project shown; dates as ISO 8601."""
    query = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    if project_id is not None:
        query["project"] = str(project_id)
    return page.href(f"/hours.csv?{urlencode(query)}")


def _iso_day(value: str) -> date | None:
    """A date from the address; anything else leaves the field to its default."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _project_key(value: str | None, known: set[uuid.UUID]) -> uuid.UUID | None:
    """The project the address asks for, if it is one of this client's; anything else shows all projects."""
    try:
        key = uuid.UUID(value or "")
    except ValueError:
        return None
    return key if key in known else None


@dataclass(frozen=True, slots=True)
class Shown:
    """What the list shows: the range asked for (None: this month's end) and the project (None: all)."""

    date_from: date | None
    date_to: date | None
    project_id: uuid.UUID | None
    offset: int = 0


class HoursView:
    """The filter, the totals and the page of entries; `reload` reads them again (the filter, the pager, a live
    change) for what is shown now, not for what is half-typed in the fields."""

    def __init__(self, page: PortalPage, shown: Shown) -> None:
        self.page, self.shown = page, shown
        self.ask: Callable[[ClientEntry], None] = lambda entry: None  # the question dialog's `open`, once built
        self.report: HoursReport | None = None  # None: the address asked for a range that is refused
        self.redraw = Coalesced(self.reload)

    async def load(self) -> None:
        self.report = await self._read(self.shown)
        entries = self.report.entries
        if not entries.items and entries.total and self.shown.offset:
            # entries went away meanwhile and this page is past the end: show the last page there is
            self.shown = replace(self.shown, offset=(math.ceil(entries.total / HOURS_PAGE) - 1) * HOURS_PAGE)
            self.report = await self._read(self.shown)

    async def _read(self, shown: Shown) -> HoursReport:
        return await hours.client_hours(
            self.page.actor,
            date_from=shown.date_from,
            date_to=shown.date_to,
            project_id=shown.project_id,
            limit=HOURS_PAGE,
            offset=shown.offset,
        )

    async def reload(self) -> None:
        try:
            await self.load()
        except Invalid:  # the range was refused as the page loaded: nothing to read again
            return
        self.draw.refresh()

    # --- the filter -------------------------------------------------------------------------------------------

    def filters(self, options: dict[str, str]) -> None:
        formats = self.page.org.formats
        with ui.row().classes("w-full items-start gap-3"):
            self.date_from = date_input("From", formats.input_day(self.shown.date_from), mask=formats.date_mask)
            self.date_to = date_input("To", formats.input_day(self.shown.date_to), mask=formats.date_mask)
            self.date_from.props("dense").mark("hours-from")
            self.date_to.props("dense").mark("hours-to")
            self.project = None
            if len(options) > 1:
                value = str(self.shown.project_id) if self.shown.project_id else ALL
                self.project = (
                    ui.select(options, value=value, label="Project", on_change=self._choose_project)
                    .props("outlined dense")
                    .classes("min-w-[12rem]")
                    .mark("hours-project")
                )
            ui.button("Apply", on_click=self.apply).props("unelevated no-caps").classes("self-center")
        self.errors = FieldErrors(date_from=self.date_from, date_to=self.date_to)
        for field in (self.date_from, self.date_to):  # a date acts once typed in full (or emptied)
            field.on_value_change(lambda e: self.apply() if date_filled(e.value, formats.date_mask) else None)

    async def _choose_project(self, event: ValueChangeEventArguments) -> None:
        await self.apply()

    def _range(self) -> tuple[date, date] | None:
        """The range typed in the fields, or None with each problem shown on its field."""
        formats = self.page.org.formats
        problems: list[Invalid] = []
        days: list[date | None] = []
        for field, name, label in ((self.date_from, "date_from", "From"), (self.date_to, "date_to", "To")):
            try:
                days.append(formats.read_day(field.value, name, label))
            except Invalid as exc:
                problems.append(exc)
        try:
            if not problems:
                return hours.check_range(days[0], days[1])
        except Invalid as exc:
            problems.extend(exc.problems)
        self.errors.show_all([(p.field, p.message) for p in problems])
        return None

    async def apply(self) -> None:
        chosen = self._range()
        if chosen is None:
            return
        self.errors.clear()
        project = self.project.value if self.project is not None else ALL
        self.shown = Shown(chosen[0], chosen[1], uuid.UUID(project) if project else None)
        await self.redraw()

    async def go_to(self, number: int) -> None:
        self.shown = replace(self.shown, offset=(max(number, 1) - 1) * HOURS_PAGE)
        await self.redraw()

    # --- what is shown ----------------------------------------------------------------------------------------

    @ui.refreshable_method
    def draw(self) -> None:
        report, page = self.report, self.page
        if report is None:
            ui.label("Choose a range to see its hours.").classes("text-gray-600")
            return
        formats = page.org.formats
        with ui.row().classes("w-full items-center justify-between gap-2"):
            ui.label(f"{formats.day(report.date_from)} – {formats.day(report.date_to)}").classes(
                "text-sm text-gray-600"
            ).mark("hours-range")
            link = ui.link("Download CSV", csv_href(page, report.date_from, report.date_to, self.shown.project_id))
            link.props("download").mark("hours-csv")
        if not report.entries.total:
            where = "on this project in this range" if self.shown.project_id else "in this range"
            empty_state(
                "schedule",
                f"No approved hours {where}",
                "Time our team logs on your projects is listed here once it is approved. "
                "Choose other dates, or all projects, to see more.",
            )
            return
        self._totals(report, formats)
        self._entries(report, formats)

    def _totals(self, report: HoursReport, formats: Formats) -> None:
        with ui.card().classes("w-full gap-3").props("flat bordered").mark("hours-totals"):
            for row in report.projects:
                with ui.column().classes("w-full gap-1").mark("hours-project-total"):
                    with ui.row().classes("w-full items-baseline justify-between gap-2"):
                        ui.label(row.project_name).classes("font-medium")
                        ui.label(hours_label(row.minutes, formats)).classes("tabular-nums")
                    share = row.budget_share
                    if share is not None:
                        text = budget_label(row, formats)
                        bar = ui.linear_progress(value=min(share, 1.0), show_value=False, size="8px").props(
                            "rounded" + (" color=negative" if share > 1 else "")
                        )
                        bar.props["aria-label"] = text
                        ui.label(text + (" (over budget)" if share > 1 else "")).classes("text-xs text-gray-600").mark(
                            "hours-budget"
                        )
            ui.separator()
            with ui.row().classes("w-full items-baseline justify-between gap-2").mark("hours-total"):
                ui.label("Total").classes("font-semibold")
                ui.label(hours_label(report.total_minutes, formats)).classes("font-semibold tabular-nums")

    def _entries(self, report: HoursReport, formats: Formats) -> None:
        listing = report.entries
        with ui.card().classes("w-full gap-0 p-0").props("flat bordered").mark("hours-entries"):
            for entry in listing.items:
                self._entry(entry, formats)
        pages = math.ceil(listing.total / HOURS_PAGE)
        first = self.shown.offset + 1
        with ui.row().classes("w-full items-center justify-between"):
            ui.label(f"{first}–{self.shown.offset + len(listing.items)} of {listing.total}").classes(
                "text-sm text-gray-600"
            ).mark("hours-count")
            if pages > 1:
                ui.pagination(
                    1,
                    pages,
                    direction_links=True,
                    value=self.shown.offset // HOURS_PAGE + 1,
                    on_change=lambda e: self.go_to(int(e.value)),
                ).props("max-pages=7 boundary-numbers").mark("hours-pages")

    def _entry(self, entry: ClientEntry, formats: Formats) -> None:
        row = ui.row().classes("w-full items-start justify-between gap-3 px-4 py-3 border-b border-gray-100 no-wrap")
        with row.mark(f"entry-{entry.id}"):
            with ui.column().classes("gap-1 min-w-0"):
                ui.label(entry.description).classes("font-medium break-words")
                ui.label(f"{formats.day(entry.work_date)} · {entry.project_name} · {entry.user_name}").classes(
                    "text-sm text-gray-600"
                )
                if entry.questioned or not entry.billable:
                    with ui.row().classes("gap-1"):
                        if not entry.billable:
                            ui.badge("No charge").props("outline color=grey-8")
                        if entry.questioned:
                            ui.badge("Questioned").props("color=warning text-color=black")
            # hours above the button, never squeezed: a long description wraps instead
            with ui.row().classes("items-center justify-end gap-x-2 gap-y-0 shrink-0 max-sm:flex-col max-sm:items-end"):
                ui.label(hours_label(entry.minutes, formats)).classes("font-medium tabular-nums whitespace-nowrap")
                if not entry.questioned:  # once asked, the conversation goes on in the request
                    button = ui.button("Question", on_click=lambda: self.ask(entry)).props("flat dense no-caps no-wrap")
                    button.props["aria-label"] = f"Question the hours of {formats.day(entry.work_date)}"
                    button.mark(f"question-{entry.id}")


class QuestionDialog:
    """One dialog per page: the entry questioned, a "Question" box and "Send"; then a notice linking to the
    project page, where the request it became is answered."""

    def __init__(self, page: PortalPage, redraw: Coalesced) -> None:
        self.page, self.redraw = page, redraw
        self.entry: ClientEntry | None = None
        with ui.dialog() as self.dialog, ui.card().classes("w-full max-w-lg gap-3"):
            ui.label("Question these hours").classes("text-lg font-semibold")
            self.quoted = ui.label("").classes("text-sm text-gray-700")
            self.box = ui.textarea("Question").props("outlined autogrow").classes("w-full").mark("question-text")
            self.send = dialog_actions(self.dialog, "Send", self._send).mark("question-send")
        self.errors = FieldErrors(message=self.box)
        # the notice after sending: on the page, so its link stays until the contact leaves
        self.notice = ui.row().classes("w-full items-start gap-3 no-wrap rounded bg-green-50 px-4 py-3 text-green-900")
        self.notice.mark("question-sent")
        self.notice.set_visibility(False)

    def open(self, entry: ClientEntry) -> None:
        formats = self.page.org.formats
        self.entry = entry
        self.quoted.set_text(
            f"{formats.day(entry.work_date)} · {entry.user_name}: “{entry.description}”, "
            f"{hours_label(entry.minutes, formats)}"
        )
        self.box.value = ""
        self.errors.clear()
        self.dialog.open()

    async def _send(self) -> None:
        if self.entry is None:
            return
        self.send.disable()  # one press, one request
        try:
            card = await hours.question_entry(self.page.actor, self.entry.id, self.box.value or "")
        except Invalid as exc:
            self.errors.show(exc.field, exc.message)
            return
        except NotFound:
            self.dialog.close()
            ui.notify("These hours are no longer listed.", type="warning")
            await self.redraw()
            return
        finally:
            self.send.enable()
        self.dialog.close()
        self.entry = None
        ui.notify("Question sent", type="positive")
        self.notice.clear()
        with self.notice:
            ui.icon("check_circle", size="sm").classes("text-positive")
            with ui.column().classes("gap-1 flex-1 min-w-0"):
                ui.label(f"Your question is a request on {card.project_name} now: we answer it there.")
                ui.link("Open the project", self.page.href(f"/projects/{card.project_id}")).classes("font-medium")
        self.notice.set_visibility(True)
        await self.redraw()


@portal_page("/portal/{slug}/hours")
async def portal_hours(
    page: PortalPage, date_from: str = "", date_to: str = "", project: str = ""
) -> RedirectResponse | None:
    # One page of up to MAX_PAGE_SIZE projects for the filter: a client has tens, and the list stays bounded.
    choices = await projects.list_projects(page.actor, limit=MAX_PAGE_SIZE)
    start, end = _iso_day(date_from), _iso_day(date_to)
    if start is None and end is None:
        start, end = hours.this_month()  # the fields show this month's dates, not blanks
    shown = HoursView(page, Shown(start, end, _project_key(project, {p.id for p in choices.items})))
    refused: Invalid | None = None
    try:
        await shown.load()
    except Invalid as exc:  # a range from the address the other way round, or too wide: said on the fields
        refused = exc
    with frame(page, "Hours", "/hours"):
        ui.label("Approved time our team spent on your projects, with totals and budgets.").classes("text-gray-700")
        shown.filters({ALL: "All projects", **{str(p.id): p.name for p in choices.items}})
        if refused is not None:
            shown.errors.show_all([(p.field, p.message) for p in refused.problems])
        shown.ask = QuestionDialog(page, shown.redraw).open  # its notice: below the filter, above the list
        shown.draw()
    # An entry approved, un-approved or questioned, a budget changed, for this client; never internal activity.
    follow(ProjectActivity, lambda event: portal_hears(page.actor, event), shown.redraw)
    return None
