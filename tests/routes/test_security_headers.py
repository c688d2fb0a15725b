"""Every answer carries a Content-Security-Policy (scripts by hash on pages), and HSTS exactly when on https."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from portal_app.security import NOT_A_PAGE_POLICY, script_hashes
from portal_app.settings import Settings
from tests.support.factories import make_world
from tests.support.signin import staff_cookie
from tests.support.ui import simulated_app

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)


def policy(response: httpx.Response) -> dict[str, list[str]]:
    directives = [d.split() for d in response.headers["content-security-policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def assert_page_policy(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    found = policy(response)
    scripts = INLINE_SCRIPT.findall(response.text)
    assert scripts, "a page with no inline script proves nothing here"
    for script in scripts:
        assert sha256(script) in found["script-src"]
    assert "'unsafe-inline'" not in found["script-src"] and "*" not in found["script-src"]
    assert found["frame-ancestors"] == ["'none'"]
    assert found["object-src"] == ["'none'"]
    assert found["base-uri"] == ["'none'"]
    assert found["default-src"] == ["'self'"]
    assert "ws://test" in found["connect-src"]


async def test_pages_allow_their_own_inline_scripts_by_hash_and_nothing_else(app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    for path in ("/login", "/portal/acme/login"):
        assert_page_policy(await app_client.get(path))
    await staff_cookie(app_client, world.owner_email)
    for path in ("/", "/clients", f"/clients/{world.client.id}", "/invoices", "/settings"):
        assert_page_policy(await app_client.get(path))


async def test_the_hashes_differ_per_page_as_the_scripts_do(app_client: httpx.AsyncClient) -> None:
    await make_world("acme")
    staff, portal = await app_client.get("/login"), await app_client.get("/portal/acme/login")
    assert set(policy(staff)["script-src"]) != set(policy(portal)["script-src"])


async def test_plain_routes_carry_a_policy_too(app_client: httpx.AsyncClient) -> None:
    await make_world("acme")
    for path in ("/healthz", "/api/v1/clients", "/portal/acme/logo"):
        response = await app_client.get(path)
        assert response.headers["content-security-policy"].startswith("default-src 'none'"), path
    assert (await app_client.get("/healthz")).headers["content-security-policy"] == NOT_A_PAGE_POLICY.decode()
    # A page served as plain HTML (the link landing) is hashed like any other.
    landing = await app_client.get("/portal/acme/link/not-a-token")
    assert "frame-ancestors 'none'" in landing.headers["content-security-policy"]


async def test_a_forged_host_header_is_not_written_into_the_policy(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/login", headers={"Host": "evil.test; script-src *"})
    assert "evil" not in response.headers["content-security-policy"]
    assert policy(response)["connect-src"] == ["'self'"]


def test_script_hashes_find_each_inline_script_once() -> None:
    html = (
        b'<script type="importmap">{"a": 1}</script><script src="/x.js"></script>'
        b"<SCRIPT>one()</SCRIPT ><script>one()</script><p>&lt;script&gt;not()&lt;/script&gt;</p>"
    )
    assert script_hashes(html) == [sha256('{"a": 1}'), sha256("one()")]


async def test_no_hsts_over_http(app_client: httpx.AsyncClient) -> None:
    assert "strict-transport-security" not in (await app_client.get("/login")).headers
    assert "strict-transport-security" not in (await app_client.get("/healthz")).headers


@pytest.fixture
async def https_client(app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with simulated_app(app_settings.model_copy(update={"base_url": "https://portico.example.com"})) as client:
        yield client


async def test_hsts_on_every_answer_over_https(https_client: httpx.AsyncClient) -> None:
    for path in ("/login", "/healthz", "/api/v1/clients"):
        response = await https_client.get(path)
        assert response.headers["strict-transport-security"] == "max-age=31536000", path
    assert "wss://test" in policy(await https_client.get("/login"))["connect-src"]
