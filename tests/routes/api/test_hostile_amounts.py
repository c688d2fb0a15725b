"""A hostile amount is refused at once by the running server: it never holds the event loop other agencies share."""

from __future__ import annotations

import asyncio
import threading

import httpx

from models import Invoice
from services.staff import api_tokens
from tests.support.db import count
from tests.support.factories import make_world
from tests.support.live import LiveServer

# Each of these held `serve` for 9–35 s, raised decimal.Overflow (a 500), or was taken as 0.00.
HOSTILE = ["1e700000", "1e999999999", "1e-999999999", "-1e700000", "1E+999999"]


async def test_healthz_keeps_answering_while_hostile_amounts_are_refused(live_server: LiveServer) -> None:
    world = await make_world("acme")
    token = await api_tokens.create_token(world.actor, "test")
    statuses: list[int] = []

    def post_hostile() -> None:
        with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
            for amount in HOSTILE * 3:
                line = {"description": "Design", "quantity": "1", "unit_price": amount}
                body = {"client_id": str(world.client.id), "currency": "USD", "due_date": "2030-01-01", "lines": [line]}
                statuses.append(http.post("/api/v1/invoices", json=body).status_code)

    hostile = threading.Thread(target=post_hostile)

    def check_health() -> int:
        checks = 0
        # A stalled loop raises ReadTimeout. A hostile amount held it for 9 s or more; a loaded machine's pause (a
        # full garbage collection, another test's burst) is well under 5 s, and must not fail the test.
        with httpx.Client(base_url=live_server.url, timeout=5.0) as http:
            hostile.start()
            while hostile.is_alive() or checks == 0:
                assert http.get("/healthz").status_code == 200
                checks += 1
        hostile.join()
        return checks

    assert await asyncio.to_thread(check_health) >= 1
    assert statuses == [422] * len(HOSTILE) * 3
    assert await count(Invoice) == 0
