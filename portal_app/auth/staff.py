"""Staff sign-in: password check with rate limits, the ticket → cookie route, the session behind a request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.requests import HTTPConnection

from models.organizations import Role
from portal_app.auth.browser import browser_id
from portal_app.auth.ratelimit import SlidingWindow
from portal_app.auth.requests import client_ip, safe_next, user_agent
from portal_app.auth.tickets import TicketBox
from portal_app.settings import Settings
from services.core.actors import StaffActor
from services.core.common import email_identity
from services.staff import staff, staff_sessions
from services.staff.staff import SignedInStaff

STAFF_COOKIE = "portico_staff"
SIGN_OUT_PATH = "/auth/staff/sign-out"
NEUTRAL_ERROR = "That email and password did not work. Check them and try again in a moment."

# Per email and per IP, failed or not: a guesser is slowed whichever they vary.
email_limiter = SlidingWindow("staff-sign-in-email", limit=10, window=15 * 60)
ip_limiter = SlidingWindow("staff-sign-in-ip", limit=30, window=15 * 60)


def _encode_staff(who: SignedInStaff) -> dict[str, str]:
    return {"user_id": str(who.user_id), "org_id": str(who.org_id), "email": who.email, "role": who.role.value}


def _decode_staff(data: dict[str, str]) -> SignedInStaff:
    return SignedInStaff(
        user_id=uuid.UUID(data["user_id"]),
        org_id=uuid.UUID(data["org_id"]),
        email=data["email"],
        role=Role(data["role"]),
    )


tickets: TicketBox[SignedInStaff] = TicketBox("staff-sign-in", encode=_encode_staff, decode=_decode_staff)


@dataclass(frozen=True, slots=True)
class StaffContext:
    """What a staff page knows about who is looking."""

    actor: StaffActor
    session_id: uuid.UUID


async def sign_in(email: str, password: str, *, ip: str, browser: str) -> str | None:
    """A one-time ticket for a correct email and password, usable only by `browser`; None for the neutral error.

    Raises staff.SsoRequired when the password is right but the organization requires single sign-on.
    """
    email_key = email_identity(email)
    # Both buckets are charged before the check, so the answer is the same for a limited and a wrong attempt.
    allowed = await email_limiter.hit(email_key) & await ip_limiter.hit(ip)
    try:
        who = await staff.check_password(email, password, ip=ip)
    except staff.SsoRequired:
        if not allowed:  # over the limit, every answer is the neutral one
            return None
        raise
    if who is None or not allowed:
        return None
    await email_limiter.reset(email_key)
    return await tickets.issue(who, browser=browser)


def ticket_url(ticket: str, next_path: str = "/") -> str:
    return f"/auth/staff/session?ticket={quote(ticket)}&next={quote(safe_next(next_path))}"


async def current_staff(conn: HTTPConnection) -> StaffContext | None:
    resolved = await staff_sessions.resolve(conn.cookies.get(STAFF_COOKIE), ip=client_ip(conn))
    return StaffContext(resolved.actor, resolved.session_id) if resolved else None


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    suffix = f"?next={quote(target)}" if target != "/" else ""
    return RedirectResponse(f"/login{suffix}", status_code=303)


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/auth/staff/session")
    async def exchange_ticket(request: Request, ticket: str = "", next: str = "/") -> RedirectResponse:
        who = await tickets.redeem(ticket, browser=browser_id(request))
        if who is None:
            return RedirectResponse("/login?expired=1", status_code=303)
        token = await staff_sessions.start_session(who, ip=client_ip(request), user_agent=user_agent(request))
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(
            STAFF_COOKIE,
            token,
            max_age=int(staff_sessions.ABSOLUTE_TIMEOUT.total_seconds()),
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )
        return response

    @router.post(SIGN_OUT_PATH)
    async def sign_out(request: Request) -> RedirectResponse:
        """Ends the session on the server and drops the cookie. POST only: a cross-site link cannot sign anyone out."""
        await staff_sessions.end_session(request.cookies.get(STAFF_COOKIE), ip=client_ip(request))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(STAFF_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies)
        return response

    return router
