from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from selenium import webdriver

from services.core import db
from tests.support.browser import launch_chromium
from tests.support.db import fresh_sqlite_url
from tests.support.live import LiveServer, start_server
from tests.support.smtp import SmtpServer
from tests.support.stripe_standin import StripeStandIn


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    driver = launch_chromium(tmp_path_factory.mktemp("downloads"))
    yield driver
    driver.quit()


@pytest.fixture
async def paying_live_server(
    sqlite_template: Path, tmp_path: Path, stripe_standin: StripeStandIn
) -> AsyncIterator[LiveServer]:
    """`serve` with card payments pointed at the Stripe stand-in, whose checkout page posts webhooks back to it."""
    url = fresh_sqlite_url(sqlite_template, tmp_path)
    server = await asyncio.to_thread(start_server, url, tmp_path / "var", stripe_standin.serve_environment())
    stripe_standin.webhook_url = f"{server.url}/webhooks/stripe"
    db.configure(url)
    yield server
    await db.close()
    server.stop()


@pytest.fixture(autouse=True)
def clean_browser(browser: webdriver.Chrome) -> Iterator[None]:
    # Every cookie of every host and path: WebDriver's delete_all_cookies reaches only those the current page sees,
    # and one test's cookie scoped to /portal/acme (a return path, say) would meet the next test's portal.
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    yield
    browser.get("about:blank")


@pytest.fixture
async def shop_server(
    sqlite_template: Path, tmp_path: Path, stripe_standin: StripeStandIn, smtp_server: SmtpServer
) -> AsyncIterator[LiveServer]:
    """`serve` taking card payments at the Stripe stand-in (which posts its webhooks back) and mailing to SMTP."""
    smtp_server.inbox.clear()
    url = fresh_sqlite_url(sqlite_template, tmp_path)
    env = {**stripe_standin.serve_environment(), "PORTAL_SMTP_URL": smtp_server.url}
    server = await asyncio.to_thread(start_server, url, tmp_path / "var", env)
    stripe_standin.webhook_url = f"{server.url}/webhooks/stripe"
    db.configure(url)
    yield server
    await db.close()
    server.stop()


@pytest.fixture
async def mailing_server(sqlite_template: Path, tmp_path: Path, smtp_server: SmtpServer) -> AsyncIterator[LiveServer]:
    """`python main.py serve` that sends its mail to the test SMTP server (whose inbox starts empty)."""
    smtp_server.inbox.clear()
    url = fresh_sqlite_url(sqlite_template, tmp_path)
    server = await asyncio.to_thread(start_server, url, tmp_path / "var", {"PORTAL_SMTP_URL": smtp_server.url})
    db.configure(url)
    yield server
    await db.close()
    server.stop()
