"""Headless Chromium against `serve` and the Stripe stand-in: a contact pays an invoice by card and sees it Paid.

Pay in the portal → the stand-in's hosted checkout page → its signed webhook to POST /webhooks/stripe → the
browser comes back to the portal, which shows the invoice Paid.
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
from services.billing.invoice_views import InvoiceDetail
from tests.support.browser import settled, signed_in_cookie, wait
from tests.support.db import count
from tests.support.factories import make_world
from tests.support.invoicing import issue_invoice, make_billing
from tests.support.live import LiveServer
from tests.support.stripe_standin import StripeStandIn

pytestmark = pytest.mark.browser


async def test_contact_pays_by_card_and_the_portal_shows_it_paid(
    paying_live_server: LiveServer, browser: webdriver.Chrome, stripe_standin: StripeStandIn
) -> None:
    world = await make_world("acme")
    await make_billing(world.contact.id)
    invoice = await issue_invoice(world)
    cookie = await signed_in_cookie(world.contact.id)

    await asyncio.to_thread(_journey, browser, paying_live_server.url, cookie, invoice, stripe_standin)

    [delivery] = stripe_standin.deliveries
    assert delivery.type == "checkout.session.completed" and delivery.status == 200
    assert json.loads(delivery.body) == {"received": True, "result": "paid"}  # the webhook did it, not the return
    assert await count(Payment, Payment.invoice_id == invoice.id, Payment.method == "card") == 1
    assert (
        await count(OutboxMail, OutboxMail.subject.startswith("Receipt:"), OutboxMail.to_addr == world.contact.email)
        == 1
    )


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
