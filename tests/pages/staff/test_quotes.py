"""The staff quote screens: the editor with its live totals and deposit, the list and its filters, sending,
converting, duplicating, deleting, the acceptance record arriving while staff watch, the PDF, and the prefix."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypeVar

import pytest
from nicegui import ElementFilter, ui
from nicegui.element import Element
from nicegui.testing.user import User

from models.organizations import Role
from portal_app.staff.quote_list import STATUS_FILTERS
from services.billing import invoices
from services.billing.line_items import LineInput
from services.catalog import catalog
from services.clients import clients
from services.core.errors import NotFound
from services.mail import outbox
from services.organizations import organizations
from services.quotes import acceptance, quote_views, quotes
from services.quotes.acceptance import Signature
from services.quotes.quote_views import QuoteDetail
from tests.support.clock import T0
from tests.support.factories import OrgWorld, add_member, make_world
from tests.support.pages import eventually, sees_within, signed_in, table_rows, the_table

E = TypeVar("E", bound=Element)
TODAY = T0.date()  # 2026-03-10, under the `at` fixture
LINES = [LineInput("Design", "10", "100.00", "20"), LineInput("Hosting", "1", "240.00", "0")]


def element(user: User, marker: str) -> Element:
    return next(iter(user.find(marker=marker).elements))


def hidden_or_shown(user: User, marker: str) -> Element:
    """The element marked `marker`, visible or not (the simulated user finds only visible ones)."""
    assert user.client is not None
    with user.client:
        [found] = list(ElementFilter(marker=marker, local_scope=False))
    return found


def labelled(user: User, kind: type[E], label: str) -> E:
    return next(e for e in user.find(kind).elements if e.props.get("label") == label)


def value_of(user: User, marker: str) -> str:
    found = element(user, marker)
    assert isinstance(found, ui.input | ui.label)
    return str(found.value if isinstance(found, ui.input) else found.text)


def set_value(user: User, marker: str, value: str) -> None:
    found = element(user, marker)
    assert isinstance(found, ui.input)
    found.value = value


def fill_line(user: User, n: int, description: str, quantity: str, price: str, tax: str) -> None:
    for name, value in (("description", description), ("quantity", quantity), ("unit_price", price), ("tax_rate", tax)):
        set_value(user, f"line-{n}-{name}", value)


async def a_draft(world: OrgWorld, **changes: object) -> QuoteDetail:
    values: dict = {"client_id": world.client.id, "lines": LINES, "currency": "USD", **changes}
    return await quotes.create_quote(world.actor, quotes.QuoteInput(**values))


async def a_sent(world: OrgWorld, **changes: object) -> QuoteDetail:
    return await quotes.send_quote(world.actor, (await a_draft(world, **changes)).id)


def signed(detail: QuoteDetail, name: str = "Jane Doe") -> Signature:
    return Signature(full_name=name, agreed=True, shown_sha256=detail.sha256, user_agent="Firefox/140")


async def lists(user: User, *numbers: str) -> None:
    """The list comes to show just these quotes (a filter's change reloads it after the change)."""
    await eventually(lambda: {r["number"] for r in the_table(user).rows} == set(numbers))
    assert the_table(user).pagination["rowsNumber"] == len(numbers)


async def quote_count(world: OrgWorld) -> int:
    return (await quotes.list_quotes(world.actor)).total


async def test_a_quote_is_drafted_from_the_client_page_with_its_deposit_previewed(user: User, at) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    await sees_within(user, "client-quotes", "No quotes yet.")
    user.find(kind=ui.button, content="New quote").click()
    await user.should_see(marker="save-draft", retries=50)
    assert labelled(user, ui.select, "Client").value == str(world.client.id)
    assert labelled(user, ui.select, "Currency").value == "USD"
    valid_until = labelled(user, ui.input, "Valid until")
    assert valid_until.value == (TODAY + timedelta(days=30)).strftime("%m/%d/%Y")  # the organization's validity
    labelled(user, ui.input, "Issue date").value = "03/20/2026"
    assert valid_until.value == "04/19/2026"  # follows the issue date until someone sets it
    labelled(user, ui.input, "Title").value = "Website redesign"

    fill_line(user, 0, "Design", "10", "100", "20")
    user.find(kind=ui.button, content="Add line").click()
    await user.should_see(marker="line-1-quantity")
    fill_line(user, 1, "Hosting", "1", "240", "0")
    await eventually(lambda: value_of(user, "totals-total") == "$1,440.00")
    assert not hidden_or_shown(user, "totals-deposit").visible  # no deposit: acceptance bills the whole amount
    labelled(user, ui.input, "Deposit %").value = "30"
    # 30 % of each rate's net, taxed at that rate: 300 + 60 tax, and 72 untaxed
    await eventually(lambda: value_of(user, "totals-deposit") == "$432.00")
    assert element(user, "totals-deposit").visible
    labelled(user, ui.input, "Discount %").value = "10"
    await eventually(lambda: value_of(user, "totals-deposit") == "$388.80")

    user.find(marker="start-project").click()  # a switch: a click turns it on
    await user.should_see(marker="project-template")
    user.find(marker="save-draft").click()
    await user.should_see(marker="quote-status", retries=50)
    await user.should_see("Q-0001")
    [row] = (await quotes.list_quotes(world.actor)).items
    saved = await quotes.get_quote(world.actor, row.id)
    assert (saved.status, saved.title, saved.issue_date, saved.valid_until) == (
        "draft",
        "Website redesign",
        date(2026, 3, 20),
        date(2026, 4, 19),
    )
    assert (saved.deposit_percent, saved.deposit_minor, saved.start_project, len(saved.lines)) == (30, 38880, True, 2)
    assert value_of(user, "on-acceptance").endswith("; a blank project starts.")
    await user.should_see("Deposit on acceptance (30%)")
    await user.should_see(marker="no-public-link")


async def test_bad_input_is_shown_on_its_input_and_nothing_is_saved(user: User, at) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/quotes/new?client={world.client.id}")
    await user.should_see(marker="save-draft", retries=50)
    save = user.find(marker="save-draft")

    save.click()  # the only line is blank
    await user.should_see("A quote needs at least one line.", retries=50)
    assert await quote_count(world) == 0

    fill_line(user, 0, "Design", "lots", "100", "0")
    deposit = labelled(user, ui.input, "Deposit %")
    deposit.value = "150"
    valid_until = labelled(user, ui.input, "Valid until")
    valid_until.value = "03/01/2026"  # before the issue date
    save.click()  # every problem at once, each on its input
    quantity = element(user, "line-0-quantity")
    await eventually(lambda: quantity.props.get("error-message"))
    assert quantity.props["error-message"] == "Line 1 quantity must be a number like 12.50."
    assert deposit.props["error-message"] == "The deposit must be a percentage from 0 to 100, with at most 2 decimals."
    assert valid_until.props["error-message"] == "The quote cannot be valid until a day before its issue date."
    assert await quote_count(world) == 0

    set_value(user, "line-0-quantity", "2")
    deposit.value = "25"
    valid_until.value = "05/31/2026"
    save.click()
    await user.should_see(marker="quote-status", retries=50)
    [row] = (await quotes.list_quotes(world.actor)).items
    assert (row.number, row.total_minor, row.valid_until) == ("Q-0001", 20000, date(2026, 5, 31))


async def test_the_list_filters_by_status_client_and_search_and_marks_expired_quotes(user: User, at) -> None:
    world = await make_world("acme")
    other = await clients.create_client(
        world.actor, clients.ClientInput(name="Globex", email="billing@globex-client.test")
    )
    draft = await a_draft(world, title="Logo")
    soon = await a_sent(world, title="Hosting plan", valid_until=TODAY + timedelta(days=5))
    open_one = await a_sent(world, client_id=other.id, title="Intranet")
    accepted = await a_sent(world, title="Shop")
    await acceptance.accept_in_portal(world.portal_actor(), accepted.id, signed(accepted))
    at(timedelta(days=10))  # the hosting plan's validity has passed

    await signed_in(user, world.owner_email)
    await user.open("/quotes")
    rows = await table_rows(user, 4)
    by_number = {r["number"]: r for r in rows}
    assert {n: r["status"] for n, r in by_number.items()} == {
        draft.number: "Draft",
        soon.number: "Expired",
        open_one.number: "Sent",
        accepted.number: "Accepted",
    }
    assert by_number[open_one.number]["client"] == "Globex"
    assert by_number[soon.number]["valid_until"] == "Mar 15, 2026"
    assert by_number[draft.number]["total"] == "$1,440.00"

    status = labelled(user, ui.select, "Status")
    assert list(status.options) == ["", "draft", "open", "accepted", "declined", "expired"]
    status.value = "expired"
    await lists(user, soon.number)
    status.value = "open"
    await lists(user, open_one.number)
    status.value = "declined"
    await lists(user)
    status.value = ""
    labelled(user, ui.select, "Client").value = str(world.client.id)
    await lists(user, draft.number, soon.number, accepted.number)
    labelled(user, ui.input, "Search").value = "shop"
    await lists(user, accepted.number)


async def test_the_list_shows_a_new_quote_without_a_reload(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/quotes")
    await user.should_see(marker="new-quote", retries=50)
    await eventually(lambda: the_table(user).pagination.get("rowsNumber") == 0)
    made = await a_draft(world, title="Made elsewhere")
    rows = await table_rows(user, 1)
    assert rows[0]["number"] == made.number


async def test_sending_lists_the_recipients_first_and_the_quote_becomes_sent(user: User) -> None:
    world = await make_world("acme")
    quote = await a_draft(world)
    await signed_in(user, world.owner_email)
    await user.open(f"/quotes/{quote.id}")
    await user.should_see(kind=ui.badge, content="Draft", retries=50)
    user.find(marker="action-send").click()
    await user.should_see(f"Send {quote.number}", retries=50)
    await user.should_see("billing@client-acme.test")  # the recipients, before any mail leaves
    assert (await quotes.get_quote(world.actor, quote.id)).status == "draft"
    user.find(marker="confirm-send").click()
    await user.should_see(f"Sent {quote.number}", retries=50)
    await user.should_see(kind=ui.badge, content="Sent")
    assert (await quotes.get_quote(world.actor, quote.id)).status == "sent"
    await user.should_see("Public link")
    assert value_of(user, "quote-views") == "The client has not opened it yet."
    await user.should_see(marker="action-convert")
    await user.should_not_see(marker="action-edit")
    assert await outbox.send_due() == 1


async def test_save_and_send_saves_the_draft_then_asks_to_confirm_the_recipients(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/quotes/new?client={world.client.id}")
    await user.should_see(marker="save-and-send", retries=50)
    fill_line(user, 0, "Design", "1", "100", "0")
    user.find(marker="save-and-send").click()
    await user.should_see(marker="confirm-send", retries=50)
    await user.should_see("billing@client-acme.test")
    [row] = (await quotes.list_quotes(world.actor)).items
    assert row.status == "draft"
    user.find(marker="confirm-send").click()

    async def sent() -> bool:
        return (await quotes.get_quote(world.actor, row.id)).status == "sent"

    await eventually(sent)


async def test_converting_a_sent_quote_makes_the_invoice_after_confirming(user: User) -> None:
    world = await make_world("acme")
    quote = await a_sent(world, deposit_percent="30")
    await signed_in(user, world.owner_email)
    await user.open(f"/quotes/{quote.id}")
    user.find(marker="action-convert").click()
    await user.should_see(f"Convert {quote.number} to an invoice?", retries=50)
    user.find(marker="cancel").click()
    await user.should_not_see(f"Convert {quote.number} to an invoice?", retries=50)
    assert (await quotes.get_quote(world.actor, quote.id)).status == "sent"

    user.find(marker="action-convert").click()
    await user.should_see(marker="confirm", retries=50)
    user.find(marker="confirm").click()
    await user.should_see(kind=ui.badge, content="Accepted", retries=50)
    await user.should_see(marker="converted-note")
    done = await quotes.get_quote(world.actor, quote.id)
    assert done.converted and done.invoice_id is not None
    invoice = await invoices.get_invoice(world.actor, done.invoice_id)
    assert (invoice.status, invoice.total_minor) == ("draft", 43200)
    link = element(user, "quote-invoice-link")
    assert isinstance(link, ui.link) and link.props["href"] == f"/invoices/{invoice.id}"
    await user.should_not_see(marker="action-convert")
    await user.should_not_see(marker="action-send")


async def test_duplicate_opens_the_new_draft_in_the_editor(user: User) -> None:
    world = await make_world("acme")
    quote = await a_sent(world, title="Website", deposit_percent="20")
    await signed_in(user, world.owner_email)
    await user.open(f"/quotes/{quote.id}")
    user.find(marker="action-duplicate").click()
    await user.should_see("Edit Q-0002", retries=50)
    assert value_of(user, "line-1-unit_price") == "240.00"
    assert labelled(user, ui.input, "Deposit %").value == "20"
    copy, original = (await quotes.list_quotes(world.actor)).items
    assert (copy.number, copy.status, copy.title) == ("Q-0002", "draft", "Website")
    assert original.status == "sent"


async def test_a_draft_is_deleted_after_confirming_and_a_sent_one_cannot_be(user: User) -> None:
    world = await make_world("acme")
    sent = await a_sent(world)
    quote = await a_draft(world)
    await signed_in(user, world.owner_email)
    await user.open(f"/quotes/{sent.id}")
    await user.should_see(marker="action-duplicate", retries=50)
    await user.should_not_see(marker="action-delete")
    await user.open(f"/quotes/{quote.id}")
    user.find(marker="action-delete").click()
    await user.should_see(f"Delete the draft {quote.number}?", retries=50)
    user.find(marker="confirm").click()
    await user.should_see(f"Deleted the draft {quote.number}", retries=50)
    await user.should_see(marker="new-quote", retries=50)  # back on the list
    with pytest.raises(NotFound):
        await quotes.get_quote(world.actor, quote.id)


async def test_an_acceptance_shows_its_record_on_the_open_page(user: User) -> None:
    world = await make_world("acme")
    quote = await a_sent(world, title="Website")
    await signed_in(user, world.owner_email)
    await user.open(f"/quotes/{quote.id}")
    await user.should_see(kind=ui.badge, content="Sent", retries=50)
    await user.should_not_see(marker="acceptance-record")

    shown = await acceptance.open_portal_quote(world.portal_actor(), quote.id, ip="203.0.113.9", user_agent="Safari")
    done = await acceptance.accept_in_portal(world.portal_actor(), quote.id, signed(shown, "Jane Q. Doe"))

    await user.should_see(marker="acceptance-record", retries=100)  # the open page redraws by itself
    for text in ("Jane Q. Doe", world.contact.email, "Firefox/140", done.sha256):
        await sees_within(user, "acceptance-record", text)
    await user.should_see(kind=ui.badge, content="Accepted")
    assert value_of(user, "quote-views").startswith("Opened once, last ")  # the redraw counts the views anew
    assert done.invoice_id is not None
    link = element(user, "quote-invoice-link")
    assert isinstance(link, ui.link) and link.props["href"] == f"/invoices/{done.invoice_id}"
    await user.should_not_see(marker="action-convert")
    await user.should_not_see(marker="action-send")


async def test_a_declined_quote_shows_the_reason_and_who(user: User) -> None:
    world = await make_world("acme")
    quote = await a_sent(world)
    await acceptance.decline_in_portal(world.portal_actor(), quote.id, "Over our budget this year.")
    await signed_in(user, world.owner_email)
    await user.open(f"/quotes/{quote.id}")
    await user.should_see(marker="decline-record", retries=50)
    await sees_within(user, "decline-record", f"Declined by {world.contact.email}")
    await sees_within(user, "decline-record", "Over our budget this year.")
    await user.should_see(kind=ui.badge, content="Declined")
    await user.should_see(marker="action-duplicate")
    await user.should_not_see(marker="action-convert")


async def test_a_sent_quote_cannot_be_edited(user: User) -> None:
    world = await make_world("acme")
    quote = await a_sent(world)
    await signed_in(user, world.owner_email)
    await user.open(f"/quotes/{quote.id}/edit")
    await user.should_see(marker="not-editable", retries=50)
    await user.should_see("only drafts can be edited")
    await user.should_not_see(marker="save-draft")


async def test_another_organizations_quote_is_not_found(user: User) -> None:
    theirs = await make_world("acme")
    quote = await a_draft(theirs, title="Secret plan")
    mine = await make_world("globex")
    await signed_in(user, mine.owner_email)
    for path in (f"/quotes/{quote.id}", f"/quotes/{quote.id}/edit", "/quotes/not-a-uuid"):
        response = await user.http_client.get(path)
        assert response.status_code == 404, path
        assert "This quote does not exist." in response.text
        assert quote.number not in response.text and "Secret plan" not in response.text
    response = await user.http_client.get(f"/quotes/new?client={theirs.client.id}")
    assert response.status_code == 200 and theirs.client.name not in response.text
    own = await a_draft(mine)
    await user.open("/quotes")
    rows = await table_rows(user, 1)
    assert [r["id"] for r in rows] == [str(own.id)]


async def test_staff_download_the_pdf_and_only_their_own(user: User) -> None:
    world = await make_world("acme")
    theirs = await make_world("globex")
    quote = await a_draft(world)
    foreign = await a_draft(theirs)
    assert (await user.http_client.get(f"/quotes/{quote.id}/pdf")).status_code == 303  # not signed in
    await signed_in(user, world.owner_email)
    response = await user.http_client.get(f"/quotes/{quote.id}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="Q-0001.pdf"' in response.headers["content-disposition"]
    assert (await user.http_client.get(f"/quotes/{foreign.id}/pdf")).status_code == 404
    assert (await quotes.view_summary(world.actor, quote.id)).count == 0  # staff reading it is not the client's view


async def test_the_template_choices_are_the_services_with_milestones(user: User) -> None:
    world = await make_world("acme")
    build = await catalog.create_service(
        world.actor,
        catalog.ServiceInput(
            name="Website build",
            price="1000",
            currency="USD",
            interval="one_time",
            milestones=(catalog.TemplateMilestone("Kick-off", 0), catalog.TemplateMilestone("Launch", 30)),
        ),
    )
    await catalog.create_service(
        world.actor, catalog.ServiceInput(name="Hourly support", price="90", currency="USD", interval="one_time")
    )
    await signed_in(user, world.owner_email)
    await user.open(f"/quotes/new?client={world.client.id}")
    await user.should_see(marker="save-draft", retries=50)
    template = hidden_or_shown(user, "project-template")
    assert isinstance(template, ui.select)
    assert template.options == {"": "Blank project", str(build.id): "Website build"}
    assert element(user, "start-project").visible and not template.visible  # off: no template to choose
    user.find(marker="start-project").click()
    await eventually(lambda: template.visible)
    template.value = str(build.id)
    labelled(user, ui.select, "Project").value = str(world.project.id)  # the work is for an existing project
    await eventually(lambda: not hidden_or_shown(user, "start-project").visible)
    labelled(user, ui.select, "Project").value = ""
    fill_line(user, 0, "Build", "1", "1000", "0")
    user.find(marker="save-draft").click()
    await user.should_see(marker="quote-status", retries=50)
    [row] = (await quotes.list_quotes(world.actor)).items
    saved = await quotes.get_quote(world.actor, row.id)
    assert (saved.start_project, saved.project_template_id) == (True, build.id)
    assert value_of(user, "on-acceptance").endswith("; a project starts from the “Website build” template.")


async def test_the_quote_prefix_and_validity_are_set_in_settings_by_an_admin(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/settings")
    await user.should_see("Invoicing", retries=50)
    prefix = labelled(user, ui.input, "Quote number prefix")
    validity = labelled(user, ui.input, "Quotes valid for (days)")
    assert (prefix.value, validity.value) == ("Q-", "30")
    prefix.value = "EST 2026"  # a space
    user.find(kind=ui.button, content="Save invoicing settings").click()
    await eventually(lambda: prefix.props.get("error-message"))
    assert "letters, digits" in prefix.props["error-message"]
    assert (await organizations.get_invoice_settings(world.actor)).quote_prefix == "Q-"
    prefix.value = "EST-"
    validity.value = "400"
    user.find(kind=ui.button, content="Save invoicing settings").click()
    await eventually(lambda: validity.props.get("error-message"))
    assert validity.props["error-message"] == "A quote is valid from 1 to 365 days."
    validity.value = "14"
    user.find(kind=ui.button, content="Save invoicing settings").click()
    await user.should_see("Invoicing settings saved", retries=50)
    saved = await organizations.get_invoice_settings(world.actor)
    assert (saved.quote_prefix, saved.quote_validity_days) == ("EST-", 14)
    made = await a_draft(world)
    assert made.number == "EST-0001"
    assert made.valid_until == made.issue_date + timedelta(days=14)


async def test_a_member_sees_the_quote_settings_but_cannot_change_them(user: User) -> None:
    world = await make_world("acme")
    await add_member(world.actor.org_id, "amy@acme.test", Role.member)
    await signed_in(user, "amy@acme.test")
    await user.open("/settings")
    await user.should_see("Invoicing", retries=50)
    for label in ("Quote number prefix", "Quotes valid for (days)"):
        field = labelled(user, ui.input, label)
        assert not field.enabled, label  # only owners and admins change them


async def test_quotes_are_in_the_staff_navigation(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/quotes")
    await user.should_see(marker="new-quote", retries=50)
    link = next(e for e in user.find(ui.link).elements if e.props.get("href") == "/quotes")
    assert "bg-indigo-100" in link.classes  # lit: the page being shown
    await eventually(lambda: the_table(user).pagination.get("rowsNumber") == 0)
    assert the_table(user).props["no-data-label"].startswith("No quotes here. Draft one with New quote")


async def test_a_member_works_on_quotes_like_an_admin(user: User) -> None:
    world = await make_world("acme")
    quote = await a_sent(world)
    await add_member(world.actor.org_id, "amy@acme.test", Role.member)
    await signed_in(user, "amy@acme.test")
    await user.open(f"/quotes/{quote.id}")
    user.find(marker="action-convert").click()
    await user.should_see(marker="confirm", retries=50)
    user.find(marker="confirm").click()
    await user.should_see(kind=ui.badge, content="Accepted", retries=50)
    assert (await quotes.get_quote(world.actor, quote.id)).converted


def test_the_status_filters_are_the_services_statuses() -> None:
    assert set(STATUS_FILTERS) - {"", "open"} == set(quote_views.DISPLAY_STATUSES) - {"sent"}
