"""Two `serve` processes on one PostgreSQL behind nginx, configured as the README says: sticky, websockets upgraded."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from services.core import db
from tests.support.browser import button, visible_input, wait
from tests.support.factories import PASSWORD, make_org
from tests.support.nginx import UPSTREAM_HEADER, nginx_or_skip
from tests.support.processes import ProxiedPair, ServerGroup

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pair_database(pg_pair: ServerGroup) -> AsyncIterator[None]:
    """This test process on the pair's database, to seed what the servers then show."""
    db.configure(pg_pair.database_url)
    yield
    await db.close()


def backends(pair: ServerGroup) -> set[str]:
    return {f"127.0.0.1:{port}" for port in pair.ports}


def test_both_processes_answer_on_their_own_ports(pg_pair: ServerGroup) -> None:
    for server in pg_pair.servers:
        assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200


def test_one_client_stays_on_one_backend_with_ip_hash(proxied_pair: ProxiedPair) -> None:
    with httpx.Client(base_url=proxied_pair.url, timeout=5) as client:
        answers = [client.get("/healthz") for _ in range(8)]

    assert [a.status_code for a in answers] == [200] * 8
    served_by = {a.headers[UPSTREAM_HEADER] for a in answers}
    assert len(served_by) == 1
    assert served_by <= backends(proxied_pair.group)
    logged = {e.upstream for e in proxied_pair.nginx.access_log() if e.path == "/healthz"}
    assert logged == served_by


def test_a_cookie_hash_spreads_browsers_and_keeps_each_on_its_backend(pg_pair: ServerGroup) -> None:
    proxy = nginx_or_skip(pg_pair.ports, cookie="portico_browser")
    try:
        seen: dict[str, set[str]] = {}
        for _ in range(16):
            cookie = secrets.token_urlsafe(32)
            with httpx.Client(base_url=proxy.url, cookies={"portico_browser": cookie}, timeout=5) as client:
                seen[cookie] = {client.get("/healthz").headers[UPSTREAM_HEADER] for _ in range(3)}
    finally:
        proxy.stop()

    assert all(len(upstreams) == 1 for upstreams in seen.values())
    assert set().union(*seen.values()) == backends(pg_pair)


@pytest.mark.browser
async def test_staff_sign_in_works_through_nginx_over_the_websocket(
    proxied_pair: ProxiedPair, pair_database: None, browser: webdriver.Chrome
) -> None:
    await make_org("proxied", name="Proxied Agency")

    transport = await asyncio.to_thread(_sign_in, browser, proxied_pair.url)

    assert transport == "websocket"
    entries = proxied_pair.nginx.access_log()
    page_upstreams = {e.upstream for e in entries if e.path.startswith("/login")}
    assert len(page_upstreams) == 1
    sockets = [e for e in entries if e.path.startswith("/_nicegui_ws/") and e.upgrade == "websocket"]
    # Written when each socket closes: at least the login page's, closed when the browser went on to /clients.
    assert sockets
    assert all(e.status == 101 for e in sockets)
    assert {e.upstream for e in sockets} == page_upstreams


def _sign_in(browser: webdriver.Chrome, base: str) -> str:
    """Sign in through the proxy; the transport of the workspace page's socket.io connection."""
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    try:
        browser.get(f"{base}/login?next=/clients")
        button(browser, "Sign in").click()  # empty: the error comes back over the websocket
        wait(browser).until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "Enter your email and password."))
        visible_input(browser, "Email").send_keys("owner@proxied.test")
        visible_input(browser, "Password").send_keys(PASSWORD)
        button(browser, "Sign in").click()
        wait(browser).until(ec.url_to_be(f"{base}/clients"))
        wait(browser).until(lambda b: b.execute_script("return window.did_handshake === true"))
        return str(browser.execute_script("return window.socket.io.engine.transport.name"))
    finally:
        browser.get("about:blank")
