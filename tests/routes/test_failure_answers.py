"""What a visitor is told when a request fails on Portico's side: a plain message, never the exception's text (a
database error's carries its SQL, parameters and the server's address), and 503 with Retry-After on the API and
plain routes while the database cannot be reached."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from portal_app.failures import DATABASE_DOWN, SOMETHING_WENT_WRONG
from portal_app.portal import login
from services.core import db
from services.staff import api_tokens
from tests.support.factories import make_world

LEAKS = ("SELECT", "sqlite", "OperationalError", "Traceback", "secret-internal-detail")


@pytest.fixture
async def unreachable_database(app_client: httpx.AsyncClient, tmp_path: Path) -> str:
    """An API token made while the database worked; then the database gone (its directory no longer exists)."""
    world = await make_world("acme")
    token = await api_tokens.create_token(world.actor, "outage")
    await db.close()
    db.configure(f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'portico.db'}")
    return token


async def test_the_api_answers_503_with_a_detail_while_the_database_is_away(
    app_client: httpx.AsyncClient, unreachable_database: str
) -> None:
    headers = {"Authorization": f"Bearer {unreachable_database}"}
    for method, path in (("GET", "/api/v1/clients"), ("POST", "/api/v1/clients")):
        response = await app_client.request(method, path, headers=headers, json={"name": "New", "email": "n@x.test"})
        assert response.status_code == 503, response.text
        assert response.json() == {"detail": DATABASE_DOWN}
        assert response.headers["retry-after"] == "5"


async def test_pages_and_plain_routes_say_the_database_is_away_and_nothing_more(
    app_client: httpx.AsyncClient, unreachable_database: str
) -> None:
    page = await app_client.get("/portal/acme/login")
    assert page.status_code == 500
    assert DATABASE_DOWN in page.text
    assert not any(leak in page.text for leak in LEAKS), page.text
    public = await app_client.get(f"/i/{'a' * 64}")
    assert (public.status_code, public.text) == (503, DATABASE_DOWN)
    assert public.headers["retry-after"] == "5"
    health = await app_client.get("/healthz")
    assert health.status_code == 503


async def test_any_other_failure_of_a_page_shows_a_plain_apology(
    app_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(slug: str) -> None:
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr(login.organizations, "find_by_slug", broken)
    page = await app_client.get("/portal/acme/login")
    assert page.status_code == 500
    assert SOMETHING_WENT_WRONG in page.text
    assert not any(leak in page.text for leak in LEAKS), page.text
