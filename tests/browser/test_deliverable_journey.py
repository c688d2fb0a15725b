"""Headless Chromium against `python main.py serve`: staff upload a deliverable and send it for review; the contact
opens the link in the review mail, sees the preview and asks for changes; staff upload version 2, which goes back
to review; the contact approves it; both sides download the same approval certificate."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from sqlalchemy import select

from models import OutboxMail
from portal_app.auth.portal import PORTAL_COOKIE
from portal_app.auth.staff import STAFF_COOKIE
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.demo_files import homepage_png
from services.files import deliverables
from tests.support.browser import button, settled, signed_in_cookie, staff_session_cookie, visible_input, wait
from tests.support.factories import make_world
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

TITLE = "Homepage design"


@dataclass(frozen=True)
class Sides:
    base: str
    staff_cookie: str
    portal_cookie: str
    project_id: uuid.UUID
    first: Path
    second: Path


async def review_link(address: str) -> str:
    """The deliverable's address in the review mail sent to `address` (the latest one)."""
    async with unit_of_work(SystemActor()) as session:
        bodies = list(
            await session.scalars(
                select(OutboxMail.body_text)
                .where(OutboxMail.to_addr == address, OutboxMail.subject.startswith("Please review"))
                .order_by(OutboxMail.created_at)
            )
        )
    assert bodies, f"no review mail to {address}"
    found = re.search(r"(http://\S+/portal/acme/deliverables/[0-9a-f-]{36})", bodies[-1])
    assert found, bodies[-1]
    return found.group(1)


async def test_a_deliverable_is_reviewed_changed_and_approved_with_one_certificate_for_both_sides(
    live_server: LiveServer, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    world = await make_world("acme")
    first, second = tmp_path / "homepage-v1.png", tmp_path / "homepage-v2.png"
    first.write_bytes(homepage_png("#4f46e5"))
    second.write_bytes(homepage_png("#0f766e"))
    sides = Sides(
        live_server.url,
        await staff_session_cookie(world.owner_email),
        await signed_in_cookie(world.contact.id),
        world.project.id,
        first,
        second,
    )

    await asyncio.to_thread(staff_sends_version_one, browser, sides)
    link = await review_link(world.contact.email)
    await asyncio.to_thread(contact_asks_for_changes, browser, sides, link)
    await asyncio.to_thread(staff_uploads_version_two, browser, sides)
    assert await review_link(world.contact.email) == link  # the same page, mailed again for version 2
    staff_certificate, portal_certificate = await asyncio.to_thread(contact_approves, browser, sides, link)

    [made] = await deliverables.project_deliverables(world.actor, world.project.id)
    approval = made.approval
    assert approval is not None and (made.status, approval.version_number) == ("approved", 2)
    assert approval.sha256 == hashlib.sha256(second.read_bytes()).hexdigest()
    assert "Chrome" in approval.user_agent and approval.ip == "127.0.0.1"
    assert [d.decision for d in made.decisions] == ["approved", "changes_requested"]
    assert staff_certificate == portal_certificate and staff_certificate.startswith(b"%PDF")


def staff_page(browser: webdriver.Chrome, sides: Sides) -> None:
    browser.get(f"{sides.base}/login")
    browser.add_cookie({"name": STAFF_COOKIE, "value": sides.staff_cookie, "path": "/", "httpOnly": True})
    browser.get(f"{sides.base}/projects/{sides.project_id}")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Deliverables"))


def drop_into_dialog(browser: webdriver.Chrome, path: Path) -> None:
    """Choose the file in the open dialog's uploader (which uploads it at once)."""
    field = wait(browser).until(
        lambda b: next(iter(b.find_elements(By.CSS_SELECTOR, ".q-dialog .q-uploader input[type=file]")), None)
    )
    field.send_keys(str(path))


def badge(browser: webdriver.Chrome, text: str) -> None:
    settled(browser).until(
        lambda b: b.find_element(By.XPATH, f"//*[contains(@class,'q-badge')][normalize-space()='{text}']")
    )


def staff_sends_version_one(browser: webdriver.Chrome, sides: Sides) -> None:
    staff_page(browser, sides)
    button(browser, "New deliverable").click()
    visible_input(browser, "Title").send_keys(TITLE)
    drop_into_dialog(browser, sides.first)
    badge(browser, "Draft")
    button(browser, "Send for review").click()
    badge(browser, "In review")


def contact_asks_for_changes(browser: webdriver.Chrome, sides: Sides, link: str) -> None:
    browser.get(f"{sides.base}/portal/acme/login")
    browser.add_cookie({"name": PORTAL_COOKIE, "value": sides.portal_cookie, "path": "/", "httpOnly": True})
    browser.get(link)
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), TITLE))
    assert "Version 1" in browser.find_element(By.TAG_NAME, "body").text
    # the preview is the picture itself, loaded from the inline route
    settled(browser).until(
        lambda b: b.execute_script(
            "const i = document.querySelector('img[alt^=\"Version 1\"]');"
            "return i && i.complete && i.naturalWidth === 960;"
        )
    )
    button(browser, "Request changes").click()
    comment = wait(browser).until(
        lambda b: next(
            (e for e in b.find_elements(By.XPATH, "//textarea[@aria-label='Comment']") if e.is_displayed()), None
        )
    )
    comment.send_keys("Use our teal for the hero, please.")
    button(browser, "Send").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Changes requested"))


def staff_uploads_version_two(browser: webdriver.Chrome, sides: Sides) -> None:
    staff_page(browser, sides)
    badge(browser, "Changes requested")
    page_text = browser.find_element(By.TAG_NAME, "body").get_attribute("textContent") or ""
    assert "Use our teal for the hero, please." in page_text  # the comment, in the decisions (folded away)
    button(browser, "Upload new version").click()
    drop_into_dialog(browser, sides.second)
    badge(browser, "In review")
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Version 2"))


def contact_approves(browser: webdriver.Chrome, sides: Sides, link: str) -> tuple[bytes, bytes]:
    browser.get(link)
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Version 2"))
    button(browser, "Approve").click()
    button(browser, "Approve", within="//*[contains(@class,'q-dialog')]").click()
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Approved"))
    portal_href = settled(browser).until(
        lambda b: b.find_element(By.XPATH, "//a[normalize-space()='Approval certificate']").get_attribute("href")
    )
    staff_page(browser, sides)
    staff_href = settled(browser).until(
        lambda b: b.find_element(By.XPATH, "//a[normalize-space()='Approval certificate']").get_attribute("href")
    )
    staff_pdf = httpx.get(staff_href, cookies={STAFF_COOKIE: sides.staff_cookie})
    portal_pdf = httpx.get(portal_href, cookies={PORTAL_COOKIE: sides.portal_cookie})
    assert staff_pdf.status_code == portal_pdf.status_code == 200
    assert staff_pdf.headers["content-type"] == "application/pdf"
    return staff_pdf.content, portal_pdf.content
