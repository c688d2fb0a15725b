"""The staff invoice screens: editor with live totals, list filters, send, payments, void, duplicate."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

import httpx
from nicegui import ui
from nicegui.element import Element
from nicegui.testing.user import User

from models.invoices import InvoiceView
from services.billing import invoice_listing, invoice_math, invoices, manual_payments
from services.clients import clients, contacts
from services.core import audit
from services.core.db import Database
from services.core.formatting import amount
from services.mail import outbox
from tests.support.clock import T0
from tests.support.db import count
from tests.support.factories import make_world
from tests.support.invoicing import draft, mark_sent
from tests.support.locales import speak
from tests.support.mail import plain_text
from tests.support.pages import eventually, signed_in, table_rows, the_table
from tests.support.smtp import SmtpServer

E = TypeVar("E", bound=Element)
TODAY = T0.date()  # 2026-03-10, under the `at` fixture


def element(user: User, marker: str):
    return next(iter(user.find(marker=marker).elements))


def labelled(user: User, kind: type[E], label: str) -> E:
    return next(e for e in user.find(kind).elements if e.props.get("label") == label)


def fill_line(user: User, n: int, description: str, quantity: str, price: str, tax: str) -> None:
    for name, value in (("description", description), ("quantity", quantity), ("unit_price", price), ("tax_rate", tax)):
        element(user, f"line-{n}-{name}").value = value


async def invoice_count(world) -> int:
    return (await invoice_listing.list_invoices(world.actor)).total


async def test_the_editor_creates_an_invoice_with_live_totals(user: User, at) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    await user.should_see("No invoices yet.")
    user.find(kind=ui.button, content="New invoice").click()
    await user.should_see("Save draft", retries=50)
    assert labelled(user, ui.select, "Client").value == str(world.client.id)
    assert labelled(user, ui.select, "Currency").value == "USD"
    [headers] = user.find(marker="line-headers").elements
    labels = [e.text for e in headers.descendants() if isinstance(e, ui.label)]
    assert labels[:5] == ["Description", "Quantity", "Unit price", "Tax %", "Amount"]
    assert labelled(user, ui.input, "Due date").value == (TODAY + timedelta(days=30)).strftime("%m/%d/%Y")
    labelled(user, ui.select, "Project").value = str(world.project.id)
    fill_line(user, 0, "Design", "2", "1200.50", "20")
    user.find(kind=ui.button, content="Add line").click()
    await user.should_see(marker="line-1-quantity")
    fill_line(user, 1, "Hosting", "1.5", "99.99", "0")
    labelled(user, ui.input, "Discount %").value = "10"

    expected = invoice_math.totals([(Decimal(2), 120050, Decimal(20)), (Decimal("1.5"), 9999, Decimal(0))], Decimal(10))
    assert expected.total_minor == 272807  # 2401.00 + 149.99 (rounded), less 10 %, plus 20 % tax on the first line
    await eventually(lambda: element(user, "totals-total").text == amount(expected.total_minor, "USD"))
    assert element(user, "totals-subtotal").text == amount(expected.subtotal_minor, "USD")
    assert element(user, "totals-discount").text == amount(-expected.discount_minor, "USD")
    assert element(user, "totals-tax").text == amount(expected.tax_minor, "USD")
    assert element(user, "line-0-amount").text == "$2,401.00"
    element(user, "line-1-quantity").value = "3"  # each change is recomputed
    await eventually(lambda: element(user, "line-1-amount").text == "$299.97")

    user.find(kind=ui.button, content="Save draft").click()
    await user.should_see(marker="invoice-status", retries=50)
    await user.should_see("INV-0001")
    [row] = (await invoice_listing.list_invoices(world.actor)).items
    saved = await invoices.get_invoice(world.actor, row.id)
    assert (saved.status, saved.project_id, len(saved.lines)) == ("draft", world.project.id, 2)
    assert saved.lines[1].quantity == Decimal(3)
    recomputed = invoice_math.totals([(Decimal(2), 120050, Decimal(20)), (Decimal(3), 9999, Decimal(0))], Decimal(10))
    assert saved.total_minor == recomputed.total_minor
    await user.should_see(amount(recomputed.total_minor, "USD"))


async def test_the_editor_shows_each_error_on_its_field_and_saves_nothing(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/invoices/new?client={world.client.id}")
    await user.should_see("Save draft", retries=50)
    save = user.find(kind=ui.button, content="Save draft")

    save.click()  # the only line is blank
    await user.should_see("An invoice needs at least one line.", retries=50)
    assert await invoice_count(world) == 0

    fill_line(user, 0, "Design", "1", "100", "0")
    for n in (1, 2):
        user.find(kind=ui.button, content="Add line").click()
        await user.should_see(marker=f"line-{n}-quantity")
    fill_line(user, 1, "Copy", "2", "50", "0")
    fill_line(user, 2, "Photos", "lots", "10", "0")
    await eventually(lambda: element(user, "totals-total").text == "$200.00")  # the bad line counts nothing
    assert element(user, "line-2-amount").text == "—"
    save.click()
    third = element(user, "line-2-quantity")
    await eventually(lambda: third.props.get("error-message"))
    assert third.props["error-message"] == "Line 3 quantity must be a number like 12.50."
    assert element(user, "line-1-quantity").props.get("error-message") is None
    assert await invoice_count(world) == 0

    currency = labelled(user, ui.select, "Currency")
    currency.value = "EUR"  # picked from the list: no currency outside ISO 4217 can be chosen
    labelled(user, ui.input, "Issue date").value = "05/10/2026"
    due = labelled(user, ui.input, "Due date")
    assert due.value == "06/09/2026"  # follows the issue date by the payment terms
    due.value = "13/01/2026"
    element(user, "line-0-description").value = ""
    save.click()  # three problems: all of them marked at once
    await eventually(lambda: due.props.get("error-message"))
    assert due.props["error-message"] == "Due date must be a date like 12/31/2026."
    assert third.props["error-message"] == "Line 3 quantity must be a number like 12.50."
    assert element(user, "line-0-description").props["error-message"] == "Line 1 description is required."
    assert await invoice_count(world) == 0

    third.value = "4"
    element(user, "line-0-description").value = "Design"
    due.value = "05/01/2026"
    save.click()
    await eventually(lambda: due.props.get("error-message"))
    assert due.props["error-message"] == "The due date cannot be before the issue date."
    assert await invoice_count(world) == 0

    due.value = "05/31/2026"
    save.click()
    await user.should_see(marker="invoice-status", retries=50)
    [row] = (await invoice_listing.list_invoices(world.actor)).items
    assert (row.number, row.currency, row.total_minor, row.due_date) == ("INV-0001", "EUR", 24000, date(2026, 5, 31))


async def test_save_and_send_saves_the_draft_then_asks_to_confirm_the_recipients(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/invoices/new?client={world.client.id}")
    await user.should_see("Save and send", retries=50)
    fill_line(user, 0, "Design", "1", "100", "0")
    user.find(marker="save-and-send").click()
    await user.should_see(marker="confirm-send", retries=50)
    await user.should_see("billing@client-acme.test")  # the recipients, before any mail leaves
    [row] = (await invoice_listing.list_invoices(world.actor)).items
    assert row.status == "draft"
    user.find(marker="confirm-send").click()

    async def sent() -> bool:
        return (await invoices.get_invoice(world.actor, row.id)).status == "sent"

    await eventually(sent)


async def test_the_list_filters_by_status_client_and_dates_and_pages(user: User, at) -> None:
    world = await make_world("acme")
    other = await clients.create_client(world.actor, clients.ClientInput(name="Globex"))
    overdue = await draft(world.actor, world.client.id, "100.00", issue=date(2026, 2, 1), due=date(2026, 3, 1))
    await mark_sent(overdue.id)
    upcoming = await draft(world.actor, other.id, "200.00", issue=date(2026, 3, 5), due=date(2026, 4, 4))
    await mark_sent(upcoming.id)
    paid = await draft(world.actor, world.client.id, "50.00", issue=date(2026, 1, 15), due=date(2026, 2, 14))
    await mark_sent(paid.id)
    await manual_payments.record_payment(world.actor, paid.id, manual_payments.PaymentInput("50.00"))
    for n in range(25):
        await draft(world.actor, world.client.id, f"{n + 1}.00", issue=date(2025, 12, 1 + n))

    await signed_in(user, world.owner_email)
    await user.open("/invoices")
    rows = await table_rows(user, 25)
    assert the_table(user).pagination["rowsNumber"] == 28
    assert rows[0]["number"] == upcoming.number  # newest issue date first
    user.find(ui.table).trigger("request", {"pagination": {"page": 2, "rowsPerPage": 25}})
    rows = await table_rows(user, 3)
    assert {r["status"] for r in rows} == {"Draft"}

    status = labelled(user, ui.select, "Status")
    status.value = "overdue"
    rows = await table_rows(user, 1)
    assert (rows[0]["number"], rows[0]["status"], rows[0]["amount_due"]) == (overdue.number, "Overdue", "$100.00")
    status.value = "open"
    rows = await table_rows(user, 2)
    assert {r["number"] for r in rows} == {overdue.number, upcoming.number}
    labelled(user, ui.select, "Client").value = str(other.id)
    rows = await table_rows(user, 1)
    assert (rows[0]["number"], rows[0]["client"], rows[0]["status"]) == (upcoming.number, "Globex", "Sent")
    status.value = "paid"
    await eventually(lambda: the_table(user).pagination["rowsNumber"] == 0)
    labelled(user, ui.select, "Client").value = ""
    rows = await table_rows(user, 1)
    assert (rows[0]["number"], rows[0]["amount_due"]) == (paid.number, "$0.00")

    status.value = ""
    labelled(user, ui.input, "Issued from").value = "12/10/2025"
    labelled(user, ui.input, "Issued to").value = "12/1"  # still being typed: the list waits for the whole date
    labelled(user, ui.input, "Issued to").value = "12/12/2025"
    rows = await table_rows(user, 3)
    assert [r["issue"] for r in rows] == ["Dec 12, 2025", "Dec 11, 2025", "Dec 10, 2025"]
    labelled(user, ui.input, "Issued from").value = "12/20/2025"  # after its end
    to = labelled(user, ui.input, "Issued to")
    await eventually(lambda: to.props.get("error-message"))
    assert to.props["error-message"] == "The end of the date range is before its start."


async def test_a_german_agency_reads_its_invoices_and_records_payments_the_german_way(user: User, at) -> None:
    world = await make_world("acme")
    await speak(world, "de_DE", "Europe/Berlin")
    invoice = await draft(
        world.actor, world.client.id, "9145.00", currency="EUR", issue=date(2026, 3, 1), due=date(2026, 3, 31)
    )
    await mark_sent(invoice.id)  # at T0, 09:00 UTC: 10:00 in Berlin
    await signed_in(user, world.owner_email)
    await user.open("/invoices")
    [row] = await table_rows(user, 1)
    assert (row["issue"], row["due"], row["total"]) == ("01.03.2026", "31.03.2026", "9.145,00\xa0€")

    await user.open(f"/invoices/{invoice.id}")
    for text in ("01.03.2026", "31.03.2026", "10.03.2026, 10:00", "9.145,00\xa0€"):
        await user.should_see(text, retries=50)
    await user.should_not_see("EUR")
    user.find(marker="action-payment").click()
    paid_on = labelled(user, ui.input, "Date")
    assert (paid_on.value, paid_on.props["mask"]) == ("10.03.2026", "##.##.####")
    labelled(user, ui.input, "Amount").value = "1000.00"
    paid_on.value = "5.3.2026"  # typed without the mask's help: still read, day first
    user.find(kind=ui.button, content="Save payment").click()
    await user.should_see("Paid 1.000,00\xa0€", retries=50)
    await user.should_see("05.03.2026")
    [payment] = (await invoices.get_invoice(world.actor, invoice.id)).payments
    assert (payment.paid_on, payment.amount_minor) == (date(2026, 3, 5), 100000)


async def test_a_date_typed_the_german_way_in_the_editor_saves_that_day(user: User, at) -> None:
    world = await make_world("acme")
    await speak(world, "de_DE")
    await signed_in(user, world.owner_email)
    await user.open(f"/invoices/new?client={world.client.id}")
    await user.should_see("Save draft", retries=50)
    issue, due = labelled(user, ui.input, "Issue date"), labelled(user, ui.input, "Due date")
    assert (issue.value, due.value) == ("10.03.2026", "09.04.2026")  # today and 30 days on, as Germans write them
    issue.value = "15.04.2026"
    assert due.value == "15.05.2026"
    labelled(user, ui.select, "Currency").value = "EUR"
    fill_line(user, 0, "Beratung", "2.5", "3658.00", "19")
    await eventually(lambda: element(user, "totals-subtotal").text == "9.145,00\xa0€")
    due.value = "31.02.2026"
    save = user.find(kind=ui.button, content="Save draft")
    save.click()
    await eventually(lambda: due.props.get("error-message"))
    assert due.props["error-message"] == "Due date must be a date like 31.12.2026."
    due.value = "01.06.2026"
    save.click()
    await user.should_see(marker="invoice-status", retries=50)
    [row] = (await invoice_listing.list_invoices(world.actor)).items
    assert (row.issue_date, row.due_date) == (date(2026, 4, 15), date(2026, 6, 1))


async def test_send_mails_the_link_and_pdf_to_the_billing_contact(user: User, smtp: SmtpServer) -> None:
    world = await make_world("acme")
    await contacts.create_contact(
        world.actor, world.client.id, contacts.ContactInput(email="ops@client-acme.test", name="Ops")
    )
    invoice = await draft(world.actor, world.client.id, "1200.50")
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    await user.should_see(invoice.number)
    switch = next(
        e for e in user.find(ui.switch).elements if e.props.get("aria-label") == f"Billing: {world.contact.email}"
    )
    switch.value = True
    await user.should_see(f"Billing on for {world.contact.email}", retries=50)
    assert (await contacts.get_contact(world.actor, world.contact.id)).billing
    changed = await audit.list_events(world.actor, audit.AuditFilter(action="contact.billing_changed"))
    assert [e.detail for e in changed.items] == [{"billing": True}]

    await user.open(f"/invoices/{invoice.id}")
    user.find(marker="action-send").click()
    await user.should_see(f"Send {invoice.number}", retries=50)
    await user.should_see(world.contact.email)
    await user.should_not_see("ops@client-acme.test")  # not a billing contact
    user.find(marker="confirm-send").click()
    await user.should_see(f"Sent {invoice.number}", retries=50)
    await user.should_see(kind=ui.badge, content="Sent")
    await user.should_see(marker="action-payment")
    assert (await invoices.get_invoice(world.actor, invoice.id)).status == "sent"

    assert await outbox.send_due() == 1
    [mail] = smtp.inbox.wait_for(1)
    assert mail["To"] == world.contact.email
    assert mail["Subject"] == f"Invoice {invoice.number} from Acme"
    assert invoice.public_url in plain_text(mail)
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == f"{invoice.number}.pdf"
    assert attachment.get_content().startswith(b"%PDF")


async def test_partial_then_full_payment(user: User) -> None:
    world = await make_world("acme")
    invoice = await draft(world.actor, world.client.id, "300.00")
    await mark_sent(invoice.id)
    await signed_in(user, world.owner_email)
    await user.open(f"/invoices/{invoice.id}")
    await user.should_see("No payments yet.")

    user.find(marker="action-payment").click()
    amount_field = labelled(user, ui.input, "Amount")
    assert amount_field.value == "300.00"  # what is due
    amount_field.value = "400"
    user.find(kind=ui.button, content="Save payment").click()
    await eventually(lambda: amount_field.props.get("error-message"))
    assert amount_field.props["error-message"] == "That is more than the $300.00 due."
    amount_field.value = "120.00"
    labelled(user, ui.select, "Method").value = "cash"
    labelled(user, ui.input, "Reference").value = "Receipt 7"
    user.find(kind=ui.button, content="Save payment").click()
    await user.should_see("is partially paid", retries=50)
    await user.should_see(kind=ui.badge, content="Partially paid")
    await user.should_see("Receipt 7")
    await user.should_see("Paid $120.00")
    assert (await invoices.get_invoice(world.actor, invoice.id)).amount_due_minor == 18000
    await user.should_not_see(marker="action-void")  # payments exist

    user.find(marker="action-payment").click()
    assert labelled(user, ui.input, "Amount").value == "180.00"
    user.find(kind=ui.button, content="Save payment").click()
    await user.should_see(kind=ui.badge, content="Paid", retries=50)
    detail = await invoices.get_invoice(world.actor, invoice.id)
    assert (detail.status, detail.amount_due_minor, len(detail.payments)) == ("paid", 0, 2)
    assert [p.method for p in detail.payments] == ["cash", "bank_transfer"]
    await user.should_not_see(marker="action-payment")


async def test_void_after_confirming(user: User) -> None:
    world = await make_world("acme")
    invoice = await draft(world.actor, world.client.id, "80.00")
    await mark_sent(invoice.id)
    await signed_in(user, world.owner_email)
    await user.open(f"/invoices/{invoice.id}")
    user.find(marker="action-void").click()
    await user.should_see(f"Void {invoice.number}?")
    user.find(marker="confirm-void").click()
    await user.should_see(kind=ui.badge, content="Void", retries=50)
    assert (await invoices.get_invoice(world.actor, invoice.id)).status == "void"
    await user.should_not_see(marker="action-send")
    await user.should_not_see(marker="action-void")


async def test_duplicate_opens_the_new_draft_in_the_editor(user: User) -> None:
    world = await make_world("acme")
    invoice = await draft(world.actor, world.client.id, "10.00", "20.00")
    await mark_sent(invoice.id)
    await signed_in(user, world.owner_email)
    await user.open(f"/invoices/{invoice.id}")
    user.find(marker="action-duplicate").click()
    await user.should_see("Save draft", retries=50)
    await user.should_see("Edit INV-0002")
    assert element(user, "line-1-unit_price").value == "20.00"
    [copy, original] = (await invoice_listing.list_invoices(world.actor)).items
    assert (copy.number, copy.status, copy.total_minor) == ("INV-0002", "draft", 3000)
    assert original.status == "sent"


async def test_editing_a_sent_invoice_is_refused(user: User) -> None:
    world = await make_world("acme")
    invoice = await draft(world.actor, world.client.id, "10.00")
    await mark_sent(invoice.id)
    await signed_in(user, world.owner_email)
    await user.open(f"/invoices/{invoice.id}")
    await user.should_see(marker="action-send")
    await user.should_not_see(marker="action-edit")
    await user.open(f"/invoices/{invoice.id}/edit")
    await user.should_see("only drafts can be edited")
    await user.should_not_see("Save draft")


async def test_another_organizations_invoice_is_not_found(user: User, app_client: httpx.AsyncClient) -> None:
    theirs = await make_world("acme")
    invoice = await draft(theirs.actor, theirs.client.id, "10.00")
    mine = await make_world("globex")
    await signed_in(user, mine.owner_email)
    for path in (f"/invoices/{invoice.id}", f"/invoices/{invoice.id}/edit", "/invoices/not-a-uuid"):
        response = await user.http_client.get(path)
        assert response.status_code == 404, path
        assert "This invoice does not exist." in response.text
        assert invoice.number not in response.text and theirs.client.name not in response.text
    response = await user.http_client.get(f"/invoices/new?client={theirs.client.id}")
    assert response.status_code == 200 and theirs.client.name not in response.text
    own = await draft(mine.actor, mine.client.id, "20.00")
    await user.open("/invoices")
    rows = await table_rows(user, 1)
    assert [r["id"] for r in rows] == [str(own.id)]


async def test_a_contact_can_be_created_as_a_billing_contact(database: Database) -> None:
    world = await make_world("acme")
    view = await contacts.create_contact(
        world.actor, world.client.id, contacts.ContactInput(email="ap@client-acme.test", name="AP", billing=True)
    )
    assert view.billing and not (await contacts.get_contact(world.actor, world.contact.id)).billing
    created = await audit.list_events(world.actor, audit.AuditFilter(action="contact.created"))
    assert {e.target_label: e.detail.get("billing") for e in created.items} == {
        "ap@client-acme.test": True,
        world.contact.email: None,
    }
    off = await contacts.update_contact(world.actor, view.id, contacts.ContactChanges(billing=False))
    assert not off.billing
    changed = await audit.list_events(world.actor, audit.AuditFilter(action="contact.billing_changed"))
    assert [e.detail for e in changed.items] == [{"billing": False}]


async def test_staff_download_the_pdf_without_it_counting_as_a_client_view(user: User) -> None:
    world = await make_world("acme")
    theirs = await make_world("globex")
    invoice_id = (await draft(world.actor, world.client.id)).id
    foreign_id = (await draft(theirs.actor, theirs.client.id)).id
    assert (await user.http_client.get(f"/invoices/{invoice_id}/pdf")).status_code == 303  # not signed in
    await signed_in(user, world.owner_email)
    response = await user.http_client.get(f"/invoices/{invoice_id}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="INV-0001.pdf"' in response.headers["content-disposition"]
    assert await count(InvoiceView) == 0
    assert (await user.http_client.get(f"/invoices/{foreign_id}/pdf")).status_code == 404


def choices(select: ui.select) -> dict[str, str]:
    assert isinstance(select.options, dict)
    return select.options


async def test_the_client_picker_searches_every_client_on_the_server(user: User) -> None:
    world = await make_world("acme")
    for n in range(55):
        await clients.create_client(world.actor, clients.ClientInput(name=f"Client {n:02d}"))
    await signed_in(user, world.owner_email)
    await user.open(f"/invoices/new?client={world.client.id}")
    await user.should_see("Save draft", retries=50)
    [picker] = [s for s in user.find(ui.select).elements if s.props.get("label") == "Client"]
    assert len(choices(picker)) == 50 and "Client 54" not in choices(picker).values()  # the first page, by name
    user.find(kind=ui.select).trigger("inputValue", "client 54")  # Quasar's input-value, as someone types
    await eventually(lambda: "Client 54" in choices(picker).values())
    assert picker.value == str(world.client.id)  # the chosen client stays chosen and listed
    assert choices(picker)[str(world.client.id)] == world.client.name


async def test_the_invoice_filter_reaches_a_client_beyond_the_first_page(user: User) -> None:
    world = await make_world("acme")
    created = [await clients.create_client(world.actor, clients.ClientInput(name=f"Client {n:02d}")) for n in range(55)]
    last = created[-1]
    await signed_in(user, world.owner_email)
    await user.open(f"/invoices?client={last.id}")  # the link on a client's page
    [picker] = [s for s in user.find(ui.select).elements if s.props.get("label") == "Client"]
    assert picker.value == str(last.id) and choices(picker)[str(last.id)] == "Client 54"
    assert next(iter(choices(picker).items())) == ("", "All clients")
    user.find(kind=ui.select).trigger("inputValue", "client 53")
    await eventually(lambda: "Client 53" in choices(picker).values())
    assert next(iter(choices(picker))) == "" and picker.value == str(last.id)


async def test_only_an_invoice_the_link_can_show_offers_its_public_link(user: User) -> None:
    world = await make_world("acme")
    pending = await draft(world.actor, world.client.id, "100.00")
    await signed_in(user, world.owner_email)
    await user.open(f"/invoices/{pending.id}")
    await user.should_see("No public link yet: it works once the invoice is sent.")
    assert user.client is not None
    shown_links = [
        e for e in user.client.elements.values() if isinstance(e, ui.input) and e.value == pending.public_url
    ]
    assert shown_links == []
    await mark_sent(pending.id)
    await user.open(f"/invoices/{pending.id}")
    await user.should_see("Anyone with this link can view, download and pay the invoice; each view is recorded.")
    await user.should_not_see(marker="no-public-link")
    assert [e for e in user.client.elements.values() if isinstance(e, ui.input) and e.value == pending.public_url]
