"""Signing a test's HTTP client in as a browser does: a browser id cookie, then a ticket bound to it."""

from __future__ import annotations

import secrets

import httpx

from portal_app.auth import staff as staff_auth
from portal_app.auth.browser import BROWSER_COOKIE
from tests.support.factories import PASSWORD


def browser_of(http: httpx.AsyncClient) -> str:
    """The browser id `http` sends (given one first when it has none), as the sign-in page would read it."""
    value = http.cookies.get(BROWSER_COOKIE)
    if not value:
        value = secrets.token_urlsafe(32)
        http.cookies.set(BROWSER_COOKIE, value)
    return value


async def staff_ticket(http: httpx.AsyncClient, email: str, password: str = PASSWORD, *, ip: str = "127.0.0.1") -> str:
    """A staff sign-in ticket that `http` (and only `http`) can exchange for the session cookie."""
    ticket = await staff_auth.sign_in(email, password, ip=ip, browser=browser_of(http))
    assert ticket is not None
    return ticket


async def staff_cookie(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Sign `http` in as staff; returns the session cookie's value (also kept in its jar)."""
    response = await http.get(staff_auth.ticket_url(await staff_ticket(http, email, password)))
    assert response.status_code == 303, response.text
    return response.cookies[staff_auth.STAFF_COOKIE]
