"""Staff sign-in: neutral errors, the ticket → cookie route, server-side sign-out, rate limits, redirects."""

from __future__ import annotations

import httpx
from nicegui.testing.user import User
from sqlalchemy import func, select

from models.staff import StaffSession
from portal_app.auth import staff as staff_auth
from portal_app.auth.staff import NEUTRAL_ERROR, STAFF_COOKIE
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from tests.support.factories import PASSWORD, make_org
from tests.support.pages import sign_in, signed_in
from tests.support.signin import staff_ticket


async def session_count() -> int:
    async with unit_of_work(SystemActor()) as session:
        return await session.scalar(select(func.count()).select_from(StaffSession)) or 0


async def test_workspace_pages_redirect_to_login(app_client: httpx.AsyncClient) -> None:
    await make_org("acme")
    for path in ("/", "/clients", "/audit", "/people", "/settings", "/clients/abc", "/projects/abc"):
        response = await app_client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login")
    response = await app_client.get("/clients?q=x")
    assert response.headers["location"] == "/login?next=/clients%3Fq%3Dx"


async def test_sign_in_lands_on_home(user: User) -> None:
    await make_org("acme")
    await sign_in(user, "owner@acme.test")
    await user.should_see("Sign out", retries=300)  # a ticket and two navigations: slow on a loaded machine
    await user.should_see("Client portal")
    await user.should_see("http://portico.test/portal/acme/")
    assert await session_count() == 1


async def test_wrong_password_and_unknown_email_get_the_same_neutral_error(user: User) -> None:
    await make_org("acme")
    await sign_in(user, "owner@acme.test", "wrong password!!")
    await user.should_see(NEUTRAL_ERROR, retries=50)
    await sign_in(user, "nobody@acme.test", PASSWORD)
    await user.should_see(NEUTRAL_ERROR, retries=50)
    assert await session_count() == 0


async def test_rate_limit_per_email_is_neutral_and_blocks_even_the_right_password(user: User) -> None:
    await make_org("acme")
    for _ in range(staff_auth.email_limiter.limit):
        assert await staff_auth.sign_in("owner@acme.test", "wrong password!!", ip="10.0.0.1", browser="b") is None
    # Over the limit: the right password from another IP is refused with the same answer.
    assert await staff_auth.sign_in("owner@acme.test", PASSWORD, ip="10.0.0.2", browser="b") is None
    await sign_in(user, "owner@acme.test", PASSWORD)
    await user.should_see(NEUTRAL_ERROR, retries=50)
    assert await session_count() == 0


async def test_rate_limit_per_ip(app_client: httpx.AsyncClient) -> None:
    await make_org("acme")
    for n in range(staff_auth.ip_limiter.limit):
        assert await staff_auth.sign_in(f"user{n}@acme.test", "wrong password!!", ip="10.9.9.9", browser="b") is None
    assert await staff_auth.sign_in("owner@acme.test", PASSWORD, ip="10.9.9.9", browser="b") is None
    assert await staff_auth.sign_in("owner@acme.test", PASSWORD, ip="10.9.9.8", browser="b") is not None


async def test_ticket_sets_a_hardened_cookie_once(app_client: httpx.AsyncClient) -> None:
    await make_org("acme")
    ticket = await staff_ticket(app_client, "owner@acme.test")
    response = await app_client.get(staff_auth.ticket_url(ticket, "/clients"))
    assert response.status_code == 303
    assert response.headers["location"] == "/clients"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{STAFF_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # BASE_URL is http in this test
    token = response.cookies[STAFF_COOKIE]
    async with unit_of_work(SystemActor()) as session:
        rows = (await session.scalars(select(StaffSession))).all()
    assert len(rows) == 1 and token not in (rows[0].token_hash, rows[0].ip, rows[0].user_agent)
    again = await app_client.get(staff_auth.ticket_url(ticket))
    assert again.headers["location"] == "/login?expired=1"
    assert await session_count() == 1


async def test_next_never_redirects_off_site(app_client: httpx.AsyncClient) -> None:
    await make_org("acme")
    for evil in ("//evil.test/", "https://evil.test/", "/\\evil.test"):
        ticket = await staff_ticket(app_client, "owner@acme.test")
        response = await app_client.get(f"/auth/staff/session?ticket={ticket}&next={evil}")
        assert response.headers["location"] == "/"


async def test_sign_out_ends_the_session_on_the_server(app_client: httpx.AsyncClient) -> None:
    await make_org("acme")
    ticket = await staff_ticket(app_client, "owner@acme.test")
    token = (await app_client.get(staff_auth.ticket_url(ticket))).cookies[STAFF_COOKIE]
    assert (await app_client.get("/")).status_code == 200
    signed_out = await app_client.post(staff_auth.SIGN_OUT_PATH)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login"
    assert f'{STAFF_COOKIE}=""' in signed_out.headers["set-cookie"]
    # The old cookie value, replayed, opens nothing.
    app_client.cookies.set(STAFF_COOKIE, token)
    replay = await app_client.get("/")
    assert replay.status_code == 303
    assert (await app_client.get(staff_auth.SIGN_OUT_PATH)).status_code == 405  # no GET sign-out


async def test_signed_in_user_skips_the_login_page(user: User, app_client: httpx.AsyncClient) -> None:
    await make_org("acme")
    await signed_in(user, "owner@acme.test")
    response = await user.http_client.get("/login?next=/people")
    assert response.status_code == 303 and response.headers["location"] == "/people"


async def test_secure_cookie_when_base_url_is_https(app_settings, app_client: httpx.AsyncClient) -> None:
    await make_org("acme")
    app_settings.base_url = "https://portico.example.com"
    ticket = await staff_ticket(app_client, "owner@acme.test")
    response = await app_client.get(staff_auth.ticket_url(ticket))
    assert "Secure" in response.headers["set-cookie"]


async def test_healthz_is_a_plain_route(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "x-nicegui-content" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_spellings_of_one_address_share_one_limit(app_client: httpx.AsyncClient) -> None:
    await make_org("acme")
    variants = ["OWNER@ACME.TEST", " owner@ａｃｍｅ.test", "owner@acme\u3002test", "Owner@Acme\uff0eTest"]
    for n in range(staff_auth.email_limiter.limit):
        spelling = variants[n % len(variants)]
        assert await staff_auth.sign_in(spelling, "wrong password!!", ip=f"10.4.0.{n}", browser="b") is None
    assert await staff_auth.sign_in("owner@acme.test", PASSWORD, ip="10.5.0.1", browser="b") is None
    assert await session_count() == 0
