"""Back to where you were: a portal deep link opened while signed out (a deliverable mailed for review, say)
lands there again once the contact has signed in, by the code or by the mailed link in the same browser.

The portal's guard answers a signed-out request with the login page and a short-lived cookie holding the path
it asked for. The cookie is scoped to that portal's path and read only by the two places that end a sign-in
(the link's POST and the code's ticket exchange). The path is checked when it is set and again when it is
used, so a forged cookie cannot send anyone off the portal: only a path under this portal's own
`/portal/{slug}/`, with no scheme or host, no `//`, no backslash, no dot segments and no control characters.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import Response

RETURN_COOKIE = "portico_return"
RETURN_TTL_SECONDS = 30 * 60  # long enough to fetch a mailed link; a later sign-in lands on Home
MAX_LENGTH = 1000


def safe_return(slug: str, target: str | None) -> str | None:
    """`target` when it is a path inside this portal; None for anything else (another site, another portal)."""
    if not target or len(target) > MAX_LENGTH:
        return None
    prefix = f"/portal/{slug}/"
    decoded = unquote(target)
    # Both spellings are checked: a browser normalises "%2e%2e" as "..", and a decoded "//" or "\" could be
    # read as a host by whatever decodes the path next.
    for text in (target, decoded):
        if not text.startswith(prefix) or "//" in text or "\\" in text:
            return None
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
            return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.fragment:
        return None
    if any(segment in (".", "..") for segment in unquote(parts.path).split("/")):
        return None
    return target


def requested_path(conn: HTTPConnection) -> str:
    """The path (and query) a request asked for, as a return target."""
    query = conn.url.query
    return conn.url.path + (f"?{query}" if query else "")


def remember(response: Response, slug: str, target: str, *, secure: bool) -> None:
    """Keep `target` for this browser's next sign-in to this portal; a target outside it is not kept."""
    path = safe_return(slug, target)
    if path is None or path == f"/portal/{slug}/":
        return
    response.set_cookie(
        RETURN_COOKIE,
        quote(path, safe=""),  # a cookie value cannot hold every character a path and query may
        max_age=RETURN_TTL_SECONDS,
        path=f"/portal/{slug}",
        httponly=True,
        samesite="lax",  # sent on the link's POST from our own Continue page and the ticket's redirect
        secure=secure,
    )


def landing(conn: HTTPConnection, slug: str) -> str:
    """Where a sign-in that has just succeeded goes: the remembered path when it is safe, else Home."""
    kept = conn.cookies.get(RETURN_COOKIE)
    return safe_return(slug, unquote(kept) if kept else None) or f"/portal/{slug}/"


def forget(response: Response, slug: str, *, secure: bool) -> None:
    response.delete_cookie(RETURN_COOKIE, path=f"/portal/{slug}", httponly=True, samesite="lax", secure=secure)
