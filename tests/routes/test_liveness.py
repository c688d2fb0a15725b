"""A busy server is waited for, not given up on (portal_app/liveness.py): open tabs keep their connection through
a held event loop, and a page whose build outlasts NiceGUI's 3 s default is still served. And what `serve` sets for
its memory as it starts (portal_app/large_blocks.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Iterator

import httpx
import pytest
from nicegui import core
from nicegui.page import page
from nicegui.testing.user import User

from portal_app import liveness
from services.organizations import organizations
from tests.support.factories import make_world
from tests.support.live import LiveServer
from tests.support.pages import signed_in


async def test_serve_tells_browsers_to_wait_ten_seconds_past_a_ping(live_server: LiveServer) -> None:
    """What `serve` offers a browser in Engine.IO's open packet: pings every 4 s (NiceGUI's), and 10 s before
    either side takes a late one for a dead peer (NiceGUI's own is 2 s, less than a full collection can take)."""
    async with httpx.AsyncClient(base_url=live_server.url) as browser:
        opened = await browser.get("/_nicegui_ws/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert opened.status_code == 200
    assert opened.text.startswith("0"), opened.text
    timings = json.loads(opened.text[1:])
    assert (timings["pingInterval"], timings["pingTimeout"]) == (4000, 10000)


async def test_a_page_built_slower_than_nicegui_allows_by_default_is_still_served(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    counts = organizations.workspace_counts

    async def slow_counts(actor):  # the database answering late, as on a busy moment
        await asyncio.sleep(3.3)
        return await counts(actor)

    monkeypatch.setattr(organizations, "workspace_counts", slow_counts)
    await user.open("/")
    await user.should_see("Active projects")
    assert liveness.PAGE_BUILD_SECONDS > 3.3


def nicegui_pages(routes: Iterable[object]) -> Iterator[tuple[str, page]]:
    """Each route NiceGUI builds a page for, with its page object (the closure of the endpoint it registered)."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            yield from nicegui_pages(original.routes)
            continue
        for cell in getattr(getattr(route, "endpoint", None), "__closure__", None) or ():
            if isinstance(cell.cell_contents, page):
                yield route.path, cell.cell_contents  # type: ignore[attr-defined]


async def test_every_page_waits_out_a_busy_moment_not_only_the_declared_ones(app_client: httpx.AsyncClient) -> None:
    pages = dict(nicegui_pages(core.app.routes))
    assert {"/login", "/portal/{slug}/login", "/portal/{slug}/services", "/projects/{project_id}"} <= set(pages)
    hurried = sorted(path for path, built in pages.items() if built.response_timeout < liveness.PAGE_BUILD_SECONDS)
    assert not hurried, f"pages given NiceGUI's 3 s to build: {hurried}"


async def test_serve_maps_large_blocks_on_their_own(live_server: LiveServer) -> None:
    """portal_app/large_blocks.py is set by `serve` as it starts (its effect: tests/pages/test_garbage.py)."""
    async with httpx.AsyncClient(base_url=live_server.url) as browser:
        assert (await browser.get("/healthz")).status_code == 200
    assert "blocks of 128 KiB and more are mapped on their own" in live_server.log()
