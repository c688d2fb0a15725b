"""The parts of a priced-lines editor that invoices and quotes share: the lines as typed, their rows of inputs, the
totals preview worked out with the service's own arithmetic, the currency and project choices, and how a save's
errors land on the inputs they name.

The sections are fed view data and callbacks, so they draw without a database; the invoice editor and the quote
editor assemble them with their own header fields.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from nicegui import ui
from nicegui.element import Element
from nicegui.elements.mixins.value_element import ValueElement

from components.forms import FieldErrors
from services.billing import invoice_math
from services.billing.invoice_views import LineView
from services.core import formatting, money
from services.core.actors import StaffActor
from services.core.errors import Invalid, ServiceError
from services.core.formatting import Formats
from services.projects import projects

LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate")
Data = TypeVar("Data")  # what the editor's header reads: the service's input (an InvoiceInput, a QuoteInput)
Read = TypeVar("Read", covariant=True)


def currency_choices(locale: str) -> dict[str, str]:
    """Every ISO 4217 currency, as "EUR · Euro" in the organization's language; typing filters them."""
    return {code: f"{code} · {formatting.currency_name(code, locale)}" for code in sorted(money.EXPONENTS)}


async def project_choices(actor: StaffActor, client_id: str) -> dict[str, str]:
    """A client's projects to pick from, after "No project" ("" for no client yet: only that)."""
    options = {"": "No project"}
    if client_id:
        page = await projects.list_projects(actor, client_id=client_id, limit=200)
        options |= {str(p.id): p.name for p in page.items}
    return options


# The lines' column headers and widths, in the order of a line's inputs, then its amount (and the remove button).
COLUMN_HEADERS = (
    ("Description", "flex-1"),
    ("Quantity", "w-24"),
    ("Unit price", "w-32"),
    ("Tax %", "w-20"),
    ("Amount", "w-36 text-right"),
    ("", "w-8"),
)
TOTALS = (("subtotal", "Subtotal"), ("discount", "Discount"), ("tax", "Tax"), ("total", "Total"))
UNKNOWN = "—"  # an amount the preview cannot work out yet


@dataclass(eq=False)
class LineState:
    """One line as typed; kept apart from its inputs, so adding or removing a line redraws the others intact."""

    description: str = ""
    quantity: str = "1"
    unit_price: str = ""
    tax_rate: str = "0"
    inputs: dict[str, ui.input] = field(default_factory=dict)
    amount_label: ui.label | None = None

    def blank(self) -> bool:
        return not (self.description.strip() or self.unit_price.strip())

    def parsed(self, currency: str) -> tuple[Decimal, int, Decimal] | None:
        """(quantity, unit price in minor units, tax rate) for the preview, or None while it is incomplete."""
        try:
            quantity = money.decimal(self.quantity, "quantity", "Quantity")
            price = money.to_minor(self.unit_price, currency)
            rate = money.decimal(self.tax_rate or "0", "tax_rate", "Tax")
        except Invalid:
            return None
        if quantity <= 0 or price < 0 or not 0 <= rate <= 100:
            return None
        return quantity, price, rate


def line_states(lines: Sequence[LineView], currency: str) -> tuple[LineState, ...]:
    """Saved lines as the inputs show them; one blank line when there are none (a new document)."""
    if not lines:
        return (LineState(),)
    return tuple(
        LineState(
            line.description,
            money.plain(line.quantity),
            money.format_decimal(line.unit_price_minor, currency),
            money.plain(line.tax_rate),
        )
        for line in lines
    )


# --- the totals preview --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """The texts the preview shows: the totals keyed as in TOTALS, and one amount per line, in order."""

    totals: dict[str, str]
    lines: list[str]

    @classmethod
    def unknown(cls, line_count: int) -> Preview:
        """Nothing to work out while the currency or the discount is not valid."""
        return cls({key: UNKNOWN for key, _ in TOTALS}, [UNKNOWN] * line_count)


@dataclass(frozen=True)
class WorkedOut:
    """The typed lines worked out: each line's parsed values (None while incomplete), and the totals of the
    complete ones, in order."""

    currency: str
    discount: Decimal
    parsed: list[tuple[Decimal, int, Decimal] | None]
    totals: invoice_math.Totals


def work_out(currency: str | None, discount: str | None, lines: Sequence[LineState]) -> WorkedOut | None:
    """The service's own arithmetic on what is typed; None while the currency or the discount is not valid."""
    try:
        code = money.currency(currency or "")
        rate = money.decimal(discount or "0", "discount_percent", "Discount")
    except Invalid:
        return None
    if not 0 <= rate <= 100:
        return None
    parsed = [line.parsed(code) for line in lines]
    return WorkedOut(code, rate, parsed, invoice_math.totals([p for p in parsed if p], rate))


def preview(currency: str | None, discount: str | None, lines: Sequence[LineState], formats: Formats) -> Preview:
    """The totals worked out with the service's own arithmetic; incomplete lines count nothing."""
    worked = work_out(currency, discount, lines)
    if worked is None:
        return Preview.unknown(len(lines))
    code, result = worked.currency, worked.totals
    amounts = iter(result.lines)
    return Preview(
        {
            "subtotal": formats.money(result.subtotal_minor, code),
            "discount": formats.money(-result.discount_minor, code),
            "tax": formats.money(result.tax_minor, code),
            "total": formats.money(result.total_minor, code),
        },
        [formats.money(next(amounts).gross_minor, code) if values else UNKNOWN for values in worked.parsed],
    )


class TotalsSection:
    """Subtotal, discount, tax and total (and any `rows` a document adds), as `show` last set them."""

    def __init__(self, rows: Sequence[tuple[str, str]] = TOTALS) -> None:
        self.rows = tuple(rows)
        self.shown: dict[str, ui.label] = {}
        self.labels: dict[str, ui.label] = {}

    def draw(self) -> None:
        with ui.grid(columns=2).classes("ml-auto gap-x-8 gap-y-1 text-sm"):
            for key, label in self.rows:
                emphasis = " font-semibold" if key == "total" else ""
                self.labels[key] = ui.label(label).classes("text-gray-600" + emphasis)
                self.shown[key] = ui.label(UNKNOWN).classes("text-right tabular-nums").mark(f"totals-{key}")

    def show(self, totals: dict[str, str]) -> None:
        for key, text in totals.items():
            self.shown[key].text = text

    def show_row(self, key: str, shown: bool, label: str | None = None) -> None:
        """Show or hide one row (a deposit only when there is one), relabelled when `label` is given."""
        if label is not None:
            self.labels[key].text = label
        self.labels[key].set_visibility(shown)
        self.shown[key].set_visibility(shown)


# --- the lines -----------------------------------------------------------------------------------------------------


class LinesSection:
    """The line rows with their amounts, and Add line; `changed` runs after any typing, adding or removing."""

    def __init__(self, lines: Sequence[LineState], changed: Callable[[], None]) -> None:
        self.lines = list(lines)
        self.changed = changed
        self.note: ui.label | None = None  # a message about the lines as a whole ("at least one line")

    def draw(self) -> None:
        ui.label("Lines").classes("text-lg font-semibold")
        self.note = ui.label().classes("text-negative text-sm")
        self.note.set_visibility(False)
        with (
            ui.row()
            .classes("w-full gap-2 no-wrap text-xs font-medium text-gray-600 max-sm:hidden")
            .mark("line-headers")
        ):
            for label, width in COLUMN_HEADERS:
                ui.label(label).classes(width)
        self.rows()
        ui.button("Add line", icon="add", on_click=self.add).props("flat")

    @ui.refreshable_method
    def rows(self) -> None:
        for n, line in enumerate(self.lines):
            self._row(n, line)

    def _row(self, n: int, line: LineState) -> None:
        with ui.row().classes("w-full items-start gap-2 no-wrap"):
            line.inputs = {
                "description": ui.input(value=line.description).classes("flex-1"),
                "quantity": ui.input(value=line.quantity).classes("w-24"),
                "unit_price": ui.input(value=line.unit_price).classes("w-32"),
                "tax_rate": ui.input(value=line.tax_rate).classes("w-20"),
            }
            for (name, element), (label, _width) in zip(line.inputs.items(), COLUMN_HEADERS, strict=False):
                # The column header names it on screen; a screen reader hears the line and the column.
                element.props(f'outlined dense debounce=250 aria-label="Line {n + 1} {label.lower()}"')
                element.mark(f"line-{n}-{name}")
                element.on_value_change(lambda e, ln=line, k=name: self.typed(ln, k, e.value))
            line.amount_label = ui.label(UNKNOWN).classes("w-36 text-right pt-3 tabular-nums")
            line.amount_label.mark(f"line-{n}-amount")
            ui.button(icon="delete", on_click=lambda ln=line: self.remove(ln)).props(
                f"flat round dense aria-label='Remove line {n + 1}'"
            )

    def typed(self, line: LineState, key: str, value: str | None) -> None:
        setattr(line, key, value or "")
        self.changed()

    def add(self) -> None:
        self.lines.append(LineState())
        self.rows.refresh()
        self.changed()

    def remove(self, line: LineState) -> None:
        self.lines.remove(line)
        self.rows.refresh()
        self.changed()

    def show_amounts(self, texts: list[str]) -> None:
        for line, text in zip(self.lines, texts, strict=True):
            if line.amount_label is not None:
                line.amount_label.text = text

    def show_note(self, message: str, shown: bool) -> None:
        if self.note is not None:
            self.note.text = message
            self.note.set_visibility(shown)

    @staticmethod
    def fields(lines: Sequence[LineState]) -> dict[str, Element]:
        """The inputs of `lines` under the names the service's messages use: "lines.2.quantity"."""
        return {
            f"lines.{n}.{key}": line.inputs[key]
            for n, line in enumerate(lines)
            for key in LINE_FIELDS
            if key in line.inputs
        }


def show_form_errors(
    error: ServiceError, fields: dict[str, Element], lines: LinesSection, sent: Sequence[LineState]
) -> None:
    """Every problem of a save on the input it names: `fields` are the header's inputs, `sent` the lines the save
    sent (the service's "lines.2.quantity" counts those). One about the lines as a whole goes above them; a problem
    naming no input here is notified."""
    FieldErrors(**lines.fields(lines.lines)).clear()
    errors = FieldErrors(**fields, **lines.fields(sent))
    problems = error.problems if isinstance(error, Invalid) else (error,)
    about_lines = [p.message for p in problems if getattr(p, "field", None) == "lines"]
    lines.show_note(" ".join(about_lines), bool(about_lines))
    errors.show_all([(getattr(p, "field", None), p.message) for p in problems if getattr(p, "field", None) != "lines"])


class FollowingDate:
    """An end date that follows the start date by `days` until someone sets it by hand (an invoice's due date, a
    quote's "Valid until"); `following` is False when the document has dates of its own already (a saved draft)."""

    def __init__(self, start: ui.input, end: ui.input, days: int, formats: Formats, *, following: bool) -> None:
        self.start, self.end, self.days, self.formats = start, end, days, formats
        self.following = following
        self.syncing = False  # the end is being set from the start, not by someone
        start.on_value_change(self._start_changed)
        end.on_value_change(self._end_changed)

    def _start_changed(self) -> None:
        if not self.following:
            return
        try:
            start = self.formats.read_day(self.start.value)
        except Invalid:
            return  # still being typed
        if start:
            self.syncing = True
            self.end.value = self.formats.input_day(start + timedelta(days=self.days))
            self.syncing = False

    def _end_changed(self) -> None:
        if not self.syncing:
            self.following = False


class EditorHeader(Protocol[Read]):
    """A document's own fields around the lines: drawn above them and at the foot, read as the service's input."""

    currency: ui.select
    discount: ui.input

    def draw_top(self) -> None: ...
    def draw_foot(self) -> None: ...
    def fields(self) -> dict[str, Element]: ...
    def read(self, lines: Sequence[LineState]) -> Read: ...


class SavedDocument(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def number(self) -> str: ...


class LinesEditor(Generic[Data]):
    """A priced document's form: the header's fields, the lines and the totals preview in their cards, and Save.
    `submit` creates or updates; the saved document's page is `{path}/{id}` ("?send=1" opens its send dialog,
    where the recipients are confirmed before any mail leaves)."""

    def __init__(
        self,
        header: EditorHeader[Data],
        lines: Sequence[LineState],
        *,
        path: str,
        back: str,
        formats: Formats,
        submit: Callable[[Data], Awaitable[SavedDocument]],
        totals: TotalsSection | None = None,
    ) -> None:
        self.header, self.path, self.back, self.formats, self.submit = header, path, back, formats, submit
        self.lines = LinesSection(lines, self.preview)
        self.totals = totals or TotalsSection()
        self.sent: list[LineState] = []  # the lines of the last save, which the service's line numbers index
        self.save_buttons: list[ui.button] = []

    def preview_inputs(self) -> list[ValueElement]:
        """The header's inputs whose change changes the totals."""
        return [self.header.currency, self.header.discount]

    def draw(self) -> None:
        self.header.draw_top()
        with ui.card().classes("w-full").props("flat bordered"):
            self.lines.draw()
            ui.separator()
            self.totals.draw()
        self.header.draw_foot()
        for element in self.preview_inputs():
            element.on_value_change(self.preview)
        self.preview()
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Cancel", on_click=lambda: ui.navigate.to(self.back)).props("flat")
            self.save_buttons = [
                ui.button("Save draft", icon="save", on_click=lambda: self.save()).props("outline").mark("save-draft"),
                ui.button("Save and send", icon="send", on_click=lambda: self.save(and_send=True)).mark(
                    "save-and-send"
                ),
            ]

    def preview(self) -> None:
        """Recompute the totals on the server, from what is typed now."""
        shown = preview(self.header.currency.value, self.header.discount.value, self.lines.lines, self.formats)
        self.lines.show_amounts(shown.lines)
        self.totals.show(shown.totals)

    def show_errors(self, error: ServiceError) -> None:
        """Every problem on the input it names, one about the lines as a whole above them, the rest notified."""
        show_form_errors(error, self.header.fields(), self.lines, self.sent)

    async def save(self, and_send: bool = False) -> None:
        self.sent = [line for line in self.lines.lines if not line.blank()]  # untouched blank lines are dropped
        try:
            data = self.header.read(self.sent)
        except Invalid as exc:
            self.show_errors(exc)
            return
        for button in self.save_buttons:
            button.disable()  # a double click must not create two documents
        try:
            saved = await self.submit(data)
        except ServiceError as exc:
            self.show_errors(exc)
            return
        finally:
            for button in self.save_buttons:
                button.enable()
        ui.notify(f"Saved {saved.number}", type="positive")
        ui.navigate.to(f"{self.path}/{saved.id}" + ("?send=1" if and_send else ""))
