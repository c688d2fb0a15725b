"""Headless Chromium under Portico's Content-Security-Policy: the pages work, and an injected inline script does not."""

from __future__ import annotations

import asyncio

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from tests.support.browser import button, visible_input, wait
from tests.support.factories import PASSWORD, make_world
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

# Added through DevTools, which the page's policy does not govern: it records every violation from the start.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "") + " " + (e.sample || ""));
});
"""
INJECT = """
const script = document.createElement("script");
script.textContent = "window.__injected = true";
document.body.appendChild(script);
"""


async def test_pages_work_under_the_policy_and_injected_scripts_stay_blocked(
    live_server: LiveServer, browser: webdriver.Chrome
) -> None:
    await make_world("acme")
    await asyncio.to_thread(_journey, browser, live_server.url)


def _journey(browser: webdriver.Chrome, base: str) -> None:
    marker = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    try:
        browser.get(f"{base}/login")
        csp = _policy_of(browser, base)
        assert "script-src 'self' 'unsafe-eval' 'sha256-" in csp
        visible_input(browser, "Email").send_keys("owner@acme.test")
        visible_input(browser, "Password").send_keys(PASSWORD)
        button(browser, "Sign in").click()  # a websocket event, a ticket, a cookie route: all under the policy
        wait(browser).until(ec.url_to_be(f"{base}/"))
        wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Invoiced vs collected"))
        browser.get(f"{base}/clients")
        wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Acme Client"))
        browser.get(f"{base}/portal/acme/login")
        visible_input(browser, "Email").send_keys("jane@client-acme.test")
        button(browser, "Send sign-in link").click()
        wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Check your email"))
        assert browser.execute_script("return window.__violations") == []

        browser.execute_script(INJECT)
        wait(browser).until(lambda b: b.execute_script("return window.__violations.length") > 0)
        assert browser.execute_script("return window.__injected") is None
        [violation] = browser.execute_script("return window.__violations")
        assert violation.startswith("script-src")
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": marker["identifier"]})


def _policy_of(browser: webdriver.Chrome, base: str) -> str:
    """The policy the page was served with, read back as the browser received it."""
    return browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => done(r.headers.get('content-security-policy')));",
        f"{base}/login",
    )
