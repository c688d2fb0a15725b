"""Date inputs in headless Chromium: a German agency types "15042026" and reads "15.04.2026" (the mask puts the
dots), or picks a day from the calendar, which writes it the same way."""

from __future__ import annotations

import asyncio

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec

from portal_app.auth.staff import STAFF_COOKIE
from tests.support.browser import staff_session_cookie, wait
from tests.support.factories import make_world
from tests.support.live import LiveServer
from tests.support.locales import speak

pytestmark = pytest.mark.browser


async def test_a_date_is_typed_through_the_locales_mask_or_picked(
    live_server: LiveServer, browser: webdriver.Chrome
) -> None:
    world = await make_world("acme")
    await speak(world, "de_DE", "Europe/Berlin")
    cookie = await staff_session_cookie(world.owner_email)
    await asyncio.to_thread(_type_and_pick, browser, live_server.url, cookie, str(world.client.id))


def _field(browser: webdriver.Chrome, label: str) -> WebElement:
    return browser.find_element(By.XPATH, f"//label[.//div[normalize-space()='{label}']]//input")


def _type_and_pick(browser: webdriver.Chrome, base: str, cookie: str, client_id: str) -> None:
    browser.get(f"{base}/login")
    browser.add_cookie({"name": STAFF_COOKIE, "value": cookie, "path": "/", "httpOnly": True})
    browser.get(f"{base}/invoices/new?client={client_id}")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Save draft"))
    issue = _field(browser, "Issue date")
    assert issue.get_attribute("placeholder") == "DD.MM.YYYY"
    issue.send_keys(Keys.CONTROL, "a")  # select what is there …
    issue.send_keys("15042026")  # … and type the digits only
    wait(browser).until(lambda _: _field(browser, "Issue date").get_attribute("value") == "15.04.2026")
    wait(browser).until(lambda _: _field(browser, "Due date").get_attribute("value") == "15.05.2026")  # + 30 days

    browser.find_element(By.CSS_SELECTOR, "[aria-label='Pick due date']").click()
    calendar = wait(browser).until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".q-date")))
    calendar.find_element(By.XPATH, ".//button[.//span[normalize-space()='20']]").click()
    wait(browser).until(lambda _: _field(browser, "Due date").get_attribute("value") == "20.05.2026")
