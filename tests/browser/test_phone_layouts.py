"""Every portal page and the public invoice page on a 390×844 phone in headless Chromium: nothing reaches past the
screen's width, lists stack, the bottom navigation marks where you are and its targets are thumb-sized; the staff
workspace opens with its drawer closed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from portal_app.auth.portal import PORTAL_COOKIE
from portal_app.auth.staff import STAFF_COOKIE
from services.billing import invoice_views, manual_payments
from services.billing.invoices import LineInput
from services.catalog import catalog
from services.core import clock
from services.projects import discussion, milestones, work_requests
from services.time import entries, rates
from tests.support.browser import signed_in_cookie, staff_session_cookie, wait
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import issue_invoice
from tests.support.live import LiveServer
from tests.support.phone import as_phone, overflow, small_targets

pytestmark = pytest.mark.browser

LONG_LINE = "Spring campaign site: design, build and launch of the landing pages with the newsletter sign-up"


async def _seed(world: OrgWorld) -> tuple[uuid.UUID, str]:
    today = clock.now().date()
    lines = [
        LineInput(LONG_LINE, "1", "4145.00", "20"),
        LineInput("Stock photography", "12", "215.50"),
        LineInput("Hosting", "12", "29.00"),
    ]
    invoice = await issue_invoice(
        world, lines=lines, issue_date=today - timedelta(days=33), due_date=today - timedelta(days=3)
    )
    await manual_payments.record_payment(world.actor, invoice.id, manual_payments.PaymentInput("1000.00"))
    await issue_invoice(world, lines=[LineInput("Retainer, November", "10", "95.00")])
    pid = world.project.id
    await milestones.add_milestone(world.actor, pid, milestones.MilestoneInput("Designs approved", today, True))
    await milestones.add_milestone(world.actor, pid, milestones.MilestoneInput("Launch of the campaign site", today))
    for title in ("Newsletter sign-up in the footer", "Check the contact form on mobile phones and tablets"):
        await work_requests.create_request(world.actor, pid, work_requests.RequestInput(title))
    await discussion.post_update(world.actor, pid, "Designs are signed off: the build starts Monday. " * 4, "public")
    await rates.set_project_rates(world.actor, pid, hourly_rate="95.00", budget_hours="40")
    logged = [
        await entries.log_entry(world.actor, entries.EntryInput(pid, today, hours, text, billable=billable))
        for hours, text, billable in (("2.5", LONG_LINE, True), ("0.5", "Call about the hero image", False))
    ]
    await entries.approve(world.actor, [e.id for e in logged])
    for name, interval in (
        ("Landing page design and build, with two rounds of changes", "one_time"),
        ("Care", "month"),
    ):
        await catalog.create_service(
            world.actor, catalog.ServiceInput(name, "2400.00", "USD", interval, description=LONG_LINE, public=True)
        )
    return invoice.id, invoice_views.public_token(invoice.id)


async def test_portal_pages_fit_a_phone(live_server: LiveServer, browser: webdriver.Chrome) -> None:
    world = await make_world("acme")
    invoice_id, token = await _seed(world)
    cookie = await signed_in_cookie(world.contact.id)
    pages = {
        "Home": ("/", "Your balance"),
        "Invoices": ("/invoices", "Payment history"),
        "Invoice": (f"/invoices/{invoice_id}", "Stock photography"),
        "Projects": ("/projects", "Acme Website"),
        "Project": (f"/projects/{world.project.id}", "Launch of the campaign site"),
        "Files": ("/files", "Files"),
        "Hours": ("/hours", "Call about the hero image"),
        "Services": ("/services", "Landing page design"),
    }
    checked = await asyncio.to_thread(_check_portal, browser, live_server.url, cookie, pages, token)
    assert checked == [*pages, "Public invoice", "Sign-in", "Public services"]


def _check_portal(
    browser: webdriver.Chrome, base: str, cookie: str, pages: dict[str, tuple[str, str]], token: str
) -> list[str]:
    portal = f"{base}/portal/acme"
    checked = []
    with as_phone(browser):
        browser.get(f"{portal}/login")
        browser.add_cookie({"name": PORTAL_COOKIE, "value": cookie, "path": "/portal/acme", "httpOnly": True})
        for name, (path, text) in pages.items():
            browser.get(f"{portal}{path}")
            wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), text), f"{name}: no {text}")
            _fits(browser, name)
            nav = browser.find_elements(By.CSS_SELECTOR, "footer a")
            labels = [a.get_attribute("aria-label") for a in nav if a.is_displayed()]
            assert labels == ["Home", "Invoices", "Quotes", "Projects", "Files", "Hours", "Services"], name
            current = [a.get_attribute("aria-label") for a in nav if a.get_attribute("aria-current") == "page"]
            expected = {"Invoice": "Invoices", "Project": "Projects"}.get(name, name)
            assert current == [expected], f"{name}: the bottom navigation marks {current}"
            assert small_targets(browser, "footer a, .q-page-container .q-btn") == [], name
            checked.append(name)
        browser.get(f"{base}/i/{token}")
        wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Spring campaign site"))
        _fits(browser, "Public invoice")
        checked.append("Public invoice")
        browser.get(f"{portal}/login")  # cookies are deleted for the page's own path: the portal's
        browser.delete_all_cookies()
        browser.get(f"{portal}/login")
        wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Send sign-in link"))
        _fits(browser, "Sign-in")
        checked.append("Sign-in")
        browser.get(f"{portal}/services")  # open to visitors: no portal navigation, the same fit
        wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Landing page design"))
        _fits(browser, "Public services")
        assert browser.find_elements(By.CSS_SELECTOR, "footer a") == []
        assert small_targets(browser, ".q-page-container .q-btn") == [], "Public services"
        checked.append("Public services")
    return checked


def _fits(browser: webdriver.Chrome, name: str) -> None:
    found = overflow(browser)
    assert found["width"] == 390, found
    assert found["scrollWidth"] <= found["width"] and found["overflowing"] == [], f"{name}: {found}"
    assert found["clipping"] == [], f"{name}: {found}"


async def test_the_staff_drawer_starts_closed_on_a_phone_and_opens_from_the_menu(
    live_server: LiveServer, browser: webdriver.Chrome
) -> None:
    world = await make_world("acme")
    cookie = await staff_session_cookie(world.owner_email)
    await asyncio.to_thread(_check_staff, browser, live_server.url, cookie)


def _check_staff(browser: webdriver.Chrome, base: str, cookie: str) -> None:
    with as_phone(browser):
        browser.get(f"{base}/login")
        browser.add_cookie({"name": STAFF_COOKIE, "value": cookie, "path": "/", "httpOnly": True})
        browser.get(f"{base}/clients")
        wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Acme Client"))
        drawer = browser.find_element(By.CSS_SELECTOR, ".q-drawer")
        assert drawer.location["x"] + drawer.size["width"] <= 0, "the drawer covers the page on load"
        _fits(browser, "Clients")
        browser.find_element(By.CSS_SELECTOR, "button[aria-label='Menu']").click()
        wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, ".q-drawer").location["x"] >= 0)
