"""A loopback Stripe stand-in: the slice of the Stripe API Portico uses, plus a hosted checkout page, on 127.0.0.1.

The app talks to it through the official `stripe` library (``base_addresses={"api": standin.url}``), so the tests
exercise the real request encoding, error mapping and webhook signature scheme rather than a mock of our own
adapter. It answers with Stripe's JSON shapes and error bodies, honours idempotency keys, and signs webhooks the way
Stripe does, so `stripe.Webhook.construct_event` accepts them. Nothing here reaches beyond 127.0.0.1.

Deliberate simplifications (each one a place where a real Stripe account behaves differently):
- only ``mode=payment`` with inline ``price_data`` line items; Stripe's minimum charge amount is not enforced;
- sessions never expire on their own: only `expire()` or the expire endpoint end them;
- idempotency keys never expire, and only successful (2xx) responses are saved for replay, so a retry after
  `fail_next` or a validation error runs again (Stripe saves 5xx results too, but an injected failure models an
  outage in front of Stripe's idempotency layer);
- webhooks are delivered once, synchronously, with no retries;
- Connect is a slice: accounts can be created and retrieved (not updated, listed or deleted over the API),
  ``business_profile`` takes only name, url, support_email, mcc and product_description, and requested
  capabilities go from inactive to active all at once;
- hosted onboarding is one button that satisfies every requirement and enables charges and payouts; no
  persons, documents, external accounts or terms of service acceptance are collected;
- the ``Stripe-Account`` header scopes Checkout Sessions, the balance and idempotency keys; the account endpoints
  themselves ignore it;
- balances only grow: paid sessions add their amount_total to the pending balance of the account they were made
  on, with no fees, application fees, transfers, payouts or move to available.
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
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

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
EXPANDABLE = frozenset({"payment_intent"})

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
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[Delivery] = []
        self._line_items: dict[str, list[dict[str, Any]]] = {}
        # Keyed by (Stripe-Account, Idempotency-Key): Stripe scopes idempotency keys to the account they act on.
        self._idempotent: dict[tuple[str | None, str], dict[str, Any]] = {}
        self._balances: dict[str | None, dict[str, int]] = {}  # account (None: the platform) → currency → pending
        self._failures: deque[tuple[int, str]] = deque()
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
        """Forget sessions, accounts, account links, balances, calls, deliveries, idempotency keys and pending
        failures (webhook_url is kept), so one stand-in can serve a whole test session."""
        with self._lock:
            self.sessions.clear()
            self.payment_intents.clear()
            self.accounts.clear()
            self.account_links.clear()
            self.session_accounts.clear()
            self._balances.clear()
            self.requests.clear()
            self.deliveries.clear()
            self._line_items.clear()
            self._idempotent.clear()
            self._failures.clear()

    def fail_next(self, status: int = 500, count: int = 1, message: str = "An unknown error occurred") -> None:
        """The next `count` API calls answer `status` with Stripe's error body for it (5xx → api_error), before
        authentication or idempotency are looked at, like an outage in front of Stripe."""
        with self._lock:
            self._failures.extend([(status, message)] * count)

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
        amount_total/currency change what Stripe reports, to simulate a mismatch with the invoice."""
        if payment_status not in ("paid", "unpaid", "no_payment_required"):
            raise ValueError(f"payment_status must be paid, unpaid or no_payment_required, not {payment_status!r}")
        with self._lock:
            session = self._session(session_id)
            if session["status"] != "open":
                raise ValueError(f"Checkout Session {session_id} is {session['status']}, not open")
            if amount_total is not None:
                session["amount_total"] = session["amount_subtotal"] = amount_total
            if currency is not None:
                session["currency"] = currency.lower()
            session["status"] = "complete"
            session["payment_status"] = payment_status
            session["url"] = None
            session["customer_details"] = {
                "address": None,
                "email": email or session.get("customer_email") or "payer@example.com",
                "name": "Stand-in Payer",
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            }
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
        balance = self._balances.setdefault(self.session_accounts.get(session["id"]), {})
        currency = session["currency"].lower()
        balance[currency] = balance.get(currency, 0) + session["amount_total"]

    def balance_of(self, account_id: str | None) -> dict[str, int]:
        """What paid sessions added to an account's balance (None: the platform's), currency → amount in Stripe
        units; empty when nothing was paid there."""
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

    def _event(self, type: str, data: dict[str, Any], event_id: str | None, account: str | None) -> dict[str, Any]:
        event: dict[str, Any] = {
            "id": event_id or f"evt_{_token()}",
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
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
            "create, retrieve and expire, account create and retrieve, account link create, and the balance.",
        )

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
        intent_id = session.get("payment_intent")
        if "payment_intent" in expand and intent_id:
            rendered["payment_intent"] = copy.deepcopy(self.payment_intents[intent_id])
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
        if mode != "payment":
            raise _invalid(f"The Stripe stand-in supports only mode=payment, not {mode}", "mode")
        if "success_url" not in params:
            raise _missing("success_url")
        success_url = _url(params["success_url"], "success_url")
        cancel_url = _url(params["cancel_url"], "cancel_url") if "cancel_url" in params else None
        items = self._line_items_from(params)
        currency = items[0]["currency"]
        if any(item["currency"] != currency for item in items):
            raise _invalid("All line items must use the same currency.", "line_items")
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
            "customer": None,
            "customer_details": None,
            "customer_email": email,
            "expires_at": expires_at,
            "livemode": False,
            "metadata": metadata,
            "mode": mode,
            "payment_intent": None,
            "payment_method_types": methods,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": success_url,
            "ui_mode": "hosted",
            "url": f"{self.url}/pay/{session_id}",
        }
        self.sessions[session_id] = session
        self.session_accounts[session_id] = account
        self._line_items[session_id] = items
        return self._render(session, expand)

    def _line_items_from(self, params: dict[str, Any]) -> list[dict[str, Any]]:
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
            if "recurring" in data:
                raise _invalid(
                    "You specified `payment` mode but passed a recurring price.", f"{prefix}[price_data][recurring]"
                )
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
            items.append({"name": name, "currency": currency, "unit_amount": unit_amount, "quantity": quantity})
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
            f"{esc(_display_amount(item['unit_amount'] * item['quantity'], item['currency']))}</li>"
            for item in items
        )
        cancel = f'<a href="{esc(session["cancel_url"])}">Cancel</a>' if session.get("cancel_url") else ""
        content = (
            f'<p id="payee">Paying {esc(payee)}</p>'
            f'<ul class="items">{rows}</ul>'
            f'<p class="total">Total: <strong id="amount">'
            f"{esc(_display_amount(session['amount_total'], session['currency']))}</strong></p>"
            f'<form method="post" action="/pay/{esc(session["id"])}"><button type="submit" id="pay">Pay</button></form>'
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
