"""PostgreSQL restarted under load: `serve` reconnects by itself, no request hangs, and while the database is away
every answer says so plainly (503 and Retry-After on the API and /healthz, a clear page for pages), with no SQL
or server address in it.

A PostgreSQL of this test's own (so no other test's connections are cut) is stopped "fast", as an administrator's
restart does, while four clients keep reading and writing through the REST API and opening a page; then it starts
again on its port.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from portal_app.failures import DATABASE_DOWN
from services.core import db
from services.core.migrations import upgrade
from services.staff import api_tokens
from tests.support.db import required_cluster
from tests.support.factories import make_world
from tests.support.live import LiveServer, start_server
from tests.support.pages import eventually
from tests.support.postgres import Cluster

pytestmark = pytest.mark.postgres

# Longer than any request may take by the app's own bounds (a 5 s connect timeout, a 10 s wait for a pooled
# connection): a request still unanswered after this has hung.
CLIENT_TIMEOUT = 30.0
LEAKS = ("SELECT", "psycopg", "127.0.0.1", "sqlalchemy", "Traceback")


@dataclass
class Answer:
    what: str
    status: int  # 0: no answer at all (the connection failed or the client timed out)
    body: str
    error: str = ""


@dataclass
class Load:
    answers: list[Answer] = field(default_factory=list)
    running: bool = True


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    cluster = required_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
async def served(own_cluster: Cluster, tmp_path: Path) -> AsyncIterator[tuple[LiveServer, str, Cluster]]:
    """`serve` on the cluster, and an API token of an organization there."""
    own_cluster.run_sql("CREATE DATABASE portico")
    url = own_cluster.url("portico")
    await upgrade(url)
    db.configure(url)
    world = await make_world("acme")
    token = await api_tokens.create_token(world.actor, "load")
    await db.close()  # the test's own connections must not be what the restart is measured on
    server = await asyncio.to_thread(
        start_server,
        url,
        tmp_path / "var",
        {"PORTAL_SECRET_KEY": "test-secret-key", "PORTAL_SCHEDULER_ENABLED": "false"},
    )
    try:
        yield server, token, own_cluster
    finally:
        server.stop()


async def keep_asking(server: LiveServer, token: str, worker: int, load: Load) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    requests = [
        ("list", "GET", "/api/v1/clients", None),
        ("create", "POST", "/api/v1/clients", {"name": f"Client {worker}", "email": f"c{worker}@example.test"}),
        ("health", "GET", "/healthz", None),
        ("page", "GET", "/portal/acme/login", None),
    ]
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=CLIENT_TIMEOUT) as http:
        n = worker
        while load.running:
            what, method, path, body = requests[n % len(requests)]
            n += 1
            try:
                response = await http.request(method, path, json=body)
                load.answers.append(Answer(what, response.status_code, response.text))
            except httpx.HTTPError as exc:
                load.answers.append(Answer(what, 0, "", f"{type(exc).__name__}: {exc}"))


async def test_serve_rides_out_a_database_restart_without_hanging_or_leaking_details(served) -> None:
    server, token, cluster = served
    pid = server.process.pid
    load = Load()
    workers = [asyncio.create_task(keep_asking(server, token, n, load)) for n in range(4)]
    try:
        await eventually(lambda: sum(a.status == 200 for a in load.answers) >= 20, timeout=60)
        await asyncio.to_thread(cluster.shut_down)
        down = len(load.answers)
        # Away until the clients have been told so a good many times, then back on its port.
        await eventually(lambda: sum(a.status == 503 for a in load.answers[down:]) >= 12, timeout=60)
        await asyncio.to_thread(cluster.start_again)
        back = len(load.answers)
        # Back without restarting serve: the pool drops the connections the restart cut and opens new ones.
        await eventually(lambda: sum(a.status in (200, 201) for a in load.answers[back:]) >= 40, timeout=60)
    finally:
        load.running = False
        await asyncio.gather(*workers)
    assert server.process.poll() is None and server.process.pid == pid

    assert [a for a in load.answers if a.status == 0] == []  # every request was answered: none hung, none dropped
    for answer in load.answers:
        assert answer.status in (200, 201, 503) or (answer.what == "page" and answer.status == 500), answer
        assert not any(leak in answer.body for leak in LEAKS), answer
        if answer.status == 503 and answer.what in ("list", "create"):
            assert answer.body == f'{{"detail":"{DATABASE_DOWN}"}}', answer
        if answer.what == "page" and answer.status == 500:
            assert DATABASE_DOWN in answer.body
    assert all(a.status in (200, 201) for a in load.answers[-8:]), load.answers[-8:]
