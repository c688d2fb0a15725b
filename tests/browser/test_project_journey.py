"""Headless Chromium against `python main.py serve`: a contact opens the project, adds a request, staff move it
(through the API, so the change is made inside the server), and the contact sees it move without a reload."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec

from models.collaboration import RequestStatus
from portal_app.auth.portal import PORTAL_COOKIE
from services.projects import work_requests
from services.staff import api_tokens
from tests.support.browser import button, settled, signed_in_cookie, visible_input, wait
from tests.support.factories import make_world
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

TITLE = "Add a careers page"


def in_column(column: str, text: str) -> str:
    return f"//*[@role='region' and @aria-label='{column}']//*[normalize-space()='{text}']"


def visible_textarea(browser: webdriver.Chrome, label: str) -> WebElement:
    return wait(browser).until(
        lambda b: next(
            (e for e in b.find_elements(By.XPATH, f"//textarea[@aria-label='{label}']") if e.is_displayed()), None
        )
    )


async def test_contact_adds_a_request_and_sees_staff_move_it_live(
    live_server: LiveServer, browser: webdriver.Chrome
) -> None:
    world = await make_world("acme")
    cookie = await signed_in_cookie(world.contact.id)
    token = await api_tokens.create_token(world.actor, "journey")

    await asyncio.to_thread(_journey, browser, live_server.url, cookie, token, world.project.id)

    board = await work_requests.project_board(world.actor, world.project.id)
    [card] = board.columns[RequestStatus.in_progress]
    assert (card.title, card.description, card.requester_name) == (TITLE, "With our open roles.", "Jane Doe")


def _journey(browser: webdriver.Chrome, base: str, cookie: str, token: str, project_id: uuid.UUID) -> None:
    portal = f"{base}/portal/acme"
    page = f"{portal}/projects/{project_id}"
    browser.get(f"{portal}/login")
    browser.add_cookie({"name": PORTAL_COOKIE, "value": cookie, "path": "/portal/acme", "httpOnly": True})
    browser.get(page)
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Acme Website"))
    for column in ("Backlog", "In progress", "Done"):
        region = (By.XPATH, f"//*[@role='region' and @aria-label='{column}']")
        wait(browser).until(ec.presence_of_all_elements_located(region))

    button(browser, "New request").click()
    visible_input(browser, "Title").send_keys(TITLE)
    visible_textarea(browser, "Description").send_keys("With our open roles.")
    button(browser, "Submit").click()
    settled(browser).until(lambda b: b.find_element(By.XPATH, in_column("Backlog", TITLE)).is_displayed())

    # Anything that reloads the page or navigates away would drop this.
    browser.execute_script("window.__still_here = 1;")
    api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=15)
    with api:
        listing = api.get(f"/projects/{project_id}/requests").json()
        [request] = [r for r in listing["items"] if r["title"] == TITLE]
        moved = api.patch(f"/requests/{request['id']}", json={"status": "in_progress"})
        assert moved.status_code == 200, moved.text

    settled(browser).until(lambda b: b.find_element(By.XPATH, in_column("In progress", TITLE)).is_displayed())
    assert not browser.find_elements(By.XPATH, in_column("Backlog", TITLE))
    assert browser.execute_script("return window.__still_here;") == 1
    assert browser.current_url == page
