"""Portal sign-in over HTTP: the link's landing page and its POST, the code ticket, sign-out, and limits."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.requests import HTTPConnection

from portal_app.auth.browser import browser_id
from portal_app.auth.ratelimit import SlidingWindow
from portal_app.auth.requests import client_ip, user_agent
from portal_app.auth.return_to import forget, landing
from portal_app.auth.tickets import TicketBox
from portal_app.look import FONT_STACK
from portal_app.settings import Settings
from services.clients import magic_links, portal_sessions
from services.clients.portal_sessions import ResolvedPortalSession
from services.core.common import email_identity, new_secret, same_secret
from services.organizations import organizations
from services.organizations.organizations import OrganizationView

PORTAL_COOKIE = "portico_portal"
CONTINUE_COOKIE = "portico_continue"
NEUTRAL_SENT = "Check your email. If that address may use this portal, a sign-in link and code are on their way."
CODE_ERROR = "That code did not work. Check the latest email, or ask for a new link."

# SPEC §4: at most 5 links per email per 10 minutes, and a per-IP bucket. Over the limit looks the same.
link_email_limiter = SlidingWindow("portal-link-email", limit=5, window=10 * 60)
link_ip_limiter = SlidingWindow("portal-link-ip", limit=20, window=10 * 60)
# Wrong codes are also counted per link in the database (5 void the contact's links); these slow guessing across
# links: per address (whatever its spelling) and per IP.
code_email_limiter = SlidingWindow("portal-code-email", limit=10, window=10 * 60)
code_ip_limiter = SlidingWindow("portal-code-ip", limit=30, window=10 * 60)
# ticket -> (org slug, session cookie value)
tickets: TicketBox[tuple[str, str]] = TicketBox("portal-sign-in", encode=list, decode=lambda pair: (pair[0], pair[1]))


def base_path(slug: str) -> str:
    return f"/portal/{slug}"


async def request_link(org: OrganizationView, email: str, *, ip: str) -> None:
    """Queue a sign-in link when allowed; the caller always shows NEUTRAL_SENT."""
    key = f"{org.id}:{email_identity(email)}"
    allowed = await link_email_limiter.hit(key) & await link_ip_limiter.hit(ip)
    if allowed:
        await magic_links.request_link(org.id, email, ip=ip)


async def sign_in_with_code(
    org: OrganizationView, email: str, code: str, *, ip: str, agent: str, browser: str
) -> str | None:
    """A one-time ticket for the cookie route, usable only by `browser`, or None (the caller shows CODE_ERROR)."""
    allowed = await code_email_limiter.hit(f"{org.id}:{email_identity(email)}") & await code_ip_limiter.hit(ip)
    if not allowed:
        return None
    token = await magic_links.consume_code(org.id, email, code, ip=ip, user_agent=agent)
    return await tickets.issue((org.slug, token), browser=browser) if token else None


def ticket_url(slug: str, ticket: str) -> str:
    return f"{base_path(slug)}/auth/session?ticket={quote(ticket)}"


async def current_portal(conn: HTTPConnection, org: OrganizationView) -> ResolvedPortalSession | None:
    return await portal_sessions.resolve(org.id, conn.cookies.get(PORTAL_COOKIE), ip=client_ip(conn))


@dataclass(frozen=True)
class _Cookie:
    settings: Settings

    def set(self, response: Response, slug: str, token: str) -> None:
        response.set_cookie(
            PORTAL_COOKIE,
            token,
            max_age=int(portal_sessions.ABSOLUTE_TIMEOUT.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=self.settings.secure_cookies,
            path=base_path(slug),
        )

    def clear(self, response: Response, slug: str) -> None:
        response.delete_cookie(
            PORTAL_COOKIE, path=base_path(slug), httponly=True, samesite="lax", secure=self.settings.secure_cookies
        )


def _page(title: str, body: str, accent: str, status_code: int = 200) -> HTMLResponse:
    """A small self-contained page for what mail scanners and browsers hit before any session exists."""
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{html.escape(title)}</title>
<style>
body{{font-family:{FONT_STACK};background:#f8fafc;color:#0f172a;margin:0;
display:flex;min-height:100vh;align-items:center;justify-content:center}}
main{{background:#fff;border:1px solid #e2e8f0;border-radius:12px;padding:2rem;max-width:26rem;width:100%;text-align:center}}
h1{{font-size:1.4rem;margin:0 0 1rem}} p{{color:#475569}}
button,a.button{{background:{accent};color:#fff;border:0;border-radius:8px;padding:.75rem 1.5rem;font-size:1rem;
cursor:pointer;text-decoration:none;display:inline-block}}
</style></head><body><main>{body}</main></body></html>"""
    return HTMLResponse(
        document,
        status_code=status_code,
        headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"},
    )


def _not_found() -> HTMLResponse:
    return _page("Not found", "<h1>Not found</h1><p>There is no portal at this address.</p>", "#4f46e5", 404)


def _dead_link(org: OrganizationView) -> HTMLResponse:
    name = html.escape(org.name)
    return _page(
        f"Link expired · {org.name}",
        f"<h1>This link no longer works</h1><p>Sign-in links work once and expire after 15 minutes.</p>"
        f'<p><a class="button" href="{base_path(org.slug)}/login">Get a new link for {name}</a></p>',
        org.accent_color,
        410,
    )


def _continue_page(org: OrganizationView, token: str, *, secure: bool) -> HTMLResponse:
    """ "Continue to <Org>": a form that POSTs back with a nonce also set as a SameSite=Strict cookie.

    The link page is served with no-referrer, so browsers send `Origin: null` on its POST and the
    origin cannot be checked; the double-submitted nonce stops another site from posting a link
    of its own (login CSRF): its request carries no such cookie. `secure` marks the cookie HTTPS-only.
    """
    nonce = new_secret()
    name = html.escape(org.name)
    path = f"{base_path(org.slug)}/link/{token}"
    response = _page(
        f"Continue to {org.name}",
        f"<h1>Continue to {name}</h1><p>Sign in to the {name} client portal in this browser.</p>"
        f'<form method="post" action="{html.escape(path)}"><input type="hidden" name="nonce" value="{nonce}">'
        '<button type="submit">Continue</button></form>',
        org.accent_color,
    )
    response.set_cookie(
        CONTINUE_COOKIE,
        nonce,
        max_age=int(magic_links.LINK_TTL.total_seconds()),
        path=path,
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    return response


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    cookie = _Cookie(settings)

    def continue_page(org: OrganizationView, token: str) -> HTMLResponse:
        return _continue_page(org, token, secure=settings.secure_cookies)

    @router.get("/portal/{slug}/link/{token}")
    async def link_landing(slug: str, token: str) -> Response:
        """What the mailed link opens. It changes nothing on the server: mail scanners open links too."""
        org = await organizations.find_by_slug(slug)
        if org is None:
            return _not_found()
        if not await magic_links.link_is_usable(org.id, token):
            return _dead_link(org)
        return continue_page(org, token)

    @router.post("/portal/{slug}/link/{token}")
    async def link_continue(request: Request, slug: str, token: str, nonce: Annotated[str, Form()] = "") -> Response:
        org = await organizations.find_by_slug(slug)
        if org is None:
            return _not_found()
        expected = request.cookies.get(CONTINUE_COOKIE, "")
        if not (nonce and expected and same_secret(nonce, expected)):
            # Not from our own Continue page (or cookies are off): ask again, in this browser, knowingly.
            return continue_page(org, token) if await magic_links.link_is_usable(org.id, token) else _dead_link(org)
        session_token = await magic_links.consume_link(
            org.id, token, ip=client_ip(request), user_agent=user_agent(request)
        )
        if session_token is None:
            return _dead_link(org)
        # Home, or the portal page that sent this browser to sign in (return_to.py)
        response = RedirectResponse(landing(request, org.slug), status_code=303)
        cookie.set(response, org.slug, session_token)
        response.delete_cookie(CONTINUE_COOKIE, path=f"{base_path(org.slug)}/link/{token}")
        forget(response, org.slug, secure=settings.secure_cookies)
        return response

    @router.get("/portal/{slug}/auth/session")
    async def exchange_ticket(request: Request, slug: str, ticket: str = "") -> Response:
        redeemed = await tickets.redeem(ticket, browser=browser_id(request))
        if redeemed is None or redeemed[0] != slug:
            return RedirectResponse(f"{base_path(slug)}/login", status_code=303)
        response = RedirectResponse(landing(request, slug), status_code=303)
        cookie.set(response, slug, redeemed[1])
        forget(response, slug, secure=settings.secure_cookies)
        return response

    @router.post("/portal/{slug}/sign-out")
    async def sign_out(request: Request, slug: str) -> Response:
        org = await organizations.find_by_slug(slug)
        if org is not None:
            await portal_sessions.sign_out(org.id, request.cookies.get(PORTAL_COOKIE), ip=client_ip(request))
        response = RedirectResponse(f"{base_path(slug)}/login", status_code=303)
        cookie.clear(response, slug)
        return response

    return router
