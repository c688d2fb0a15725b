"""`POST /webhooks/stripe`: the raw body goes to the stripe library's signature check, then to services.

A plain route: the signature covers the exact bytes, so the body is read raw and never parsed first.
Answers follow what Stripe does with them: 2xx ends its retries, 400 says the delivery is bad (forged,
stale, malformed), 5xx asks it to try again later (the database was unavailable, or no secret is set yet).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.adapters import stripe_gateway
from services.card_payments import webhooks

log = logging.getLogger("portico.webhooks")

router = APIRouter(include_in_schema=False)

# Checkout events are a few kilobytes; anything far larger is not from Stripe.
MAX_BODY_BYTES = 512 * 1024


@router.post("/webhooks/stripe")
async def stripe_webhook(request: Request) -> JSONResponse:
    stripe = stripe_gateway.get_config()
    if not (stripe.webhook_secret or stripe.connect_webhook_secret):
        return JSONResponse({"detail": "Stripe webhooks are not configured."}, status_code=503)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return JSONResponse({"detail": "The body is too large."}, status_code=413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"detail": "The body is too large."}, status_code=413)
    signature = request.headers.get("stripe-signature", "")
    if not signature:
        return JSONResponse({"detail": "The Stripe-Signature header is missing."}, status_code=400)
    try:
        outcome = await webhooks.handle_webhook(body, signature)
    except stripe_gateway.BadSignature as exc:
        log.warning("refused a Stripe webhook: %s", exc)
        return JSONResponse({"detail": "The signature does not match."}, status_code=400)
    except Exception:
        log.exception("a Stripe webhook failed; Stripe will deliver it again")
        return JSONResponse({"detail": "The event could not be processed now."}, status_code=500)
    return JSONResponse({"received": True, "result": outcome.result})
