"""Two `serve` processes on one PostgreSQL database, once sharing state through the database (LISTEN/NOTIFY for
live changes) and once through Redis: what one process does, the other knows.

- a change made through process A (the REST API) redraws, without a reload, a portal page open on process B;
- the per-email sign-in link limit counts requests made on A and on B together;
- a sign-in ticket minted by A (the password form) is redeemed by B (nginx sends that one route to B).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from models import OutboxMail
from portal_app.auth.portal import PORTAL_COOKIE
from services.core import db
from services.projects import work_requests
from services.staff import api_tokens
from tests.support.browser import press_button, settled, signed_in_cookie, visible_input, wait
from tests.support.db import count, fresh_postgres_url
from tests.support.factories import PASSWORD, make_world
from tests.support.nginx import Nginx, nginx_or_skip
from tests.support.postgres import Cluster, free_port
from tests.support.processes import ServerGroup, start_servers
from tests.support.redis_server import RedisServer

pytestmark = [pytest.mark.postgres, pytest.mark.browser]


@pytest.fixture(scope="module", params=["database", "redis"])
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerGroup]:
    """Two processes on one database: state shared through it (the session's `pg_pair`), or through Redis."""
    if request.param == "database":
        yield request.getfixturevalue("pg_pair")
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    server.flush()
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    url, name = fresh_postgres_url(cluster)
    base_url = f"http://127.0.0.1:{free_port()}"  # where nginx listens when a test puts it in front
    group = start_servers(url, tmp_path_factory.mktemp("pair-redis"), base_url, redis_url=server.url)
    yield group
    group.stop()
    cluster.run_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
async def on_pair(pair: ServerGroup) -> AsyncIterator[ServerGroup]:
    """This test process works on the pair's database too (to make organizations, cookies, tokens)."""
    db.configure(pair.database_url)
    yield pair
    await db.close()


def slug() -> str:
    return f"org-{uuid.uuid4().hex[:8]}"


def in_column(column: str, text: str) -> str:
    return f"//*[@role='region' and @aria-label='{column}']//*[normalize-space()='{text}']"


@pytest.mark.parametrize("way", ["direct", "nginx"])
async def test_a_request_moved_through_one_process_appears_live_on_the_other(
    on_pair: ServerGroup, browser: webdriver.Chrome, way: str
) -> None:
    """The page is open on one process (addressed directly, or through nginx, which keeps the browser on one); the
    move is made through the other."""
    world = await make_world(slug())
    card = await work_requests.create_request(
        world.actor, world.project.id, work_requests.RequestInput("Replace the hero photo")
    )
    token = await api_tokens.create_token(world.actor, "moves")
    cookie = await signed_in_cookie(world.contact.id)
    urls = [server.url for server in on_pair.servers]
    proxy = None
    if way == "nginx":
        proxy = nginx_or_skip(on_pair.ports)  # a port of its own: another module's nginx may hold the links' one
        page_base = proxy.url
    else:
        page_base = urls[1]
    try:
        await asyncio.to_thread(_open_board, browser, page_base, world.slug, cookie, world.project.id)
        shown_by = _page_process(proxy, world.project.id) if proxy else urls[1]
    except BaseException:
        if proxy:
            proxy.stop()
        raise
    other = next(url for url in urls if url != shown_by)
    try:
        await _move_and_see(browser, other, token, card)
    finally:
        if proxy:
            proxy.stop()


def _page_process(proxy: Nginx, project_id: uuid.UUID) -> str:
    """The backend nginx sent the board's page to."""
    [entry] = [e for e in proxy.access_log() if e.path.endswith(f"/projects/{project_id}")]
    return f"http://{entry.upstream}"


async def _move_and_see(browser: webdriver.Chrome, other: str, token: str, card: work_requests.RequestCard) -> None:
    async with httpx.AsyncClient(base_url=other, headers={"Authorization": f"Bearer {token}"}) as api:
        moved = await api.patch(f"/api/v1/requests/{card.id}", json={"status": "in_progress"})
    assert moved.status_code == 200, moved.text
    # B never served the move: it heard of it from A, and its open page redrew
    await asyncio.to_thread(
        lambda: settled(browser).until(lambda d: d.find_element(By.XPATH, in_column("In progress", card.title)))
    )
    assert not browser.find_elements(By.XPATH, in_column("Backlog", card.title))


def _open_board(browser: webdriver.Chrome, base: str, org: str, cookie: str, project_id: uuid.UUID) -> None:
    browser.delete_all_cookies()
    browser.get(f"{base}/portal/{org}/login")
    browser.add_cookie({"name": PORTAL_COOKIE, "value": cookie, "path": f"/portal/{org}", "httpOnly": True})
    browser.get(f"{base}/portal/{org}/projects/{project_id}")
    settled(browser).until(lambda d: d.find_element(By.XPATH, in_column("Backlog", "Replace the hero photo")))


async def test_the_sign_in_link_limit_counts_both_processes(on_pair: ServerGroup, browser: webdriver.Chrome) -> None:
    world = await make_world(slug())
    a, b = on_pair.servers
    # five links an email may ask for in ten minutes: three through A, then four more through B
    for server in (a, a, a, b, b, b, b):
        await asyncio.to_thread(_ask_for_link, browser, f"{server.url}/portal/{world.slug}", world.contact.email)
    sent = await count(OutboxMail, OutboxMail.to_addr == world.contact.email)
    assert sent == 5


def _ask_for_link(browser: webdriver.Chrome, portal: str, email: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{portal}/login")
    visible_input(browser, "Email").send_keys(email)
    press_button(browser, "Send sign-in link")
    wait(browser).until(lambda b: "check your email" in b.find_element(By.TAG_NAME, "body").text.lower())


async def test_a_ticket_minted_by_one_process_is_redeemed_by_the_other(
    on_pair: ServerGroup, browser: webdriver.Chrome
) -> None:
    world = await make_world(slug())
    a, b = on_pair.ports
    # nginx keeps the pages (and the password form's websocket) on A, and sends the ticket's route to B
    proxy = nginx_or_skip([a], pinned={"/auth/staff/session": b})
    try:
        await asyncio.to_thread(_sign_in, browser, proxy.url, world.owner_email)
        redeemed = [entry for entry in proxy.access_log() if entry.path.startswith("/auth/staff/session")]
        assert [entry.upstream for entry in redeemed] == [f"127.0.0.1:{b}"]
        assert redeemed[0].status == 303
    finally:
        proxy.stop()


def _sign_in(browser: webdriver.Chrome, base: str, email: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{base}/login")
    visible_input(browser, "Email").send_keys(email)
    visible_input(browser, "Password").send_keys(PASSWORD)
    press_button(browser, "Sign in")
    wait(browser).until(ec.url_to_be(f"{base}/"))
    wait(browser).until(lambda b: "Sign in" not in b.find_element(By.TAG_NAME, "body").text)
