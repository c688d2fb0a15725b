"""Headless Chromium against `python main.py serve` (SPEC §17): staff tick a milestone done on the project page;
`serve`'s documents worker makes the progress report at once and mails the client's contact, who follows the
mail's link to Files and opens the PDF there."""

from __future__ import annotations

import asyncio
import io
import re
import uuid
from dataclasses import dataclass
from email.message import EmailMessage

import httpx
import pytest
from pypdf import PdfReader
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from portal_app.auth.portal import PORTAL_COOKIE
from portal_app.auth.staff import STAFF_COOKIE
from services.projects import milestones
from tests.support.browser import press, settled, signed_in_cookie, staff_session_cookie, wait
from tests.support.factories import make_world
from tests.support.live import LiveServer
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.browser

SUBJECT = "Acme Website: progress report from Acme"
NAME = "Progress report – Acme Website – Wireframes.pdf"


@dataclass(frozen=True)
class Sides:
    base: str
    staff_cookie: str
    portal_cookie: str
    project_id: uuid.UUID
    milestone_id: uuid.UUID


def mail_titled(smtp_server: SmtpServer, subject: str, to: str) -> EmailMessage:
    return smtp_server.inbox.first(lambda m: m["Subject"] == subject and m["To"] == to)


async def test_a_milestone_ticked_done_reaches_the_client_as_a_progress_report_in_files(
    mailing_server: LiveServer, smtp_server: SmtpServer, browser: webdriver.Chrome
) -> None:
    world = await make_world("acme")
    made = await milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput("Wireframes"))
    sides = Sides(
        mailing_server.url,
        await staff_session_cookie(world.owner_email),
        await signed_in_cookie(world.contact.id),
        world.project.id,
        made.id,
    )
    await asyncio.to_thread(staff_ticks_the_milestone, browser, sides)

    mail = await asyncio.to_thread(mail_titled, smtp_server, SUBJECT, world.contact.email)
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Milestone “Wireframes” is done" in text
    files_link = re.search(r"(http://\S+/portal/acme/files)\b", text)
    assert files_link, text

    href = await asyncio.to_thread(contact_finds_it_in_files, browser, sides, files_link.group(1))
    async with httpx.AsyncClient(base_url=sides.base, cookies={PORTAL_COOKIE: sides.portal_cookie}) as http:
        answer = await http.get(href)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    words = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(answer.content)).pages)
    assert "Wireframes: done" in words and "1 of 1 milestones done (100 %)" in words


def staff_ticks_the_milestone(browser: webdriver.Chrome, sides: Sides) -> None:
    browser.get(f"{sides.base}/login")
    browser.add_cookie({"name": STAFF_COOKIE, "value": sides.staff_cookie, "path": "/", "httpOnly": True})
    browser.get(f"{sides.base}/projects/{sides.project_id}")
    # The project started active, so the worker is making its welcome packet meanwhile, and announcing it redraws
    # parts of this page: the box is pressed once that is over, so the click reaches the box the server knows.
    settled(browser).until(lambda b: b.find_element(By.XPATH, made_badge("Welcome packet")).is_displayed())
    box = "//*[@role='checkbox' and @aria-label='Done: Wireframes']"
    settled(browser).until(lambda b: b.find_element(By.XPATH, box).get_attribute("aria-checked") == "false")
    press(browser, box)
    settled(browser).until(lambda b: b.find_element(By.XPATH, box).get_attribute("aria-checked") == "true")
    # the Documents card hears the report made, from the worker, without a reload
    settled(browser).until(lambda b: b.find_element(By.XPATH, made_badge("Progress report: Wireframes")).is_displayed())


def made_badge(title: str) -> str:
    """The "Made" badge of the Documents card's row titled `title`."""
    return (
        f"//*[contains(@class,'row')][.//*[normalize-space()='{title}']]"
        "//*[contains(@class,'q-badge')][normalize-space()='Made']"
    )


def contact_finds_it_in_files(browser: webdriver.Chrome, sides: Sides, files_link: str) -> str:
    browser.get(f"{sides.base}/portal/acme/login")
    browser.add_cookie({"name": PORTAL_COOKIE, "value": sides.portal_cookie, "path": "/", "httpOnly": True})
    browser.get(files_link)
    wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), NAME))
    link = browser.find_element(By.XPATH, f"//a[normalize-space()='{NAME}']")
    href = link.get_attribute("href") or ""
    assert href.startswith(f"{sides.base}/portal/acme/files/"), href
    return href
