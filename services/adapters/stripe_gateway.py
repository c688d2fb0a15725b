"""The adapter to Stripe: Checkout Sessions, connected accounts and their onboarding links through the official
library, and webhook signature checks.

Nothing here touches the database. `services/card_payments/checkout.py` decides what a session means for an invoice.
PORTAL_STRIPE_API_BASE points the library at any compatible server (the tests' stand-in among them).

Stripe Connect: the secret key is the platform's. A call for an organization names its connected account
(`account`, sent as the `Stripe-Account` header through the library's `stripe_account` option), so the session
is the agency's own and its money lands in the agency's account. `PLATFORM` (None) means the platform's own
account, which only PORTAL_STRIPE_DIRECT uses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from services.core import money
from services.core.errors import Invalid

if TYPE_CHECKING:
    import stripe

# The library itself (some 40 ms of imports, with httpx and rich) is imported by the functions that call Stripe,
# not here: every page imports this module through the checkout service, and `serve` should not wait for it.

log = logging.getLogger("portico.payments")

# Stripe's own tolerance for old signatures; a timestamp this far in the future is refused as well.
SIGNATURE_TOLERANCE = 300
# Where Stripe's notion of a currency's minor unit differs from ISO 4217 (https://stripe.com/docs/currencies).
STRIPE_EXPONENT_OVERRIDES = {"ISK": 2, "MGA": 0}
TIMEOUT_SECONDS = 15


PLATFORM: str | None = None


@dataclass(frozen=True, slots=True)
class StripeConfig:
    secret_key: str = ""
    webhook_secret: str = ""  # the signing secret of the endpoint for the platform account's own events
    api_base: str = ""
    connect_webhook_secret: str = ""  # the signing secret of the endpoint for events on connected accounts
    direct: bool = False  # PORTAL_STRIPE_DIRECT: one organization paid into the platform's own account


@dataclass(frozen=True, slots=True)
class StripeStatus:
    """What Settings shows: whether card payments are on, in which mode, and where webhooks must point."""

    configured: bool
    webhook_configured: bool
    mode: str  # "live", "test" or "" when not configured
    custom_api_base: str
    connect_webhook_configured: bool = False
    direct: bool = False


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    """The fields of a Stripe Checkout Session that Portico reads."""

    id: str
    url: str
    status: str  # open, complete, expired
    payment_status: str  # paid, unpaid, no_payment_required
    amount_total: int | None
    currency: str  # upper case, like invoice currencies
    metadata: dict[str, str]
    client_reference_id: str
    payment_intent_id: str
    payment_intent_status: str  # only when the payment intent was expanded
    expires_at: datetime | None
    customer_email: str
    mode: str = "payment"  # payment, or subscription (a recurring service of the catalog)
    subscription_id: str = ""  # subscription mode, once complete: the subscription and its first invoice
    invoice_id: str = ""
    customer_id: str = ""
    customer_name: str = ""


class StripeUnavailable(Exception):
    """Stripe refused the call or could not be reached; `reason` is for staff and logs, never for payers."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StripeRefused(StripeUnavailable):
    """Stripe answered and refused this one request (no such object, no access to the account): retrying it will
    not help, but other requests may well work."""


class NoSuchAccount(StripeRefused):
    """Stripe does not know the account, or this platform has no access to it."""


def _unavailable(exc: stripe.StripeError) -> StripeUnavailable:
    import stripe

    if isinstance(exc, stripe.PermissionError | stripe.InvalidRequestError):
        return StripeRefused(_reason(exc))
    return StripeUnavailable(_reason(exc))


class BadSignature(Exception):
    """A webhook whose signature, timestamp or body does not check out."""


_config = StripeConfig()
# One client (and so one HTTP connection pool) per event loop and configuration: building one per call would
# open a new connection to Stripe each time and leave its pool unclosed. An httpx pool belongs to the loop that
# opened its connections, so a new loop (a CLI job, a test) gets its own.
_cached: tuple[asyncio.AbstractEventLoop, stripe.StripeClient] | None = None


def configure(config: StripeConfig) -> None:
    global _config, _cached
    _config, _cached = config, None


def get_config() -> StripeConfig:
    return _config


def configured() -> bool:
    return bool(_config.secret_key)


def status() -> StripeStatus:
    key = _config.secret_key
    mode = "" if not key else ("live" if key.startswith(("sk_live_", "rk_live_")) else "test")
    return StripeStatus(
        bool(key),
        bool(_config.webhook_secret),
        mode,
        _config.api_base,
        connect_webhook_configured=bool(_config.connect_webhook_secret),
        direct=_config.direct,
    )


def _on(account: str | None, idempotency_key: str = "") -> stripe.RequestOptions:
    """Request options that make a call on a connected account (the `Stripe-Account` header)."""
    options: stripe.RequestOptions = {}
    if account:
        options["stripe_account"] = account
    if idempotency_key:
        options["idempotency_key"] = idempotency_key
    return options


def _client() -> stripe.StripeClient:
    global _cached
    if not _config.secret_key:
        raise StripeUnavailable("no Stripe secret key is configured")
    loop = asyncio.get_running_loop()
    if _cached is None or _cached[0] is not loop:
        import stripe

        base = {"api": _config.api_base.rstrip("/")} if _config.api_base else None
        # No library retries: one press of Pay is one attempt with one idempotency key, and the payer may retry.
        client = stripe.StripeClient(
            _config.secret_key,
            base_addresses=base,  # type: ignore[arg-type]
            http_client=stripe.HTTPXClient(timeout=TIMEOUT_SECONDS),
            max_network_retries=0,
        )
        _cached = (loop, client)
    return _cached[1]


def _reason(exc: stripe.StripeError) -> str:
    kind = type(exc).__name__
    message = exc.user_message or str(exc) or "no message"
    return f"{kind}: {message}"[:480]


# --- amounts -------------------------------------------------------------------------------------------------------


def stripe_exponent(currency: str) -> int:
    return STRIPE_EXPONENT_OVERRIDES.get(currency, money.exponent(currency))


def to_stripe_amount(minor: int, currency: str) -> int:
    """ISO minor units → Stripe's unit for the currency; refused when Stripe cannot charge it exactly."""
    shift = stripe_exponent(currency) - money.exponent(currency)
    if shift >= 0:
        return minor * 10**shift
    factor = 10**-shift
    if minor % factor:
        raise Invalid(f"This amount cannot be charged by card in {currency}.", "amount")
    return minor // factor


def from_stripe_amount(amount: int, currency: str) -> int:
    shift = stripe_exponent(currency) - money.exponent(currency)
    return amount * 10**-shift if shift <= 0 else amount // 10**shift


# --- Checkout Sessions ---------------------------------------------------------------------------------------------


def _session(obj: Any) -> CheckoutSession:
    """From the library's object or a webhook's plain dict."""
    data: dict[str, Any] = obj if isinstance(obj, dict) else obj.to_dict()
    intent = data.get("payment_intent")
    intent_id, intent_status = "", ""
    if isinstance(intent, dict):
        intent_id, intent_status = str(intent.get("id") or ""), str(intent.get("status") or "")
    elif isinstance(intent, str):
        intent_id = intent
    currency = str(data.get("currency") or "").upper()
    amount = data.get("amount_total")
    expires = data.get("expires_at")
    details = data.get("customer_details") or {}
    return CheckoutSession(
        id=str(data.get("id") or ""),
        url=str(data.get("url") or ""),
        status=str(data.get("status") or ""),
        payment_status=str(data.get("payment_status") or ""),
        amount_total=_amount(amount, currency),
        currency=currency,
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        client_reference_id=str(data.get("client_reference_id") or ""),
        payment_intent_id=intent_id,
        payment_intent_status=intent_status,
        expires_at=datetime.fromtimestamp(expires, UTC) if isinstance(expires, int) else None,
        customer_email=str((details.get("email") if isinstance(details, dict) else "") or ""),
        mode=str(data.get("mode") or "payment"),
        subscription_id=_id_of(data.get("subscription")),
        invoice_id=_id_of(data.get("invoice")),
        customer_id=_id_of(data.get("customer")),
        customer_name=str((details.get("name") if isinstance(details, dict) else "") or ""),
    )


def _id_of(value: object) -> str:
    """An expandable field's id, whether Stripe sent the id or the object."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return value if isinstance(value, str) else ""


def _moment(value: object) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int) and not isinstance(value, bool) else None


def _amount(amount: object, currency: str) -> int | None:
    """Stripe's amount in ISO minor units; None when there is none or the currency is not one Portico knows."""
    if not isinstance(amount, int) or isinstance(amount, bool) or not currency:
        return None
    try:
        return from_stripe_amount(amount, currency)
    except Invalid:
        return None


def session_from_event(event: dict[str, Any]) -> CheckoutSession:
    return _session(((event.get("data") or {}).get("object")) or {})


async def create_checkout_session(
    *,
    amount_minor: int,
    currency: str,
    description: str,
    metadata: dict[str, str],
    client_reference_id: str,
    success_url: str,
    cancel_url: str,
    customer_email: str,
    expires_at: datetime,
    idempotency_key: str,
    account: str | None,
    recurring: str = "",
) -> CheckoutSession:
    """A session on `account` (a direct charge: the agency's own Stripe account takes the money). `recurring`
    ("month" or "year") makes it a subscription: the price is made with the session (`price_data`), so what
    the buyer pays is always the catalog's price of the moment, with no Price objects to keep in step."""
    price: dict[str, Any] = {
        "currency": currency.lower(),
        "unit_amount": to_stripe_amount(amount_minor, currency),
        "product_data": {"name": description[:250]},
    }
    params: dict[str, Any] = {
        "mode": "subscription" if recurring else "payment",
        "line_items": [{"quantity": 1, "price_data": price}],
        "metadata": metadata,
        "client_reference_id": client_reference_id,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(expires_at.timestamp()),
    }
    if recurring:
        price["recurring"] = {"interval": recurring}
        params["subscription_data"] = {"metadata": metadata}
    else:
        params["payment_intent_data"] = {"metadata": metadata}
    if customer_email:
        params["customer_email"] = customer_email
    import stripe

    try:
        created = await _client().v1.checkout.sessions.create_async(
            params,  # type: ignore[arg-type]
            options=_on(account, idempotency_key),
        )
    except stripe.StripeError as exc:
        log.warning("Stripe refused a Checkout Session: %s", _reason(exc))
        raise _unavailable(exc) from exc
    return _session(created)


async def retrieve_checkout_session(session_id: str, *, account: str | None) -> CheckoutSession:
    """The session as Stripe has it, read on the account it was made on: Stripe answers "no such session" when
    asked on another, so a session id of one agency can never be read back as another's."""
    import stripe

    try:
        found = await _client().v1.checkout.sessions.retrieve_async(
            session_id,
            {"expand": ["payment_intent"]},
            options=_on(account),
        )
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    return _session(found)


async def expire_checkout_session(session_id: str, *, account: str | None) -> CheckoutSession:
    """End an open session so it can no longer be paid (an account disconnected, for one)."""
    import stripe

    try:
        found = await _client().v1.checkout.sessions.expire_async(session_id, options=_on(account))
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    return _session(found)


# --- subscriptions and their invoices (the catalog's recurring services) ------------------------------------------


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    id: str
    status: str  # active, past_due, unpaid, canceled, incomplete, incomplete_expired, trialing, paused
    customer_id: str
    current_period_end: datetime | None
    cancel_at_period_end: bool
    canceled_at: datetime | None
    metadata: dict[str, str]
    latest_invoice_id: str


def _subscription(obj: Any) -> SubscriptionState:
    data: dict[str, Any] = obj if isinstance(obj, dict) else obj.to_dict()
    items = ((data.get("items") or {}).get("data") or []) if isinstance(data.get("items"), dict) else []
    # Since 2025 the billing period is the items'; older API versions kept it on the subscription.
    period_end = _moment(items[0].get("current_period_end")) if items and isinstance(items[0], dict) else None
    return SubscriptionState(
        id=str(data.get("id") or ""),
        status=str(data.get("status") or ""),
        customer_id=_id_of(data.get("customer")),
        current_period_end=period_end or _moment(data.get("current_period_end")),
        cancel_at_period_end=data.get("cancel_at_period_end") is True,
        canceled_at=_moment(data.get("canceled_at")),
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        latest_invoice_id=_id_of(data.get("latest_invoice")),
    )


@dataclass(frozen=True, slots=True)
class StripeInvoice:
    id: str
    status: str  # draft, open, paid, uncollectible, void
    billing_reason: str  # subscription_create, subscription_cycle, …
    subscription_id: str
    amount_paid: int | None  # ISO minor units
    amount_due: int | None
    currency: str
    period_end: datetime | None  # the end of the period this invoice pays for
    attempt_count: int


def _invoice(obj: Any) -> StripeInvoice:
    data: dict[str, Any] = obj if isinstance(obj, dict) else obj.to_dict()
    currency = str(data.get("currency") or "").upper()
    parent = data.get("parent") or {}
    details = parent.get("subscription_details") if isinstance(parent, dict) else None
    # Since 2025 an invoice names its subscription under parent.subscription_details; before, at the top.
    subscription = _id_of(details.get("subscription")) if isinstance(details, dict) else ""
    attempts = data.get("attempt_count")
    # The period billed is the lines' (a renewal invoice's own period_end is the end of the period before).
    lines = (data.get("lines") or {}).get("data") if isinstance(data.get("lines"), dict) else None
    first: dict[str, Any] = lines[0] if isinstance(lines, list) and lines and isinstance(lines[0], dict) else {}
    period = first.get("period")
    billed: dict[str, Any] = period if isinstance(period, dict) else {}
    return StripeInvoice(
        id=str(data.get("id") or ""),
        status=str(data.get("status") or ""),
        billing_reason=str(data.get("billing_reason") or ""),
        subscription_id=subscription or _id_of(data.get("subscription")),
        amount_paid=_amount(data.get("amount_paid"), currency),
        amount_due=_amount(data.get("amount_due"), currency),
        currency=currency,
        period_end=_moment(billed.get("end")) or _moment(data.get("period_end")),
        attempt_count=attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else 0,
    )


def subscription_from_event(event: dict[str, Any]) -> SubscriptionState:
    return _subscription(((event.get("data") or {}).get("object")) or {})


def invoice_from_event(event: dict[str, Any]) -> StripeInvoice:
    return _invoice(((event.get("data") or {}).get("object")) or {})


async def retrieve_subscription(subscription_id: str, *, account: str | None) -> SubscriptionState:
    import stripe

    try:
        found = await _client().v1.subscriptions.retrieve_async(subscription_id, options=_on(account))
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    return _subscription(found)


async def retrieve_invoice(invoice_id: str, *, account: str | None) -> StripeInvoice:
    import stripe

    try:
        found = await _client().v1.invoices.retrieve_async(invoice_id, options=_on(account))
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    return _invoice(found)


async def set_cancel_at_period_end(subscription_id: str, value: bool, *, account: str | None) -> SubscriptionState:
    import stripe

    try:
        updated = await _client().v1.subscriptions.update_async(
            subscription_id, {"cancel_at_period_end": value}, options=_on(account)
        )
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    return _subscription(updated)


# --- connected accounts --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountState:
    """What Settings shows of a connected account, as Stripe reports it."""

    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: tuple[str, ...]  # Stripe's currently_due and past_due fields, e.g. "external_account"
    disabled_reason: str


def _account(obj: Any) -> AccountState:
    data: dict[str, Any] = obj if isinstance(obj, dict) else obj.to_dict()
    requirements = data.get("requirements") or {}
    due: list[str] = []
    if isinstance(requirements, dict):
        for key in ("past_due", "currently_due"):
            for item in requirements.get(key) or []:
                if isinstance(item, str) and item not in due:
                    due.append(item)
    reason = requirements.get("disabled_reason") if isinstance(requirements, dict) else None
    return AccountState(
        id=str(data.get("id") or ""),
        charges_enabled=data.get("charges_enabled") is True,
        payouts_enabled=data.get("payouts_enabled") is True,
        details_submitted=data.get("details_submitted") is True,
        requirements_due=tuple(due),
        disabled_reason=str(reason or ""),
    )


def account_from_event(event: dict[str, Any]) -> AccountState:
    return _account(((event.get("data") or {}).get("object")) or {})


async def create_account(*, email: str, business_name: str, metadata: dict[str, str], idempotency_key: str) -> str:
    """A new Standard connected account (the agency owns it and its dashboard; direct charges land in it); its id."""
    import stripe

    params: dict[str, Any] = {"type": "standard", "metadata": metadata, "business_profile": {"name": business_name}}
    if email:
        params["email"] = email
    try:
        created = await _client().v1.accounts.create_async(
            params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as exc:
        log.warning("Stripe refused a connected account: %s", _reason(exc))
        raise _unavailable(exc) from exc
    return str(created.id)


async def retrieve_account(account: str) -> AccountState:
    import stripe

    try:
        found = await _client().v1.accounts.retrieve_async(account)
    except (stripe.PermissionError, stripe.InvalidRequestError) as exc:
        if isinstance(exc, stripe.PermissionError) or exc.code == "resource_missing":
            raise NoSuchAccount(_reason(exc)) from exc
        raise StripeUnavailable(_reason(exc)) from exc
    except stripe.StripeError as exc:
        raise StripeUnavailable(_reason(exc)) from exc
    return _account(found)


async def create_account_link(account: str, *, refresh_url: str, return_url: str) -> str:
    """A single-use link into Stripe's hosted onboarding for the account; it lives a few minutes."""
    import stripe

    params = {"account": account, "refresh_url": refresh_url, "return_url": return_url, "type": "account_onboarding"}
    try:
        link = await _client().v1.account_links.create_async(params)  # type: ignore[arg-type]
    except stripe.StripeError as exc:
        log.warning("Stripe refused an account link: %s", _reason(exc))
        raise _unavailable(exc) from exc
    return str(link.url)


async def check_connection(account: str | None) -> str:
    """One harmless read (the balance, on the organization's account) to tell staff whether the key works and
    reaches that account; returns "" or the reason."""
    import stripe

    try:
        await _client().v1.balance.retrieve_async(options=_on(account))
    except StripeUnavailable as exc:
        return exc.reason
    except stripe.StripeError as exc:
        return _reason(exc)
    return ""


# --- webhooks ------------------------------------------------------------------------------------------------------


def _signed_at(header: str) -> int | None:
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


def verify_event(payload: bytes, signature_header: str) -> dict[str, Any]:
    """The event, once the library has checked its signature on the raw body; BadSignature otherwise.

    The library refuses signatures older than the tolerance; one dated far ahead is refused here, so a
    signature leaked with a future timestamp cannot be replayed for days.
    """
    secrets = [secret for secret in (_config.webhook_secret, _config.connect_webhook_secret) if secret]
    if not secrets:
        raise BadSignature("no webhook secret is configured")
    import stripe

    # The platform's endpoint and the Connect endpoint each have their own secret; either signature is Stripe's.
    reason = ""
    for secret in secrets:
        try:
            stripe.Webhook.construct_event(payload, signature_header, secret, SIGNATURE_TOLERANCE)
            break
        except (stripe.SignatureVerificationError, ValueError) as exc:
            reason = str(exc)
    else:
        raise BadSignature(reason)
    signed_at = _signed_at(signature_header)
    if signed_at is None or signed_at > time.time() + SIGNATURE_TOLERANCE:
        raise BadSignature("timestamp outside the tolerance zone")
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise BadSignature("the body is not JSON") from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise BadSignature("the body is not a Stripe event")
    if event.get("account") is not None and not isinstance(event.get("account"), str):
        raise BadSignature("the event's account is not an account id")
    return event


def event_account(event: dict[str, Any]) -> str | None:
    """The connected account a Connect event happened on; None (PLATFORM) for the platform's own events."""
    account = event.get("account")
    return account or PLATFORM
