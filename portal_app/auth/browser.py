"""A random id per browser, in an HttpOnly cookie, that one-time sign-in tickets are bound to.

A sign-in form runs over the page's websocket and hands the browser a ticket to exchange for the session
cookie (`tickets.py`). Without a binding, a ticket works from any browser: an attacker could earn one for
their own account and send a victim's browser to it (login CSRF). The page that earns the ticket reads
this cookie from its own request; the exchange route accepts the ticket only with the same cookie.

The middleware sets the cookie on the first page a browser opens and also adds it to that request's own
headers, so the page sees the same value its browser will send back.
"""

from __future__ import annotations

import secrets

from starlette.requests import HTTPConnection, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BROWSER_COOKIE = "portico_browser"
# Machines, not browsers, ask these: no cookie for them.
_SKIPPED_PREFIXES = ("/_nicegui/", "/api/", "/webhooks/", "/healthz")


def browser_id(conn: HTTPConnection) -> str:
    """The browser's id as its request carried it (or as the middleware just gave it); "" when none."""
    return conn.cookies.get(BROWSER_COOKIE, "")


class BrowserCookie:
    """Pure ASGI: gives every browser page request a BROWSER_COOKIE, so tickets can be bound to it."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.attributes = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_SKIPPED_PREFIXES) or _has_cookie(scope):
            await self.app(scope, receive, send)
            return
        value = secrets.token_urlsafe(32)
        pair = f"{BROWSER_COOKIE}={value}"
        headers = [(k, v) for k, v in scope["headers"] if k != b"cookie"]
        existing = b"; ".join(v for k, v in scope["headers"] if k == b"cookie")
        headers.append((b"cookie", (existing + b"; " if existing else b"") + pair.encode()))
        scope = {**scope, "headers": headers}
        set_cookie = (b"set-cookie", (pair + self.attributes).encode())

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), set_cookie]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _has_cookie(scope: Scope) -> bool:
    # Parsed as Starlette parses it for `request.cookies`, so both agree on what the browser sent.
    return any(
        cookie_parser(value.decode("latin-1")).get(BROWSER_COOKIE)
        for name, value in scope["headers"]
        if name == b"cookie"
    )
