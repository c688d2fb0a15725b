"""The invoice editor's sections, drawn from hand-made view data with nothing behind them but fakes; and the
column and date-input helpers the staff and portal pages share."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
from nicegui import ui
from nicegui.element import Element
from nicegui.testing.user import User
from nicegui.testing.user_interaction import UserInteraction

from components.date_input import date_filled, date_input, typing_mask
from components.table_columns import column
from portal_app.staff.invoice_editor import EditorView, HeaderFields, InvoiceEditor
from portal_app.staff.line_editor import LinesSection, LineState, preview
from services.billing import invoices
from services.core.errors import Invalid
from services.core.formatting import Formats

E = TypeVar("E", bound=Element)
CLIENT = str(uuid.UUID(int=1))


def a_view(**changes: Any) -> EditorView:
    """A new draft for one client, with one line: 2 × 100.00 USD at 20 % tax, 10 % off the invoice; en_US dates."""
    view = EditorView(
        invoice_id=None,
        client_options={CLIENT: "Acme"},
        client_id=CLIENT,
        project_options={"": "No project"},
        project_id="",
        currency="USD",
        issue_date="03/10/2026",
        due_date="04/09/2026",
        discount_percent="10",
        notes="",
        terms="",
        payment_terms_days=30,
        lines=(LineState("Design", "2", "100.00", "20"),),
    )
    return replace(view, **changes)


async def no_clients(search: str) -> dict[str, str]:
    return {}


async def no_projects(client_id: str) -> dict[str, str]:
    return {"": "No project"}


class FakeSubmit:
    """Records what Save sends, and answers with `refusal` or a saved draft."""

    def __init__(self, refusal: Invalid | None = None) -> None:
        self.sent: list[invoices.InvoiceInput] = []
        self.refusal = refusal

    async def __call__(self, data: invoices.InvoiceInput) -> Any:
        self.sent.append(data)
        if self.refusal is not None:
            raise self.refusal
        return SimpleNamespace(id=uuid.UUID(int=42), number="INV-0042")


async def show(user: User, build: Callable[[], object]) -> None:
    """Open a throwaway page with what `build` draws on it."""

    @ui.page("/test-section")
    def page() -> None:
        build()

    await user.open("/test-section")


def marked(user: User, marker: str) -> Any:
    return next(iter(user.find(marker=marker).elements))


def shown(user: User, *markers: str) -> list[str]:
    """What the marked inputs hold, or the marked labels say, in the order asked."""
    elements = [marked(user, m) for m in markers]
    return [e.value if isinstance(e, ui.input) else e.text for e in elements]


def labelled(user: User, kind: type[E], label: str) -> E:
    return next(e for e in user.find(kind).elements if e.props.get("label") == label)


# --- the lines ------------------------------------------------------------------------------------------------------


async def test_the_lines_section_draws_each_line_in_marked_inputs(user: User) -> None:
    section = LinesSection([LineState("Design", "2", "100.00", "20"), LineState()], changed=lambda: None)
    await show(user, section.draw)
    await user.should_see("Lines")
    markers = ("line-0-description", "line-0-unit_price", "line-1-quantity", "line-1-amount")
    assert shown(user, *markers) == ["Design", "100.00", "1", "—"]


async def test_adding_and_removing_lines_redraws_the_rows_and_says_so(user: User) -> None:
    changes: list[int] = []
    section = LinesSection([LineState("Design"), LineState("Hosting")], changed=lambda: changes.append(1))
    await show(user, section.draw)
    user.find(kind=ui.button, content="Add line").click()
    await user.should_see(marker="line-2-description")
    remove_first = next(b for b in user.find(ui.button).elements if b.props.get("aria-label") == "Remove line 1")
    UserInteraction(user, {remove_first}, None).click()
    await user.should_not_see(marker="line-2-description")
    assert [line.description for line in section.lines] == ["Hosting", ""]
    assert marked(user, "line-0-description").value == "Hosting"
    assert len(changes) == 2


async def test_typing_in_a_line_keeps_what_was_typed_and_says_so(user: User) -> None:
    changes: list[int] = []
    section = LinesSection([LineState()], changed=lambda: changes.append(1))
    await show(user, section.draw)
    await user.should_see(marker="line-0-unit_price")
    marked(user, "line-0-unit_price").value = "12.50"
    assert section.lines[0].unit_price == "12.50"
    assert changes == [1]


# --- the totals preview ---------------------------------------------------------------------------------------------


async def test_the_editor_previews_each_amount_and_the_totals_as_it_is_drawn(user: User) -> None:
    editor = InvoiceEditor(a_view(), project_options=no_projects, client_search=no_clients, submit=FakeSubmit())
    await show(user, editor.draw)
    await user.should_see("Save draft")
    markers = ("line-0-amount", "totals-subtotal", "totals-discount", "totals-tax", "totals-total")
    assert shown(user, *markers) == ["$200.00", "$200.00", "-$20.00", "$36.00", "$216.00"]


async def test_a_changed_discount_is_worked_into_the_totals_at_once(user: User) -> None:
    editor = InvoiceEditor(a_view(), project_options=no_projects, client_search=no_clients, submit=FakeSubmit())
    await show(user, editor.draw)
    await user.should_see("Save draft")
    labelled(user, ui.input, "Discount %").value = "0"
    assert shown(user, "totals-total") == ["$240.00"]
    labelled(user, ui.input, "Discount %").value = "101"
    assert shown(user, "totals-total", "line-0-amount") == ["—", "—"]


def test_an_incomplete_line_counts_nothing_in_the_preview() -> None:
    lines = [LineState("Design", "1", "50", "0"), LineState("Half typed", "0", "10", "0")]
    shown = preview("usd", "0", lines, Formats())
    assert shown.lines == ["$50.00", "—"]
    assert shown.totals["total"] == "$50.00"


def test_the_preview_writes_money_the_organizations_way() -> None:
    shown = preview("EUR", "0", [LineState("Design", "1", "9145", "0")], Formats("de_DE"))
    assert shown.totals["total"] == "9.145,00\xa0€"


def test_an_unknown_currency_leaves_every_amount_unknown() -> None:
    shown = preview("XYZ", "0", [LineState("Design", "1", "50", "0")], Formats())
    assert shown.lines == ["—"]
    assert set(shown.totals.values()) == {"—"}


# --- the header fields ----------------------------------------------------------------------------------------------


async def test_a_new_drafts_due_date_follows_the_issue_date_until_someone_sets_it(user: User) -> None:
    header = HeaderFields(a_view(), no_projects, no_clients)
    await show(user, header.draw_top)
    await user.should_see("Due date")
    header.issue.value = "05/10/2026"
    assert header.due.value == "06/09/2026"
    header.due.value = "07/01/2026"
    header.issue.value = "05/20/2026"
    assert header.due.value == "07/01/2026"


async def test_the_due_date_follows_in_the_organizations_own_pattern(user: User) -> None:
    view = a_view(issue_date="10.03.2026", due_date="09.04.2026", formats=Formats("de_DE"))
    header = HeaderFields(view, no_projects, no_clients)
    await show(user, header.draw_top)
    await user.should_see("Due date")
    assert header.issue.props["mask"] == "##.##.####"
    header.issue.value = "10.05.2026"
    assert header.due.value == "09.06.2026"


async def test_an_existing_drafts_due_date_stays_where_it_was(user: User) -> None:
    header = HeaderFields(a_view(invoice_id=uuid.UUID(int=7)), no_projects, no_clients)
    await show(user, header.draw_top)
    await user.should_see("Due date")
    header.issue.value = "05/10/2026"
    assert header.due.value == "04/09/2026"


# --- saving ---------------------------------------------------------------------------------------------------------


async def test_saving_without_a_client_marks_the_client_and_sends_nothing(user: User) -> None:
    submit = FakeSubmit()
    await show(
        user,
        InvoiceEditor(a_view(client_id=""), project_options=no_projects, client_search=no_clients, submit=submit).draw,
    )
    user.find(kind=ui.button, content="Save draft").click()
    await user.should_see("Choose a client.")
    assert labelled(user, ui.select, "Client").props.get("error-message") == "Choose a client."
    assert submit.sent == []


async def test_a_date_not_in_the_locales_pattern_is_refused_on_its_input(user: User) -> None:
    submit = FakeSubmit()
    await show(user, InvoiceEditor(a_view(), project_options=no_projects, client_search=no_clients, submit=submit).draw)
    await user.should_see("Save draft")
    labelled(user, ui.input, "Due date").value = "9 April"
    user.find(kind=ui.button, content="Save draft").click()
    await user.should_see("Due date must be a date like 12/31/2026.")
    assert labelled(user, ui.input, "Due date").props.get("error") is True
    assert submit.sent == []


async def test_a_refusal_about_one_line_lands_on_that_lines_input(user: User) -> None:
    submit = FakeSubmit(Invalid("Quantity must be more than zero.", "lines.0.quantity"))
    await show(user, InvoiceEditor(a_view(), project_options=no_projects, client_search=no_clients, submit=submit).draw)
    user.find(kind=ui.button, content="Save draft").click()
    await user.should_see("Quantity must be more than zero.")
    assert marked(user, "line-0-quantity").props.get("error-message") == "Quantity must be more than zero."
    assert next(iter(user.find(kind=ui.button, content="Save draft").elements)).enabled


async def test_a_refusal_about_the_lines_as_a_whole_shows_above_them(user: User) -> None:
    submit = FakeSubmit(Invalid("An invoice needs at least one line.", "lines"))
    view = a_view(lines=(LineState(), LineState("Design", "1", "10", "0")))
    await show(user, InvoiceEditor(view, project_options=no_projects, client_search=no_clients, submit=submit).draw)
    user.find(kind=ui.button, content="Save draft").click()
    await user.should_see("An invoice needs at least one line.")
    assert [line.description for line in submit.sent[0].lines] == ["Design"]  # the untouched blank line is left out


async def test_a_saved_draft_is_announced_with_its_number(user: User) -> None:
    submit = FakeSubmit()
    await show(user, InvoiceEditor(a_view(), project_options=no_projects, client_search=no_clients, submit=submit).draw)
    user.find(kind=ui.button, content="Save draft").click()
    await user.should_see("Saved INV-0042")
    data = submit.sent[0]
    assert (data.client_id, data.currency, data.discount_percent) == (CLIENT, "USD", "10")
    assert (data.issue_date, data.due_date) == (date(2026, 3, 10), date(2026, 4, 9))


# --- the shared helpers ---------------------------------------------------------------------------------------------


def test_a_column_shows_its_own_field_on_the_left_by_default() -> None:
    assert column("number", "Number") == {"name": "number", "label": "Number", "field": "number", "align": "left"}


def test_a_column_can_align_right_read_another_field_and_sort() -> None:
    spec = column("total", "Total", align="right", field="total_text", sortable=True)
    assert spec == {"name": "total", "label": "Total", "field": "total_text", "align": "right", "sortable": True}


@pytest.mark.parametrize(
    ("mask", "typing"), [("MM/DD/YYYY", "##/##/####"), ("DD.MM.YYYY", "##.##.####"), ("YYYY/MM/DD", "####/##/##")]
)
def test_a_date_input_lets_only_digits_be_typed_where_the_mask_has_letters(mask: str, typing: str) -> None:
    assert typing_mask(mask) == typing


@pytest.mark.parametrize(("value", "filled"), [(None, True), ("", True), ("10.03.2", False), ("10.03.2026", True)])
def test_a_date_filter_acts_on_empty_or_whole_dates_only(value: str | None, filled: bool) -> None:
    assert date_filled(value, "DD.MM.YYYY") is filled


async def test_a_date_input_shares_its_value_with_its_calendar(user: User) -> None:
    await show(user, lambda: date_input("Paid on", "10.03.2026", mask="DD.MM.YYYY").mark("paid-on"))
    field = marked(user, "paid-on")
    calendar = next(iter(user.find(ui.date).elements))
    assert (calendar.props["mask"], calendar.value) == ("DD.MM.YYYY", "10.03.2026")
    calendar.value = "24.12.2026"  # a day picked in the calendar lands in the field
    assert field.value == "24.12.2026"
