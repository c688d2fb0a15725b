"""The invoice editor: a new draft (`/invoices/new?client=…`) or a draft's changes (`/invoices/{id}/edit`).

Totals are previewed live by the same `invoice_math.totals` the service stores them with; saving validates
everything again on the server, and its messages land on the input they name (“lines.2.quantity”).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from components.forms import FieldErrors
from portal_app.staff.invoices import parse_date
from portal_app.staff.layout import StaffPage, frame, not_found, staff_page
from services.billing import invoice_math, invoice_views, invoices
from services.clients import clients
from services.core import clock, money
from services.core.actors import StaffActor
from services.core.errors import Invalid, NotFound, ServiceError
from services.core.formatting import amount, number
from services.organizations import organizations
from services.projects import projects

LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate")
CURRENCIES = sorted(money.EXPONENTS)


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


def _lines_from(detail: invoice_views.InvoiceDetail | None) -> list[LineState]:
    if detail is None:
        return [LineState()]
    return [
        LineState(
            line.description,
            number(line.quantity),
            money.format_decimal(line.unit_price_minor, detail.currency),
            number(line.tax_rate),
        )
        for line in detail.lines
    ]


async def _project_options(actor: StaffActor, client_id: str) -> dict[str, str]:
    options = {"": "No project"}
    if client_id:
        page = await projects.list_projects(actor, client_id=client_id, limit=200)
        options |= {str(p.id): p.name for p in page.items}
    return options


async def editor(actor: StaffActor, detail: invoice_views.InvoiceDetail | None, client_id: str) -> None:
    """The form; `detail` is the draft being edited, None for a new one."""
    settings = await organizations.get_invoice_settings(actor)
    client_page = await clients.list_clients(actor, limit=200)
    client_options = {str(c.id): c.name for c in client_page.items}
    if detail is not None:
        client_options.setdefault(str(detail.client_id), detail.buyer.name)
    if client_id not in client_options:
        client_id = ""
    today = clock.now().date()
    lines = _lines_from(detail)
    auto_due = detail is None  # the due date follows the issue date until someone sets it
    syncing = False

    with ui.card().classes("w-full").props("flat bordered"):
        with ui.row().classes("w-full gap-4"):
            client = ui.select(client_options, value=client_id or None, label="Client", with_input=True)
            client.props("outlined").classes("flex-1 min-w-[14rem]")
            project = ui.select(
                await _project_options(actor, client_id),
                value=str(detail.project_id) if detail and detail.project_id else "",
                label="Project",
            )
            project.props("outlined").classes("flex-1 min-w-[14rem]")
        with ui.row().classes("w-full gap-4"):
            currency = ui.input(
                "Currency", value=detail.currency if detail else settings.default_currency, autocomplete=CURRENCIES
            ).props("outlined debounce=250")
            currency.classes("w-28")
            issue = ui.input("Issue date", value=str(detail.issue_date if detail else today))
            issue.props("outlined type=date")
            due = ui.input(
                "Due date",
                value=str(detail.due_date if detail else today + timedelta(days=settings.payment_terms_days)),
            ).props("outlined type=date")
            discount = ui.input("Discount %", value=number(detail.discount_percent) if detail else "0")
            discount.props("outlined debounce=250").classes("w-28")

    with ui.card().classes("w-full").props("flat bordered"):
        ui.label("Lines").classes("text-lg font-semibold")
        lines_error = ui.label().classes("text-negative text-sm")
        lines_error.set_visibility(False)

        @ui.refreshable
        def line_rows() -> None:
            for n, line in enumerate(lines):
                with ui.row().classes("w-full items-start gap-2 no-wrap"):
                    line.inputs = {
                        "description": ui.input("Description", value=line.description).classes("flex-1"),
                        "quantity": ui.input("Quantity", value=line.quantity).classes("w-24"),
                        "unit_price": ui.input("Unit price", value=line.unit_price).classes("w-32"),
                        "tax_rate": ui.input("Tax %", value=line.tax_rate).classes("w-20"),
                    }
                    for name, element in line.inputs.items():
                        element.props("outlined dense debounce=250").mark(f"line-{n}-{name}")
                        element.on_value_change(lambda e, ln=line, k=name: typed(ln, k, e.value))
                    line.amount_label = ui.label("—").classes("w-36 text-right pt-3 font-mono")
                    line.amount_label.mark(f"line-{n}-amount")
                    ui.button(icon="delete", on_click=lambda ln=line: remove(ln)).props(
                        f"flat round dense aria-label='Remove line {n + 1}'"
                    )

        line_rows()
        ui.button("Add line", icon="add", on_click=lambda: add()).props("flat")
        ui.separator()
        with ui.grid(columns=2).classes("ml-auto gap-x-8 gap-y-1 text-sm"):
            shown: dict[str, ui.label] = {}
            for key, label in (("subtotal", "Subtotal"), ("discount", "Discount"), ("tax", "Tax"), ("total", "Total")):
                ui.label(label).classes("text-gray-600" + (" font-semibold" if key == "total" else ""))
                shown[key] = ui.label("—").classes("text-right font-mono").mark(f"totals-{key}")

    with ui.card().classes("w-full").props("flat bordered"):
        notes = ui.textarea("Notes", value=detail.notes if detail else "").props("outlined autogrow")
        notes.classes("w-full")
        terms = ui.textarea("Terms", value=detail.terms if detail else "").props("outlined autogrow")
        terms.classes("w-full")

    common = {
        "client_id": client,
        "project_id": project,
        "currency": currency,
        "issue_date": issue,
        "due_date": due,
        "discount_percent": discount,
        "notes": notes,
        "terms": terms,
    }

    def preview() -> None:
        """Recompute the totals on the server with the service's own arithmetic; incomplete lines count nothing."""
        try:
            code = money.currency(currency.value)
            rate = money.decimal(discount.value or "0", "discount_percent", "Discount")
        except Invalid:
            code, rate = None, None
        if code is None or rate is None or not 0 <= rate <= 100:
            for label in (*shown.values(), *(ln.amount_label for ln in lines)):
                if label is not None:
                    label.text = "—"
            return
        parsed = [ln.parsed(code) for ln in lines]
        result = invoice_math.totals([p for p in parsed if p], rate)
        amounts = iter(result.lines)
        for line, values in zip(lines, parsed, strict=True):
            if line.amount_label is not None:
                line.amount_label.text = amount(next(amounts).gross_minor, code) if values else "—"
        shown["subtotal"].text = amount(result.subtotal_minor, code)
        shown["discount"].text = amount(-result.discount_minor, code)
        shown["tax"].text = amount(result.tax_minor, code)
        shown["total"].text = amount(result.total_minor, code)

    def typed(line: LineState, key: str, value: str | None) -> None:
        setattr(line, key, value or "")
        preview()

    def add() -> None:
        lines.append(LineState())
        line_rows.refresh()
        preview()

    def remove(line: LineState) -> None:
        lines.remove(line)
        line_rows.refresh()
        preview()

    async def client_changed() -> None:
        project.set_options(await _project_options(actor, client.value or ""), value="")

    def issue_changed() -> None:
        nonlocal syncing
        if auto_due:
            try:
                start = parse_date(issue.value)
            except ValueError:
                return
            if start:
                syncing = True
                due.value = str(start + timedelta(days=settings.payment_terms_days))
                syncing = False

    def due_changed() -> None:
        nonlocal auto_due
        if not syncing:
            auto_due = False

    sent: list[LineState] = []  # the lines of the last save, which the service's line numbers index

    def show_error(field_name: str | None, message: str) -> None:
        for line in lines:
            for element in line.inputs.values():
                element.props.pop("error", None)
                element.props.pop("error-message", None)
                element.update()
        fields = dict(common)
        for n, line in enumerate(sent):
            fields |= {f"lines.{n}.{key}": line.inputs[key] for key in LINE_FIELDS if key in line.inputs}
        errors = FieldErrors(**fields)
        lines_error.text = message
        lines_error.set_visibility(field_name == "lines")
        if field_name == "lines":
            errors.clear()
        else:
            errors.show(field_name, message)

    async def save() -> None:
        nonlocal sent
        sent = [line for line in lines if not line.blank()]  # untouched blank lines are dropped
        if not client.value:
            show_error("client_id", "Choose a client.")
            return
        dates = {}
        for name, element in (("issue_date", issue), ("due_date", due)):
            try:
                dates[name] = parse_date(element.value)
            except ValueError:
                show_error(name, "Enter dates as YYYY-MM-DD.")
                return
        data = invoices.InvoiceInput(
            client_id=client.value,
            project_id=project.value or None,
            currency=currency.value or "",
            issue_date=dates["issue_date"],
            due_date=dates["due_date"],
            discount_percent=discount.value or "0",
            notes=notes.value or "",
            terms=terms.value or "",
            lines=[invoices.LineInput(ln.description, ln.quantity, ln.unit_price, ln.tax_rate) for ln in sent],
        )
        save_button.disable()  # a double click must not create two invoices
        try:
            saved = (
                await invoices.update_invoice(actor, detail.id, data)
                if detail
                else await invoices.create_invoice(actor, data)
            )
        except ServiceError as exc:
            show_error(getattr(exc, "field", None), exc.message)
            return
        finally:
            save_button.enable()
        ui.notify(f"Saved {saved.number}", type="positive")
        ui.navigate.to(f"/invoices/{saved.id}")

    for element in (currency, discount):
        element.on_value_change(preview)
    client.on_value_change(client_changed)
    issue.on_value_change(issue_changed)
    due.on_value_change(due_changed)
    preview()
    with ui.row().classes("w-full justify-end gap-2"):
        ui.button("Cancel", on_click=lambda: ui.navigate.to(f"/invoices/{detail.id}" if detail else "/invoices")).props(
            "flat"
        )
        save_button = ui.button("Save draft", icon="save", on_click=save)


@staff_page("/invoices/new")
async def new_invoice_page(context: StaffPage, request: Request) -> RedirectResponse | None:
    with frame(context, "New invoice"):
        ui.link("← All invoices", "/invoices").classes("text-sm")
        # Read from the query string: NiceGUI reserves a page parameter named `client` for its own Client.
        await editor(context.actor, None, request.query_params.get("client", ""))
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
        await editor(context.actor, detail, str(detail.client_id))
    return None
