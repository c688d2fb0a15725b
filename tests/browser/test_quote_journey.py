"""Headless Chromium against `serve` and the Stripe stand-in: staff send a quote, the contact accepts it in the
portal with a typed signature, and pays the deposit invoice the acceptance made, on the agency's Stripe account.

Staff: /quotes/{id} → "Send" → the recipients confirmed → Sent. Contact: /portal/acme/quotes/{id} → "Accept" →
"Full name", "I agree" → "Accept and sign" → "Accepted" → "Pay the invoice" → the portal's invoice → "Pay" → the
stand-in's hosted checkout → its signed Connect webhook → back in the portal, the deposit invoice is Paid.
"""

from __future__ import annotations

import asyncio

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from models import Payment
from portal_app.auth.portal import PORTAL_COOKIE
from portal_app.auth.staff import STAFF_COOKIE
from services.billing import invoices
from services.quotes import quotes
from services.quotes.quote_views import QuoteDetail
from tests.support.browser import (
    press,
    press_button,
    settled,
    signed_in_cookie,
    staff_session_cookie,
    visible_input,
    wait,
)
from tests.support.card_payments import connect
from tests.support.client_quotes import acceptances, draft_quote
from tests.support.db import count
from tests.support.factories import make_world
from tests.support.invoicing import make_billing
from tests.support.live import LiveServer
from tests.support.stripe_standin import StripeStandIn

pytestmark = pytest.mark.browser


async def test_staff_send_a_quote_the_contact_signs_it_and_pays_the_deposit(
    paying_live_server: LiveServer, browser: webdriver.Chrome, stripe_standin: StripeStandIn
) -> None:
    world = await make_world("acme")
    await make_billing(world.contact.id)
    account = await connect(stripe_standin, world)
    draft = await draft_quote(world, deposit_percent="30")  # total $1,440.00; the deposit $432.00
    owner = await staff_session_cookie(world.owner_email)
    contact = await signed_in_cookie(world.contact.id)

    await asyncio.to_thread(_send, browser, paying_live_server.url, owner, draft)
    sent = await quotes.get_quote(world.actor, draft.id)
    assert sent.display_status == "sent"

    await asyncio.to_thread(_accept_and_pay, browser, paying_live_server.url, contact, sent, stripe_standin)

    signed = await quotes.get_quote(world.actor, draft.id)
    [record] = await acceptances(draft.id)
    # the evidence: the name typed, the contact, and the hash of the very quote the page showed
    assert (record.full_name, record.email, record.via) == ("Jane Doe", world.contact.email, "portal")
    assert record.sha256 == sent.sha256 == signed.sha256 and "Chrome" in record.user_agent
    assert signed.invoice_id is not None
    deposit = await invoices.get_invoice(world.actor, signed.invoice_id)
    assert (deposit.total_minor, deposit.amount_due_minor) == (43_200, 0)
    assert await count(Payment, Payment.invoice_id == deposit.id, Payment.method == "card") == 1
    assert stripe_standin.balance_of(account) == {"usd": 43_200}  # paid into the agency's own account


def _send(browser: webdriver.Chrome, base: str, cookie: str, quote: QuoteDetail) -> None:
    browser.get(f"{base}/login")
    browser.add_cookie({"name": STAFF_COOKIE, "value": cookie, "path": "/", "httpOnly": True})
    browser.get(f"{base}/quotes/{quote.id}")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), quote.number))
    press_button(browser, "Send")
    # the dialog names who will receive it before anything leaves
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "jane@client-acme.test"))
    press_button(browser, "Send", "//div[contains(@class,'q-dialog')]")
    settled(browser).until(
        lambda b: b.find_element(By.XPATH, "//*[contains(@class,'q-badge')][normalize-space()='Sent']")
    )


def _accept_and_pay(
    browser: webdriver.Chrome, base: str, cookie: str, quote: QuoteDetail, standin: StripeStandIn
) -> None:
    portal = f"{base}/portal/acme"
    browser.get(f"{portal}/login")
    browser.add_cookie({"name": PORTAL_COOKIE, "value": cookie, "path": "/portal/acme", "httpOnly": True})
    browser.get(f"{portal}/quotes/{quote.id}")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), f"Quote {quote.number}"))
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "$1,440.00" in body and "$432.00" in body and quote.sha256 in body
    press_button(browser, "Accept")
    visible_input(browser, "Full name").send_keys("Jane Doe")
    agree = "//div[contains(@class,'q-checkbox')][.//*[normalize-space()='I agree']]"
    press(browser, agree)
    press_button(browser, "Accept and sign")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Accepted"))
    assert "Jane Doe" in browser.find_element(By.TAG_NAME, "body").text

    pay_invoice = "//a[.//span[normalize-space()='Pay the invoice']]"  # a link drawn as a button
    press(browser, pay_invoice)
    wait(browser).until(lambda b: "/portal/acme/invoices/" in b.current_url)
    press_button(browser, "Pay")

    wait(browser).until(lambda b: b.current_url.startswith(f"{standin.url}/pay/"))
    assert "432.00" in browser.find_element(By.TAG_NAME, "body").text
    browser.find_element(By.ID, "pay").click()

    wait(browser).until(lambda b: "checkout=success" in b.current_url)
    wait(browser).until(
        ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Thank you! Your payment was received.")
    )
