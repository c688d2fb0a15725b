"""Finding things in headless Chromium as a person would: by label and by button text, waiting for them to show."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from models.clients import Contact
from services.clients import portal_sessions
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.staff import staff, staff_sessions
from tests.support.db import IN_CI
from tests.support.factories import PASSWORD
from tests.support.live import start_chromium


def launch_chromium(download_dir: Path) -> webdriver.Chrome:
    """Headless Chromium for a `browser` fixture: fails the test under CI when it cannot start, skips it otherwise."""
    try:
        return start_chromium(download_dir)
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"headless Chromium is required under CI but did not start: {exc}")
        pytest.skip(f"Chromium not available: {exc}")


def wait(browser: webdriver.Chrome, timeout: float = 15) -> WebDriverWait:
    # The table fills over the websocket after the page loads: an element found early may be replaced.
    return WebDriverWait(browser, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,))


def visible_input(browser: webdriver.Chrome, label: str) -> WebElement:
    return wait(browser).until(
        lambda b: next(
            (e for e in b.find_elements(By.XPATH, f"//input[@aria-label='{label}']") if e.is_displayed()), None
        )
    )


def button(browser: webdriver.Chrome, text: str, within: str = "") -> WebElement:
    xpath = f"{within}//button[.//span[normalize-space()='{text}']]"
    return wait(browser).until(lambda b: next((e for e in b.find_elements(By.XPATH, xpath) if e.is_displayed()), None))


def settled(browser: webdriver.Chrome) -> WebDriverWait:
    return WebDriverWait(
        browser, 15, poll_frequency=0.1, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    )


async def signed_in_cookie(contact_id: uuid.UUID) -> str:
    """A portal session as the mailed link would start it (that journey is test_portal_journey's)."""
    async with unit_of_work(SystemActor()) as session:
        contact = await session.get(Contact, contact_id)
        assert contact is not None
        return await portal_sessions.start(session, contact, ip="127.0.0.1", user_agent="selenium")


async def staff_session_cookie(email: str) -> str:
    """A staff session as signing in would start it (the sign-in form's journey is test_staff_journey's)."""
    who = await staff.check_password(email, PASSWORD)
    assert who is not None
    return await staff_sessions.start_session(who, ip="127.0.0.1", user_agent="selenium")


def press(browser: webdriver.Chrome, xpath: str) -> None:
    """Click the visible element at `xpath`, again if a redraw replaced it between finding and clicking."""

    def clicked(b: webdriver.Chrome) -> bool:
        element = next((e for e in b.find_elements(By.XPATH, xpath) if e.is_displayed()), None)
        if element is None:
            return False
        element.click()
        return True

    settled(browser).until(clicked)


def press_button(browser: webdriver.Chrome, text: str, within: str = "") -> None:
    press(browser, f"{within}//button[.//span[normalize-space()='{text}']]")
