"""Headless Chromium against `serve`, the Stripe stand-in and real SMTP: a visitor finds the agency's public
Services page, buys, pays on Stripe's checkout, gets the welcome mail, signs in with its link and finds the new
project with the service's milestones."""

from __future__ import annotations

import asyncio
import re

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from models import Client, Purchase, PurchaseStatus
from services.catalog import catalog
from services.catalog.catalog import ServiceInput, TemplateMilestone
from tests.support.browser import button, visible_input, wait
from tests.support.card_payments import connect
from tests.support.db import count
from tests.support.factories import make_world
from tests.support.live import LiveServer
from tests.support.mail import plain_text
from tests.support.smtp import SmtpServer
from tests.support.stripe_standin import StripeStandIn

pytestmark = pytest.mark.browser

SERVICE = ServiceInput(
    name="Brand workshop",
    price="900.00",
    currency="USD",
    description="Two days with our strategists.",
    public=True,
    milestones=(TemplateMilestone("Workshop day one", 7), TemplateMilestone("Brand book delivered", 21)),
)


async def test_a_visitor_buys_pays_and_signs_in_to_the_new_project(
    shop_server: LiveServer, browser: webdriver.Chrome, stripe_standin: StripeStandIn, smtp_server: SmtpServer
) -> None:
    world = await make_world("acme")
    account = await connect(stripe_standin, world)
    await catalog.create_service(world.actor, SERVICE)

    await asyncio.to_thread(_journey, browser, shop_server.url, stripe_standin, smtp_server)

    assert await count(Purchase, Purchase.status == PurchaseStatus.paid) == 1
    assert await count(Client, Client.name == "Northwind Ltd") == 1
    [session_id] = stripe_standin.sessions
    assert stripe_standin.account_of(session_id) == account
    assert stripe_standin.balance_of(account) == {"usd": 90000}


def _journey(browser: webdriver.Chrome, base: str, standin: StripeStandIn, smtp: SmtpServer) -> None:
    portal = f"{base}/portal/acme"
    browser.get(f"{portal}/services")  # no sign-in: linked from the agency's website
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Brand workshop"))
    assert "$900.00" in browser.find_element(By.TAG_NAME, "body").text
    button(browser, "Buy").click()
    visible_input(browser, "Email").send_keys("ana@northwind.test")
    visible_input(browser, "Company").send_keys("Northwind Ltd")
    button(browser, "Continue to payment").click()

    wait(browser).until(lambda b: b.current_url.startswith(f"{standin.url}/pay/"))
    assert "900.00" in browser.find_element(By.TAG_NAME, "body").text
    browser.find_element(By.ID, "pay").click()

    wait(browser).until(lambda b: b.current_url.startswith(f"{portal}/services?purchase=success"))
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Thank you!"))

    welcome = smtp.inbox.first(
        lambda m: m["To"] == "ana@northwind.test" and m["Subject"] == "Thank you for your purchase: Brand workshop"
    )
    found = re.search(rf"^({re.escape(portal)}/link/\S+?)\r?$", plain_text(welcome), re.MULTILINE)
    assert found, plain_text(welcome)
    browser.get(found.group(1))
    browser.find_element(By.XPATH, "//button[normalize-space()='Continue']").click()
    wait(browser).until(ec.url_to_be(f"{portal}/"))
    browser.get(f"{portal}/projects")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Brand workshop"))
    browser.find_element(By.PARTIAL_LINK_TEXT, "Brand workshop").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Workshop day one"))
    assert "Brand book delivered" in browser.find_element(By.TAG_NAME, "body").text
