"""The README's screenshots, taken from the demo agency in headless Chromium: two of the workspace and two of the
portal, one of them on a phone. `PORTICO_SCREENSHOTS=docs/screenshots` keeps them (that is how the README's were
made); otherwise they go to the test's temporary folder, and the test still checks every page drew its content."""

from __future__ import annotations

import asyncio
import os
import struct
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from portal_app.auth.portal import PORTAL_COOKIE
from portal_app.auth.staff import STAFF_COOKIE
from tests.support.browser import signed_in_cookie, staff_session_cookie, wait
from tests.support.demo_agency import seeded_demo
from tests.support.live import LiveServer
from tests.support.phone import as_phone

pytestmark = pytest.mark.browser


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", header[16:24])
    return width, height


async def test_readme_screenshots_of_the_demo(
    live_server: LiveServer, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    agency = await seeded_demo()
    login, site, jane = agency.login, agency.site, agency.jane
    staff_cookie = await staff_session_cookie(login.email)
    portal_cookie = await signed_in_cookie(jane.id)
    folder = Path(os.environ.get("PORTICO_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shots = await asyncio.to_thread(
        _take, browser, live_server.url, folder, staff_cookie, portal_cookie, login.slug, str(site.id)
    )
    assert [png_size(folder / name) for name in shots] == [(1280, 900), (1280, 900), (1280, 900), (390 * 2, 844 * 2)]


def _take(
    browser: webdriver.Chrome, base: str, folder: Path, staff_cookie: str, portal_cookie: str, slug: str, project: str
) -> list[str]:
    browser.set_window_size(1280, 900)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    )
    browser.get(f"{base}/login")
    browser.add_cookie({"name": STAFF_COOKIE, "value": staff_cookie, "path": "/", "httpOnly": True})
    shots = []
    for name, path, text in (
        ("workspace-home.png", "/", "Recent activity"),
        ("workspace-project.png", f"/projects/{project}", "Newsletter sign-up in the footer"),
    ):
        browser.get(f"{base}{path}")
        wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), text))
        _settle(browser)
        browser.save_screenshot(str(folder / name))
        shots.append(name)
    portal = f"{base}/portal/{slug}"
    browser.get(f"{portal}/login")
    browser.add_cookie({"name": PORTAL_COOKIE, "value": portal_cookie, "path": f"/portal/{slug}", "httpOnly": True})
    browser.get(f"{portal}/")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Your balance"))
    _settle(browser)
    browser.save_screenshot(str(folder / "portal-home.png"))
    shots.append("portal-home.png")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    with as_phone(browser):
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
        )
        browser.get(f"{portal}/invoices")
        wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Payment history"))
        _settle(browser)
        browser.save_screenshot(str(folder / "portal-invoices-phone.png"))
        shots.append("portal-invoices-phone.png")
    return shots


def _settle(browser: webdriver.Chrome) -> None:
    """Wait until the page's tables and charts have drawn (no Quasar loading bar, fonts ready)."""
    wait(browser).until(
        lambda b: b.execute_script(
            "return document.fonts.status === 'loaded' && !document.querySelector('.q-loading-bar--active, .q-spinner')"
        )
    )
