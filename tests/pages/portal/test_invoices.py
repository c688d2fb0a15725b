"""The portal's billing tab for a signed-in contact: list, balance, filters, payments, detail, PDF, isolation, logo."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import TypedDict

import httpx
import pytest
from nicegui import ui
from nicegui.testing.user import User
from PIL import Image as PILImage
from pypdf import PdfReader
from sqlalchemy import select

from models.audit import AuditEvent
from models.invoices import InvoiceView
from portal_app.auth import staff as staff_auth
from portal_app.auth.portal import PORTAL_COOKIE
from services.billing import invoices, manual_payments
from services.billing.invoice_views import InvoiceDetail
from services.billing.invoices import LineInput
from services.billing.manual_payments import PaymentInput
from services.clients import clients
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.organizations import organizations
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import issue_invoice
from tests.support.locales import speak
from tests.support.pages import eventually
from tests.support.portal import sign_in_contact
from tests.support.signin import staff_cookie


class Dates(TypedDict):
    issue_date: date
    due_date: date


PAST = Dates(issue_date=date(2025, 1, 1), due_date=date(2025, 1, 31))  # overdue whenever the tests run
FUTURE = Dates(issue_date=date(2025, 6, 1), due_date=date(2099, 1, 1))


@dataclass(frozen=True)
class Billing:
    world: OrgWorld
    sent: InvoiceDetail  # due in the future, 1440.00
    overdue: InvoiceDetail  # past due, 440.00 paid of 1440.00
    paid: InvoiceDetail
    draft: InvoiceDetail
    void: InvoiceDetail  # sent, then voided

    @property
    def hidden(self) -> tuple[InvoiceDetail, ...]:
        return self.draft, self.void


@pytest.fixture
async def acme(user: User) -> OrgWorld:
    world = await make_world("acme")
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    return world


@pytest.fixture
async def billing(acme: OrgWorld) -> Billing:
    sent = await issue_invoice(acme, **FUTURE)
    overdue = await issue_invoice(acme, **PAST)
    await manual_payments.record_payment(acme.actor, overdue.id, PaymentInput("440.00", paid_on=date(2025, 2, 3)))
    paid = await issue_invoice(acme, lines=[LineInput("Hosting", "1", "50.00")], **PAST)
    await manual_payments.record_payment(acme.actor, paid.id, PaymentInput("50.00", paid_on=date(2025, 2, 1)))
    draft = await issue_invoice(acme, send=False, lines=[LineInput("Secret draft work", "1", "999.00")])
    void = await invoices.void_invoice(acme.actor, (await issue_invoice(acme, **FUTURE)).id)
    return Billing(acme, sent, overdue, paid, draft, void)


def table(user: User, marker: str) -> ui.table:
    [element] = user.find(kind=ui.table, marker=marker).elements
    return element


def numbers(user: User, marker: str = "invoices") -> list[str]:
    return [row["number"] for row in table(user, marker).rows]


def labels(user: User) -> list[str]:
    return [e.text for e in user.find(ui.label).elements]


async def test_the_list_shows_sent_partly_paid_and_paid_never_drafts_or_void(user: User, billing: Billing) -> None:
    await user.open("/portal/acme/invoices")
    await user.should_see(kind=ui.label, content="Invoices")
    shown = {row["number"]: row for row in table(user, "invoices").rows}
    assert set(shown) == {billing.sent.number, billing.overdue.number, billing.paid.number}
    assert shown[billing.sent.number]["status"] == "Sent"
    assert shown[billing.overdue.number]["status"] == "Overdue"  # partly paid and past due
    assert shown[billing.overdue.number]["amount_due"] == "$1,000.00"
    assert (shown[billing.overdue.number]["issued"], shown[billing.overdue.number]["due"]) == (
        "Jan 1, 2025",
        "Jan 31, 2025",
    )
    assert shown[billing.paid.number]["status"] == "Paid"
    assert shown[billing.sent.number]["pdf"] == f"/portal/acme/invoices/{billing.sent.id}/pdf"
    assert shown[billing.sent.number]["href"] == f"/portal/acme/invoices/{billing.sent.id}"

    html = (await user.http_client.get("/portal/acme/invoices")).text
    assert billing.sent.number in html and billing.paid.number in html
    for hidden in billing.hidden:
        assert hidden.number not in html and str(hidden.id) not in html
    assert "Secret draft work" not in html


async def test_the_outstanding_balance_per_currency_with_what_is_overdue(user: User, billing: Billing) -> None:
    await issue_invoice(billing.world, currency="EUR", lines=[LineInput("Translation", "1", "80.00")], **FUTURE)
    await user.open("/portal/acme/invoices")
    await user.should_see(kind=ui.label, content="Outstanding")
    texts = labels(user)
    assert "$2,440.00" in texts  # 1440.00 sent + 1000.00 still due on the overdue one; drafts and void excluded
    assert "$1,000.00 overdue" in texts
    assert texts.count("Outstanding") == 2 and "€80.00" in texts and "Nothing overdue" in texts
    assert not any("USD" in text or "EUR" in text for text in texts)  # the symbol says the currency, once


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ("sent", "overdue", "paid")),
        ("?status=open", ("sent", "overdue")),
        ("?status=overdue", ("overdue",)),
        ("?status=paid", ("paid",)),
        ("?issued_from=2025-05-01", ("sent",)),
        ("?issued_to=2025-01-31", ("overdue", "paid")),
        ("?status=draft", ("sent", "overdue", "paid")),  # not a filter the portal offers: ignored
        ("?status=void&issued_from=nonsense", ("sent", "overdue", "paid")),
    ],
)
async def test_filters_from_the_address(user: User, billing: Billing, query: str, expected: tuple[str, ...]) -> None:
    await user.open(f"/portal/acme/invoices{query}")
    assert sorted(numbers(user)) == sorted(getattr(billing, name).number for name in expected)


async def test_changing_the_filters_reloads_the_list(user: User, billing: Billing) -> None:
    await user.open("/portal/acme/invoices")
    assert len(numbers(user)) == 3
    [status] = user.find(kind=ui.toggle, marker="status").elements
    status.value = "overdue"
    await eventually(lambda: numbers(user) == [billing.overdue.number])
    status.value = ""
    user.find(marker="from").type("05/01/2025")
    await eventually(lambda: numbers(user) == [billing.sent.number])
    user.find(marker="to").type("13/01/2025")  # no 13th month: said on the filter, and the list stays
    await user.should_see("Issued to must be a date like 12/31/2026.")
    assert numbers(user) == [billing.sent.number]
    user.find(marker="to").clear().type("04/01/2025")  # ends before it starts: a message, and the list stays
    await user.should_see("The end of the date range is before its start.")
    assert numbers(user) == [billing.sent.number]


async def test_payment_history_lists_payments_newest_first(user: User, billing: Billing) -> None:
    other = await clients.create_client(billing.world.actor, clients.ClientInput(name="Other", email="o@other.test"))
    theirs = await issue_invoice(billing.world, client_id=other.id)
    await manual_payments.record_payment(billing.world.actor, theirs.id, PaymentInput("10.00"))
    await user.open("/portal/acme/invoices")
    rows = table(user, "payments").rows
    assert [(r["paid_on"], r["number"], r["amount"], r["method"]) for r in rows] == [
        ("Feb 3, 2025", billing.overdue.number, "Paid $440.00", "Bank transfer"),
        ("Feb 1, 2025", billing.paid.number, "Paid $50.00", "Bank transfer"),
    ]


async def test_only_drafts_means_an_empty_state(user: User, acme: OrgWorld) -> None:
    draft = await issue_invoice(acme, send=False)
    await user.open("/portal/acme/invoices")
    await user.should_see(kind=ui.label, content="No invoices")
    await user.should_not_see(kind=ui.table)
    assert draft.number not in (await user.http_client.get("/portal/acme/invoices")).text


async def test_the_detail_page_shows_the_invoice_and_records_the_view(user: User, billing: Billing) -> None:
    invoice = billing.overdue
    await user.open(f"/portal/acme/invoices/{invoice.id}")
    await user.should_see(kind=ui.label, content=f"Invoice {invoice.number}")
    texts = labels(user)
    for expected in ("$1,440.00", "$440.00", "$1,000.00", "Feb 3, 2025 · Paid $440.00", "Acme Client"):
        assert expected in texts, expected
    [lines] = user.find(kind=ui.table).elements
    assert [row["description"] for row in lines.rows] == ["Website design"]
    [download] = [b for b in user.find(kind=ui.button).elements if b.text == "Download PDF"]
    assert download.props["href"] == f"/portal/acme/invoices/{invoice.id}/pdf"

    async with unit_of_work(SystemActor()) as session:
        [view] = await session.scalars(select(InvoiceView).where(InvoiceView.invoice_id == invoice.id))
        [event] = await session.scalars(select(AuditEvent).where(AuditEvent.action == "invoice.viewed"))
    assert (view.via, view.contact_id) == ("portal", billing.world.contact.id)
    assert (event.actor_type, event.target_id, event.detail["via"]) == ("portal", invoice.id, "portal")


async def test_a_german_agencys_client_reads_money_and_days_the_german_way(user: User, acme: OrgWorld) -> None:
    await speak(acme, "de_DE", "Europe/Berlin")
    lines = [LineInput("Beratung", "2.5", "3658.00")]
    invoice = await issue_invoice(acme, currency="EUR", lines=lines, **FUTURE)
    await manual_payments.record_payment(acme.actor, invoice.id, PaymentInput("1000.00", paid_on=date(2025, 6, 3)))
    await user.open("/portal/acme/invoices?issued_from=2025-05-01")  # a link's ISO date still filters
    [row] = table(user, "invoices").rows
    assert (row["issued"], row["due"], row["total"], row["amount_due"]) == (
        "01.06.2025",
        "01.01.2099",
        "9.145,00\xa0€",
        "8.145,00\xa0€",
    )
    [date_from] = user.find(kind=ui.input, marker="from").elements
    assert (date_from.value, date_from.props["mask"]) == ("01.05.2025", "##.##.####")
    assert "8.145,00\xa0€" in labels(user)  # the outstanding balance
    await user.open(f"/portal/acme/invoices/{invoice.id}")
    await user.should_see(kind=ui.label, content=f"Invoice {invoice.number}")
    texts = labels(user)
    for expected in (
        "Issued 01.06.2025",
        "Due 01.01.2099",
        "Amount due 8.145,00\xa0€",
        "03.06.2025 · Paid 1.000,00\xa0€",
    ):
        assert expected in texts, expected
    [lines_table] = user.find(kind=ui.table).elements
    assert [(r["quantity"], r["unit_price"], r["amount"]) for r in lines_table.rows] == [
        ("2,5", "3.658,00\xa0€", "9.145,00\xa0€")
    ]
    response = await user.http_client.get(f"/portal/acme/invoices/{invoice.id}/pdf")
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert "Issue date: 01.06.2025" in text and "Amount due 8.145,00 €" in text


async def test_the_pdf_route_downloads_and_records_a_view(user: User, billing: Billing) -> None:
    response = await user.http_client.get(f"/portal/acme/invoices/{billing.sent.id}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{billing.sent.number}.pdf"'
    assert response.headers["cache-control"] == "no-store"
    assert response.content.startswith(b"%PDF")
    assert billing.sent.number in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    views = InvoiceView.invoice_id == billing.sent.id, InvoiceView.via == "portal_pdf"
    assert await count(InvoiceView, *views, InvoiceView.contact_id == billing.world.contact.id) == 1


async def test_what_the_portal_may_not_see_is_not_found(user: User, billing: Billing) -> None:
    neighbour = await clients.create_client(billing.world.actor, clients.ClientInput(name="Other", email="o@o.test"))
    theirs = await issue_invoice(billing.world, client_id=neighbour.id)
    globex = await make_world("globex")
    foreign = await issue_invoice(globex)
    for target in (*billing.hidden, theirs, foreign):
        for suffix in ("", "/pdf"):
            response = await user.http_client.get(f"/portal/acme/invoices/{target.id}{suffix}")
            assert response.status_code == 404, (target.number, suffix)
            assert "Invoice not found" in response.text and target.number not in response.text
            assert "%PDF" not in response.text[:10] and "Website design" not in response.text
    assert (await user.http_client.get("/portal/acme/invoices/not-a-uuid/pdf")).status_code == 404
    assert await count(InvoiceView) == 0  # nothing was viewed


async def test_only_a_portal_session_opens_the_pdf_route(app_client: httpx.AsyncClient, billing: Billing) -> None:
    path = f"/portal/acme/invoices/{billing.sent.id}/pdf"
    async with httpx.AsyncClient(transport=app_client._transport, base_url="http://test") as browser:
        response = await browser.get(path)  # no cookie at all
        assert (response.status_code, response.headers["location"]) == (303, "/portal/acme/login")
        staff_token = await staff_cookie(browser, billing.world.owner_email)
        assert (await browser.get("/")).status_code == 200  # a good staff session …
        for name in (staff_auth.STAFF_COOKIE, PORTAL_COOKIE):  # … under either cookie name
            browser.cookies.clear()
            browser.cookies.set(name, staff_token)
            response = await browser.get(path)
            assert (response.status_code, response.headers["location"]) == (303, "/portal/acme/login"), name
    assert await count(InvoiceView) == 0


async def test_the_portal_switched_off_serves_no_pdf(user: User, billing: Billing) -> None:
    changes = organizations.OrganizationChanges(name="Acme", slug="acme", portal_enabled=False)
    await organizations.update_organization(billing.world.actor, changes)
    response = await user.http_client.get(f"/portal/acme/invoices/{billing.sent.id}/pdf")
    assert response.status_code == 403 and not response.content.startswith(b"%PDF")
    await user.open("/portal/acme/invoices")
    await user.should_see(kind=ui.label, content="The client portal is currently unavailable")
    await user.should_not_see(kind=ui.table)


# --- the organization's logo, in the portal header and on its PDFs ----------------------------------------------


def png() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (120, 40), (79, 70, 229)).save(buffer, "PNG")
    return buffer.getvalue()


async def test_the_logo_is_served_and_shown_when_the_org_has_one(user: User, billing: Billing) -> None:
    assert (await user.http_client.get("/portal/acme/logo")).status_code == 404
    await user.open("/portal/acme/invoices")
    await user.should_not_see(marker="logo")

    image = png()
    await organizations.update_logo(billing.world.actor, image)
    response = await user.http_client.get("/portal/acme/logo")
    assert response.status_code == 200 and response.content == image
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, max-age=86400"
    await user.open("/portal/acme/")
    assert [e.props["src"] for e in user.find(marker="logo").elements] == ["/portal/acme/logo"]
    assert "Acme" in labels(user)  # the name stays beside it

    document = (await user.http_client.get(f"/portal/acme/invoices/{billing.sent.id}/pdf")).content
    assert len(PdfReader(io.BytesIO(document)).pages[0].images) == 1
    assert (await user.http_client.get("/portal/nobody/logo")).status_code == 404
