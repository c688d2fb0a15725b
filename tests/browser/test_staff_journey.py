"""Headless Chromium against `python main.py serve`: staff signs in, adds a client and a contact, sees them listed."""

from __future__ import annotations

import asyncio

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from services.clients import clients, contacts
from tests.support.browser import button, visible_input, wait
from tests.support.factories import PASSWORD, make_org
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser


INITECH_ROW = "//tr[.//a[normalize-space()='Initech']]/td"


async def test_staff_signs_in_and_adds_a_client_and_a_contact(
    live_server: LiveServer, browser: webdriver.Chrome
) -> None:
    actor = await make_org("acme", name="Acme Agency")
    base = live_server.url

    await asyncio.to_thread(_journey, browser, base)

    page = await clients.list_clients(actor, search="Initech")
    assert [c.name for c in page.items] == ["Initech"]
    assert [c.email for c in (await contacts.list_contacts(actor, page.items[0].id)).items] == ["peter@initech.test"]


def _journey(browser: webdriver.Chrome, base: str) -> None:
    browser.get(f"{base}/clients")
    wait(browser).until(ec.url_contains("/login?next=/clients"))
    visible_input(browser, "Email").send_keys("owner@acme.test")
    visible_input(browser, "Password").send_keys(PASSWORD)
    button(browser, "Sign in").click()
    wait(browser).until(ec.url_to_be(f"{base}/clients"))

    button(browser, "New client").click()
    visible_input(browser, "Name").send_keys("Initech")
    visible_input(browser, "Email").send_keys("billing@initech.test")
    button(browser, "Save", within="//div[contains(@class,'q-dialog')]").click()
    wait(browser).until(ec.url_matches(rf"{base}/clients/[0-9a-f-]{{36}}$"))
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "billing@initech.test"))

    button(browser, "Add contact").click()
    visible_input(browser, "Name").send_keys("Peter Gibbons")
    visible_input(browser, "Email").send_keys("peter@initech.test")
    button(browser, "Add contact", within="//div[contains(@class,'q-dialog')]").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Peter Gibbons"))

    browser.get(f"{base}/clients")
    cells = wait(browser).until(lambda b: [td.text for td in b.find_elements(By.XPATH, INITECH_ROW)] or None)
    assert cells is not None  # `until` returns only what is truthy
    assert cells[1] == "billing@initech.test"
    assert cells[2] == "1"  # one contact
