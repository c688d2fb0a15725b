"""The public quote link `/q/{token}`: the page, its PDF, and accepting or declining it without signing in."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta

import httpx
import pytest
from pypdf import PdfReader

from models import Invoice, QuoteAcceptance, QuoteView
from services.billing import invoice_views
from services.billing.line_items import LineInput
from services.quotes import quotes
from services.quotes.quote_views import QuoteDetail
from tests.support.client_quotes import acceptances, draft_quote, sent_quote, token_of, views_of
from tests.support.db import count
from tests.support.factories import OrgWorld

NO_TRACE = {"referrer-policy": "no-referrer", "cache-control": "no-store", "x-robots-tag": "noindex"}
BROWSER = {"User-Agent": "Firefox/140.0"}


def signature(quote: QuoteDetail, **changes: str) -> dict[str, str]:
    """What the Accept form posts when filled in properly."""
    return {
        "full_name": "Jane Doe",
        "email": "jane@client-acme.test",
        "agree": "yes",
        "sha256": quote.sha256,
        **changes,
    }


async def status_of(world: OrgWorld, quote: QuoteDetail) -> str:
    return (await quotes.get_quote(world.actor, quote.id)).display_status


async def test_the_link_shows_the_quote_with_its_forms_and_records_the_view(
    app_client: httpx.AsyncClient, acme: OrgWorld
) -> None:
    quote = await sent_quote(acme, deposit_percent="30", notes="Thanks for asking!", terms="Payable in 14 days.")
    token = token_of(quote)
    response = await app_client.get(f"/q/{token}", headers=BROWSER)
    assert response.status_code == 200
    for header, value in NO_TRACE.items():
        assert response.headers[header] == value, header
    page = response.text
    for expected in (
        f"Quote {quote.number}",
        "Acme",  # the seller
        "Prepared for",
        "Acme Client",
        "Spring campaign site",
        f"Issued {quote.formats.day(quote.issue_date)}",
        f"Valid until {quote.formats.day(quote.valid_until)}",
        ">Sent<",
        "Website design",
        "Total</td><td>$1,440.00",
        "Deposit on acceptance (30%)</td><td>$432.00",
        "Thanks for asking!",
        "Payable in 14 days.",
        f'href="/q/{token}/pdf"',
        "Download PDF",
        f"SHA-256 {quote.sha256}",
        ">Accept</summary>",
        ">Decline</summary>",
        f'action="/q/{token}/accept"',
        f'action="/q/{token}/decline"',
        '<label for="full-name">Full name</label>',
        '<label for="agree">I agree</label>',
        "typing your full name is your signature",
        f'name="sha256" value="{quote.sha256}"',
        ">Accept and sign</button>",
        '<label for="reason">Reason</label>',
    ):
        assert expected in page, expected
    assert await views_of(quote.id) == [("public", "Firefox/140.0")]


async def test_the_pdf_downloads_and_counts_as_a_view(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    quote = await sent_quote(acme)
    response = await app_client.get(f"/q/{token_of(quote)}/pdf", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{quote.number}.pdf"'
    assert response.headers["cache-control"] == "no-store"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert quote.number in text and "Website design" in text
    assert await views_of(quote.id) == [("pdf", "Firefox/140.0")]


async def test_accepting_records_the_signature_and_leads_to_the_invoice(
    app_client: httpx.AsyncClient, acme: OrgWorld
) -> None:
    quote = await sent_quote(acme, deposit_percent="30")
    token = token_of(quote)
    response = await app_client.post(f"/q/{token}/accept", data=signature(quote), headers=BROWSER)
    assert (response.status_code, response.headers["location"]) == (303, f"/q/{token}?answered=accepted")

    [record] = await acceptances(quote.id)
    assert (record.full_name, record.email, record.via, record.ip, record.user_agent, record.sha256) == (
        "Jane Doe",
        "jane@client-acme.test",
        "public",
        "127.0.0.1",
        "Firefox/140.0",
        quote.sha256,
    )
    accepted = await quotes.get_quote(acme.actor, quote.id)
    assert accepted.display_status == "accepted" and accepted.invoice_id is not None

    page = (await app_client.get(response.headers["location"])).text
    for expected in (
        "Thank you: you accepted this quote.",
        "<strong>Accepted</strong>",
        "Signed by Jane Doe on ",
        f"Invoice {accepted.invoice_number} for the deposit ($432.00)",
        f'href="{invoice_views.public_url(accepted.invoice_id)}">Pay the invoice</a>',
    ):
        assert expected in page, expected
    assert "Accept and sign" not in page and ">Decline</summary>" not in page
    # the invoice link it gives works: the deposit invoice was sent
    invoice_page = await app_client.get(
        invoice_views.public_url(accepted.invoice_id).removeprefix("http://portico.test")
    )
    assert invoice_page.status_code == 200 and "$432.00" in invoice_page.text


async def test_a_quote_that_changed_since_the_page_was_shown_is_not_signed(
    app_client: httpx.AsyncClient, acme: OrgWorld
) -> None:
    quote = await sent_quote(acme)
    response = await app_client.post(f"/q/{token_of(quote)}/accept", data=signature(quote, sha256="0" * 64))
    assert response.status_code == 409
    assert "This quote changed since you opened it." in response.text
    assert 'value="Jane Doe"' in response.text  # what was typed is still there, and the form is open
    assert '<details open><summary class="button">Accept</summary>' in response.text
    assert f'name="sha256" value="{quote.sha256}"' in response.text  # the quote as it reads now
    assert await acceptances(quote.id) == [] and await count(Invoice) == 0
    assert await status_of(acme, quote) == "sent"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_name": "  "}, "full-name", "Full name"),
        ({"agree": ""}, "agree", "Tick “I agree” to accept the quote and its terms."),
        ({"email": "not an email"}, "accept-email", ""),
    ],
)
async def test_a_signature_without_a_name_or_the_ticked_box_is_refused(
    app_client: httpx.AsyncClient, acme: OrgWorld, changes: dict[str, str], field: str, message: str
) -> None:
    quote = await sent_quote(acme)
    response = await app_client.post(f"/q/{token_of(quote)}/accept", data=signature(quote, **changes))
    assert response.status_code == 422
    page = response.text
    assert f'aria-invalid="true" aria-describedby="{field}-error"' in page
    assert f'<p class="field-error" id="{field}-error">{message}' in page
    typed = {**signature(quote), **changes}
    assert f'value="{typed["email"]}"' in page and f'value="{typed["full_name"]}"' in page
    assert await acceptances(quote.id) == [] and await count(Invoice) == 0
    assert await status_of(acme, quote) == "sent"


async def test_declining_needs_a_reason_and_then_says_declined(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    quote = await sent_quote(acme)
    token = token_of(quote)
    refused = await app_client.post(f"/q/{token}/decline", data={"reason": " ", "email": "jane@client-acme.test"})
    assert refused.status_code == 422
    assert 'aria-describedby="reason-error"' in refused.text and 'value="jane@client-acme.test"' in refused.text
    assert '<details open><summary class="button secondary">Decline</summary>' in refused.text
    assert await status_of(acme, quote) == "sent"

    response = await app_client.post(f"/q/{token}/decline", data={"reason": "Over our budget this year.", "email": ""})
    assert (response.status_code, response.headers["location"]) == (303, f"/q/{token}?answered=declined")
    declined = await quotes.get_quote(acme.actor, quote.id)
    assert (declined.display_status, declined.decline_reason) == ("declined", "Over our budget this year.")
    page = (await app_client.get(response.headers["location"])).text
    assert "<strong>Declined</strong> on " in page and "Over our budget this year." in page
    assert "you declined this quote" in page and "Accept and sign" not in page
    again = await app_client.post(f"/q/{token}/accept", data=signature(declined))
    assert again.status_code == 409 and "This quote was declined already." in again.text
    assert await acceptances(quote.id) == []


async def test_an_expired_quote_says_so_and_cannot_be_accepted(
    at: Callable[..., None], app_client: httpx.AsyncClient, acme: OrgWorld
) -> None:
    quote = await sent_quote(acme, issue_date=date(2026, 3, 10), valid_until=date(2026, 3, 20))
    at(timedelta(days=11, hours=1))  # the 21st
    token = token_of(quote)
    page = (await app_client.get(f"/q/{token}")).text
    assert "This quote expired on Mar 20, 2026. Ask Acme for a new one." in page and ">Expired<" in page
    assert "Accept and sign" not in page and f'action="/q/{token}/accept"' not in page
    response = await app_client.post(f"/q/{token}/accept", data=signature(quote))
    assert response.status_code == 409 and response.text.count("This quote expired on Mar 20, 2026.") == 1
    assert await acceptances(quote.id) == []


async def test_accepting_twice_signs_once(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    quote = await sent_quote(acme)
    token = token_of(quote)
    first = await app_client.post(f"/q/{token}/accept", data=signature(quote))
    second = await app_client.post(f"/q/{token}/accept", data=signature(quote, full_name="John Roe"))
    assert (first.status_code, second.status_code) == (303, 409)
    assert "This quote was accepted already." in second.text and "Signed by Jane Doe" in second.text
    assert [a.full_name for a in await acceptances(quote.id)] == ["Jane Doe"]
    assert await count(Invoice) == 1


async def test_unknown_links_and_drafts_are_not_found(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    draft = await draft_quote(acme, lines=[LineInput("Secret draft work", "1", "999.00")])
    for token in (token_of(draft), "f" * 64, "short", "x" * 5000):
        for path in (f"/q/{token}", f"/q/{token}/pdf"):
            response = await app_client.get(path)
            assert response.status_code == 404, path
            assert "Quote not found" in response.text and draft.number not in response.text
            assert "Secret draft work" not in response.text
        for answer in ("accept", "decline"):
            posted = await app_client.post(f"/q/{token}/{answer}", data={**signature(draft), "reason": "No"})
            assert posted.status_code == 404 and "Quote not found" in posted.text
    assert await count(QuoteView) == 0 and await count(QuoteAcceptance) == 0
    assert await status_of(acme, draft) == "draft"


async def test_everything_the_quote_and_the_visitor_say_is_escaped(
    app_client: httpx.AsyncClient, acme: OrgWorld
) -> None:
    hostile = "<script>alert(1)</script>"
    quote = await sent_quote(
        acme, title=hostile, notes='"><img src=x onerror=alert(2)>', lines=[LineInput(hostile, "1", "10.00")]
    )
    token = token_of(quote)
    page = (await app_client.get(f"/q/{token}")).text
    assert "<script" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&quot;&gt;&lt;img src=x" in page
    refused = await app_client.post(
        f"/q/{token}/accept", data=signature(quote, full_name=f'"{hostile}', email=hostile, agree="")
    )
    assert refused.status_code == 422
    assert "<script" not in refused.text and 'value="&quot;&lt;script&gt;' in refused.text


async def test_an_oversized_answer_is_refused_unread(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    quote = await sent_quote(acme)
    response = await app_client.post(
        f"/q/{token_of(quote)}/decline", data={"reason": "x" * 40_000, "email": ""}, headers=BROWSER
    )
    assert response.status_code == 413
    assert await status_of(acme, quote) == "sent"
