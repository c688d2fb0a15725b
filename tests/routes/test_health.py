"""/healthz: its status, and the event loop's lag it reports (portal_app/loop_watch.py)."""

from __future__ import annotations

import asyncio
import time

import httpx

from portal_app.loop_watch import LoopWatch


async def test_healthz_reports_the_loop_lag_in_milliseconds(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    lag = body["loop_lag_ms"]
    assert set(lag) == {"worst", "last_minute"}
    assert 0 <= lag["last_minute"] <= lag["worst"]


async def test_a_blocked_loop_shows_as_lag_now_and_is_forgotten_after_the_window() -> None:
    watch = LoopWatch(interval=0.01, window=60)
    watch.start()
    try:
        await asyncio.sleep(0.05)
        time.sleep(0.2)  # holds the loop, as a synchronous call in a handler would
        await asyncio.sleep(0.05)
        assert watch.worst >= 0.15
        assert watch.last_minute() == watch.worst
        assert watch.milliseconds()["worst"] >= 150
        assert watch.last_minute(time.monotonic() + 61) == 0.0  # a minute later only `worst` remembers it
    finally:
        await watch.stop()
    assert not watch.running
