"""A loopback Stripe stand-in: the slice of the Stripe API Portico uses, plus a hosted checkout page, on 127.0.0.1.

The app talks to it through the official `stripe` library (``base_addresses={"api": standin.url}``), so the tests
exercise the real request encoding, error mapping and webhook signature scheme rather than a mock of our own
adapter. It answers with Stripe's JSON shapes and error bodies, honours idempotency keys, and signs webhooks the way
Stripe does, so `stripe.Webhook.construct_event` accepts them. Nothing here reaches beyond 127.0.0.1.

Subscriptions are rendered in the shapes of the library's API version: the billing period lives on the subscription
items (``items.data[].current_period_start/end``), an invoice names its subscription under
``parent.subscription_details.subscription``, and, as Stripe does, an invoice's own period_start/period_end is the
period *before* the one it bills (both equal to its creation on the first invoice): the service period is on its lines.

Deliberate simplifications (each one a place where a real Stripe account behaves differently):
- only ``mode=payment`` and ``mode=subscription``, with inline ``price_data`` line items; Stripe's minimum charge
  amount is not enforced; in subscription mode every item must be recurring (no one-time items on the first
  invoice), all on one interval, and ``subscription_data`` takes only metadata and description (no trials,
  billing anchors, prorations, discounts or taxes);
- subscriptions are made only by completing a subscription-mode session, always paid by card: the first invoice is
  paid at once (no incomplete subscriptions, 3-D Secure or asynchronous methods); `customer` may name an earlier
  session's customer, but customers, products and prices have no endpoints of their own (a customer can be expanded);
- time does not pass for subscriptions: `renew` bills the next period (paid, or open and past_due), `pay_invoice` is
  a retry succeeding, `end_period` ends one set to cancel at period end; there are no automatic retries, dunning
  never cancels, and invoice numbers (``STANDIN-0001``) count across all customers and accounts;
- the API reads, updates (cancel_at_period_end and metadata only) and cancels subscriptions and reads invoices; no
  list, create, pay, void or line item endpoints;
- sessions never expire on their own: only `expire()` or the expire endpoint end them;
- idempotency keys never expire, and only successful (2xx) responses are saved for replay, so a retry after
  `fail_next` or a validation error runs again (Stripe saves 5xx results too, but an injected failure models an
  outage in front of Stripe's idempotency layer);
- webhooks are delivered once, synchronously, with no retries; the hosted page sends only
  ``checkout.session.completed``: the ``customer.subscription.*`` and ``invoice.*`` events Stripe also sends are built
  on request (`subscription_event`, `invoice_event`) and delivered with `deliver`, and ``customer.*`` events not at
  all; every event's ``created`` is at least one second after the previous event's, so their order is always defined;
- Connect is a slice: accounts can be created and retrieved (not updated, listed or deleted over the API),
  ``business_profile`` takes only name, url, support_email, mcc and product_description, and requested
  capabilities go from inactive to active all at once;
- hosted onboarding is one button that satisfies every requirement and enables charges and payouts; no
  persons, documents, external accounts or terms of service acceptance are collected;
- the ``Stripe-Account`` header scopes Checkout Sessions, customers, subscriptions, invoices, the balance and
  idempotency keys; the account endpoints themselves ignore it;
- balances only grow: paid payment-mode sessions add their amount_total, and paid invoices their amount_paid, to the
  pending balance of the account they were made on, with no fees, application fees, transfers, payouts or move to
  available.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import html
import http.client
import json
import re
import secrets
import socket
import threading
import time
from calendar import monthrange
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe
from stripe import RequestOptions
from stripe.params import (
    SubscriptionCancelParams,
    SubscriptionCancelParamsCancellationDetails,
    SubscriptionUpdateParams,
)
from stripe.params.checkout import SessionCreateParamsSubscriptionData

API_VERSION: str = stripe.api_version
"""The version events claim to be rendered in: whatever the installed library pins, as a real account would."""

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Top-level parameters Stripe accepts on POST /v1/checkout/sessions (the library's SessionCreateParams minus its
# request options), plus the long-standing payment_method_types, which this library version no longer lists.
# Anything else is refused with "Received unknown parameter", as Stripe does, so typos fail loudly.
CREATE_PARAMS = frozenset(
    {
        "adaptive_pricing",
        "after_expiration",
        "allow_promotion_codes",
        "allowed_payment_method_types",
        "automatic_tax",
        "billing_address_collection",
        "branding_settings",
        "cancel_url",
        "client_reference_id",
        "consent_collection",
        "currency",
        "custom_fields",
        "custom_text",
        "customer",
        "customer_account",
        "customer_creation",
        "customer_email",
        "customer_update",
        "discounts",
        "excluded_payment_method_types",
        "expand",
        "expires_at",
        "integration_identifier",
        "invoice_creation",
        "line_items",
        "locale",
        "managed_payments",
        "metadata",
        "mode",
        "name_collection",
        "optional_items",
        "origin_context",
        "payment_intent_data",
        "payment_method_collection",
        "payment_method_configuration",
        "payment_method_data",
        "payment_method_options",
        "payment_method_types",
        "permissions",
        "phone_number_collection",
        "redirect_on_completion",
        "return_url",
        "saved_payment_method_options",
        "setup_intent_data",
        "shipping_address_collection",
        "shipping_options",
        "submit_type",
        "subscription_data",
        "success_url",
        "tax_id_collection",
        "ui_mode",
        "wallet_options",
    }
)
LINE_ITEM_PARAMS = frozenset({"adjustable_quantity", "metadata", "price", "price_data", "quantity", "tax_rates"})
PRICE_DATA_PARAMS = frozenset(
    {"currency", "product", "product_data", "recurring", "tax_behavior", "unit_amount", "unit_amount_decimal"}
)
PRODUCT_DATA_PARAMS = frozenset({"description", "images", "metadata", "name", "tax_code", "tax_details", "unit_label"})
RECURRING_PARAMS = frozenset({"interval", "interval_count"})
INTERVALS = ("day", "week", "month", "year")
# Stripe's longest billing interval is three years, in whichever unit.
MAX_INTERVAL_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}
# What the stand-in models of subscription_data; the library's other keys are real but refused by name.
SUBSCRIPTION_DATA_PARAMS = frozenset({"description", "metadata"})
SUBSCRIPTION_DATA_KNOWN = frozenset(SessionCreateParamsSubscriptionData.__annotations__)
EXPANDABLE = frozenset({"customer", "invoice", "payment_intent", "subscription"})

# POST /v1/subscriptions/{id} and DELETE /v1/subscriptions/{id}: what the stand-in models, and what the library
# knows (a real parameter the stand-in does not model is refused by name, anything else as unknown).
_OPTIONS = frozenset(RequestOptions.__annotations__)
SUBSCRIPTION_UPDATE_PARAMS = frozenset({"cancel_at_period_end", "expand", "metadata"})
SUBSCRIPTION_UPDATE_KNOWN = frozenset(SubscriptionUpdateParams.__annotations__) - _OPTIONS
SUBSCRIPTION_CANCEL_PARAMS = frozenset({"cancellation_details", "expand"})
SUBSCRIPTION_CANCEL_KNOWN = frozenset(SubscriptionCancelParams.__annotations__) - _OPTIONS
CANCELLATION_DETAILS_PARAMS = frozenset({"comment", "feedback"})
CANCELLATION_DETAILS_KNOWN = frozenset(SubscriptionCancelParamsCancellationDetails.__annotations__)
CANCELLATION_FEEDBACK = (
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
)
SUBSCRIPTION_EXPANDABLE = frozenset({"customer", "latest_invoice"})
INVOICE_EXPANDABLE = frozenset({"customer"})
CANCELED_SUBSCRIPTION = "A canceled subscription can only update its cancellation_details and metadata."

# Top-level parameters the stand-in models on POST /v1/accounts and /v1/account_links; anything else is refused
# with "Received unknown parameter", like the session create.
ACCOUNT_CREATE_PARAMS = frozenset(
    {"business_profile", "capabilities", "controller", "country", "email", "expand", "metadata", "type"}
)
ACCOUNT_TYPES = ("standard", "express", "custom")
BUSINESS_PROFILE_PARAMS = frozenset({"mcc", "name", "product_description", "support_email", "url"})
CONTROLLER_PARAMS = frozenset({"fees", "losses", "requirement_collection", "stripe_dashboard"})
ACCOUNT_LINK_PARAMS = frozenset(
    {"account", "collect", "collection_options", "expand", "refresh_url", "return_url", "type"}
)
ACCOUNT_LINK_TYPES = ("account_onboarding", "account_update")
ACCOUNT_LINK_SECONDS = 300
# What a new (or helper-made, not charges-enabled) account still owes Stripe before it may take charges.
ONBOARDING_REQUIREMENTS = ("business_profile.url", "external_account", "tos_acceptance.date")
# The controller properties each legacy account type stands for, when an account is created with `type`.
LEGACY_CONTROLLERS: dict[str, dict[str, Any]] = {
    "standard": {
        "fees": {"payer": "account"},
        "losses": {"payments": "stripe"},
        "requirement_collection": "stripe",
        "stripe_dashboard": {"type": "full"},
    },
    "express": {
        "fees": {"payer": "application_express"},
        "losses": {"payments": "application"},
        "requirement_collection": "stripe",
        "stripe_dashboard": {"type": "express"},
    },
    "custom": {
        "fees": {"payer": "application_custom"},
        "losses": {"payments": "application"},
        "requirement_collection": "application",
        "stripe_dashboard": {"type": "none"},
    },
}

# Currencies Stripe charges in whole units (https://docs.stripe.com/currencies#zero-decimal); only for the page.
ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)

MIN_EXPIRY_SECONDS = 30 * 60
MAX_EXPIRY_SECONDS = 24 * 60 * 60
METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LENGTH = 40
METADATA_MAX_VALUE_LENGTH = 500
CLIENT_REFERENCE_MAX_LENGTH = 200

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SUBKEY = re.compile(r"\[([^\[\]]*)\]")
_INTEGER = re.compile(r"^-?\d+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SESSION_PATH = re.compile(r"^/v1/checkout/sessions/([^/]+)$")
_EXPIRE_PATH = re.compile(r"^/v1/checkout/sessions/([^/]+)/expire$")
_PAY_PATH = re.compile(r"^/pay/([^/]+)$")
_ACCOUNT_PATH = re.compile(r"^/v1/accounts/([^/]+)$")
_ONBOARD_PATH = re.compile(r"^/connect/onboard/([^/]+)$")
_SUBSCRIPTION_PATH = re.compile(r"^/v1/subscriptions/([^/]+)$")
_INVOICE_PATH = re.compile(r"^/v1/invoices/([^/]+)$")

_NOT_GIVEN: Any = object()  # event(account=...) left out, as opposed to account=None


@dataclass(frozen=True)
class RecordedRequest:
    """One API call as the stand-in saw it, so tests can assert on what the app actually sent."""

    method: str
    path: str  # without the query string
    params: dict[str, Any]  # the form or query decoded into nested dicts and lists; values stay strings, as on the wire
    idempotency_key: str | None
    authorization: str | None
    stripe_version: str | None = None
    status: int = 0
    replayed: bool = False  # answered from the idempotency store
    stripe_account: str | None = None  # the Stripe-Account header: the connected account the call acts on


@dataclass(frozen=True)
class Delivery:
    """One webhook POST and what the receiver answered, so tests can assert the app acknowledged (or refused) it."""

    event_id: str
    type: str
    url: str
    status: int  # 0 when the receiver could not be reached
    body: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class StripeApiError(Exception):
    """An error answered the way Stripe answers it: an HTTP status and an ``{"error": {...}}`` body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        return {"error": error}


def _invalid(message: str, param: str | None = None, code: str | None = None) -> StripeApiError:
    return StripeApiError(400, message, param=param, code=code)


def _missing(param: str) -> StripeApiError:
    return _invalid(f"Missing required param: {param}.", param, "parameter_missing")


def _unknown(param: str) -> StripeApiError:
    return _invalid(f"Received unknown parameter: {param}", param, "parameter_unknown")


def _failure(status: int, message: str) -> StripeApiError:
    """The error body Stripe would send with this status, so the library picks the matching exception class."""
    if status >= 500:
        return StripeApiError(status, message, type="api_error")
    if status == 402:
        return StripeApiError(status, message, type="card_error", code="card_declined")
    if status == 409:
        return StripeApiError(status, message, type="idempotency_error")
    if status == 429:
        return StripeApiError(status, message, code="rate_limit")
    return StripeApiError(status, message)


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding back into nested data: ``a[b][0][c]=v`` → ``{"a": {"b": [{"c": "v"}]}}``.

    Indexed keys (``expand[0]``) and empty brackets (``expand[]``) both become lists, as Stripe reads them.
    """
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if match is None:
            raise _invalid(f"Invalid parameter name: {raw_key}")
        parts = [match.group(1), *_SUBKEY.findall(match.group(2))]
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part or str(len(node)), {})
            if not isinstance(child, dict):
                raise _invalid(f"Invalid parameter: {raw_key} conflicts with a scalar value", raw_key)
            node = child
        last = parts[-1] or str(len(node))
        if last in node:
            raise _invalid(f"Invalid parameter: {raw_key} was given more than once", raw_key)
        node[last] = value
    return {key: _listify(value) for key, value in root.items()}


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _listify(item) for key, item in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def _integer(value: Any, param: str, minimum: int | None = None) -> int:
    if not isinstance(value, str) or not _INTEGER.match(value):
        raise _invalid(f"Invalid integer: {value}", param)
    number = int(value)
    if minimum is not None and number < minimum:
        raise _invalid(f"This value must be greater than or equal to {minimum}.", param)
    return number


def _string(value: Any, param: str, max_length: int | None = None) -> str:
    if not isinstance(value, str):
        raise _invalid(f"Invalid string: {value!r}", param)
    if max_length is not None and len(value) > max_length:
        raise _invalid(f"Invalid string: {value[:20]}...; must be at most {max_length} characters", param)
    return value


def _url(value: Any, param: str) -> str:
    text = _string(value, param)
    if urlsplit(text).scheme not in ("http", "https") or not urlsplit(text).netloc:
        raise _invalid("Not a valid URL", param, "url_invalid")
    return text


def _object(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(f"Invalid object: {param} must be a hash", param)
    return value


def _reject_unknown(data: dict[str, Any], allowed: frozenset[str], prefix: str) -> None:
    for key in data:
        if key not in allowed:
            raise _unknown(f"{prefix}[{key}]" if prefix else key)


def _metadata(value: Any, param: str) -> dict[str, str]:
    if value == "":
        return {}
    data = _object(value, param)
    if len(data) > METADATA_MAX_KEYS:
        raise _invalid(f"Invalid {param}: metadata can have at most {METADATA_MAX_KEYS} keys.", param)
    result: dict[str, str] = {}
    for key, item in data.items():
        if len(key) > METADATA_MAX_KEY_LENGTH:
            raise _invalid(f"Invalid {param}: keys can be at most {METADATA_MAX_KEY_LENGTH} characters.", param)
        text = _string(item, f"{param}[{key}]", METADATA_MAX_VALUE_LENGTH)
        if text:  # an empty value unsets a key in Stripe, so on create it is simply absent
            result[key] = text
    return result


def _updated_metadata(current: dict[str, str], value: Any, param: str) -> dict[str, str]:
    """Metadata after an update, as Stripe merges it: keys are set one by one, an empty value unsets a key, and an
    empty metadata unsets them all."""
    if value == "":
        return {}
    merged = dict(current)
    for key, item in _object(value, param).items():
        if len(key) > METADATA_MAX_KEY_LENGTH:
            raise _invalid(f"Invalid {param}: keys can be at most {METADATA_MAX_KEY_LENGTH} characters.", param)
        text = _string(item, f"{param}[{key}]", METADATA_MAX_VALUE_LENGTH)
        if text:
            merged[key] = text
        else:
            merged.pop(key, None)
    if len(merged) > METADATA_MAX_KEYS:
        raise _invalid(f"Invalid {param}: metadata can have at most {METADATA_MAX_KEYS} keys.", param)
    return merged


def _expand(params: dict[str, Any], allowed: frozenset[str] = EXPANDABLE) -> list[str]:
    value = params.get("expand")
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid("Invalid array", "expand")
    for item in value:
        if item not in allowed:
            raise _invalid(f"This property cannot be expanded ({item}).", "expand")
    return value


def _enum(value: Any, param: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _invalid(f"Invalid {param.rsplit('[', 1)[-1].rstrip(']')}: must be one of {', '.join(allowed)}", param)
    return str(value)


def _boolean(value: Any, param: str) -> bool:
    if value not in ("true", "false"):
        raise _invalid(f"Invalid boolean: {value}", param)
    return bool(value == "true")


def _refuse_unmodelled(data: dict[str, Any], modelled: frozenset[str], known: frozenset[str], prefix: str) -> None:
    """Refuse what the stand-in does not model: a parameter Stripe has (by the library's params types) by name, so
    nobody mistakes it for a typo, and anything else as Stripe's "Received unknown parameter"."""
    for key in data:
        param = f"{prefix}[{key}]" if prefix else key
        if key in known and key not in modelled:
            raise _invalid(f"The Stripe stand-in does not model `{param}`.", param)
    _reject_unknown(data, modelled, prefix)


def _after(anchor: int, interval: str, count: int, periods: int) -> int:
    """The timestamp `periods` billing intervals after `anchor`. Months and years are calendar ones counted from
    the anchor, as Stripe counts them: an anchor on the 31st bills on the last day of shorter months and returns
    to the 31st after them."""
    if interval == "day":
        return anchor + 86400 * count * periods
    if interval == "week":
        return anchor + 7 * 86400 * count * periods
    start = datetime.fromtimestamp(anchor, UTC)
    months = start.month - 1 + count * periods * (12 if interval == "year" else 1)
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


def _per(recurring: dict[str, Any]) -> str:
    """ "per month", "every 3 months": how the checkout page and invoice lines name an interval."""
    interval, count = recurring["interval"], recurring["interval_count"]
    return f"per {interval}" if count == 1 else f"every {count} {interval}s"


def _mask(key: str) -> str:
    """An API key as Stripe shows it in error messages: the prefix and last four characters only."""
    return f"{key[:8]}{'*' * max(len(key) - 12, 0)}{key[-4:]}" if len(key) > 12 else "*" * len(key)


def _requirements(due: bool) -> dict[str, Any]:
    owed = list(ONBOARDING_REQUIREMENTS) if due else []
    return {
        "currently_due": list(owed),
        "eventually_due": list(owed),
        "past_due": list(owed),
        "pending_verification": [],
        "errors": [],
        "disabled_reason": "requirements.past_due" if due else None,
        "current_deadline": None,
    }


def _display_amount(amount: int, currency: str) -> str:
    if currency in ZERO_DECIMAL:
        return f"{currency.upper()} {amount:,}"
    return f"{currency.upper()} {amount // 100:,}.{amount % 100:02d}"


def _token(length: int = 24) -> str:
    return secrets.token_urlsafe(length)[:length].replace("-", "a").replace("_", "b")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: StripeStandIn


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the stand-in; HTTP/1.0 so no pooled connection survives `down()`."""

    server: _Server
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self.server.standin._handle(self)

    def do_POST(self) -> None:
        self.server.standin._handle(self)

    def do_DELETE(self) -> None:
        self.server.standin._handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the recorded requests are the log."""


class StripeStandIn:
    """The Stripe API and hosted checkout page, in a daemon thread on 127.0.0.1; state behind one lock."""

    secret_key: str = "sk_test_standin"
    webhook_secret: str = "whsec_standin"
    # Stripe gives a Connect endpoint (events from connected accounts) its own signing secret.
    connect_webhook_secret: str = "whsec_standin_connect"

    def __init__(
        self,
        *,
        secret_key: str | None = None,
        webhook_secret: str | None = None,
        connect_webhook_secret: str | None = None,
        webhook_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if secret_key is not None:
            self.secret_key = secret_key
        if webhook_secret is not None:
            self.webhook_secret = webhook_secret
        if connect_webhook_secret is not None:
            self.connect_webhook_secret = connect_webhook_secret
        self.webhook_url: str | None = webhook_url
        # What "now" is for `created` and the expires_at window; swap in a frozen clock if the app's is frozen.
        # Webhook signatures always use real time, because the library checks them against time.time().
        self.clock = clock
        self.sessions: dict[str, dict[str, Any]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.accounts: dict[str, dict[str, Any]] = {}
        self.account_links: dict[str, dict[str, Any]] = {}
        # Which connected account each Checkout Session was made on (None: the platform). Kept beside the session,
        # because a real session object has no such field.
        self.session_accounts: dict[str, str | None] = {}
        # Made by completing subscription-mode sessions, each on its session's account; the *_accounts dicts say
        # which (None: the platform), as session_accounts does for sessions.
        self.customers: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.customer_accounts: dict[str, str | None] = {}
        self.subscription_accounts: dict[str, str | None] = {}
        self.invoice_accounts: dict[str, str | None] = {}
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[Delivery] = []
        self._line_items: dict[str, list[dict[str, Any]]] = {}
        self._products: dict[str, str] = {}  # product id → name, for invoice line descriptions
        # A subscription-mode session's subscription_data (metadata, description) and interval, which a real
        # session does not show.
        self._subscription_data: dict[str, dict[str, Any]] = {}
        self._cycles: dict[str, int] = {}  # subscription → billing periods since its anchor
        self._invoice_count = 0  # for invoice numbers
        self._last_event_created = 0  # events' `created` only ever grows, across reset()
        # Keyed by (Stripe-Account, Idempotency-Key): Stripe scopes idempotency keys to the account they act on.
        self._idempotent: dict[tuple[str | None, str], dict[str, Any]] = {}
        self._balances: dict[str | None, dict[str, int]] = {}  # account (None: the platform) → currency → pending
        self._failures: deque[tuple[int, str]] = deque()
        self._answers_to_lose = 0  # see `lose_next_answers`
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # --- lifecycle -------------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The API base and the checkout pages' host: ``http://127.0.0.1:PORT``, stable across `down()`."""
        if self._port is None:
            raise RuntimeError("the Stripe stand-in has not been started")
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> StripeStandIn:
        """Listen on a free loopback port (bound as port 0, so no other process can race us for it)."""
        if self._port is None:
            self._listen(0)
        return self

    def stop(self) -> None:
        """Stop listening; safe to call twice or while `down()`."""
        self._close()

    def __enter__(self) -> StripeStandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _listen(self, port: int) -> None:
        server = _Server(("127.0.0.1", port), _Handler)  # allow_reuse_address: rebinding after down() works
        server.standin = self
        self._port = server.server_address[1]
        # A short poll interval keeps shutdown() (and so down()) fast.
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name=f"stripe-standin-{self._port}"
        )
        thread.daemon = True
        thread.start()
        self._server, self._thread = server, thread

    def _close(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @contextlib.contextmanager
    def down(self) -> Iterator[None]:
        """Stripe unreachable: the listening socket is closed, so connecting is refused (the library raises
        APIConnectionError); on exit it listens again on the same port, so stored session URLs stay valid."""
        if self._port is None or self._server is None:
            raise RuntimeError("the Stripe stand-in is not running")
        port = self._port
        self._close()
        try:
            yield
        finally:
            self._listen(port)

    def reset(self) -> None:
        """Forget sessions, customers, subscriptions, invoices, accounts, account links, balances, calls,
        deliveries, idempotency keys and pending failures (webhook_url is kept), so one stand-in can serve a whole
        test session. Events built afterwards still have a later `created` than any built before."""
        with self._lock:
            self.sessions.clear()
            self.payment_intents.clear()
            self.accounts.clear()
            self.account_links.clear()
            self.session_accounts.clear()
            for objects in (self.customers, self.subscriptions, self.invoices):
                objects.clear()
            for owners in (self.customer_accounts, self.subscription_accounts, self.invoice_accounts):
                owners.clear()
            self._subscription_data.clear()
            self._products.clear()
            self._cycles.clear()
            self._invoice_count = 0
            self._balances.clear()
            self.requests.clear()
            self.deliveries.clear()
            self._line_items.clear()
            self._idempotent.clear()
            self._failures.clear()
            self._answers_to_lose = 0

    def fail_next(self, status: int = 500, count: int = 1, message: str = "An unknown error occurred") -> None:
        """The next `count` API calls answer `status` with Stripe's error body for it (5xx → api_error), before
        authentication or idempotency are looked at, like an outage in front of Stripe."""
        with self._lock:
            self._failures.extend([(status, message)] * count)

    def serve_environment(self) -> dict[str, str]:
        """The settings of a `main.py serve` process taking card payments here: the API, its key and both signing
        secrets (paid into connected accounts, as by default)."""
        return {
            "PORTAL_STRIPE_SECRET_KEY": self.secret_key,
            "PORTAL_STRIPE_WEBHOOK_SECRET": self.webhook_secret,
            "PORTAL_STRIPE_CONNECT_WEBHOOK_SECRET": self.connect_webhook_secret,
            "PORTAL_STRIPE_API_BASE": self.url,
        }

    def lose_next_answers(self, count: int = 1) -> None:
        """The next `count` API calls are carried out in full (a session made, a charge taken) but their answer
        never arrives: the connection is closed instead, as when the network fails on the way back. The caller
        cannot tell this from Stripe being down."""
        with self._lock:
            self._answers_to_lose += count

    def stripe_client(
        self, api_key: str | None = None, http_client: stripe.HTTPClient | None = None
    ) -> stripe.StripeClient:
        """A library client configured the way the app configures it, pointed here. Pass your own HTTPXClient if
        you want to `close_async()` it; the default one is left for the garbage collector."""
        return stripe.StripeClient(
            api_key or self.secret_key,
            base_addresses={"api": self.url},
            http_client=http_client or stripe.HTTPXClient(),
            max_network_retries=0,
        )

    # --- what happens outside the API ------------------------------------------------------------------------------

    def _session(self, session_id: str) -> dict[str, Any]:
        session = self.sessions.get(session_id)
        if session is None:
            raise KeyError(f"no Checkout Session {session_id!r} in the stand-in")
        return session

    def _intent(self, session: dict[str, Any], status: str) -> str:
        intent_id = session.get("payment_intent") or f"pi_{_token()}"
        self.payment_intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": session["amount_total"],
            "currency": session["currency"],
            "status": status,
            "created": int(self.clock()),
            "livemode": False,
            "metadata": {},
        }
        return intent_id

    def complete(
        self,
        session_id: str,
        *,
        payment_status: str = "paid",
        amount_total: int | None = None,
        currency: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """What the payer finishing checkout does. "unpaid" is an asynchronous method (bank debit) still in flight;
        amount_total/currency change what Stripe reports, to simulate a mismatch with the invoice.

        A subscription-mode session can only be paid: it makes a Customer (unless the session named one), an active
        Subscription and its paid first Invoice on the session's account, and the session names all three.
        amount_total/currency then change only what the session reports; the invoice bills the prices."""
        if payment_status not in ("paid", "unpaid", "no_payment_required"):
            raise ValueError(f"payment_status must be paid, unpaid or no_payment_required, not {payment_status!r}")
        with self._lock:
            session = self._session(session_id)
            if session["status"] != "open":
                raise ValueError(f"Checkout Session {session_id} is {session['status']}, not open")
            if session["mode"] == "subscription" and payment_status != "paid":
                raise ValueError("the stand-in completes subscription-mode sessions as paid only")
            if amount_total is not None:
                session["amount_total"] = session["amount_subtotal"] = amount_total
            if currency is not None:
                session["currency"] = currency.lower()
            session["status"] = "complete"
            session["payment_status"] = payment_status
            session["url"] = None
            known = self.customers.get(session.get("customer") or "", {})  # a subscription session's named customer
            session["customer_details"] = {
                "address": None,
                "email": email or session.get("customer_email") or known.get("email") or "payer@example.com",
                "name": "Stand-in Payer",
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            }
            if session["mode"] == "subscription":
                self._subscribe(session)
                return copy.deepcopy(session)
            session["payment_intent"] = self._intent(
                session, "processing" if payment_status == "unpaid" else "succeeded"
            )
            if payment_status == "paid":
                self._credit(session)
            return copy.deepcopy(session)

    def succeed_async(self, session_id: str) -> dict[str, Any]:
        """An asynchronous payment clearing: the session becomes paid and its payment intent succeeded (send
        ``checkout.session.async_payment_succeeded`` afterwards)."""
        with self._lock:
            session = self._unpaid_complete(session_id)
            session["payment_status"] = "paid"
            self._intent(session, "succeeded")
            self._credit(session)
            return copy.deepcopy(session)

    def fail_async(self, session_id: str, status: str = "requires_payment_method") -> dict[str, Any]:
        """An asynchronous payment failing: the session stays unpaid and its payment intent falls back to
        `status` ("requires_payment_method", or "canceled"); send ``checkout.session.async_payment_failed`` next."""
        with self._lock:
            session = self._unpaid_complete(session_id)
            self._intent(session, status)
            return copy.deepcopy(session)

    def _credit(self, session: dict[str, Any]) -> None:
        """Card money lands in the pending balance of the account the session was made on."""
        self._add_to_balance(self.session_accounts.get(session["id"]), session["currency"], session["amount_total"])

    def _add_to_balance(self, account: str | None, currency: str, amount: int) -> None:
        balance = self._balances.setdefault(account, {})
        balance[currency.lower()] = balance.get(currency.lower(), 0) + amount

    def balance_of(self, account_id: str | None) -> dict[str, int]:
        """What paid sessions and paid invoices added to an account's balance (None: the platform's), currency →
        amount in Stripe units; empty when nothing was paid there."""
        with self._lock:
            return dict(self._balances.get(account_id, {}))

    def account_of(self, session_id: str) -> str | None:
        """The connected account a Checkout Session was made on (its Stripe-Account header), None for the platform."""
        with self._lock:
            self._session(session_id)
            return self.session_accounts.get(session_id)

    def _unpaid_complete(self, session_id: str) -> dict[str, Any]:
        session = self._session(session_id)
        if session["status"] != "complete" or session["payment_status"] != "unpaid":
            raise ValueError(f"Checkout Session {session_id} has no asynchronous payment in flight")
        return session

    def expire(self, session_id: str) -> dict[str, Any]:
        """The session timing out (or being expired): status "expired", no URL to pay at any more."""
        with self._lock:
            session = self._session(session_id)
            if session["status"] != "open":
                raise ValueError(f"Checkout Session {session_id} is {session['status']}, not open")
            session["status"] = "expired"
            session["url"] = None
            return copy.deepcopy(session)

    # --- subscriptions and their invoices ------------------------------------------------------------------------

    def _subscribe(self, session: dict[str, Any]) -> None:
        """A paid subscription-mode session's Customer, Subscription and first Invoice (call with the lock held)."""
        session_id = session["id"]
        account = self.session_accounts.get(session_id)
        terms = self._subscription_data[session_id]
        now = int(self.clock())
        customer_id = session.get("customer")
        if customer_id is None:
            customer_id = f"cus_{_token(14)}"
            details = session["customer_details"]
            self.customers[customer_id] = {
                "id": customer_id,
                "object": "customer",
                "created": now,
                "email": details["email"],
                "livemode": False,
                "metadata": {},
                "name": details["name"],
            }
            self.customer_accounts[customer_id] = account
        subscription_id = f"sub_{_token()}"
        items = []
        for line in self._line_items[session_id]:
            product_id, price_id = f"prod_{_token(14)}", f"price_{_token()}"
            self._products[product_id] = line["name"]
            price = {
                "id": price_id,
                "object": "price",
                "active": True,
                "currency": line["currency"],
                "livemode": False,
                "metadata": {},
                "product": product_id,
                "recurring": dict(line["recurring"]),
                "type": "recurring",
                "unit_amount": line["unit_amount"],
            }
            items.append(
                {
                    "id": f"si_{_token(14)}",
                    "object": "subscription_item",
                    "created": now,
                    "metadata": {},
                    "price": price,
                    "quantity": line["quantity"],
                    "subscription": subscription_id,
                }
            )
        subscription: dict[str, Any] = {
            "id": subscription_id,
            "object": "subscription",
            "billing_cycle_anchor": now,
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "collection_method": "charge_automatically",
            "created": now,
            "currency": session["currency"],
            "customer": customer_id,
            "description": terms["description"],
            "ended_at": None,
            "items": {
                "object": "list",
                "data": items,
                "has_more": False,
                "total_count": len(items),
                "url": f"/v1/subscription_items?subscription={subscription_id}",
            },
            "latest_invoice": None,
            "livemode": False,
            "metadata": dict(terms["metadata"]),
            "start_date": now,
            "status": "active",
            "trial_end": None,
            "trial_start": None,
        }
        self.subscriptions[subscription_id] = subscription
        self.subscription_accounts[subscription_id] = account
        self._cycles[subscription_id] = 0
        self._set_period(subscription)
        # Stripe's first invoice covers no earlier period: its period_start and period_end are both its creation.
        invoice = self._new_invoice(subscription, "subscription_create", paid=True, created=now, period=(now, now))
        session["customer"] = customer_id
        session["subscription"] = subscription_id
        session["invoice"] = invoice["id"]

    def _set_period(self, subscription: dict[str, Any]) -> None:
        """Every item's current period: the subscription's billing period number `_cycles[id]` from its anchor."""
        cycle, anchor = self._cycles[subscription["id"]], subscription["billing_cycle_anchor"]
        for item in subscription["items"]["data"]:
            recurring = item["price"]["recurring"]
            interval, count = recurring["interval"], recurring["interval_count"]
            item["current_period_start"] = _after(anchor, interval, count, cycle)
            item["current_period_end"] = _after(anchor, interval, count, cycle + 1)

    def _new_invoice(
        self, subscription: dict[str, Any], billing_reason: str, *, paid: bool, created: int, period: tuple[int, int]
    ) -> dict[str, Any]:
        """An invoice for the subscription's current period, finalized and paid (or left open after a failed
        attempt); it becomes the subscription's latest_invoice. `period` is the invoice's own period_start/end,
        which Stripe sets to the period *before* the one billed: the lines carry the service period."""
        subscription_id = subscription["id"]
        account = self.subscription_accounts.get(subscription_id)
        customer = self.customers[subscription["customer"]]
        invoice_id = f"in_{_token()}"
        lines = []
        for item in subscription["items"]["data"]:
            price = item["price"]
            amount = price["unit_amount"] * item["quantity"]
            recurring = price["recurring"]
            each = _display_amount(price["unit_amount"], price["currency"])
            at = (
                f"{each} / {recurring['interval']}" if recurring["interval_count"] == 1 else f"{each} {_per(recurring)}"
            )
            lines.append(
                {
                    "id": f"il_{_token()}",
                    "object": "line_item",
                    "amount": amount,
                    "currency": price["currency"],
                    "description": f"{item['quantity']} × {self._products[price['product']]} (at {at})",
                    "invoice": invoice_id,
                    "livemode": False,
                    "metadata": {},
                    "parent": {
                        "type": "subscription_item_details",
                        "invoice_item_details": None,
                        "subscription_item_details": {
                            "invoice_item": None,
                            "proration": False,
                            "proration_details": {"credited_items": None},
                            "subscription": subscription_id,
                            "subscription_item": item["id"],
                        },
                    },
                    "period": {"start": item["current_period_start"], "end": item["current_period_end"]},
                    "pricing": {
                        "type": "price_details",
                        "price_details": {"price": price["id"], "product": price["product"]},
                        "unit_amount_decimal": str(price["unit_amount"]),
                    },
                    "quantity": item["quantity"],
                }
            )
        total = sum(line["amount"] for line in lines)
        self._invoice_count += 1
        invoice: dict[str, Any] = {
            "id": invoice_id,
            "object": "invoice",
            "amount_due": total,
            "amount_paid": total if paid else 0,
            "amount_remaining": 0 if paid else total,
            "attempt_count": 1,
            "attempted": True,
            "billing_reason": billing_reason,
            "collection_method": "charge_automatically",
            "created": created,
            "currency": subscription["currency"],
            "customer": customer["id"],
            "customer_email": customer["email"],
            "customer_name": customer["name"],
            "description": None,
            "hosted_invoice_url": None,
            "lines": {
                "object": "list",
                "data": lines,
                "has_more": False,
                "total_count": len(lines),
                "url": f"/v1/invoices/{invoice_id}/lines",
            },
            "livemode": False,
            "metadata": {},
            "number": f"STANDIN-{self._invoice_count:04d}",
            "parent": {
                "type": "subscription_details",
                "subscription_details": {
                    "subscription": subscription_id,
                    "metadata": copy.deepcopy(subscription["metadata"]),
                },
            },
            "period_end": period[1],
            "period_start": period[0],
            "status": "paid" if paid else "open",
            "status_transitions": {
                "finalized_at": created,
                "marked_uncollectible_at": None,
                "paid_at": created if paid else None,
                "voided_at": None,
            },
            "subtotal": total,
            "total": total,
        }
        self.invoices[invoice_id] = invoice
        self.invoice_accounts[invoice_id] = account
        subscription["latest_invoice"] = invoice_id
        if paid:
            self._add_to_balance(account, invoice["currency"], total)
        return invoice

    def _subscription(self, subscription_id: str) -> dict[str, Any]:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            raise KeyError(f"no Subscription {subscription_id!r} in the stand-in")
        return subscription

    def _invoice(self, invoice_id: str) -> dict[str, Any]:
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            raise KeyError(f"no Invoice {invoice_id!r} in the stand-in")
        return invoice

    def _live(self, subscription_id: str) -> dict[str, Any]:
        subscription = self._subscription(subscription_id)
        if subscription["status"] == "canceled":
            raise ValueError(f"Subscription {subscription_id} is canceled")
        return subscription

    def subscription_of(self, session_id: str) -> str | None:
        """The Subscription a subscription-mode session started, None until it is completed (or in payment mode)."""
        with self._lock:
            return self._session(session_id).get("subscription")

    def latest_invoice_of(self, subscription_id: str) -> str:
        """The id of the subscription's newest invoice."""
        with self._lock:
            return str(self._subscription(subscription_id)["latest_invoice"])

    def renew(self, subscription_id: str, *, paid: bool = True) -> dict[str, Any]:
        """The next billing period arriving: every item's current period moves on one interval and a
        ``subscription_cycle`` invoice bills it. Paid, the invoice is "paid", the account's balance grows and the
        subscription is "active"; not paid, the invoice stays "open" after one failed attempt and the subscription
        goes "past_due" (no retries: `pay_invoice` is a later retry succeeding). The invoice is created at the new
        period's start and becomes latest_invoice; returns a copy of it. A canceled subscription, or one set to
        cancel at period end (see `end_period`), raises ValueError."""
        with self._lock:
            subscription = self._live(subscription_id)
            if subscription["cancel_at_period_end"]:
                raise ValueError(f"Subscription {subscription_id} cancels at period end: end_period() ends it")
            first = subscription["items"]["data"][0]
            previous = (first["current_period_start"], first["current_period_end"])
            self._cycles[subscription_id] += 1
            self._set_period(subscription)
            start = first["current_period_start"]
            invoice = self._new_invoice(subscription, "subscription_cycle", paid=paid, created=start, period=previous)
            subscription["status"] = "active" if paid else "past_due"
            return copy.deepcopy(invoice)

    def pay_invoice(self, invoice_id: str) -> dict[str, Any]:
        """A retry of an open invoice succeeding: it becomes "paid" (one more attempt), the account's balance
        grows, and a past_due subscription whose latest invoice it is becomes "active"; returns a copy."""
        with self._lock:
            invoice = self._invoice(invoice_id)
            if invoice["status"] != "open":
                raise ValueError(f"Invoice {invoice_id} is {invoice['status']}, not open")
            invoice["status"] = "paid"
            invoice["amount_paid"], invoice["amount_remaining"] = invoice["amount_due"], 0
            invoice["attempt_count"] += 1
            invoice["status_transitions"]["paid_at"] = max(int(self.clock()), invoice["created"])
            self._add_to_balance(self.invoice_accounts.get(invoice_id), invoice["currency"], invoice["amount_due"])
            subscription_id = invoice["parent"]["subscription_details"]["subscription"]
            subscription = self._subscription(subscription_id)
            if subscription["latest_invoice"] == invoice_id and subscription["status"] == "past_due":
                subscription["status"] = "active"
            return copy.deepcopy(invoice)

    def _set_cancel_at_period_end(self, subscription: dict[str, Any], value: bool) -> None:
        # Stripe stamps canceled_at with the time of the request, not the period end, and clears it on undo.
        period_end = subscription["items"]["data"][0]["current_period_end"]
        subscription["cancel_at_period_end"] = value
        subscription["cancel_at"] = period_end if value else None
        subscription["canceled_at"] = int(self.clock()) if value else None
        reason = "cancellation_requested" if value else None
        subscription["cancellation_details"] = {"comment": None, "feedback": None, "reason": reason}

    def _cancel(self, subscription: dict[str, Any], details: dict[str, Any] | None = None) -> None:
        now = int(self.clock())
        subscription["status"] = "canceled"
        subscription["canceled_at"] = subscription["ended_at"] = now
        subscription["cancellation_details"] = {
            "comment": None,
            "feedback": None,
            **(details or {}),
            "reason": "cancellation_requested",
        }

    def cancel_at_period_end(self, subscription_id: str, value: bool = True) -> dict[str, Any]:
        """What ``cancel_at_period_end=true`` (or false, to undo) on the API does: cancel_at becomes the current
        period's end (or None) and canceled_at the time of the request (or None); returns a copy."""
        with self._lock:
            subscription = self._live(subscription_id)
            self._set_cancel_at_period_end(subscription, value)
            return copy.deepcopy(subscription)

    def end_period(self, subscription_id: str) -> dict[str, Any]:
        """A subscription set to cancel at period end reaching it: "canceled", ended at the period's end, canceled_at
        left at the time cancellation was asked for; returns a copy. Any other subscription raises ValueError
        (`renew` moves it on instead)."""
        with self._lock:
            subscription = self._live(subscription_id)
            if not subscription["cancel_at_period_end"]:
                raise ValueError(f"Subscription {subscription_id} is not set to cancel at period end: renew() it")
            subscription["status"] = "canceled"
            subscription["ended_at"] = subscription["items"]["data"][0]["current_period_end"]
            if subscription["canceled_at"] is None:  # pragma: no cover - set with cancel_at_period_end
                subscription["canceled_at"] = int(self.clock())
            return copy.deepcopy(subscription)

    def cancel_now(self, subscription_id: str) -> dict[str, Any]:
        """What DELETE /v1/subscriptions/{id} does: "canceled" at once, canceled_at and ended_at now; returns a
        copy."""
        with self._lock:
            subscription = self._live(subscription_id)
            self._cancel(subscription)
            return copy.deepcopy(subscription)

    # --- Connect: accounts and their onboarding ---------------------------------------------------------------------

    def _new_account(
        self,
        *,
        type: str,
        controller: dict[str, Any],
        enabled: tuple[bool, bool, bool],
        email: str | None = None,
        business_profile: dict[str, Any] | None = None,
        country: str = "US",
        metadata: dict[str, str] | None = None,
        capabilities: list[str] | None = None,
    ) -> dict[str, Any]:
        charges_enabled, payouts_enabled, details_submitted = enabled
        account_id = f"acct_{_token(16)}"
        while account_id in self.accounts:  # pragma: no cover - 16 random characters
            account_id = f"acct_{_token(16)}"
        profile = {"name": None, "url": None, "support_email": None, "mcc": None, "product_description": None}
        profile |= business_profile or {}
        account: dict[str, Any] = {
            "id": account_id,
            "object": "account",
            "type": type,
            "email": email,
            "country": country,
            "default_currency": "usd",
            "business_profile": profile,
            "capabilities": {
                name: "active" if charges_enabled else "inactive"
                for name in (capabilities if capabilities is not None else ["card_payments", "transfers"])
            },
            "charges_enabled": charges_enabled,
            "payouts_enabled": payouts_enabled,
            "details_submitted": details_submitted,
            "requirements": _requirements(not charges_enabled),
            "metadata": metadata or {},
            "created": int(self.clock()),
            "livemode": False,
            "controller": {"is_controller": True, "type": "application", **copy.deepcopy(controller)},
        }
        self.accounts[account_id] = account
        return account

    def create_account(
        self,
        *,
        charges_enabled: bool = True,
        payouts_enabled: bool = True,
        details_submitted: bool = True,
        email: str | None = None,
        business_name: str | None = None,
        type: str = "standard",
    ) -> str:
        """A connected account, added directly (no API call); returns its id. One that is not charges_enabled
        still owes requirements and is disabled for them, as a half-onboarded account is."""
        if type not in LEGACY_CONTROLLERS:
            raise ValueError(f"type must be one of {', '.join(ACCOUNT_TYPES)}, not {type!r}")
        with self._lock:
            account = self._new_account(
                type=type,
                controller=LEGACY_CONTROLLERS[type],
                enabled=(charges_enabled, payouts_enabled, details_submitted),
                email=email,
                business_profile={"name": business_name},
            )
            return str(account["id"])

    def update_account(self, account_id: str, **fields: Any) -> dict[str, Any]:
        """Change an account's top-level fields (charges_enabled=False, requirements={...}) as Stripe might at
        any time; returns a copy of the account. Unknown field names are refused, to catch typos."""
        with self._lock:
            account = self._account(account_id)
            unknown = sorted(name for name in fields if name not in account or name in ("id", "object"))
            if unknown:
                raise ValueError(f"not an updatable Account field: {', '.join(unknown)}")
            account.update(copy.deepcopy(fields))
            return copy.deepcopy(account)

    def _account(self, account_id: str) -> dict[str, Any]:
        account = self.accounts.get(account_id)
        if account is None:
            raise KeyError(f"no Account {account_id!r} in the stand-in")
        return account

    def _link_id(self, link_url_or_id: str) -> str:
        match = _ONBOARD_PATH.match(urlsplit(link_url_or_id).path)
        return match.group(1) if match else link_url_or_id

    def _link_usable(self, link: dict[str, Any]) -> bool:
        return not link["used"] and self.clock() < link["expires_at"]

    def finish_onboarding(self, link_url_or_id: str) -> str:
        """What the account holder pressing "Finish onboarding" on an account link's page does: the link is used
        up, the account becomes fully enabled, ``account.updated`` is delivered when webhook_url is set, and the
        return_url (where Stripe sends the browser) is returned. A used or expired link raises ValueError (the page
        sends the browser to the refresh_url instead); an unknown one raises KeyError."""
        link_id = self._link_id(link_url_or_id)
        with self._lock:
            link = self.account_links.get(link_id)
            if link is None:
                raise KeyError(f"no account link {link_id!r} in the stand-in")
            if not self._link_usable(link):
                state = "used" if link["used"] else "expired"
                raise ValueError(f"account link {link_id} is {state}; Stripe would redirect to its refresh_url")
            link["used"] = True
            account = self._account(link["account"])
            account["details_submitted"] = account["charges_enabled"] = account["payouts_enabled"] = True
            account["requirements"] = _requirements(False)
            account["capabilities"] = dict.fromkeys(account["capabilities"], "active")
            event = self.account_event(account["id"]) if self.webhook_url else None
            return_url = str(link["return_url"])
        if event is not None:
            self.deliver(event)
        return return_url

    # --- webhooks --------------------------------------------------------------------------------------------------

    def event(
        self,
        type: str,
        session_id: str,
        *,
        event_id: str | None = None,
        account: str | None = _NOT_GIVEN,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A Stripe Event carrying a snapshot of the session as it is now; overrides change only the snapshot (to
        forge a mismatch), never the stored session. Async-payment events force the payment_status they imply.

        For a session made on a connected account the event names it in a top-level "account", as Stripe's Connect
        events do (platform events have no such key); ``account="acct_..."`` forges another, ``account=None`` drops
        it."""
        with self._lock:
            snapshot = copy.deepcopy(self._session(session_id))
            made_on = self.session_accounts.get(session_id)
        if type == "checkout.session.async_payment_succeeded":
            snapshot["payment_status"] = "paid"
        elif type == "checkout.session.async_payment_failed":
            snapshot["payment_status"] = "unpaid"
        snapshot.update(overrides)
        return self._event(type, {"object": snapshot}, event_id, made_on if account is _NOT_GIVEN else account)

    def account_event(self, account_id: str, type: str = "account.updated") -> dict[str, Any]:
        """A Connect event about a connected account (``account.updated`` by default): a snapshot of the account,
        no previous_attributes, and the account's id as the event's "account"."""
        with self._lock:
            snapshot = copy.deepcopy(self._account(account_id))
        return self._event(type, {"object": snapshot, "previous_attributes": {}}, None, account_id)

    def invoice_event(
        self,
        invoice_id: str,
        type: str = "invoice.paid",
        *,
        event_id: str | None = None,
        account: str | None = _NOT_GIVEN,
    ) -> dict[str, Any]:
        """An ``invoice.*`` Event (invoice.paid, invoice.payment_failed, invoice.payment_succeeded,
        invoice.finalized, ...) carrying a snapshot of the invoice as it is now; "account" as for `event`."""
        if not type.startswith("invoice."):
            raise ValueError(f"an invoice event's type starts with 'invoice.', not {type!r}")
        with self._lock:
            snapshot = copy.deepcopy(self._invoice(invoice_id))
            made_on = self.invoice_accounts.get(invoice_id)
        return self._event(type, {"object": snapshot}, event_id, made_on if account is _NOT_GIVEN else account)

    def subscription_event(
        self,
        subscription_id: str,
        type: str = "customer.subscription.updated",
        *,
        event_id: str | None = None,
        account: str | None = _NOT_GIVEN,
        previous_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A ``customer.subscription.*`` Event (.created, .updated, .deleted, ...) carrying a snapshot of the
        subscription as it is now; "account" as for `event`. Like Stripe, only an ``.updated`` event has
        data.previous_attributes: `previous_attributes`, or {} when not given."""
        if not type.startswith("customer.subscription."):
            raise ValueError(f"a subscription event's type starts with 'customer.subscription.', not {type!r}")
        if previous_attributes is not None and not type.endswith(".updated"):
            raise ValueError("only a customer.subscription.updated event has previous_attributes")
        with self._lock:
            snapshot = copy.deepcopy(self._subscription(subscription_id))
            made_on = self.subscription_accounts.get(subscription_id)
        data: dict[str, Any] = {"object": snapshot}
        if type.endswith(".updated"):
            data["previous_attributes"] = copy.deepcopy(previous_attributes or {})
        return self._event(type, data, event_id, made_on if account is _NOT_GIVEN else account)

    def _event(self, type: str, data: dict[str, Any], event_id: str | None, account: str | None) -> dict[str, Any]:
        with self._lock:  # strictly increasing, so a receiver can tell an older event from a newer one
            created = self._last_event_created = max(int(time.time()), self._last_event_created + 1)
        event: dict[str, Any] = {
            "id": event_id or f"evt_{_token()}",
            "object": "event",
            "api_version": API_VERSION,
            "created": created,
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
        }
        if account is not None:
            event["account"] = account
        return event

    def sign(self, payload: bytes, *, timestamp: int | None = None, secret: str | None = None) -> str:
        """The Stripe-Signature header: ``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>``."""
        signed_at = int(time.time()) if timestamp is None else timestamp
        key = (self.webhook_secret if secret is None else secret).encode()
        digest = hmac.new(key, f"{signed_at}.".encode() + payload, hashlib.sha256).hexdigest()
        return f"t={signed_at},v1={digest}"

    def signed(
        self, event: dict[str, Any], *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """Body and headers as Stripe sends them; pretty-printed like Stripe's, so a receiver that re-serialises
        the JSON before verifying fails here as it would in production. Unless `secret` is given, an event from a
        connected account (one with an "account") is signed with connect_webhook_secret, any other with
        webhook_secret, as Stripe signs a Connect endpoint's deliveries with that endpoint's own secret."""
        if secret is None:
            secret = self.connect_webhook_secret if "account" in event else self.webhook_secret
        body = json.dumps(event, indent=2).encode()
        return body, {
            "Stripe-Signature": self.sign(body, timestamp=timestamp, secret=secret),
            "Content-Type": "application/json",
        }

    def deliver(
        self,
        event: dict[str, Any],
        url: str | None = None,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> Delivery:
        """POST a signed event to `url` (or webhook_url) and record what came back; never follows redirects or
        retries, and an unreachable receiver is recorded with status 0 rather than raised."""
        target = url or self.webhook_url
        if not target:
            raise ValueError("no webhook URL: pass url= or set webhook_url")
        parts = urlsplit(target)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
            raise ValueError(f"the stand-in only delivers to http://127.0.0.1 (or localhost), not {target!r}")
        body, headers = self.signed(event, timestamp=timestamp, secret=secret)
        headers["User-Agent"] = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        status, text, error = 0, "", None
        connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            status, text = response.status, response.read().decode("utf-8", "replace")
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        delivery = Delivery(str(event.get("id")), str(event.get("type")), target, status, text, error)
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    # --- HTTP ------------------------------------------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        try:
            if split.path.startswith("/v1/"):
                self._handle_api(handler, split.path, split.query)
            elif page := _PAY_PATH.match(split.path):
                self._handle_page(handler, page.group(1))
            elif page := _ONBOARD_PATH.match(split.path):
                self._handle_onboarding(handler, page.group(1))
            else:
                self._send_page(handler, 404, "Not found", "There is nothing here.")
        except Exception as exc:  # a stand-in bug should surface as a 500, not a hung client
            body = StripeApiError(500, f"Stripe stand-in crashed: {exc!r}", type="api_error").body()
            self._send(handler, 500, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def _read_body(self, handler: _Handler) -> str:
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length).decode("utf-8") if length else ""

    def _send(self, handler: _Handler, status: int, body: bytes, headers: dict[str, str]) -> None:
        if handler.path.startswith("/v1/"):
            with self._lock:
                lose, self._answers_to_lose = self._answers_to_lose > 0, max(self._answers_to_lose - 1, 0)
            if lose:
                handler.close_connection = True
                with contextlib.suppress(OSError):
                    handler.connection.shutdown(socket.SHUT_RDWR)
                return
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def _handle_api(self, handler: _Handler, path: str, query: str) -> None:
        method = handler.command
        raw = self._read_body(handler) if method == "POST" else query
        key = handler.headers.get("Idempotency-Key")
        authorization = handler.headers.get("Authorization")
        version = handler.headers.get("Stripe-Version")
        account = handler.headers.get("Stripe-Account")
        request_id = f"req_{_token(14)}"
        replayed = False
        params: dict[str, Any] = {}
        with self._lock:
            try:
                params = decode_form(parse_qsl(raw, keep_blank_values=True))
                decode_error = None
            except StripeApiError as exc:
                decode_error = exc
            try:
                if self._failures:
                    raise _failure(*self._failures.popleft())
                self._authenticate(authorization)
                self._check_account(authorization, account)
                if decode_error is not None:
                    raise decode_error
                saved = self._idempotent.get((account, key)) if key and method == "POST" else None
                if saved is not None:
                    if (saved["method"], saved["path"]) != (method, path):
                        raise StripeApiError(
                            400,
                            "Keys for idempotent requests can only be used for the same endpoint they were first "
                            f"used for ('{saved['method']} {saved['path']}' vs '{method} {path}'). Try using a key "
                            f"other than '{key}' if you meant to execute a different request.",
                            type="idempotency_error",
                        )
                    if saved["params"] != params:
                        raise StripeApiError(
                            400,
                            "Keys for idempotent requests can only be used with the same parameters they were first "
                            f"used with. Try using a key other than '{key}' if you meant to execute a different "
                            "request.",
                            type="idempotency_error",
                        )
                    status, payload, replayed = saved["status"], saved["payload"], True
                    headers = {"Idempotent-Replayed": "true", "Original-Request": saved["request_id"]}
                else:
                    status, payload, headers = 200, self._route(method, path, params, account), {}
                    if key and method == "POST":
                        self._idempotent[(account, key)] = {
                            "method": method,
                            "path": path,
                            "params": params,
                            "status": status,
                            "payload": payload,
                            "request_id": request_id,
                        }
            except StripeApiError as exc:
                status, payload, headers = exc.status, exc.body(), {}
            self.requests.append(
                RecordedRequest(
                    method, path, params, key, authorization, version, status, replayed, stripe_account=account
                )
            )
        headers |= {"Content-Type": "application/json", "Request-Id": request_id}
        if key:
            headers["Idempotency-Key"] = key
        if version:
            headers["Stripe-Version"] = version
        self._send(handler, status, json.dumps(payload, indent=2).encode(), headers)

    def _authenticate(self, authorization: str | None) -> None:
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise StripeApiError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        key = key.strip()
        if not hmac.compare_digest(key.encode(), self.secret_key.encode()):
            raise StripeApiError(401, f"Invalid API Key provided: {_mask(key)}")

    def _check_account(self, authorization: str | None, account: str | None) -> None:
        """A Stripe-Account header must name a connected account of this platform (call after `_authenticate`)."""
        if account is None or account in self.accounts:
            return
        key = (authorization or "").partition(" ")[2].strip()
        raise StripeApiError(
            403,
            f"The provided key '{_mask(key)}' does not have access to account '{account}' (or that account does "
            "not exist). Application access may have been revoked.",
            code="account_invalid",
        )

    def _route(self, method: str, path: str, params: dict[str, Any], account: str | None) -> dict[str, Any]:
        if path == "/v1/checkout/sessions" and method == "POST":
            return self._api_create(params, account)
        if (match := _SESSION_PATH.match(path)) and method == "GET":
            return self._api_retrieve(match.group(1), params, account)
        if (match := _EXPIRE_PATH.match(path)) and method == "POST":
            return self._api_expire(match.group(1), params, account)
        if match := _SUBSCRIPTION_PATH.match(path):
            if method == "GET":
                return self._api_retrieve_subscription(match.group(1), params, account)
            if method == "POST":
                return self._api_update_subscription(match.group(1), params, account)
            if method == "DELETE":
                return self._api_cancel_subscription(match.group(1), params, account)
        if (match := _INVOICE_PATH.match(path)) and method == "GET":
            return self._api_retrieve_invoice(match.group(1), params, account)
        if path == "/v1/balance" and method == "GET":
            return self._api_balance(params, account)
        if path == "/v1/accounts" and method == "POST":
            return self._api_create_account(params)
        if (match := _ACCOUNT_PATH.match(path)) and method == "GET":
            return self._api_retrieve_account(match.group(1), params)
        if path == "/v1/account_links" and method == "POST":
            return self._api_create_account_link(params)
        raise StripeApiError(
            404,
            f"Unrecognized request URL ({method}: {path}). The Stripe stand-in implements only checkout session "
            "create, retrieve and expire, subscription retrieve, update and cancel, invoice retrieve, account create "
            "and retrieve, account link create, and the balance.",
        )

    def _stored_subscription(self, subscription_id: str, account: str | None) -> dict[str, Any]:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None or self.subscription_accounts.get(subscription_id) != account:
            raise StripeApiError(404, f"No such subscription: '{subscription_id}'", param="id", code="resource_missing")
        return subscription

    def _stored_invoice(self, invoice_id: str, account: str | None) -> dict[str, Any]:
        invoice = self.invoices.get(invoice_id)
        if invoice is None or self.invoice_accounts.get(invoice_id) != account:
            raise StripeApiError(404, f"No such invoice: '{invoice_id}'", param="id", code="resource_missing")
        return invoice

    def _render_subscription(self, subscription: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        rendered = copy.deepcopy(subscription)
        if "latest_invoice" in expand and subscription["latest_invoice"]:
            rendered["latest_invoice"] = copy.deepcopy(self.invoices[subscription["latest_invoice"]])
        if "customer" in expand:
            rendered["customer"] = copy.deepcopy(self.customers[subscription["customer"]])
        return rendered

    def _api_retrieve_subscription(
        self, subscription_id: str, params: dict[str, Any], account: str | None
    ) -> dict[str, Any]:
        _reject_unknown(params, frozenset({"expand"}), "")
        expand = _expand(params, SUBSCRIPTION_EXPANDABLE)
        return self._render_subscription(self._stored_subscription(subscription_id, account), expand)

    def _api_update_subscription(
        self, subscription_id: str, params: dict[str, Any], account: str | None
    ) -> dict[str, Any]:
        _refuse_unmodelled(params, SUBSCRIPTION_UPDATE_PARAMS, SUBSCRIPTION_UPDATE_KNOWN, "")
        expand = _expand(params, SUBSCRIPTION_EXPANDABLE)
        cancel = None
        if "cancel_at_period_end" in params:
            cancel = _boolean(params["cancel_at_period_end"], "cancel_at_period_end")
        subscription = self._stored_subscription(subscription_id, account)
        metadata = None
        if "metadata" in params:
            metadata = _updated_metadata(subscription["metadata"], params["metadata"], "metadata")
        if cancel is not None and subscription["status"] == "canceled":
            raise _invalid(CANCELED_SUBSCRIPTION)
        if metadata is not None:
            subscription["metadata"] = metadata
        if cancel is not None:
            self._set_cancel_at_period_end(subscription, cancel)
        return self._render_subscription(subscription, expand)

    def _api_cancel_subscription(
        self, subscription_id: str, params: dict[str, Any], account: str | None
    ) -> dict[str, Any]:
        _refuse_unmodelled(params, SUBSCRIPTION_CANCEL_PARAMS, SUBSCRIPTION_CANCEL_KNOWN, "")
        expand = _expand(params, SUBSCRIPTION_EXPANDABLE)
        details: dict[str, Any] = {}
        if "cancellation_details" in params:
            raw = _object(params["cancellation_details"], "cancellation_details")
            _refuse_unmodelled(raw, CANCELLATION_DETAILS_PARAMS, CANCELLATION_DETAILS_KNOWN, "cancellation_details")
            if raw.get("comment"):
                details["comment"] = _string(raw["comment"], "cancellation_details[comment]", 5000)
            if raw.get("feedback"):
                details["feedback"] = _enum(raw["feedback"], "cancellation_details[feedback]", CANCELLATION_FEEDBACK)
        subscription = self._stored_subscription(subscription_id, account)
        if subscription["status"] == "canceled":
            raise _invalid(CANCELED_SUBSCRIPTION)
        self._cancel(subscription, details)
        return self._render_subscription(subscription, expand)

    def _api_retrieve_invoice(self, invoice_id: str, params: dict[str, Any], account: str | None) -> dict[str, Any]:
        _reject_unknown(params, frozenset({"expand"}), "")
        expand = _expand(params, INVOICE_EXPANDABLE)
        rendered = copy.deepcopy(self._stored_invoice(invoice_id, account))
        if "customer" in expand:
            rendered["customer"] = copy.deepcopy(self.customers[rendered["customer"]])
        return rendered

    def _api_balance(self, params: dict[str, Any], account: str | None) -> dict[str, Any]:
        _reject_unknown(params, frozenset({"expand"}), "")
        _expand(params, frozenset())
        pending = self._balances.get(account) or {"usd": 0}
        return {
            "object": "balance",
            "available": [{"amount": 0, "currency": currency, "source_types": {"card": 0}} for currency in pending],
            "pending": [
                {"amount": amount, "currency": currency, "source_types": {"card": amount}}
                for currency, amount in pending.items()
            ],
            "livemode": False,
        }

    def _missing_account(self, account_id: str) -> StripeApiError:
        return StripeApiError(404, f"No such account: '{account_id}'", param="account", code="resource_missing")

    def _api_retrieve_account(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        _reject_unknown(params, frozenset({"expand"}), "")
        _expand(params, frozenset())
        account = self.accounts.get(account_id)
        if account is None:
            raise self._missing_account(account_id)
        return copy.deepcopy(account)

    def _api_create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        _reject_unknown(params, ACCOUNT_CREATE_PARAMS, "")
        _expand(params, frozenset())
        if "type" in params and "controller" in params:
            raise _invalid("You cannot specify both `type` and `controller`: use one or the other.", "controller")
        if "controller" in params:
            controller = self._controller_from(params["controller"])
            type = next((name for name, legacy in LEGACY_CONTROLLERS.items() if legacy == controller), "none")
        else:
            type = _enum(params.get("type", "standard"), "type", ACCOUNT_TYPES)
            controller = LEGACY_CONTROLLERS[type]
        country = _string(params.get("country", "US"), "country").upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise _invalid(f"Invalid country: {country}", "country")
        email = params.get("email")
        if email is not None and (not isinstance(email, str) or not _EMAIL.match(email)):
            raise _invalid(f"Invalid email address: {email}", "email", "email_invalid")
        profile = _object(params.get("business_profile", {}), "business_profile")
        _reject_unknown(profile, BUSINESS_PROFILE_PARAMS, "business_profile")
        for name, value in profile.items():
            if name == "url":
                _url(value, "business_profile[url]")
            else:
                _string(value, f"business_profile[{name}]")
        capabilities = _object(params.get("capabilities", {}), "capabilities")
        requested = []
        for name, value in capabilities.items():
            _reject_unknown(_object(value, f"capabilities[{name}]"), frozenset({"requested"}), f"capabilities[{name}]")
            if _enum(value.get("requested"), f"capabilities[{name}][requested]", ("true", "false")) == "true":
                requested.append(name)
        metadata = _metadata(params["metadata"], "metadata") if "metadata" in params else {}
        account = self._new_account(
            type=type,
            controller=controller,
            enabled=(False, False, False),
            email=email,
            business_profile=profile,
            country=country,
            metadata=metadata,
            capabilities=requested,
        )
        return copy.deepcopy(account)

    def _controller_from(self, value: Any) -> dict[str, Any]:
        data = _object(value, "controller")
        _reject_unknown(data, CONTROLLER_PARAMS, "controller")
        choices: dict[str, tuple[str, tuple[str, ...]]] = {
            "fees": ("payer", ("account", "application")),
            "losses": ("payments", ("application", "stripe")),
            "stripe_dashboard": ("type", ("express", "full", "none")),
        }
        controller: dict[str, Any] = copy.deepcopy(LEGACY_CONTROLLERS["standard"])
        for name, (field, allowed) in choices.items():
            if name in data:
                part = _object(data[name], f"controller[{name}]")
                _reject_unknown(part, frozenset({field}), f"controller[{name}]")
                if field in part:
                    controller[name] = {field: _enum(part[field], f"controller[{name}][{field}]", allowed)}
        if "requirement_collection" in data:
            controller["requirement_collection"] = _enum(
                data["requirement_collection"], "controller[requirement_collection]", ("application", "stripe")
            )
        return controller

    def _api_create_account_link(self, params: dict[str, Any]) -> dict[str, Any]:
        _reject_unknown(params, ACCOUNT_LINK_PARAMS, "")
        _expand(params, frozenset())
        if "account" not in params:
            raise _missing("account")
        account_id = _string(params["account"], "account")
        if account_id not in self.accounts:
            raise _invalid(f"No such account: '{account_id}'", "account", "resource_missing")
        for name in ("refresh_url", "return_url", "type"):
            if name not in params:
                raise _missing(name)
        refresh_url = _url(params["refresh_url"], "refresh_url")
        return_url = _url(params["return_url"], "return_url")
        type = _enum(params["type"], "type", ACCOUNT_LINK_TYPES)
        if "collect" in params:
            _enum(params["collect"], "collect", ("currently_due", "eventually_due"))
        if "collection_options" in params:
            options = _object(params["collection_options"], "collection_options")
            _reject_unknown(options, frozenset({"fields", "future_requirements"}), "collection_options")
            if "collect" in params:
                raise _invalid("You cannot specify both `collect` and `collection_options`.", "collection_options")
        now = int(self.clock())
        link_id = _token(32)
        self.account_links[link_id] = {
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": type,
            "expires_at": now + ACCOUNT_LINK_SECONDS,
            "used": False,
        }
        return {
            "object": "account_link",
            "created": now,
            "expires_at": now + ACCOUNT_LINK_SECONDS,
            "url": f"{self.url}/connect/onboard/{link_id}",
        }

    def _render(self, session: dict[str, Any], expand: list[str]) -> dict[str, Any]:
        rendered = copy.deepcopy(session)
        stores = {
            "payment_intent": self.payment_intents,
            "customer": self.customers,
            "subscription": self.subscriptions,
            "invoice": self.invoices,
        }
        for field in expand:
            if session.get(field):
                rendered[field] = copy.deepcopy(stores[field][session[field]])
        return rendered

    def _stored(self, session_id: str, account: str | None) -> dict[str, Any]:
        """The session, if it exists on this account: Stripe scopes objects to their account, so a session made
        on another account (or the platform) is as missing as an unknown id."""
        session = self.sessions.get(session_id)
        if session is None or self.session_accounts.get(session_id) != account:
            raise StripeApiError(
                404, f"No such checkout.session: '{session_id}'", param="session", code="resource_missing"
            )
        return session

    def _api_retrieve(self, session_id: str, params: dict[str, Any], account: str | None) -> dict[str, Any]:
        _reject_unknown(params, frozenset({"expand"}), "")
        expand = _expand(params)
        return self._render(self._stored(session_id, account), expand)

    def _api_expire(self, session_id: str, params: dict[str, Any], account: str | None) -> dict[str, Any]:
        _reject_unknown(params, frozenset({"expand"}), "")
        expand = _expand(params)
        session = self._stored(session_id, account)
        if session["status"] != "open":
            raise _invalid(
                'Only Checkout Sessions with a status in ["open"] can be expired. '
                f"This Checkout Session has a status of `{session['status']}`."
            )
        self.expire(session_id)
        return self._render(session, expand)

    def _api_create(self, params: dict[str, Any], account: str | None) -> dict[str, Any]:
        _reject_unknown(params, CREATE_PARAMS, "")
        expand = _expand(params)
        mode = params.get("mode")
        if mode is None:
            raise _missing("mode")
        if mode not in ("payment", "setup", "subscription"):
            raise _invalid("Invalid mode: must be one of payment, setup, or subscription", "mode")
        if mode == "setup":
            raise _invalid("The Stripe stand-in supports only mode=payment and mode=subscription, not setup", "mode")
        if "success_url" not in params:
            raise _missing("success_url")
        success_url = _url(params["success_url"], "success_url")
        cancel_url = _url(params["cancel_url"], "cancel_url") if "cancel_url" in params else None
        items = self._line_items_from(params, mode)
        currency = items[0]["currency"]
        if any(item["currency"] != currency for item in items):
            raise _invalid("All line items must use the same currency.", "line_items")
        terms = self._subscription_terms(params, mode, items, account)
        metadata = _metadata(params["metadata"], "metadata") if "metadata" in params else {}
        reference = params.get("client_reference_id")
        if reference is not None:
            reference = _string(reference, "client_reference_id", CLIENT_REFERENCE_MAX_LENGTH)
        email = params.get("customer_email")
        if email is not None and (not isinstance(email, str) or not _EMAIL.match(email)):
            raise _invalid(f"Invalid email address: {email}", "customer_email", "email_invalid")
        now = int(self.clock())
        expires_at = now + MAX_EXPIRY_SECONDS
        if "expires_at" in params:
            expires_at = _integer(params["expires_at"], "expires_at")
            if expires_at < now + MIN_EXPIRY_SECONDS:
                raise _invalid(
                    "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                    "expires_at",
                )
            if expires_at > now + MAX_EXPIRY_SECONDS:
                raise _invalid(
                    "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                    "expires_at",
                )
        methods = params.get("payment_method_types", ["card"])
        if not isinstance(methods, list) or not methods or not all(isinstance(m, str) and m for m in methods):
            raise _invalid("Invalid array", "payment_method_types")
        if account is not None and not self.accounts[account]["charges_enabled"]:
            raise _invalid(
                "This account cannot currently make live charges: its charges are not enabled. Complete the "
                "account's onboarding first."
            )
        total = sum(item["unit_amount"] * item["quantity"] for item in items)
        session_id = f"cs_test_{_token(58)}"
        session: dict[str, Any] = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": cancel_url,
            "client_reference_id": reference,
            "created": now,
            "currency": currency,
            "customer": terms["customer"] if terms else None,
            "customer_details": None,
            "customer_email": email,
            "expires_at": expires_at,
            "invoice": None,
            "livemode": False,
            "metadata": metadata,
            "mode": mode,
            "payment_intent": None,
            "payment_method_types": methods,
            "payment_status": "unpaid",
            "status": "open",
            "subscription": None,
            "success_url": success_url,
            "ui_mode": "hosted",
            "url": f"{self.url}/pay/{session_id}",
        }
        self.sessions[session_id] = session
        self.session_accounts[session_id] = account
        self._line_items[session_id] = items
        if terms:
            self._subscription_data[session_id] = terms
        return self._render(session, expand)

    def _subscription_terms(
        self, params: dict[str, Any], mode: str, items: list[dict[str, Any]], account: str | None
    ) -> dict[str, Any] | None:
        """What a subscription-mode session will subscribe to: interval, subscription_data and an existing customer
        (None in payment mode, where the subscription-only parameters are refused)."""
        if mode == "payment":
            if "subscription_data" in params:
                raise _invalid("You can not pass `subscription_data` in `payment` mode.", "subscription_data")
            return None
        if all(item["recurring"] is None for item in items):
            raise _invalid(
                "You must provide at least one recurring price in `subscription` mode when using prices.", "mode"
            )
        for index, item in enumerate(items):
            if item["recurring"] is None:
                raise _invalid(
                    "The Stripe stand-in supports only recurring prices in `subscription` mode (no one-time items "
                    "on the first invoice).",
                    f"line_items[{index}][price_data][recurring]",
                )
        recurring = items[0]["recurring"]
        if any(item["recurring"] != recurring for item in items):
            raise _invalid(
                "All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.",
                "line_items",
            )
        for name in ("payment_intent_data", "invoice_creation", "customer_creation"):
            if name in params:
                raise _invalid(f"You can not pass `{name}` in `subscription` mode.", name)
        data = _object(params.get("subscription_data", {}), "subscription_data")
        for key in data:
            if key in SUBSCRIPTION_DATA_KNOWN and key not in SUBSCRIPTION_DATA_PARAMS:
                raise _invalid(
                    f"The Stripe stand-in does not model `subscription_data[{key}]`.", f"subscription_data[{key}]"
                )
        _reject_unknown(data, SUBSCRIPTION_DATA_PARAMS, "subscription_data")
        metadata = _metadata(data["metadata"], "subscription_data[metadata]") if "metadata" in data else {}
        description = None
        if "description" in data:
            description = _string(data["description"], "subscription_data[description]", 500) or None
        customer = params.get("customer")
        if customer is not None:
            customer = _string(customer, "customer")
            if customer not in self.customers or self.customer_accounts.get(customer) != account:
                raise _invalid(f"No such customer: '{customer}'", "customer", "resource_missing")
            if "customer_email" in params:
                raise _invalid(
                    "You may only specify one of these parameters: customer, customer_email.", "customer_email"
                )
        return {"recurring": dict(recurring), "metadata": metadata, "description": description, "customer": customer}

    def _recurring_from(self, price_data: dict[str, Any], param: str, mode: str) -> dict[str, Any] | None:
        """A price_data's `recurring` (interval and interval_count), None for a one-time price."""
        if "recurring" not in price_data:
            return None
        if mode == "payment":
            raise _invalid("You specified `payment` mode but passed a recurring price.", param)
        data = _object(price_data["recurring"], param)
        _reject_unknown(data, RECURRING_PARAMS, param)
        if "interval" not in data:
            raise _missing(f"{param}[interval]")
        interval = _enum(data["interval"], f"{param}[interval]", INTERVALS)
        count = _integer(data.get("interval_count", "1"), f"{param}[interval_count]", minimum=1)
        if count > MAX_INTERVAL_COUNT[interval]:
            raise _invalid(
                "The maximum billing interval is three years (3 years, 36 months, 156 weeks or 1095 days).",
                f"{param}[interval_count]",
            )
        return {"interval": interval, "interval_count": count}

    def _line_items_from(self, params: dict[str, Any], mode: str) -> list[dict[str, Any]]:
        raw = params.get("line_items")
        if raw is None:
            raise _missing("line_items")
        if not isinstance(raw, list) or not raw:
            raise _invalid("Invalid array", "line_items")
        items = []
        for index, item in enumerate(raw):
            prefix = f"line_items[{index}]"
            item = _object(item, prefix)
            _reject_unknown(item, LINE_ITEM_PARAMS, prefix)
            if "price" in item:
                price = item["price"]
                raise _invalid(f"No such price: '{price}'", f"{prefix}[price]", "resource_missing")
            if "price_data" not in item:
                raise _invalid(f"You must specify either `price` or `price_data` in {prefix}.", prefix)
            data = _object(item["price_data"], f"{prefix}[price_data]")
            _reject_unknown(data, PRICE_DATA_PARAMS, f"{prefix}[price_data]")
            recurring = self._recurring_from(data, f"{prefix}[price_data][recurring]", mode)
            if "product" in data:
                product = data["product"]
                raise _invalid(f"No such product: '{product}'", f"{prefix}[price_data][product]", "resource_missing")
            if "unit_amount_decimal" in data:
                raise _invalid(
                    "The Stripe stand-in supports only integer unit_amount.",
                    f"{prefix}[price_data][unit_amount_decimal]",
                )
            if "currency" not in data:
                raise _missing(f"{prefix}[price_data][currency]")
            currency = _string(data["currency"], f"{prefix}[price_data][currency]").lower()
            if not re.fullmatch(r"[a-z]{3}", currency):
                raise _invalid(f"Invalid currency: {currency}", f"{prefix}[price_data][currency]")
            if "unit_amount" not in data:
                raise _missing(f"{prefix}[price_data][unit_amount]")
            unit_amount = _integer(data["unit_amount"], f"{prefix}[price_data][unit_amount]", minimum=0)
            if "product_data" not in data:
                raise _missing(f"{prefix}[price_data][product_data]")
            product_data = _object(data["product_data"], f"{prefix}[price_data][product_data]")
            _reject_unknown(product_data, PRODUCT_DATA_PARAMS, f"{prefix}[price_data][product_data]")
            if not product_data.get("name"):
                raise _missing(f"{prefix}[price_data][product_data][name]")
            name = _string(product_data["name"], f"{prefix}[price_data][product_data][name]")
            if "quantity" not in item:
                raise _missing(f"{prefix}[quantity]")
            quantity = _integer(item["quantity"], f"{prefix}[quantity]", minimum=1)
            items.append(
                {
                    "name": name,
                    "currency": currency,
                    "unit_amount": unit_amount,
                    "quantity": quantity,
                    "recurring": recurring,
                }
            )
        return items

    # --- the hosted checkout page ----------------------------------------------------------------------------------

    def _handle_page(self, handler: _Handler, session_id: str) -> None:
        form = dict(parse_qsl(self._read_body(handler))) if handler.command == "POST" else {}
        with self._lock:
            session = copy.deepcopy(self.sessions.get(session_id))
            items = copy.deepcopy(self._line_items.get(session_id, []))
            payee = self._payee(session_id)
        if session is None:
            self._send_page(handler, 404, "Not found", "This checkout page does not exist.")
            return
        if session["status"] != "open":
            self._send_page(handler, 410, "No longer available", f"This checkout session is {session['status']}.")
            return
        if handler.command == "GET":
            self._send_checkout(handler, session, items, payee)
            return
        if handler.command != "POST":
            self._send_page(handler, 405, "Method not allowed", "Use GET or POST.")
            return
        payment_status = form.get("payment_status", "paid")  # "unpaid" models a bank debit; the page has no such button
        if payment_status not in ("paid", "unpaid"):
            self._send_page(handler, 400, "Bad request", "payment_status must be paid or unpaid.")
            return
        if session["mode"] == "subscription" and payment_status != "paid":
            self._send_page(handler, 400, "Bad request", "A subscription is paid by card: payment_status must be paid.")
            return
        try:
            self.complete(session_id, payment_status=payment_status)
        except ValueError:  # completed or expired by another request in the meantime
            self._send_page(handler, 410, "No longer available", "This checkout session is no longer open.")
            return
        if self.webhook_url:
            self.deliver(self.event("checkout.session.completed", session_id))
        location = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        self._send(handler, 303, b"", {"Location": location, "Cache-Control": "no-store"})

    def _payee(self, session_id: str) -> str:
        account_id = self.session_accounts.get(session_id)
        if account_id is None:
            return "the platform account"
        account = self.accounts.get(account_id) or {}
        return str((account.get("business_profile") or {}).get("name") or account_id)

    def _send_checkout(
        self, handler: _Handler, session: dict[str, Any], items: list[dict[str, Any]], payee: str
    ) -> None:
        esc = html.escape
        rows = "".join(
            f"<li>{esc(item['name'])} × {item['quantity']}: "
            f"{esc(_display_amount(item['unit_amount'] * item['quantity'], item['currency']))}"
            f"{' ' + esc(_per(item['recurring'])) if item.get('recurring') else ''}</li>"
            for item in items
        )
        cancel = f'<a href="{esc(session["cancel_url"])}">Cancel</a>' if session.get("cancel_url") else ""
        recurring = items[0].get("recurring") if session["mode"] == "subscription" and items else None
        per = f' <span id="interval">{esc(_per(recurring))}</span>' if recurring else ""
        button = "Subscribe" if recurring else "Pay"
        content = (
            f'<p id="payee">Paying {esc(payee)}</p>'
            f'<ul class="items">{rows}</ul>'
            f'<p class="total">Total: <strong id="amount">'
            f"{esc(_display_amount(session['amount_total'], session['currency']))}</strong>{per}</p>"
            f'<form method="post" action="/pay/{esc(session["id"])}">'
            f'<button type="submit" id="pay">{button}</button></form>'
            f"{cancel}"
        )
        self._send_page(handler, 200, "Checkout", content, raw=True)

    # --- hosted Connect onboarding -----------------------------------------------------------------------------------

    def _handle_onboarding(self, handler: _Handler, link_id: str) -> None:
        if handler.command == "POST":
            self._read_body(handler)
        with self._lock:
            link = copy.deepcopy(self.account_links.get(link_id))
            usable = link is not None and self._link_usable(link)
        if link is None:
            self._send_page(handler, 404, "Not found", "This onboarding link does not exist.")
            return
        if handler.command not in ("GET", "POST"):
            self._send_page(handler, 405, "Method not allowed", "Use GET or POST.")
            return
        location = link["refresh_url"]  # Stripe sends a used or expired link's visitor to refresh_url for a new one
        if usable and handler.command == "GET":
            esc = html.escape
            content = (
                f'<p>Set up payments for account <code id="account">{esc(link["account"])}</code>.</p>'
                f'<form method="post" action="/connect/onboard/{esc(link_id)}">'
                '<button type="submit" id="finish-onboarding">Finish onboarding</button></form>'
            )
            self._send_page(handler, 200, "Stripe onboarding", content, raw=True)
            return
        if usable:
            with contextlib.suppress(ValueError):  # used or expired by another request in the meantime
                location = self.finish_onboarding(link_id)
        self._send(handler, 303, b"", {"Location": location, "Cache-Control": "no-store"})

    def _send_page(self, handler: _Handler, status: int, title: str, content: str, *, raw: bool = False) -> None:
        body = content if raw else f"<p>{html.escape(content)}</p>"
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)} · Stripe stand-in</title></head>"
            f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
        )
        headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
        self._send(handler, status, page.encode(), headers)


def start_standin(**kwargs: Any) -> StripeStandIn:
    """A started stand-in, for fixtures and scripts that do not use it as a context manager."""
    return StripeStandIn(**kwargs).start()
