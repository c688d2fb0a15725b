"""Headless Chromium against `python main.py serve`: a signed-in contact finds the sent invoice and downloads its PDF."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from models.invoices import InvoiceView
from portal_app.auth.portal import PORTAL_COOKIE
from services.billing.invoice_views import InvoiceDetail
from services.billing.invoices import LineInput
from tests.support.browser import settled, signed_in_cookie, wait
from tests.support.db import count
from tests.support.factories import make_world
from tests.support.invoicing import issue_invoice
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser


async def test_contact_sees_the_sent_invoice_not_the_draft_and_downloads_the_pdf(
    live_server: LiveServer, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    world = await make_world("acme")
    sent = await issue_invoice(world)
    draft = await issue_invoice(world, send=False, lines=[LineInput("Unreleased draft work", "1", "10.00")])
    cookie = await signed_in_cookie(world.contact.id)
    downloads = tmp_path / "downloads"
    downloads.mkdir()

    await asyncio.to_thread(_journey, browser, live_server.url, cookie, sent, draft, downloads)

    assert (downloads / f"{sent.number}.pdf").read_bytes().startswith(b"%PDF")
    assert await count(InvoiceView, InvoiceView.invoice_id == sent.id, InvoiceView.via == "portal_pdf") == 1
    assert await count(InvoiceView, InvoiceView.invoice_id == sent.id, InvoiceView.via == "portal") == 1
    assert await count(InvoiceView, InvoiceView.invoice_id == draft.id) == 0


def _journey(
    browser: webdriver.Chrome, base: str, cookie: str, sent: InvoiceDetail, draft: InvoiceDetail, downloads: Path
) -> None:
    # This test's own download folder: the session-wide browser's default one is shared with other tests.
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    portal = f"{base}/portal/acme"
    browser.get(f"{portal}/login")
    browser.add_cookie({"name": PORTAL_COOKIE, "value": cookie, "path": "/portal/acme", "httpOnly": True})
    browser.get(f"{portal}/")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Acme Website"))

    browser.find_element(By.XPATH, "//header//a[normalize-space()='Invoices']").click()
    wait(browser).until(ec.url_to_be(f"{portal}/invoices"))
    # The table may be redrawn once its websocket connects: look elements up afresh each time.
    row = f"//tr[.//a[normalize-space()='{sent.number}']]"
    settled(browser).until(lambda b: "Sent" in b.find_element(By.XPATH, row).text)
    assert "$1,440.00" in browser.find_element(By.XPATH, row).text
    body = browser.find_element(By.TAG_NAME, "body").text
    assert draft.number not in body and "Unreleased draft work" not in body
    assert "Outstanding" in body and "USD" not in body

    settled(browser).until(lambda b: b.find_element(By.LINK_TEXT, sent.number).click() or True)
    wait(browser).until(ec.url_to_be(f"{portal}/invoices/{sent.id}"))
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), f"Invoice {sent.number}"))
    download = "//a[.//span[normalize-space()='Download PDF']]"
    settled(browser).until(lambda b: b.find_element(By.XPATH, download).click() or True)
    target = downloads / f"{sent.number}.pdf"
    # The download finishes when Chromium renames its .crdownload file to the final name.
    wait(browser, timeout=30).until(lambda _: target.exists() and not list(downloads.glob("*.crdownload")))
    assert browser.current_url == f"{portal}/invoices/{sent.id}"  # a download, not a navigation
