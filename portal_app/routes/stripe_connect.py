"""The way back from Stripe's hosted onboarding (Stripe Connect, SPEC §16).

Stripe sends the owner or admin to the return URL when they finish (or leave) onboarding, and to the refresh URL
when the link they hold has expired or was used. Both carry a `state` bound to the staff session that pressed
"Connect Stripe" (services.card_payments.stripe_accounts): another browser, user or organization gets nowhere.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from portal_app.auth.staff import current_staff, login_redirect
from services.card_payments import stripe_accounts
from services.core.errors import Forbidden, ServiceError

router = APIRouter(include_in_schema=False)
log = logging.getLogger("portico.payments")


def _settings(outcome: str) -> RedirectResponse:
    return RedirectResponse(f"/settings?stripe={outcome}", status_code=303)


@router.get(stripe_accounts.RETURN_PATH)
async def onboarding_return(request: Request, state: str = "") -> Response:
    context = await current_staff(request)
    if context is None:
        return login_redirect(request)
    try:
        await stripe_accounts.finish_onboarding(context.actor, context.session_id, state)
    except Forbidden:
        return _settings("wrong-session")
    except ServiceError as exc:
        log.info("onboarding return not applied: %s", exc.message)
        return _settings("unavailable")
    return _settings("returned")


@router.get(stripe_accounts.REFRESH_PATH)
async def onboarding_refresh(request: Request, state: str = "") -> Response:
    context = await current_staff(request)
    if context is None:
        return login_redirect(request)
    try:
        url = await stripe_accounts.renew_onboarding(context.actor, context.session_id, state)
    except Forbidden:
        return _settings("wrong-session")
    except ServiceError as exc:
        log.info("onboarding link not renewed: %s", exc.message)
        return _settings("unavailable")
    return RedirectResponse(url, status_code=303)
