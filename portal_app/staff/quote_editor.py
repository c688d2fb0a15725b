"""The quote editor: a new draft (`/quotes/new?client=…`) or a draft's changes (`/quotes/{id}/edit`).

The invoice editor's lines, totals preview and error display (`line_editor`), with a quote's own header: a title,
a validity date that follows the issue date by the organization's usual validity until someone sets it, a deposit
(previewed with the service's own arithmetic), and what acceptance starts (a project, from a service's template).
Saving validates everything again on the server; its messages land on the input they name.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.element import Element
from nicegui.elements.mixins.value_element import ValueElement

from components.date_input import date_input
from components.search_select import Search, search_select
from portal_app.staff.client_choices import client_choices, with_chosen
from portal_app.staff.layout import StaffPage, frame, not_found, staff_page
from portal_app.staff.line_editor import (
    TOTALS,
    UNKNOWN,
    FollowingDate,
    LinesEditor,
    LineState,
    TotalsSection,
    currency_choices,
    line_states,
    project_choices,
    work_out,
)
from services.billing import line_items
from services.catalog import catalog
from services.core import clock, money
from services.core.actors import StaffActor
from services.core.errors import Invalid, NotFound
from services.core.formatting import DEFAULT, Formats
from services.organizations import organizations
from services.quotes import quote_views, quotes
from services.quotes.quote_views import QuoteDetail

BLANK_PROJECT = "Blank project"
DEPOSIT_ROW = ("deposit", "Deposit on acceptance")

ProjectOptions = Callable[[str], Awaitable[dict[str, str]]]  # a client's id ("" for none) -> the project choices
Submit = Callable[[quotes.QuoteInput], Awaitable[QuoteDetail]]


@dataclass(frozen=True)
class QuoteEditorView:
    """What the form starts from, as its inputs show it; `quote_id` is None for a new draft."""

    quote_id: uuid.UUID | None
    client_options: dict[str, str]
    client_id: str  # "" when none is chosen yet
    project_options: dict[str, str]
    project_id: str
    template_options: dict[str, str]  # "" is a blank project; the others are services with template milestones
    template_id: str
    start_project: bool
    title: str
    currency: str
    issue_date: str  # as the organization writes a date in an input
    valid_until: str
    discount_percent: str
    deposit_percent: str
    notes: str
    terms: str
    validity_days: int
    lines: tuple[LineState, ...]
    formats: Formats = DEFAULT

    @property
    def back(self) -> str:
        """Where Cancel goes: the draft's page, or the list for a new one."""
        return f"/quotes/{self.quote_id}" if self.quote_id else "/quotes"


async def template_choices(actor: StaffActor, detail: QuoteDetail | None) -> dict[str, str]:
    """ "Blank project", then the organization's services whose template has milestones (and the draft's own)."""
    options = {"": BLANK_PROJECT}
    options |= {str(s.id): s.name for s in await catalog.list_services(actor) if s.milestones}
    if detail is not None and detail.project_template_id is not None:
        options.setdefault(str(detail.project_template_id), detail.project_template_name or "Template")
    return options


async def load_editor(
    actor: StaffActor, detail: QuoteDetail | None, client_id: str, formats: Formats
) -> QuoteEditorView:
    """The form's starting point: `detail` is the draft being edited, None for a new one for `client_id`."""
    settings = await organizations.get_invoice_settings(actor)
    client_options = await client_choices(actor)
    if detail is not None:
        client_options.setdefault(str(detail.client_id), detail.buyer.name)
    else:  # a client from a link may be beyond the first choices
        client_options = await with_chosen(actor, client_options, client_id)
    if client_id not in client_options:
        client_id = ""
    today = clock.now().date()
    issue = detail.issue_date if detail else today
    return QuoteEditorView(
        quote_id=detail.id if detail else None,
        client_options=client_options,
        client_id=client_id,
        project_options=await project_choices(actor, client_id),
        project_id=str(detail.project_id) if detail and detail.project_id and not detail.start_project else "",
        template_options=await template_choices(actor, detail),
        template_id=str(detail.project_template_id) if detail and detail.project_template_id else "",
        start_project=detail.start_project if detail else False,
        title=detail.title if detail else "",
        currency=detail.currency if detail else settings.default_currency,
        issue_date=formats.input_day(issue),
        valid_until=formats.input_day(
            detail.valid_until if detail else issue + timedelta(days=settings.quote_validity_days)
        ),
        discount_percent=money.plain(detail.discount_percent) if detail else "0",
        deposit_percent=money.plain(detail.deposit_percent) if detail else "0",
        notes=detail.notes if detail else "",
        terms=detail.terms if detail else "",
        validity_days=settings.quote_validity_days,
        lines=line_states(detail.lines if detail else (), detail.currency if detail else ""),
        formats=formats,
    )


# --- the deposit preview -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepositPreview:
    shown: bool  # a deposit is asked (not none, not all of it)
    label: str
    text: str


def deposit_preview(
    currency: str | None, discount: str | None, deposit: str | None, lines: Sequence[LineState], formats: Formats
) -> DepositPreview:
    """What acceptance would invoice as the deposit, worked out as the service does (one deposit line per tax rate,
    `quote_views.deposit_minor`) on the complete lines typed so far."""
    label = DEPOSIT_ROW[1]
    try:
        percent = line_items.percentage(deposit, "deposit_percent", "Deposit")
    except Invalid:
        return DepositPreview(bool((deposit or "").strip()), label, UNKNOWN)
    if percent in (0, 100):  # none, or all of it: acceptance invoices the whole amount
        return DepositPreview(False, label, UNKNOWN)
    label = f"{label} ({formats.percent(percent)})"
    worked = work_out(currency, discount, lines)
    if worked is None:
        return DepositPreview(True, label, UNKNOWN)
    complete = [values for values in worked.parsed if values]
    # What the deposit arithmetic reads of each line: its tax rate and its net after discount.
    rows = [
        line_items.NetAtRate(rate, amounts.net_minor)
        for (_quantity, _price, rate), amounts in zip(complete, worked.totals.lines, strict=True)
    ]
    minor = quote_views.deposit_minor(rows, percent, worked.totals.total_minor)
    return DepositPreview(True, label, formats.money(minor, worked.currency))


# --- the header fields ---------------------------------------------------------------------------------------------


class QuoteHeader:
    """Client, project, title, currency, dates, discount and deposit, and what acceptance starts, on top
    (`draw_top`); notes and terms at the foot (`draw_foot`). On a new draft "Valid until" follows the issue date
    by the organization's usual validity until someone sets it."""

    client: ui.select
    project: ui.select
    title: ui.input
    currency: ui.select
    issue: ui.input
    valid_until: ui.input
    discount: ui.input
    deposit: ui.input
    start_project: ui.switch
    template: ui.select
    notes: ui.textarea
    terms: ui.textarea

    def __init__(self, view: QuoteEditorView, project_options: ProjectOptions, client_search: Search) -> None:
        self.view, self.project_options, self.client_search = view, project_options, client_search

    def draw_top(self) -> None:
        view = self.view
        with ui.card().classes("w-full").props("flat bordered"):
            with ui.row().classes("w-full gap-4"):
                self.client = search_select(view.client_options, view.client_id or None, "Client", self.client_search)
                self.client.props("outlined").classes("flex-1 min-w-[14rem]")
                self.project = ui.select(view.project_options, value=view.project_id, label="Project")
                self.project.props("outlined").classes("flex-1 min-w-[14rem]")
            self.title = ui.input("Title", value=view.title).props(
                'outlined hint="What the quote is for, e.g. “Website redesign”"'
            )
            self.title.classes("w-full")
            with ui.row().classes("w-full gap-4"):
                self.currency = ui.select(
                    currency_choices(view.formats.locale), value=view.currency, label="Currency", with_input=True
                )
                self.currency.props("outlined").classes("w-56")
                self.issue = date_input("Issue date", view.issue_date, mask=view.formats.date_mask)
                self.valid_until = date_input("Valid until", view.valid_until, mask=view.formats.date_mask)
                self.discount = ui.input("Discount %", value=view.discount_percent)
                self.discount.props("outlined debounce=250").classes("w-28")
                self.deposit = ui.input("Deposit %", value=view.deposit_percent)
                self.deposit.props('outlined debounce=250 hint="0: the whole amount on acceptance"').classes("w-48")
        with ui.card().classes("w-full").props("flat bordered"):
            ui.label("On acceptance").classes("text-lg font-semibold")
            ui.label("Acceptance sends the client an invoice for the deposit, or for the whole amount.").classes(
                "text-sm text-gray-600"
            )
            with ui.row().classes("w-full items-center gap-4"):
                self.start_project = ui.switch("Start a project on acceptance", value=view.start_project)
                self.start_project.mark("start-project")
                self.template = ui.select(view.template_options, value=view.template_id, label="Template")
                self.template.props("outlined").classes("min-w-[16rem]").mark("project-template")
            self.project_note = ui.label("The work is for the chosen project: acceptance starts no other.")
            self.project_note.classes("text-sm text-gray-600")
        self.client.on_value_change(self._client_changed)
        self.project.on_value_change(self._acceptance_shown)
        self.start_project.on_value_change(self._acceptance_shown)
        FollowingDate(self.issue, self.valid_until, view.validity_days, view.formats, following=view.quote_id is None)
        self._acceptance_shown()

    def draw_foot(self) -> None:
        with ui.card().classes("w-full").props("flat bordered"):
            self.notes = ui.textarea("Notes", value=self.view.notes).props("outlined autogrow").classes("w-full")
            self.terms = ui.textarea("Terms", value=self.view.terms).props(
                'outlined autogrow hint="The client agrees to these when accepting."'
            )
            self.terms.classes("w-full")

    def fields(self) -> dict[str, Element]:
        """The inputs under the names the service's messages use."""
        return {
            "client_id": self.client,
            "project_id": self.project,
            "title": self.title,
            "currency": self.currency,
            "issue_date": self.issue,
            "valid_until": self.valid_until,
            "discount_percent": self.discount,
            "deposit_percent": self.deposit,
            "project_template_id": self.template,
            "notes": self.notes,
            "terms": self.terms,
        }

    def read(self, lines: Sequence[LineState]) -> quotes.QuoteInput:
        """The form as the service takes it; `Invalid` with every problem found here or by the service's own
        checks, all at once."""
        problems: list[Invalid] = []
        if not self.client.value:
            problems.append(Invalid("Choose a client.", "client_id"))
        formats = self.view.formats
        issue_date = valid_until = None
        try:
            issue_date = formats.read_day(self.issue.value, "issue_date", "Issue date")
        except Invalid as exc:
            problems.append(exc)
        try:
            valid_until = formats.read_day(self.valid_until.value, "valid_until", "Valid until")
        except Invalid as exc:
            problems.append(exc)
        start = bool(self.start_project.value) and not self.project.value
        data = quotes.QuoteInput(
            client_id=self.client.value or "",
            project_id=self.project.value or None,
            title=self.title.value or "",
            currency=self.currency.value or "",
            issue_date=issue_date,
            valid_until=valid_until,
            discount_percent=self.discount.value or "0",
            deposit_percent=self.deposit.value or "0",
            notes=self.notes.value or "",
            terms=self.terms.value or "",
            start_project=start,
            project_template_id=(self.template.value or None) if start else None,
            lines=[line_items.LineInput(ln.description, ln.quantity, ln.unit_price, ln.tax_rate) for ln in lines],
        )
        quotes.check_fields(data, self.view.currency, self.view.validity_days, known=problems)
        return data

    def _acceptance_shown(self) -> None:
        """A named project is the project: the switch and its template apply only without one."""
        free = not self.project.value
        self.start_project.set_visibility(free)
        self.template.set_visibility(free and bool(self.start_project.value))
        self.project_note.set_visibility(not free)

    async def _client_changed(self) -> None:
        self.project.set_options(await self.project_options(self.client.value or ""), value="")


# --- the whole form ------------------------------------------------------------------------------------------------


class QuoteEditor(LinesEditor[quotes.QuoteInput]):
    """The header fields, the lines with the live preview (with the deposit), and Save."""

    header: QuoteHeader

    def __init__(
        self, view: QuoteEditorView, *, project_options: ProjectOptions, client_search: Search, submit: Submit
    ) -> None:
        self.view = view
        super().__init__(
            QuoteHeader(view, project_options, client_search),
            view.lines,
            path="/quotes",
            back=view.back,
            formats=view.formats,
            submit=submit,
            totals=TotalsSection((*TOTALS, DEPOSIT_ROW)),
        )

    def preview_inputs(self) -> list[ValueElement]:
        return [*super().preview_inputs(), self.header.deposit]

    def preview(self) -> None:
        """Recompute the totals and the deposit on the server, from what is typed now."""
        super().preview()
        header = self.header
        deposit = deposit_preview(
            header.currency.value, header.discount.value, header.deposit.value, self.lines.lines, self.formats
        )
        self.totals.show({"deposit": deposit.text})
        self.totals.show_row("deposit", deposit.shown, deposit.label)


def _submitter(actor: StaffActor, quote_id: uuid.UUID | None) -> Submit:
    async def submit(data: quotes.QuoteInput) -> QuoteDetail:
        if quote_id is None:
            return await quotes.create_quote(actor, data)
        return await quotes.update_quote(actor, quote_id, data)

    return submit


async def editor(context: StaffPage, detail: QuoteDetail | None, client_id: str) -> None:
    """The form; `detail` is the draft being edited, None for a new one."""
    actor = context.actor
    view = await load_editor(actor, detail, client_id, context.org.formats)
    QuoteEditor(
        view,
        project_options=partial(project_choices, actor),
        client_search=partial(client_choices, actor),
        submit=_submitter(actor, view.quote_id),
    ).draw()


@staff_page("/quotes/new")
async def new_quote_page(context: StaffPage, request: Request) -> RedirectResponse | None:
    with frame(context, "New quote"):
        ui.link("← All quotes", "/quotes").classes("text-sm")
        # Read from the query string: NiceGUI reserves a page parameter named `client` for its own Client.
        await editor(context, None, request.query_params.get("client", ""))
    return None


@staff_page("/quotes/{quote_id}/edit")
async def edit_quote_page(context: StaffPage, quote_id: str) -> RedirectResponse | None:
    try:
        detail = await quotes.get_quote(context.actor, quote_id)
    except NotFound:
        with frame(context, "Quote"):
            not_found("This quote does not exist.")
        return None
    with frame(context, f"Edit {detail.number}"):
        ui.link(f"← {detail.number}", f"/quotes/{detail.id}").classes("text-sm")
        if detail.status != "draft":
            ui.label(
                f"{detail.number} is {detail.status_label.lower()}: only drafts can be edited, since the client "
                "answers what was sent. Duplicate it to make a changed copy."
            ).classes("text-amber-800").mark("not-editable")
            return None
        await editor(context, detail, str(detail.client_id))
    return None
