"""Headless Chromium against `serve` and the Stripe stand-in: the agency's owner connects its own Stripe account,
then a contact pays an invoice by card into that account and sees it Paid.

Settings → "Connect Stripe" → the stand-in's hosted onboarding → back to Settings, charges enabled. Then Pay in the
portal → the stand-in's hosted checkout page, on the agency's account → its signed Connect webhook to
POST /webhooks/stripe → the browser comes back to the portal, which shows the invoice Paid.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from models import OutboxMail, Payment
from portal_app.auth.portal import PORTAL_COOKIE
from portal_app.auth.staff import STAFF_COOKIE
from services.billing.invoice_views import InvoiceDetail
from tests.support.browser import settled, signed_in_cookie, staff_session_cookie, wait
from tests.support.db import count
from tests.support.factories import make_world
from tests.support.invoicing import issue_invoice, make_billing
from tests.support.live import LiveServer
from tests.support.stripe_standin import StripeStandIn

pytestmark = pytest.mark.browser


async def test_owner_connects_stripe_then_a_contact_pays_into_that_account(
    paying_live_server: LiveServer, browser: webdriver.Chrome, stripe_standin: StripeStandIn
) -> None:
    world = await make_world("acme")
    await make_world("globex")  # another agency on the same install, never paid here
    await make_billing(world.contact.id)
    invoice = await issue_invoice(world)
    owner = await staff_session_cookie(world.owner_email)
    contact = await signed_in_cookie(world.contact.id)

    await asyncio.to_thread(_connect_stripe, browser, paying_live_server.url, owner, stripe_standin)
    [account] = stripe_standin.accounts
    assert stripe_standin.accounts[account]["charges_enabled"] is True
    await asyncio.to_thread(_journey, browser, paying_live_server.url, contact, invoice, stripe_standin)

    [onboarded, delivery] = stripe_standin.deliveries
    assert onboarded.type == "account.updated" and onboarded.status == 200
    assert delivery.type == "checkout.session.completed" and delivery.status == 200
    assert json.loads(delivery.body) == {"received": True, "result": "paid"}  # the webhook did it, not the return
    assert await count(Payment, Payment.invoice_id == invoice.id, Payment.method == "card") == 1
    [session_id] = stripe_standin.sessions
    assert stripe_standin.account_of(session_id) == account
    assert stripe_standin.balance_of(account) == {"usd": 144000}  # the money is on the agency's own account
    assert stripe_standin.balance_of(None) == {}  # and none on the platform's
    assert (
        await count(OutboxMail, OutboxMail.subject.startswith("Receipt:"), OutboxMail.to_addr == world.contact.email)
        == 1
    )


def _connect_stripe(browser: webdriver.Chrome, base: str, cookie: str, standin: StripeStandIn) -> None:
    browser.get(f"{base}/login")
    browser.add_cookie({"name": STAFF_COOKIE, "value": cookie, "path": "/", "httpOnly": True})
    browser.get(f"{base}/settings")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "None connected"))
    connect = "//button[.//span[normalize-space()='Connect Stripe']]"
    settled(browser).until(lambda b: b.find_element(By.XPATH, connect).click() or True)

    # Stripe's hosted onboarding (the stand-in's), for the account Portico just made
    wait(browser).until(lambda b: b.current_url.startswith(f"{standin.url}/connect/onboard/"))
    browser.find_element(By.ID, "finish-onboarding").click()

    # back in Settings: the account's state as Stripe now reports it
    wait(browser).until(lambda b: b.current_url == f"{base}/settings?stripe=returned")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Back from Stripe."))
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Charges\nEnabled" in body and "Payouts\nEnabled" in body
    assert "On: invoices with an amount due show a Pay button" in body


def _journey(browser: webdriver.Chrome, base: str, cookie: str, invoice: InvoiceDetail, standin: StripeStandIn) -> None:
    portal = f"{base}/portal/acme"
    browser.get(f"{portal}/login")
    browser.add_cookie({"name": PORTAL_COOKIE, "value": cookie, "path": "/portal/acme", "httpOnly": True})
    browser.get(f"{portal}/invoices/{invoice.id}")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), f"Invoice {invoice.number}"))
    pay = "//button[.//span[normalize-space()='Pay']]"
    settled(browser).until(lambda b: b.find_element(By.XPATH, pay).click() or True)

    # Stripe's hosted page (the stand-in's): the amount due, and its own Pay button
    wait(browser).until(lambda b: b.current_url.startswith(f"{standin.url}/pay/"))
    assert "1,440.00" in browser.find_element(By.TAG_NAME, "body").text
    browser.find_element(By.ID, "pay").click()

    # back in the portal, after the webhook has landed
    wait(browser).until(lambda b: b.current_url.startswith(f"{portal}/invoices/{invoice.id}?checkout=success"))
    wait(browser).until(
        ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Thank you! Your payment was received.")
    )
    settled(browser).until(lambda b: "Paid" in b.find_element(By.TAG_NAME, "body").text)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Amount due $0.00" in body or "Amount due\n$0.00" in body
