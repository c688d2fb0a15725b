"""The invoice editor: a new draft (`/invoices/new?client=…`) or a draft's changes (`/invoices/{id}/edit`).

Totals are previewed live by the same `invoice_math.totals` the service stores them with; saving validates
everything again on the server, and its messages land on the input they name (“lines.2.quantity”).

The page loads an `EditorView` and `InvoiceEditor` assembles the sections from it: the header fields (client,
project, currency, dates, discount; notes and terms at the foot), the lines, the totals preview, and the save.
The lines, the preview and the way errors are shown are shared with quotes (`line_editor`). The sections are fed
view data and callbacks, so they draw without a database.
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

from components.date_input import date_input
from components.search_select import Search, search_select
from portal_app.staff.client_choices import client_choices
from portal_app.staff.layout import StaffPage, frame, not_found, staff_page
from portal_app.staff.line_editor import (
    FollowingDate,
    LinesEditor,
    LineState,
    currency_choices,
    line_states,
    project_choices,
)
from services.billing import invoice_views, invoices
from services.core import clock, money
from services.core.actors import StaffActor
from services.core.errors import Invalid, NotFound
from services.core.formatting import DEFAULT, Formats
from services.organizations import organizations

ProjectOptions = Callable[[str], Awaitable[dict[str, str]]]  # a client's id ("" for none) -> the project choices
Submit = Callable[[invoices.InvoiceInput], Awaitable[invoice_views.InvoiceDetail]]


@dataclass(frozen=True)
class EditorView:
    """What the form starts from, as its inputs show it; `invoice_id` is None for a new draft."""

    invoice_id: uuid.UUID | None
    client_options: dict[str, str]
    client_id: str  # "" when none is chosen yet
    project_options: dict[str, str]
    project_id: str
    currency: str
    issue_date: str  # as the organization writes a date in an input ("03/10/2026", "10.03.2026")
    due_date: str
    discount_percent: str
    notes: str
    terms: str
    payment_terms_days: int
    lines: tuple[LineState, ...]
    formats: Formats = DEFAULT  # the organization's: the dates' pattern and the preview's money

    @property
    def back(self) -> str:
        """Where Cancel goes: the draft's page, or the list for a new one."""
        return f"/invoices/{self.invoice_id}" if self.invoice_id else "/invoices"


async def load_editor(
    actor: StaffActor, detail: invoice_views.InvoiceDetail | None, client_id: str, formats: Formats
) -> EditorView:
    """The form's starting point: `detail` is the draft being edited, None for a new one for `client_id`."""
    settings = await organizations.get_invoice_settings(actor)
    client_options = await client_choices(actor)
    if detail is not None:
        client_options.setdefault(str(detail.client_id), detail.buyer.name)
    if client_id not in client_options:
        client_id = ""
    today = clock.now().date()
    return EditorView(
        invoice_id=detail.id if detail else None,
        client_options=client_options,
        client_id=client_id,
        project_options=await project_choices(actor, client_id),
        project_id=str(detail.project_id) if detail and detail.project_id else "",
        currency=detail.currency if detail else settings.default_currency,
        issue_date=formats.input_day(detail.issue_date if detail else today),
        due_date=formats.input_day(detail.due_date if detail else today + timedelta(days=settings.payment_terms_days)),
        discount_percent=money.plain(detail.discount_percent) if detail else "0",
        notes=detail.notes if detail else "",
        terms=detail.terms if detail else "",
        payment_terms_days=settings.payment_terms_days,
        lines=line_states(detail.lines if detail else (), detail.currency if detail else ""),
        formats=formats,
    )


# --- the header fields ---------------------------------------------------------------------------------------------


class HeaderFields:
    """Client, project, currency, dates and discount on top (`draw_top`), notes and terms at the foot (`draw_foot`).

    On a new draft the due date follows the issue date, by the payment terms, until someone sets it.
    """

    client: ui.select
    project: ui.select
    currency: ui.select
    issue: ui.input
    due: ui.input
    discount: ui.input
    notes: ui.textarea
    terms: ui.textarea

    def __init__(self, view: EditorView, project_options: ProjectOptions, client_search: Search) -> None:
        self.view, self.project_options, self.client_search = view, project_options, client_search

    def draw_top(self) -> None:
        view = self.view
        with ui.card().classes("w-full").props("flat bordered"):
            with ui.row().classes("w-full gap-4"):
                self.client = search_select(view.client_options, view.client_id or None, "Client", self.client_search)
                self.client.props("outlined").classes("flex-1 min-w-[14rem]")
                self.project = ui.select(view.project_options, value=view.project_id, label="Project")
                self.project.props("outlined").classes("flex-1 min-w-[14rem]")
            with ui.row().classes("w-full gap-4"):
                self.currency = ui.select(
                    currency_choices(view.formats.locale), value=view.currency, label="Currency", with_input=True
                )
                self.currency.props("outlined").classes("w-56")
                self.issue = date_input("Issue date", view.issue_date, mask=view.formats.date_mask)
                self.due = date_input("Due date", view.due_date, mask=view.formats.date_mask)
                self.discount = ui.input("Discount %", value=view.discount_percent)
                self.discount.props("outlined debounce=250").classes("w-28")
        self.client.on_value_change(self._client_changed)
        FollowingDate(self.issue, self.due, view.payment_terms_days, view.formats, following=view.invoice_id is None)

    def draw_foot(self) -> None:
        with ui.card().classes("w-full").props("flat bordered"):
            self.notes = ui.textarea("Notes", value=self.view.notes).props("outlined autogrow").classes("w-full")
            self.terms = ui.textarea("Terms", value=self.view.terms).props("outlined autogrow").classes("w-full")

    def fields(self) -> dict[str, Element]:
        """The inputs under the names the service's messages use."""
        return {
            "client_id": self.client,
            "project_id": self.project,
            "currency": self.currency,
            "issue_date": self.issue,
            "due_date": self.due,
            "discount_percent": self.discount,
            "notes": self.notes,
            "terms": self.terms,
        }

    def read(self, lines: Sequence[LineState]) -> invoices.InvoiceInput:
        """The form as the service takes it; `Invalid` with every problem of the form, found here or by the
        service's own checks (all at once, so each field shows its message)."""
        problems: list[Invalid] = []
        if not self.client.value:
            problems.append(Invalid("Choose a client.", "client_id"))
        formats = self.view.formats
        issue_date = due_date = None
        try:
            issue_date = formats.read_day(self.issue.value, "issue_date", "Issue date")
        except Invalid as exc:
            problems.append(exc)
        try:
            due_date = formats.read_day(self.due.value, "due_date", "Due date")
        except Invalid as exc:
            problems.append(exc)
        data = invoices.InvoiceInput(
            client_id=self.client.value or "",
            project_id=self.project.value or None,
            currency=self.currency.value or "",
            issue_date=issue_date,
            due_date=due_date,
            discount_percent=self.discount.value or "0",
            notes=self.notes.value or "",
            terms=self.terms.value or "",
            lines=[invoices.LineInput(ln.description, ln.quantity, ln.unit_price, ln.tax_rate) for ln in lines],
        )
        invoices.check_fields(data, self.view.currency, self.view.payment_terms_days, known=problems)
        return data

    async def _client_changed(self) -> None:
        self.project.set_options(await self.project_options(self.client.value or ""), value="")


# --- the whole form ------------------------------------------------------------------------------------------------


class InvoiceEditor(LinesEditor[invoices.InvoiceInput]):
    """The header fields, the lines with the live preview, and Save: `submit` creates or updates."""

    header: HeaderFields

    def __init__(
        self, view: EditorView, *, project_options: ProjectOptions, client_search: Search, submit: Submit
    ) -> None:
        self.view = view
        super().__init__(
            HeaderFields(view, project_options, client_search),
            view.lines,
            path="/invoices",
            back=view.back,
            formats=view.formats,
            submit=submit,
        )


def _submitter(actor: StaffActor, invoice_id: uuid.UUID | None) -> Submit:
    async def submit(data: invoices.InvoiceInput) -> invoice_views.InvoiceDetail:
        if invoice_id is None:
            return await invoices.create_invoice(actor, data)
        return await invoices.update_invoice(actor, invoice_id, data)

    return submit


async def editor(context: StaffPage, detail: invoice_views.InvoiceDetail | None, client_id: str) -> None:
    """The form; `detail` is the draft being edited, None for a new one."""
    actor = context.actor
    view = await load_editor(actor, detail, client_id, context.org.formats)
    InvoiceEditor(
        view,
        project_options=partial(project_choices, actor),
        client_search=partial(client_choices, actor),
        submit=_submitter(actor, view.invoice_id),
    ).draw()


@staff_page("/invoices/new")
async def new_invoice_page(context: StaffPage, request: Request) -> RedirectResponse | None:
    with frame(context, "New invoice"):
        ui.link("← All invoices", "/invoices").classes("text-sm")
        # Read from the query string: NiceGUI reserves a page parameter named `client` for its own Client.
        await editor(context, None, request.query_params.get("client", ""))
    return None


@staff_page("/invoices/{invoice_id}/edit")
async def edit_invoice_page(context: StaffPage, invoice_id: str) -> RedirectResponse | None:
    try:
        detail = await invoices.get_invoice(context.actor, invoice_id)
    except NotFound:
        with frame(context, "Invoice"):
            not_found("This invoice does not exist.")
        return None
    with frame(context, f"Edit {detail.number}"):
        ui.link(f"← {detail.number}", f"/invoices/{detail.id}").classes("text-sm")
        if detail.status != "draft":
            ui.label(
                f"{detail.number} is {invoice_views.STATUS_LABELS[detail.status.value].lower()}: only drafts can be edited. "
                "Duplicate it to make a changed copy."
            ).classes("text-amber-800")
            return None
        await editor(context, detail, str(detail.client_id))
    return None
