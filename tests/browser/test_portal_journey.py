"""Headless Chromium against `python main.py serve` with real SMTP: a contact signs in by mail and signs out."""

from __future__ import annotations

import asyncio
import re

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.support.browser import button, visible_input, wait
from tests.support.factories import make_world
from tests.support.live import LiveServer
from tests.support.mail import plain_text
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.browser


async def test_contact_signs_in_with_the_mailed_link_and_signs_out(
    mailing_server: LiveServer, browser: webdriver.Chrome, smtp_server: SmtpServer
) -> None:
    world = await make_world("acme")
    await asyncio.to_thread(_journey, browser, mailing_server.url, smtp_server, world.contact.email)


def _journey(browser: webdriver.Chrome, base: str, smtp: SmtpServer, email: str) -> None:
    portal = f"{base}/portal/acme"
    browser.get(f"{portal}/login")
    visible_input(browser, "Email").send_keys(email)
    button(browser, "Send sign-in link").click()
    wait(browser).until(lambda b: "check your email" in b.find_element(By.TAG_NAME, "body").text.lower())
    visible_input(browser, "Code")  # the code field appears beside the neutral answer

    message = smtp.inbox.first(lambda m: m["To"] == email and m["Subject"].startswith("Your sign-in link"))
    text = plain_text(message)
    found = re.search(rf"^({re.escape(portal)}/link/\S+?)\r?$", text, re.MULTILINE)
    assert found, text
    link = found.group(1)

    browser.get(link)
    assert "Continue to Acme" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.XPATH, "//button[normalize-space()='Continue']").click()
    wait(browser).until(ec.url_to_be(f"{portal}/"))
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Acme Website"))
    cookie = browser.get_cookie("portico_portal")
    assert cookie and cookie["httpOnly"] and cookie["path"] == "/portal/acme", cookie

    button(browser, "Sign out").click()
    wait(browser).until(ec.url_to_be(f"{portal}/login"))
    button(browser, "Send sign-in link")
    assert browser.get_cookie("portico_portal") is None

    browser.get(link)
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "no longer works"))
    assert browser.find_elements(By.XPATH, "//a[@href='/portal/acme/login']")
