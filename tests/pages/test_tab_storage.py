"""A connected tab's storage goes a minute after it was last changed (portal_app/tab_storage.py), not 30 days."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from nicegui import app
from nicegui.app import app as nicegui_app_module
from nicegui.testing.user import User

from tests.support.factories import make_world
from tests.support.pages import signed_in


async def test_a_tabs_storage_is_dropped_a_minute_after_its_last_change(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    tabs = app.storage._tabs
    assert tabs, "the signed-in page's tab has its storage"
    opened = set(tabs)

    later = time.time() + 55
    monkeypatch.setattr(nicegui_app_module, "time", SimpleNamespace(time=lambda: later))  # NiceGUI's clock only
    await nicegui_app_module.prune_tab_storage()
    assert set(tabs) == opened  # kept within the minute

    later += 10
    await nicegui_app_module.prune_tab_storage()
    assert not set(tabs) & opened


def test_no_page_keeps_anything_in_a_tabs_storage() -> None:
    """What the minute relies on: nothing Portico shows lives in `app.storage.tab`."""
    root = Path(__file__).resolve().parents[2]
    users = [
        path.relative_to(root)
        for folder in ("portal_app", "components")
        for path in (root / folder).rglob("*.py")
        if "storage.tab" in path.read_text()
    ]
    assert users == [Path("portal_app/tab_storage.py")]
