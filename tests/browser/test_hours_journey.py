"""Headless Chromium against `python main.py serve`: staff log two entries on the Time page and approve one on the
Approvals page; the contact opens Hours, sees only the approved entry and its total, downloads the same as CSV,
and questions it; staff see it flagged, draft an invoice from the hours and send it (through the services: the
project page's dialog has its own tests); the contact's Invoices page shows that invoice at approved hours × the
project's rate."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from portal_app.auth.portal import PORTAL_COOKIE
from portal_app.auth.staff import STAFF_COOKIE
from services.billing import hours_invoices, invoices
from services.core import clock
from services.core.formatting import Formats
from services.time import entries, rates
from tests.support.browser import button, settled, signed_in_cookie, staff_session_cookie, visible_input, wait
from tests.support.factories import make_world
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

APPROVED, WAITING = "Homepage wireframes", "Footer tweaks"
QUESTION = "Did the wireframes really take two and a half hours?"


@dataclass(frozen=True)
class Portal:
    base: str
    cookie: str
    project_id: uuid.UUID

    @property
    def url(self) -> str:
        return f"{self.base}/portal/acme"


async def test_the_client_sees_and_questions_approved_hours_then_pays_for_exactly_those(
    live_server: LiveServer, browser: webdriver.Chrome
) -> None:
    world = await make_world("acme")
    staff, pid = world.actor, world.project.id
    today = clock.now().date()
    await rates.set_project_rates(staff, pid, hourly_rate="120.00")
    staff_cookie = await staff_session_cookie(world.owner_email)
    await asyncio.to_thread(staff_log_two_and_approve_one, browser, live_server.url, staff_cookie)
    logged = {e.description: e.status for e in (await entries.list_entries(staff, project_id=pid)).items}
    assert logged == {APPROVED: "approved", WAITING: "submitted"}
    portal = Portal(live_server.url, await signed_in_cookie(world.contact.id), pid)

    csv_text = await asyncio.to_thread(contact_questions_the_hours, browser, portal)
    assert APPROVED in csv_text and WAITING not in csv_text and "2.50" in csv_text

    listing = await entries.list_entries(staff, project_id=pid)
    assert {e.description: e.questioned for e in listing.items} == {APPROVED: True, WAITING: False}

    draft = await hours_invoices.invoice_from_hours(staff, pid, date_from=today, date_to=today)
    assert draft.subtotal_minor == 25 * 12000 // 10  # 2.5 approved hours at $120; the waiting hours are not billed
    sent = await invoices.send_invoice(staff, draft.id)
    amount = Formats().money(sent.total_minor, sent.currency)
    await asyncio.to_thread(contact_sees_the_invoice, browser, portal, sent.number, amount, today)


def staff_log_two_and_approve_one(browser: webdriver.Chrome, base: str, cookie: str) -> None:
    browser.get(f"{base}/login")
    browser.add_cookie({"name": STAFF_COOKIE, "value": cookie, "path": "/", "httpOnly": True})
    browser.get(f"{base}/time")
    for hours, description in (("2.5", APPROVED), ("1:30", WAITING)):
        visible_input(browser, "Hours").clear()
        visible_input(browser, "Hours").send_keys(hours)
        visible_input(browser, "Description").clear()
        visible_input(browser, "Description").send_keys(description)
        button(browser, "Log time").click()
        settled(browser).until(ec.presence_of_element_located((By.XPATH, f"//*[normalize-space()='{description}']")))
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Week total: 4 h"))
    browser.get(f"{base}/time/approvals")
    # the queue is oldest first: the first row is the first entry logged
    row = f"//tr[.//*[normalize-space()='{APPROVED}']]"
    # Found and clicked in one try: the table may be drawn again in between (a stale element is tried again).
    settled(browser).until(
        lambda b: b.find_element(By.XPATH, f"{row}//*[contains(@class,'q-checkbox')]").click() or True
    )
    button(browser, "Approve selected").click()
    settled(browser).until(lambda b: not b.find_elements(By.XPATH, row))
    assert browser.find_elements(By.XPATH, f"//tr[.//*[normalize-space()='{WAITING}']]")


def body(browser: webdriver.Chrome) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


def contact_questions_the_hours(browser: webdriver.Chrome, portal: Portal) -> str:
    """The Hours page and its CSV, then a question on the approved entry; the CSV's text."""
    browser.get(f"{portal.url}/login")
    browser.add_cookie({"name": PORTAL_COOKIE, "value": portal.cookie, "path": "/", "httpOnly": True})
    browser.get(f"{portal.url}/")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Acme Website"))
    browser.find_element(By.XPATH, "//header//a[normalize-space()='Hours']").click()
    wait(browser).until(ec.url_to_be(f"{portal.url}/hours"))
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), APPROVED))
    shown = body(browser)
    assert WAITING not in shown and "$120" not in shown and "120.00" not in shown  # no unapproved time, no rate
    assert "Total\n2.5 h" in shown
    for label in ("From", "To"):
        assert browser.find_elements(By.XPATH, f"//input[@aria-label='{label}']")

    href = browser.find_element(By.XPATH, "//a[normalize-space()='Download CSV']").get_attribute("href")
    assert href and href.startswith(f"{portal.url}/hours.csv?")
    response = httpx.get(href, cookies={PORTAL_COOKIE: portal.cookie})
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"

    button(browser, "Question").click()
    box = wait(browser).until(
        lambda b: next(
            (e for e in b.find_elements(By.XPATH, "//textarea[@aria-label='Question']") if e.is_displayed()), None
        )
    )
    box.send_keys(QUESTION)
    button(browser, "Send", within="//*[contains(@class,'q-dialog')]").click()
    link = settled(browser).until(lambda b: b.find_element(By.XPATH, "//a[normalize-space()='Open the project']"))
    assert link.get_attribute("href") == f"{portal.url}/projects/{portal.project_id}"
    settled(browser).until(
        lambda b: b.find_element(By.XPATH, "//*[contains(@class,'q-badge')][normalize-space()='Questioned']")
    )
    return response.text


def contact_sees_the_invoice(browser: webdriver.Chrome, portal: Portal, number: str, amount: str, day: date) -> None:
    browser.get(f"{portal.url}/invoices")
    row = f"//tr[.//a[normalize-space()='{number}']]"
    settled(browser).until(lambda b: "Sent" in b.find_element(By.XPATH, row).text)
    assert amount == "$300.00"  # 2.5 h × $120, no tax in this organization
    assert amount in browser.find_element(By.XPATH, row).text
    # and the question is a request on the project, quoting the entry
    browser.get(f"{portal.url}/projects/{portal.project_id}")
    wait(browser).until(
        ec.text_to_be_present_in_element((By.TAG_NAME, "body"), f"Question about hours on {day.isoformat()}")
    )
