"""Headless Chromium against `python main.py serve`: staff drop a file on the project's Files card (a real
QUploader post), see it listed with its link, share it with the client from the list's switch, and open Rename."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from models.files import FileKind
from portal_app.auth.staff import STAFF_COOKIE
from services.files import files
from tests.support.browser import settled, staff_session_cookie, wait
from tests.support.factories import make_world
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 40


async def test_staff_upload_a_file_and_share_it_from_the_list(
    live_server: LiveServer, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    world = await make_world("acme")
    cookie = await staff_session_cookie(world.owner_email)
    path = tmp_path / "brief.pdf"
    path.write_bytes(PDF)

    await asyncio.to_thread(_journey, browser, live_server.url, cookie, world.project.id, path)

    uploads = await files.list_files(world.actor, project_id=world.project.id, kinds=(FileKind.upload,))
    [listed] = uploads.items  # beside it, perhaps, the welcome packet `serve` made meanwhile
    assert (listed.name, listed.size, listed.shared) == ("brief.pdf", len(PDF), True)


def _journey(browser: webdriver.Chrome, base: str, cookie: str, project_id: uuid.UUID, path: Path) -> None:
    browser.get(f"{base}/login")
    browser.add_cookie({"name": STAFF_COOKIE, "value": cookie, "path": "/", "httpOnly": True})
    browser.get(f"{base}/projects/{project_id}")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Drop files here"))
    browser.find_element(By.CSS_SELECTOR, ".q-uploader input[type=file]").send_keys(str(path))
    link = "//a[normalize-space()='brief.pdf']"
    settled(browser).until(lambda b: b.find_element(By.XPATH, link).is_displayed())
    assert (browser.find_element(By.XPATH, link).get_attribute("href") or "").startswith(f"{base}/files/")
    toggle = "//*[@role='switch' and @aria-label='Shared with client: brief.pdf']"
    settled(browser).until(lambda b: b.find_element(By.XPATH, toggle).get_attribute("aria-checked") == "false")
    browser.find_element(By.XPATH, toggle).click()
    settled(browser).until(lambda b: "is shared with the client" in b.find_element(By.TAG_NAME, "body").text)
    settled(browser).until(lambda b: b.find_element(By.XPATH, toggle).get_attribute("aria-checked") == "true")
    # the row's Rename button opens the dialog with the name to edit
    browser.find_element(By.XPATH, "//button[@aria-label='Rename brief.pdf']").click()
    field = "//input[@aria-label='File name']"
    settled(browser).until(lambda b: b.find_element(By.XPATH, field).get_attribute("value") == "brief.pdf")
