"""Keyboard only (Tab, Enter, Space, Escape; no clicks) in headless Chromium against `python main.py serve`: a
contact signs in with the mailed code, opens an invoice and downloads its PDF, opens a project and submits a
request; staff sign in and move a request to another column with the keyboard."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from models import RequestStatus
from portal_app.auth.portal import PORTAL_COOKIE
from portal_app.auth.staff import STAFF_COOKIE
from services.billing.invoice_views import InvoiceDetail
from services.documents import wording
from services.projects import work_requests
from tests.support.browser import settled, signed_in_cookie, staff_session_cookie, wait
from tests.support.factories import PASSWORD, OrgWorld, make_world
from tests.support.invoicing import issue_invoice
from tests.support.keyboard import focused, page_ready, press, tab_to, type_into
from tests.support.live import LiveServer
from tests.support.portal import link_and_code, mails_to

pytestmark = pytest.mark.browser


async def quiet_world() -> OrgWorld:
    """Acme, making no welcome packet: the journeys drive pages that no other change redraws midway (the last
    test here is the one about a redraw)."""
    world = await make_world("acme")
    await wording.save_wording(world.actor, "welcome", enabled=False, title="", intro="", closing="")
    return world


def body(browser: webdriver.Chrome) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


async def test_a_contact_signs_in_reads_an_invoice_and_asks_for_work_by_keyboard(
    live_server: LiveServer, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    world = await quiet_world()
    invoice = await issue_invoice(world)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    base = live_server.url
    await asyncio.to_thread(ask_for_a_link, browser, base, world.contact.email)
    _, code = link_and_code((await mails_to(world.contact.email))[-1])
    await asyncio.to_thread(contact_journey, browser, base, code, invoice, downloads)
    assert (downloads / f"{invoice.number}.pdf").read_bytes().startswith(b"%PDF")
    board = await work_requests.project_board(world.actor, world.project.id)
    assert [card.title for card in board.columns[RequestStatus.backlog]] == ["Bigger logo on the home page"]


def ask_for_a_link(browser: webdriver.Chrome, base: str, email: str) -> None:
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.get(f"{base}/portal/acme/login")
    page_ready(browser)
    type_into(browser, "Email", email)
    tab_to(browser, "Send sign-in link")
    press(browser, Keys.ENTER)
    wait(browser).until(lambda b: "check your email" in body(b).lower())


def contact_journey(browser: webdriver.Chrome, base: str, code: str, invoice: InvoiceDetail, downloads: Path) -> None:
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    type_into(browser, "Code", code)
    tab_to(browser, "Sign in")
    press(browser, Keys.ENTER)
    wait(browser).until(lambda b: b.current_url == f"{base}/portal/acme/")
    page_ready(browser)

    tab_to(browser, "Invoices")
    press(browser, Keys.ENTER)
    wait(browser).until(lambda b: b.current_url == f"{base}/portal/acme/invoices")
    page_ready(browser)
    wait(browser).until(lambda b: invoice.number in body(b))
    tab_to(browser, invoice.number)
    press(browser, Keys.ENTER)
    wait(browser).until(lambda b: b.current_url == f"{base}/portal/acme/invoices/{invoice.id}")
    page_ready(browser)
    tab_to(browser, "Download PDF")
    press(browser, Keys.ENTER)
    target = downloads / f"{invoice.number}.pdf"
    wait(browser, timeout=30).until(lambda _: target.exists() and not list(downloads.glob("*.crdownload")))

    tab_to(browser, "Projects")
    press(browser, Keys.ENTER)
    wait(browser).until(lambda b: b.current_url == f"{base}/portal/acme/projects")
    page_ready(browser)
    tab_to(browser, "Acme Website")
    press(browser, Keys.ENTER)
    wait(browser).until(lambda b: "/portal/acme/projects/" in b.current_url)
    page_ready(browser)
    tab_to(browser, "New request")
    press(browser, Keys.ENTER)
    wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".q-dialog"))
    # The dialog opens with its Title field focused (autofocus): type straight into it.
    wait(browser).until(
        lambda b: "Title" in (b.execute_script("return document.activeElement.closest('.q-field')?.innerText") or "")
    )
    press(browser, "Bigger logo on the home page")
    type_into(browser, "Description", "The logo reads small on phones.")
    tab_to(browser, "Submit")
    press(browser, Keys.ENTER)
    wait(browser).until(lambda b: not b.find_elements(By.CSS_SELECTOR, ".q-dialog"))
    wait(browser).until(lambda b: "Bigger logo on the home page" in body(b))


async def test_staff_sign_in_and_move_a_request_by_keyboard(live_server: LiveServer, browser: webdriver.Chrome) -> None:
    world = await quiet_world()
    card = await work_requests.create_request(
        world.actor, world.project.id, work_requests.RequestInput("Fix the footer links")
    )
    await asyncio.to_thread(staff_journey, browser, live_server.url, world, card.id)
    board = await work_requests.project_board(world.actor, world.project.id)
    assert [c.title for c in board.columns[RequestStatus.in_progress]] == ["Fix the footer links"]
    assert board.columns[RequestStatus.backlog] == []


def staff_journey(browser: webdriver.Chrome, base: str, world: OrgWorld, card_id: uuid.UUID) -> None:
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.get(f"{base}/login")
    page_ready(browser)
    type_into(browser, "Email", world.owner_email)
    type_into(browser, "Password", PASSWORD)
    press(browser, Keys.ENTER)
    wait(browser).until(lambda b: b.current_url == f"{base}/")
    browser.get(f"{base}/projects/{world.project.id}")  # an address typed, not a click
    page_ready(browser)
    press(browser, Keys.TAB)
    assert focused(browser) == "Skip to content"  # the first stop on every page
    press(browser, Keys.ENTER)
    assert browser.execute_script("return document.activeElement.id") == "main-content"
    wait(browser).until(lambda b: "Fix the footer links" in body(b))
    tab_to(browser, "Move Fix the footer links")
    press(browser, Keys.ENTER)
    wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".q-menu"))
    tab_to(browser, "Move to In progress")
    press(browser, Keys.ENTER)
    wait(browser).until(lambda b: not b.find_elements(By.CSS_SELECTOR, ".q-menu"))


ERROR_OF_FOCUSED_FORM = """
const input = [...document.querySelectorAll('.q-dialog input')].find(i => i.closest('label')?.innerText.includes('Title'));
const alert = input?.closest('label')?.querySelector('[role=alert]');
return [input?.getAttribute('aria-invalid') || '', alert ? alert.innerText : ''];
"""


async def test_a_refused_form_announces_its_error_on_the_field(
    live_server: LiveServer, browser: webdriver.Chrome
) -> None:
    world = await quiet_world()
    cookie = await signed_in_cookie(world.contact.id)
    invalid, message = await asyncio.to_thread(submit_empty_request, browser, live_server.url, cookie, world)
    assert (invalid, message) == ("true", "Title is required.")
    board = await work_requests.project_board(world.actor, world.project.id)
    assert all(cards == [] for cards in board.columns.values())  # refused: nothing was filed


def submit_empty_request(browser: webdriver.Chrome, base: str, cookie: str, world: OrgWorld) -> tuple[str, str]:
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.get(f"{base}/portal/acme/login")
    browser.add_cookie({"name": PORTAL_COOKIE, "value": cookie, "path": "/portal/acme", "httpOnly": True})
    browser.get(f"{base}/portal/acme/projects/{world.project.id}")
    page_ready(browser)
    tab_to(browser, "New request")
    press(browser, Keys.ENTER)
    wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".q-dialog"))
    tab_to(browser, "Submit")
    press(browser, Keys.ENTER)
    wait(browser).until(lambda b: b.execute_script(ERROR_OF_FOCUSED_FORM)[1])
    invalid, message = browser.execute_script(ERROR_OF_FOCUSED_FORM)
    press(browser, Keys.ESCAPE)  # Escape closes the dialog
    wait(browser).until(lambda b: not b.find_elements(By.CSS_SELECTOR, ".q-dialog"))
    return invalid, message


async def test_focus_stays_on_its_control_when_another_session_redraws_the_board(
    live_server: LiveServer, browser: webdriver.Chrome
) -> None:
    world = await quiet_world()
    for title in ("Fix the footer links", "Compress the hero image"):
        await work_requests.create_request(world.actor, world.project.id, work_requests.RequestInput(title))
    cookie = await staff_session_cookie(world.owner_email)
    name = await asyncio.to_thread(focus_through_a_redraw, browser, live_server.url, cookie, world)
    assert name == "Move Fix the footer links"
    board = await work_requests.project_board(world.actor, world.project.id)
    assert [c.title for c in board.columns[RequestStatus.done]] == ["Compress the hero image"]


def focus_through_a_redraw(browser: webdriver.Chrome, base: str, cookie: str, world: OrgWorld) -> str:
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.get(f"{base}/login")
    browser.add_cookie({"name": STAFF_COOKIE, "value": cookie, "path": "/", "httpOnly": True})
    page = f"{base}/projects/{world.project.id}"
    browser.get(page)
    page_ready(browser)
    tab_to(browser, "Move Fix the footer links")
    mine = browser.current_window_handle
    # Someone else, in another window and with a mouse, moves the other card: this window's board is drawn again.
    done = "[data-column='done']"
    browser.switch_to.new_window("window")
    browser.get(page)
    page_ready(browser)
    mover = "//button[@aria-label='Move Compress the hero image']"
    settled(browser).until(lambda b: b.find_element(By.XPATH, mover).click() or True)
    item = "//*[contains(@class,'q-menu')]//*[normalize-space()='Move to Done']"
    settled(browser).until(lambda b: b.find_element(By.XPATH, item).click() or True)
    wait(browser, timeout=30).until(lambda b: "Compress the hero image" in b.find_element(By.CSS_SELECTOR, done).text)
    browser.close()
    browser.switch_to.window(mine)
    wait(browser, timeout=30).until(lambda b: "Compress the hero image" in b.find_element(By.CSS_SELECTOR, done).text)
    return str(browser.execute_script("return document.activeElement.getAttribute('aria-label')"))
