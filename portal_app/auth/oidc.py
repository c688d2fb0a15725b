"""Staff single sign-on over OpenID Connect: /auth/oidc/start sends the browser to the provider, and
/auth/oidc/callback turns the provider's answer into a one-time ticket for /auth/staff/session.

The state, nonce and PKCE verifier of a login in flight are kept in the shared state (`tickets.py`: the callback
may reach another process than the start did), keyed by the state's hash and bound to the browser id cookie
(`browser.py`), for ten minutes and one use: a callback with a state this
browser did not start, or the same callback twice, signs nobody in. The protocol checks are
`services.adapters.oidc`'s; who a verified email may be is `services.staff.sso`'s.

Every failure lands on /login?sso_error=<code>, which shows a fixed sentence for the code (never the raw
error), and leaves an audit row in the organization when one is known, a log line otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from portal_app.auth import staff as staff_auth
from portal_app.auth.browser import browser_id
from portal_app.auth.requests import client_ip, safe_next
from portal_app.auth.tickets import TicketBox
from portal_app.settings import Settings
from services.adapters import oidc
from services.staff import sso

log = logging.getLogger("portico.sso")

START_PATH = "/auth/oidc/start"
CALLBACK_PATH = "/auth/oidc/callback"
PENDING_TTL = 10 * 60.0  # long enough to type a password and a second factor at the provider

# What /login says for each ?sso_error=; unknown codes say nothing.
SSO_ERRORS = {
    "not_configured": "Single sign-on is not set up on this server.",
    "expired": "That single sign-on attempt has expired or was already used. Please start again.",
    "denied": "Single sign-on was cancelled at your identity provider.",
    "provider": "Your identity provider could not be reached. Try again in a moment.",
    "failed": "Your identity provider's answer could not be verified, so you were not signed in.",
    "unverified": "Your identity provider has not verified your email address, so it cannot sign you in here.",
    "unknown": (
        "There is no Portico account for that email address. Ask an owner or admin of your agency to invite you."
    ),
}
# The adapter's reasons, as the sign-in page words them (the precise reason goes to the audit row or log).
_SHOWN_AS = {"not_configured": "not_configured", "provider": "provider", "state": "expired", "denied": "denied"}


@dataclass(frozen=True, slots=True)
class _InFlight:
    login: oidc.PendingLogin
    next_path: str
    invitation: str


def _encode_flight(flight: _InFlight) -> dict[str, str]:
    login = flight.login
    return {
        "nonce": login.nonce,
        "code_verifier": login.code_verifier,
        "redirect_uri": login.redirect_uri,
        "next_path": flight.next_path,
        "invitation": flight.invitation,
    }


def _decode_flight(data: dict[str, str]) -> _InFlight:
    login = oidc.PendingLogin(data["nonce"], data["code_verifier"], data["redirect_uri"])
    return _InFlight(login, data["next_path"], data["invitation"])


pending: TicketBox[_InFlight] = TicketBox("oidc-login", encode=_encode_flight, decode=_decode_flight, ttl=PENDING_TTL)


def start_url(next_path: str = "/") -> str:
    return f"{START_PATH}?next={quote(safe_next(next_path))}"


def error_url(code: str) -> str:
    return f"/login?sso_error={quote(code)}"


async def _refuse(request: Request, reason: str, *, email: str = "", detail: str = "") -> RedirectResponse:
    """/login with the sentence for `reason`; an audit row in the organization of `email`, or a log line."""
    ip = client_ip(request)
    recorded = await sso.record_failure(email, reason, ip=ip) if email else False
    if not recorded:
        log.warning("SSO sign-in refused (%s) for %s from %s: %s", reason, email or "unknown email", ip, detail)
    return RedirectResponse(error_url(_SHOWN_AS.get(reason, reason if reason in SSO_ERRORS else "failed")), 303)


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    redirect_uri = f"{settings.base_url}{CALLBACK_PATH}"

    @router.get(START_PATH)
    async def start(request: Request, next: str = "/", invitation: str = "") -> RedirectResponse:
        browser = browser_id(request)
        if not oidc.configured() or not browser:
            return await _refuse(request, "not_configured" if not oidc.configured() else "state")
        login = oidc.new_login(redirect_uri)
        # The state is the pending entry's one-time key: 256 bits from `secrets`, kept only hashed.
        state = await pending.issue(_InFlight(login, safe_next(next), invitation[:200]), browser=browser)
        try:
            url = await oidc.authorization_url(login, state)
        except oidc.OidcFailure as exc:
            await pending.redeem(state, browser=browser)  # drop it: this login goes nowhere
            return await _refuse(request, exc.reason, detail=exc.detail)
        return RedirectResponse(url, status_code=303)

    @router.get(CALLBACK_PATH)
    async def callback(
        request: Request, state: str = "", code: str = "", error: str = "", error_description: str = ""
    ) -> RedirectResponse:
        # Redeemed first, whatever else the query says: a state works once, and only in the browser that began.
        flight = await pending.redeem(state, browser=browser_id(request))
        if flight is None:
            return await _refuse(request, "state", detail="unknown, spent or foreign state")
        if error:
            reason = "denied" if error == "access_denied" else "failed"
            return await _refuse(request, reason, detail=f"{error}: {error_description[:200]}")
        try:
            identity = await oidc.complete(code, flight.login)
        except oidc.OidcFailure as exc:
            return await _refuse(request, exc.reason, detail=exc.detail)
        if not identity.email_verified:
            return await _refuse(request, "unverified", email=identity.email, detail=f"sub {identity.subject}")
        who = await sso.sign_in_verified_email(
            identity.email, identity.name, ip=client_ip(request), invitation=flight.invitation
        )
        if who is None:
            return await _refuse(request, "unknown", email=identity.email, detail=f"sub {identity.subject}")
        ticket = await staff_auth.tickets.issue(who, browser=browser_id(request))
        return RedirectResponse(staff_auth.ticket_url(ticket, flight.next_path), status_code=303)

    return router
