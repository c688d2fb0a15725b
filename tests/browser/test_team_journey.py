"""Headless Chromium against `python main.py serve` with real SMTP: an owner invites a colleague, who joins by the
mailed link and works with a member's limits."""

from __future__ import annotations

import asyncio
import re

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from services.staff import staff
from tests.support.browser import button, staff_session_cookie, visible_input, wait
from tests.support.factories import make_org
from tests.support.live import LiveServer
from tests.support.mail import plain_text
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.browser

NEW_PASSWORD = "violet kettle drums quietly"


async def test_an_invited_colleague_joins_by_the_mailed_link_as_a_member(
    mailing_server: LiveServer, browser: webdriver.Chrome, smtp_server: SmtpServer
) -> None:
    owner = await make_org("acme", name="Acme Agency")
    cookie = await staff_session_cookie(owner.email)
    await asyncio.to_thread(_journey, browser, mailing_server.url, smtp_server, cookie)
    who = await staff.check_password("nina@example.test", NEW_PASSWORD)
    assert who is not None and (who.org_id, who.role.value) == (owner.org_id, "member")


def _body(browser: webdriver.Chrome) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


def _journey(browser: webdriver.Chrome, base: str, smtp: SmtpServer, cookie: str) -> None:
    browser.get(f"{base}/healthz")  # a page of the site first, so its cookie can be set
    browser.add_cookie({"name": "portico_staff", "value": cookie, "path": "/", "httpOnly": True})
    browser.get(f"{base}/people")
    button(browser, "Invite").click()
    visible_input(browser, "Email").send_keys("nina@example.test")
    # Member is the role the dialog starts with
    wait(browser).until(lambda b: "Member" in b.find_element(By.XPATH, "//div[contains(@class,'q-dialog')]").text)
    button(browser, "Send invitation", within="//div[contains(@class,'q-dialog')]").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "nina@example.test"))

    message = smtp.inbox.first(lambda m: m["To"] == "nina@example.test")
    found = re.search(rf"^({re.escape(base)}/join/\S+?)\r?$", plain_text(message), re.MULTILINE)
    assert found, plain_text(message)

    browser.delete_all_cookies()  # the colleague's own browser
    browser.get(found.group(1))
    wait(browser).until(lambda b: "Join Acme Agency" in _body(b) and "Member" in _body(b))
    visible_input(browser, "Name").send_keys("Nina Newman")
    visible_input(browser, "Password").send_keys(NEW_PASSWORD)
    button(browser, "Create account").click()
    wait(browser).until(ec.url_to_be(f"{base}/"))
    wait(browser).until(lambda b: "nina@example.test" in _body(b) and "Sign out" in _body(b))

    browser.get(f"{base}/people")
    wait(browser).until(lambda b: "Nina Newman" in _body(b) and "owner@acme.test" in _body(b))
    assert not browser.find_elements(By.XPATH, "//button[.//span[normalize-space()='Invite']]")
    assert not browser.find_elements(By.XPATH, "//button[.//span[normalize-space()='Remove access']]")

    browser.get(f"{base}/settings")
    name = visible_input(browser, "Organization name")  # a member reads the settings, cannot change them
    assert not name.is_enabled()
