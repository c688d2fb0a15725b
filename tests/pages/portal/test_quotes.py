"""The portal's quotes for a signed-in contact: the list, one quote, accepting and declining it, expiry, the PDF,
what another client may not see, and an answer given elsewhere showing without a reload."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from nicegui import ui
from nicegui.testing.user import User
from pypdf import PdfReader

from models import QuoteView
from services.clients import clients
from services.quotes import acceptance, quotes
from services.quotes.acceptance import Signature
from services.quotes.quote_views import QuoteDetail
from tests.support.client_quotes import acceptances, draft_quote, sent_quote, token_of, views_of
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world
from tests.support.pages import error_of, eventually, the
from tests.support.portal import sign_in_contact

BROWSER = "Firefox/140.0"


@pytest.fixture
async def acme(user: User) -> OrgWorld:
    world = await make_world("acme")
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    user.http_client.headers["User-Agent"] = BROWSER
    return world


def labels(user: User) -> list[str]:
    return [e.text for e in user.find(ui.label).elements]


async def status_of(world: OrgWorld, quote: QuoteDetail) -> str:
    return (await quotes.get_quote(world.actor, quote.id)).display_status


async def open_quote(user: User, quote: QuoteDetail) -> None:
    await user.open(f"/portal/acme/quotes/{quote.id}")
    await user.should_see(kind=ui.label, content=f"Quote {quote.number}")


async def test_the_list_shows_sent_and_answered_quotes_newest_first_never_drafts(
    at: Callable[..., None], user: User, acme: OrgWorld
) -> None:
    older = await sent_quote(acme, title="Brand refresh", issue_date=date(2026, 3, 1), valid_until=date(2026, 4, 30))
    newer = await sent_quote(acme, deposit_percent="30")
    await acceptance.decline_in_portal(acme.portal_actor(), older.id, "Not this year.")
    draft = await draft_quote(acme, title="Secret draft work")
    await user.open("/portal/acme/quotes")
    await user.should_see(kind=ui.label, content="Quotes")
    table = await the(user, "quotes", ui.table)
    rows = await eventually(lambda: table.rows)
    assert [(r["number"], r["title"], r["status"], r["total"]) for r in rows] == [
        (newer.number, "Spring campaign site", "Sent", "$1,440.00"),
        (older.number, "Brand refresh", "Declined", "$1,440.00"),
    ]
    assert (rows[1]["issued"], rows[1]["valid_until"]) == ("Mar 1, 2026", "Apr 30, 2026")
    assert rows[0]["href"] == f"/portal/acme/quotes/{newer.id}"
    html = (await user.http_client.get("/portal/acme/quotes")).text
    assert draft.number not in html and "Secret draft work" not in html and str(draft.id) not in html


async def test_only_drafts_means_an_empty_state(user: User, acme: OrgWorld) -> None:
    await draft_quote(acme)
    await user.open("/portal/acme/quotes")
    await user.should_see(kind=ui.label, content="No quotes")
    await user.should_not_see(kind=ui.table)


async def test_the_navigation_leads_to_the_quotes(user: User, acme: OrgWorld) -> None:
    await user.open("/portal/acme/")
    links = [e.props["href"] for e in user.find(ui.link).elements if e.text == "Quotes"]
    assert links == ["/portal/acme/quotes"]


async def test_accepting_through_the_page_signs_and_leads_to_the_invoice(user: User, acme: OrgWorld) -> None:
    quote = await sent_quote(acme, deposit_percent="30", terms="Payable in 14 days.")
    await open_quote(user, quote)
    texts = labels(user)
    await user.should_see(kind=ui.badge, content="Sent")
    for expected in (
        "Prepared for",
        "Acme Client",
        "Spring campaign site",
        "$432.00",  # the deposit on acceptance
        "Payable in 14 days.",
        f"SHA-256 {quote.sha256}",
        "Accepting sends you an invoice for a deposit of $432.00.",
    ):
        assert expected in texts, expected
    [download] = user.find(marker="pdf").elements
    assert download.props["href"] == f"/portal/acme/quotes/{quote.id}/pdf"

    user.find(kind=ui.button, content="Accept").click()
    await user.should_see(marker="full-name")
    user.find(marker="full-name").type("Jane Doe")
    user.find(kind=ui.checkbox, content="I agree").click()
    user.find(kind=ui.button, content="Accept and sign").click()
    await user.should_see(marker="accepted")
    await user.should_see("Accepted")

    [record] = await acceptances(quote.id)
    assert (record.full_name, record.contact_id, record.via, record.user_agent, record.sha256) == (
        "Jane Doe",
        acme.contact.id,
        "portal",
        BROWSER,
        quote.sha256,
    )
    done = await quotes.get_quote(acme.actor, quote.id)
    assert any(text.startswith("Signed by Jane Doe on ") for text in labels(user))
    [pay] = user.find(marker="pay-invoice").elements
    assert pay.props["href"] == f"/portal/acme/invoices/{done.invoice_id}"
    await user.should_not_see(marker="sign")
    await user.open(f"/portal/acme/invoices/{done.invoice_id}")  # the invoice is the client's to see and pay
    await user.should_see(kind=ui.label, content=f"Invoice {done.invoice_number}")


async def test_a_signature_needs_the_name_and_the_ticked_box(user: User, acme: OrgWorld) -> None:
    quote = await sent_quote(acme)
    await open_quote(user, quote)
    user.find(kind=ui.button, content="Accept").click()
    await user.should_see(marker="sign")
    user.find(kind=ui.button, content="Accept and sign").click()
    name = await the(user, "full-name", ui.input)
    await eventually(error_of(name))
    await user.should_see("Tick “I agree” to accept the quote and its terms.")
    name.set_value("Jane Doe")
    user.find(kind=ui.button, content="Accept and sign").click()  # the name alone is not a signature
    await user.should_see("Tick “I agree” to accept the quote and its terms.")
    assert await acceptances(quote.id) == []
    assert await status_of(acme, quote) == "sent"


async def test_declining_needs_a_reason_and_then_says_declined(user: User, acme: OrgWorld) -> None:
    quote = await sent_quote(acme)
    await open_quote(user, quote)
    user.find(kind=ui.button, content="Decline").click()
    await user.should_see(marker="send-decline")
    user.find(kind=ui.button, content="Send").click()
    reason = await the(user, "reason", ui.textarea)
    await eventually(error_of(reason))
    assert await status_of(acme, quote) == "sent"
    reason.set_value("Over our budget this year.")
    user.find(kind=ui.button, content="Send").click()
    await user.should_see(marker="declined")
    await user.should_see("Over our budget this year.")
    await user.should_not_see(marker="accept")
    done = await quotes.get_quote(acme.actor, quote.id)
    assert (done.display_status, done.decline_reason, done.declined_by) == (
        "declined",
        "Over our budget this year.",
        acme.contact.email,
    )


async def test_an_expired_quote_says_so_and_offers_no_accept(
    at: Callable[..., None], user: User, acme: OrgWorld
) -> None:
    quote = await sent_quote(acme, issue_date=date(2026, 3, 10), valid_until=date(2026, 3, 11))
    at(timedelta(days=2, hours=1))  # the 12th
    await open_quote(user, quote)
    await user.should_see("This quote expired on Mar 11, 2026. Ask Acme for a new one.")
    await user.should_see(kind=ui.badge, content="Expired")
    await user.should_not_see(marker="accept")
    await user.should_not_see(marker="answer")


async def test_the_pdf_downloads_and_counts_as_a_view(user: User, acme: OrgWorld) -> None:
    quote = await sent_quote(acme)
    response = await user.http_client.get(f"/portal/acme/quotes/{quote.id}/pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{quote.number}.pdf"'
    assert quote.number in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert await views_of(quote.id) == [("portal_pdf", BROWSER)]


async def test_what_the_contact_may_not_see_is_not_found(user: User, acme: OrgWorld) -> None:
    neighbour = await clients.create_client(acme.actor, clients.ClientInput(name="Other", email="o@other.test"))
    theirs = await sent_quote(acme, client_id=neighbour.id, title="Their secret")
    globex = await make_world("globex")
    foreign = await sent_quote(globex, title="Their secret")
    draft = await draft_quote(acme, title="Their secret")
    for target in (theirs.id, foreign.id, draft.id, "00000000-0000-4000-8000-000000000000", "not-a-uuid"):
        page = await user.http_client.get(f"/portal/acme/quotes/{target}")
        assert page.status_code == 404 and "Quote not found" in page.text
        assert "Their secret" not in page.text and "Website design" not in page.text
        pdf = await user.http_client.get(f"/portal/acme/quotes/{target}/pdf")
        assert pdf.status_code == 404 and "Quote not found" in pdf.text and not pdf.content.startswith(b"%PDF")
    assert await count(QuoteView) == 0


async def test_an_answer_given_elsewhere_shows_without_a_reload(user: User, acme: OrgWorld) -> None:
    quote = await sent_quote(acme)
    await open_quote(user, quote)
    user.find(kind=ui.button, content="Accept").click()
    await user.should_see(marker="sign")
    # Jane's colleague accepts through the quote's link meanwhile
    signed = Signature("John Roe", True, quote.sha256, email="john@client-acme.test")
    await acceptance.accept_public(token_of(quote), signed, ip="198.51.100.7")
    await user.should_see(marker="accepted", retries=100)
    await eventually(lambda: any(text.startswith("Signed by John Roe on ") for text in labels(user)))
    await user.should_not_see(marker="sign")
