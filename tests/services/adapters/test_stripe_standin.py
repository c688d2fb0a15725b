"""The Stripe stand-in, driven through the real `stripe` library the way services/adapters/stripe_gateway.py drives it."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
import pytest
import stripe
from stripe import RequestOptions
from stripe.params import AccountCreateParams, AccountLinkCreateParams, SubscriptionUpdateParams
from stripe.params.checkout import SessionCreateParams, SessionRetrieveParams

from tests.support.stripe_standin import StripeStandIn, decode_form, start_standin

# stripe.HTTPXClient passes its form body as httpx `data=<str>`, which httpx 0.28 deprecates; not ours to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use 'content=<...>' to upload raw bytes/text content:DeprecationWarning"
)

SUCCESS_URL = "http://portico.test/paid?session={CHECKOUT_SESSION_ID}"


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeStandIn]:
    # With telemetry on, the library writes ~/.config/stripe/telemetry_id on its first request.
    monkeypatch.setattr(stripe, "enable_telemetry", False)
    with StripeStandIn() as running:
        yield running


@pytest.fixture
async def client(standin: StripeStandIn) -> AsyncIterator[stripe.StripeClient]:
    http_client = stripe.HTTPXClient()
    yield stripe.StripeClient(
        standin.secret_key, base_addresses={"api": standin.url}, http_client=http_client, max_network_retries=0
    )
    await http_client.close_async()


def session_params() -> SessionCreateParams:
    """What services/adapters/stripe_gateway.create_checkout_session sends, give or take the amounts."""
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 2,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 1250,
                    "product_data": {"name": "Invoice <INV-7> & co"},
                },
            }
        ],
        "metadata": {"invoice_id": "42", "organization": "acme"},
        "payment_intent_data": {"metadata": {"invoice_id": "42"}},
        "client_reference_id": "inv-42",
        "success_url": SUCCESS_URL,
        "cancel_url": "http://portico.test/cancelled?x=1&y=2",
        "customer_email": "payer@example.com",
        "expires_at": int(time.time()) + 3600,
    }


async def create(client: stripe.StripeClient, key: str = "key-1", **overrides: Any) -> Any:
    # The validation tests override with what Stripe's types forbid (unknown keys, None, missing parts): refusing
    # that is the stand-in's job, so the merged params are only nominally SessionCreateParams.
    params = cast(SessionCreateParams, {**session_params(), **overrides})
    return await client.v1.checkout.sessions.create_async(params, options={"idempotency_key": key})


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records what it was sent and answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers.items()), body))
                answer = b'{"received": true}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


# --- the API through the library ---------------------------------------------------------------------------------


async def test_create_answers_like_stripe(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    session = await create(client)

    data = session.to_dict()
    assert isinstance(session, stripe.checkout.Session)
    assert data["id"].startswith("cs_test_")
    assert data["amount_total"] == data["amount_subtotal"] == 2500
    assert data["currency"] == "eur"
    assert data["metadata"] == {"invoice_id": "42", "organization": "acme"}
    assert data["client_reference_id"] == "inv-42"
    assert (data["status"], data["payment_status"], data["payment_intent"]) == ("open", "unpaid", None)
    assert data["url"] == f"{standin.url}/pay/{data['id']}"
    assert data["success_url"] == SUCCESS_URL
    assert standin.sessions[data["id"]]["status"] == "open"

    [request] = standin.requests
    assert (request.method, request.path, request.status) == ("POST", "/v1/checkout/sessions", 200)
    assert request.idempotency_key == "key-1"
    assert request.authorization == f"Bearer {standin.secret_key}"
    assert request.stripe_version == stripe.api_version
    assert request.params["line_items"][0]["price_data"]["unit_amount"] == "1250"
    assert request.params["metadata"] == {"invoice_id": "42", "organization": "acme"}
    assert request.params["payment_intent_data"] == {"metadata": {"invoice_id": "42"}}


async def test_same_idempotency_key_replays_and_a_new_key_creates(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    params = session_params()
    first = await client.v1.checkout.sessions.create_async(params, options={"idempotency_key": "k"})
    again = await client.v1.checkout.sessions.create_async(params, options={"idempotency_key": "k"})
    other = await client.v1.checkout.sessions.create_async(params, options={"idempotency_key": "k2"})

    assert again.id == first.id
    assert again.to_dict() == first.to_dict()
    assert again.last_response is not None and again.last_response.headers["Idempotent-Replayed"] == "true"
    assert other.id != first.id
    assert len(standin.sessions) == 2
    assert [r.replayed for r in standin.requests] == [False, True, False]


async def test_same_key_with_different_params_is_an_idempotency_error(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    await create(client, "k")
    with pytest.raises(stripe.IdempotencyError) as raised:
        await create(client, "k", client_reference_id="something-else")
    assert raised.value.http_status == 400
    assert len(standin.sessions) == 1


async def test_wrong_key_is_an_authentication_error(standin: StripeStandIn) -> None:
    http_client = stripe.HTTPXClient()
    wrong = standin.stripe_client("sk_test_wrong_key_123456", http_client)
    with pytest.raises(stripe.AuthenticationError) as raised:
        await wrong.v1.balance.retrieve_async()
    await http_client.close_async()
    assert raised.value.http_status == 401
    assert "Invalid API Key provided" in str(raised.value.user_message)
    assert "wrong_key" not in str(raised.value.user_message)  # masked, as Stripe does
    assert standin.requests[0].status == 401


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, stripe.APIError),
        (503, stripe.APIError),
        (409, stripe.APIError),  # the library maps a 409 to APIError even with type idempotency_error
        (429, stripe.RateLimitError),
        (402, stripe.CardError),
        (400, stripe.InvalidRequestError),
    ],
)
async def test_fail_next_answers_with_stripe_errors(
    standin: StripeStandIn, client: stripe.StripeClient, status: int, error: type[stripe.StripeError]
) -> None:
    standin.fail_next(status, message="injected")
    with pytest.raises(stripe.StripeError) as raised:
        await create(client)
    assert type(raised.value) is error
    assert raised.value.http_status == status
    assert raised.value.user_message == "injected"
    assert standin.sessions == {}

    session = await create(client)  # the failure was not saved under the idempotency key
    assert session.status == "open"


async def test_fail_next_counts(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    standin.fail_next(count=2)
    for _ in range(2):
        with pytest.raises(stripe.APIError):
            await client.v1.balance.retrieve_async()
    balance = await client.v1.balance.retrieve_async()
    assert balance.object == "balance"


async def test_down_refuses_connections_until_the_block_ends(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    url = standin.url
    with standin.down():
        with pytest.raises(stripe.APIConnectionError):
            await create(client)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/v1/balance", trust_env=False)
    assert standin.url == url
    session = await create(client)
    assert session.url.startswith(url)
    assert [r.status for r in standin.requests] == [200]


async def test_retrieve_expands_the_payment_intent(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    created = await create(client)
    expand: SessionRetrieveParams = {"expand": ["payment_intent"]}

    opened = await client.v1.checkout.sessions.retrieve_async(created.id, params=expand)
    assert opened.payment_intent is None
    assert standin.requests[-1].params == {"expand": ["payment_intent"]}

    standin.complete(created.id)
    paid = await client.v1.checkout.sessions.retrieve_async(created.id, params=expand)
    intent = paid.to_dict()["payment_intent"]
    assert isinstance(paid.payment_intent, stripe.PaymentIntent)
    assert intent["id"].startswith("pi_")
    assert intent["object"] == "payment_intent"
    assert (intent["status"], intent["amount"], intent["currency"]) == ("succeeded", 2500, "eur")
    assert (paid.status, paid.payment_status, paid.url) == ("complete", "paid", None)
    assert paid.customer_details is not None and paid.customer_details.email == "payer@example.com"

    plain = await client.v1.checkout.sessions.retrieve_async(created.id)
    assert plain.payment_intent == intent["id"]


async def test_asynchronous_payment_states(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    expand: SessionRetrieveParams = {"expand": ["payment_intent"]}
    failing, clearing = await create(client, "a"), await create(client, "b")
    for session in (failing, clearing):
        standin.complete(session.id, payment_status="unpaid")
        pending = await client.v1.checkout.sessions.retrieve_async(session.id, params=expand)
        assert isinstance(pending.payment_intent, stripe.PaymentIntent)
        assert (pending.status, pending.payment_status, pending.payment_intent.status) == (
            "complete",
            "unpaid",
            "processing",
        )

    standin.fail_async(failing.id)
    failed = await client.v1.checkout.sessions.retrieve_async(failing.id, params=expand)
    assert isinstance(failed.payment_intent, stripe.PaymentIntent)
    assert (failed.payment_status, failed.payment_intent.status) == ("unpaid", "requires_payment_method")

    standin.succeed_async(clearing.id)
    cleared = await client.v1.checkout.sessions.retrieve_async(clearing.id, params=expand)
    assert isinstance(cleared.payment_intent, stripe.PaymentIntent)
    assert (cleared.payment_status, cleared.payment_intent.status) == ("paid", "succeeded")


async def test_unknown_session_is_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.checkout.sessions.retrieve_async("cs_test_nope")
    assert (raised.value.http_status, raised.value.code, raised.value.param) == (404, "resource_missing", "session")


async def test_expire_only_while_open(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    session = await create(client)
    expired = await client.v1.checkout.sessions.expire_async(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    assert standin.requests[-1].idempotency_key  # the library sends a generated key on every POST

    with pytest.raises(stripe.InvalidRequestError, match="can be expired"):
        await client.v1.checkout.sessions.expire_async(session.id)
    with pytest.raises(ValueError):
        standin.complete(session.id)

    completed = await create(client, "other")
    standin.complete(completed.id)
    with pytest.raises(stripe.InvalidRequestError):
        await client.v1.checkout.sessions.expire_async(completed.id)


async def test_balance(client: stripe.StripeClient) -> None:
    balance = await client.v1.balance.retrieve_async()
    data = balance.to_dict()
    assert data["object"] == "balance"
    assert data["livemode"] is False
    assert data["available"][0]["currency"] == "usd"


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"expires_at": int(time.time()) + 600}, "expires_at"),
        ({"expires_at": int(time.time()) + 25 * 3600}, "expires_at"),
        ({"success_url": None}, "success_url"),
        ({"mode": "subscription"}, "mode"),
        ({"client_reference_id": "x" * 201}, "client_reference_id"),
        ({"metadata": {f"k{i}": "v" for i in range(51)}}, "metadata"),
        ({"customer_email": "not-an-email"}, "customer_email"),
        ({"colour": "blue"}, "colour"),
        (
            {"line_items": [{"quantity": 1, "price_data": {"currency": "eur", "unit_amount": -1}}]},
            "line_items[0][price_data][unit_amount]",
        ),
        (
            {"line_items": [{"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 5}}]},
            "line_items[0][price_data][product_data]",
        ),
    ],
)
async def test_create_validates_like_stripe(
    standin: StripeStandIn, client: stripe.StripeClient, overrides: dict[str, Any], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await create(client, **overrides)  # None drops a key: the library does not send None values
    assert raised.value.http_status == 400
    assert raised.value.param == param
    assert standin.sessions == {}


async def test_payment_method_types_and_zero_amounts_are_accepted(client: stripe.StripeClient) -> None:
    items = [{"quantity": 1, "price_data": {"currency": "EUR", "unit_amount": 0, "product_data": {"name": "Free"}}}]
    session = await create(client, line_items=items, payment_method_types=["card", "sepa_debit"])
    assert (session.amount_total, session.currency) == (0, "eur")
    assert session.payment_method_types == ["card", "sepa_debit"]


# --- webhooks ------------------------------------------------------------------------------------------------------


async def test_signed_events_verify_with_the_library(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    session = await create(client)
    standin.complete(session.id)
    event = standin.event("checkout.session.completed", session.id, event_id="evt_fixed")
    body, headers = standin.signed(event)

    verified = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], standin.webhook_secret, tolerance=300)
    assert (verified.id, verified.type) == ("evt_fixed", "checkout.session.completed")
    assert verified.data.object.id == session.id
    assert verified.data.object.payment_status == "paid"
    assert headers["Content-Type"] == "application/json"

    tampered = body.replace(b'"amount_total": 2500', b'"amount_total": 1')
    assert tampered != body
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, headers["Stripe-Signature"], standin.webhook_secret, tolerance=300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_other", tolerance=300)
    _, stale = standin.signed(event, timestamp=int(time.time()) - 301)
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(body, stale["Stripe-Signature"], standin.webhook_secret, tolerance=300)
    _, foreign = standin.signed(event, secret="whsec_other")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, foreign["Stripe-Signature"], standin.webhook_secret, tolerance=300)


async def test_event_snapshots_and_overrides(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    session = await create(client)
    standin.complete(session.id, payment_status="unpaid", amount_total=999, currency="USD")

    completed = standin.event("checkout.session.completed", session.id)
    assert completed["object"] == "event" and completed["livemode"] is False
    assert completed["id"].startswith("evt_") and completed["api_version"] == stripe.api_version
    snapshot = completed["data"]["object"]
    assert (snapshot["payment_status"], snapshot["amount_total"], snapshot["currency"]) == ("unpaid", 999, "usd")

    succeeded = standin.event("checkout.session.async_payment_succeeded", session.id)
    failed = standin.event("checkout.session.async_payment_failed", session.id, metadata={"invoice_id": "7"})
    assert succeeded["data"]["object"]["payment_status"] == "paid"
    assert failed["data"]["object"]["payment_status"] == "unpaid"
    assert failed["data"]["object"]["metadata"] == {"invoice_id": "7"}
    assert standin.sessions[session.id]["metadata"] == {"invoice_id": "42", "organization": "acme"}


async def test_deliver_records_the_receivers_answer(
    standin: StripeStandIn, client: stripe.StripeClient, receiver: Receiver
) -> None:
    session = await create(client)
    event = standin.event("checkout.session.expired", session.id)
    delivery = standin.deliver(event, receiver.url)
    assert (delivery.event_id, delivery.type, delivery.status, delivery.ok) == (
        event["id"],
        "checkout.session.expired",
        200,
        True,
    )
    assert delivery.body == '{"received": true}'
    assert standin.deliveries == [delivery]

    unreachable = standin.deliver(event, "http://127.0.0.1:9/nowhere")
    assert (unreachable.status, unreachable.ok) == (0, False)
    assert unreachable.error
    with pytest.raises(ValueError):
        standin.deliver(event, "http://example.com/webhooks")
    with pytest.raises(ValueError):
        standin.deliver(event)  # no webhook_url set


# --- the hosted checkout page --------------------------------------------------------------------------------------


async def test_checkout_page_pays_delivers_then_redirects(
    standin: StripeStandIn, client: stripe.StripeClient, receiver: Receiver
) -> None:
    standin.webhook_url = receiver.url
    session = await create(client)

    with httpx.Client(trust_env=False) as browser:
        page = browser.get(session.url)
        assert page.status_code == 200
        assert "EUR 25.00" in page.text
        assert ">Pay</button>" in page.text
        assert "Invoice &lt;INV-7&gt; &amp; co" in page.text
        assert '<a href="http://portico.test/cancelled?x=1&amp;y=2">Cancel</a>' in page.text

        paid = browser.post(session.url)
        assert paid.status_code == 303
        assert paid.headers["Location"] == f"http://portico.test/paid?session={session.id}"

        assert browser.get(session.url).status_code == 410
        assert browser.post(session.url).status_code == 410
        assert browser.get(f"{standin.url}/pay/cs_test_unknown").status_code == 404

    [(headers, body)] = receiver.received  # delivered before the redirect was answered
    event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], standin.webhook_secret, tolerance=300)
    assert event.type == "checkout.session.completed"
    assert event.data.object.id == session.id
    assert event.data.object.payment_status == "paid"
    assert json.loads(body)["data"]["object"]["metadata"]["invoice_id"] == "42"
    [delivery] = standin.deliveries
    assert (delivery.status, delivery.event_id) == (200, event.id)
    assert standin.sessions[session.id]["status"] == "complete"


async def test_checkout_page_for_an_expired_session(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    session = await create(client)
    standin.expire(session.id)
    with httpx.Client(trust_env=False) as browser:
        assert browser.get(f"{standin.url}/pay/{session.id}").status_code == 410
    assert standin.deliveries == []


# --- plumbing --------------------------------------------------------------------------------------------------------


def test_decode_form_reads_stripe_encoding() -> None:
    pairs = [
        ("line_items[0][price_data][unit_amount]", "100"),
        ("line_items[0][quantity]", "1"),
        ("line_items[1][quantity]", "2"),
        ("metadata[invoice_id]", "42"),
        ("expand[0]", "payment_intent"),
        ("also[]", "a"),
        ("also[]", "b"),
    ]
    assert decode_form(pairs) == {
        "line_items": [{"price_data": {"unit_amount": "100"}, "quantity": "1"}, {"quantity": "2"}],
        "metadata": {"invoice_id": "42"},
        "expand": ["payment_intent"],
        "also": ["a", "b"],
    }


def test_start_standin_and_reset() -> None:
    standin = start_standin()
    try:
        assert standin.url.startswith("http://127.0.0.1:")
        standin.webhook_url = "http://127.0.0.1:1/hook"
        assert httpx.get(f"{standin.url}/v1/balance", trust_env=False).status_code == 401
        standin.fail_next()
        standin.reset()
        assert (standin.requests, standin.sessions, standin.webhook_url) == ([], {}, "http://127.0.0.1:1/hook")
        answer = httpx.get(
            f"{standin.url}/v1/balance", headers={"Authorization": f"Bearer {standin.secret_key}"}, trust_env=False
        )
        assert answer.status_code == 200  # the pending failure went with reset()
    finally:
        standin.stop()
    standin.stop()  # twice is fine


# --- Connect -------------------------------------------------------------------------------------------------------

ACCOUNT_ID = re.compile(r"^acct_[A-Za-z0-9]{16}$")


def browse(method: str, url: str) -> tuple[int, dict[str, str], str]:
    """One request the way a browser without redirect-following would make it: status, headers, body."""
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1" and parts.port is not None
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, parts.path, body=b"" if method == "POST" else None)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


async def create_on(
    client: stripe.StripeClient, account: str | None, key: str | None = None, params: SessionCreateParams | None = None
) -> Any:
    options: RequestOptions = {"idempotency_key": key or f"key-{account}"}
    if account is not None:
        options["stripe_account"] = account
    return await client.v1.checkout.sessions.create_async(params or session_params(), options=options)


async def link_for(client: stripe.StripeClient, account: str) -> Any:
    return await client.v1.account_links.create_async(
        {
            "account": account,
            "refresh_url": "http://portico.test/connect/refresh",
            "return_url": "http://portico.test/connect/done",
            "type": "account_onboarding",
        }
    )


async def test_accounts_create_and_retrieve(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    created = await client.v1.accounts.create_async(
        {
            "type": "express",
            "country": "us",
            "email": "agency@example.com",
            "business_profile": {"name": "Acme Studio", "url": "https://acme.example"},
            "metadata": {"organization": "acme"},
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        },
        options={"idempotency_key": "acct-1"},
    )
    data = created.to_dict()
    assert isinstance(created, stripe.Account)
    assert ACCOUNT_ID.match(data["id"])
    assert (data["object"], data["type"], data["country"], data["default_currency"]) == (
        "account",
        "express",
        "US",
        "usd",
    )
    assert (data["charges_enabled"], data["payouts_enabled"], data["details_submitted"]) == (False, False, False)
    assert data["requirements"]["currently_due"]
    assert data["requirements"]["disabled_reason"] == "requirements.past_due"
    assert data["business_profile"]["name"] == "Acme Studio"
    assert data["metadata"] == {"organization": "acme"}
    assert data["capabilities"] == {"card_payments": "inactive", "transfers": "inactive"}
    assert data["controller"]["stripe_dashboard"] == {"type": "express"}
    assert standin.accounts[data["id"]]["email"] == "agency@example.com"

    again = await client.v1.accounts.create_async(
        {
            "type": "express",
            "country": "us",
            "email": "agency@example.com",
            "business_profile": {"name": "Acme Studio", "url": "https://acme.example"},
            "metadata": {"organization": "acme"},
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        },
        options={"idempotency_key": "acct-1"},
    )
    assert again.id == created.id and len(standin.accounts) == 1

    fetched = await client.v1.accounts.retrieve_async(created.id)
    assert fetched.to_dict() == data

    by_controller = await client.v1.accounts.create_async(
        {"controller": {"stripe_dashboard": {"type": "none"}, "requirement_collection": "application"}}
    )
    assert by_controller.controller is not None and by_controller.controller.requirement_collection == "application"
    assert by_controller.type == "none"


async def test_unknown_account_is_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.accounts.retrieve_async("acct_x")
    assert (raised.value.http_status, raised.value.code, raised.value.param) == (404, "resource_missing", "account")
    assert raised.value.user_message == "No such account: 'acct_x'"


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"type": "standard", "colour": "blue"}, "colour"),
        ({"type": "platinum"}, "type"),
        ({"type": "standard", "business_profile": {"nickname": "x"}}, "business_profile[nickname]"),
        ({"type": "standard", "controller": {"fees": {"payer": "account"}}}, "controller"),
        ({"type": "standard", "email": "nope"}, "email"),
    ],
)
async def test_account_create_validates(
    standin: StripeStandIn, client: stripe.StripeClient, params: dict[str, Any], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.accounts.create_async(cast(AccountCreateParams, params))
    assert (raised.value.http_status, raised.value.param) == (400, param)
    assert standin.accounts == {}
    if param == "colour":
        assert "Received unknown parameter" in str(raised.value.user_message)


def test_create_and_update_account_helpers(standin: StripeStandIn) -> None:
    ready = standin.create_account(email="a@example.com", business_name="Acme")
    pending = standin.create_account(charges_enabled=False, payouts_enabled=False, details_submitted=False)
    assert ACCOUNT_ID.match(ready) and ACCOUNT_ID.match(pending)
    assert standin.requests == []  # no API call

    enabled = standin.accounts[ready]
    assert (enabled["charges_enabled"], enabled["email"], enabled["business_profile"]["name"]) == (
        True,
        "a@example.com",
        "Acme",
    )
    assert enabled["requirements"]["currently_due"] == [] and enabled["requirements"]["disabled_reason"] is None
    owing = standin.accounts[pending]["requirements"]
    assert owing["currently_due"] == ["business_profile.url", "external_account", "tos_acceptance.date"]
    assert owing["disabled_reason"] == "requirements.past_due"

    updated = standin.update_account(ready, charges_enabled=False, requirements={"currently_due": ["x"]})
    assert updated["charges_enabled"] is False and standin.accounts[ready]["requirements"] == {"currently_due": ["x"]}
    updated["email"] = "changed@example.com"  # a copy
    assert standin.accounts[ready]["email"] == "a@example.com"
    with pytest.raises(ValueError):
        standin.update_account(ready, charges_enabld=True)
    with pytest.raises(KeyError):
        standin.update_account("acct_missing", charges_enabled=True)


async def test_sessions_are_scoped_to_their_account(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    a, b = standin.create_account(), standin.create_account()
    on_a = await create_on(client, a)
    on_platform = await create_on(client, None)
    assert standin.account_of(on_a.id) == a
    assert standin.account_of(on_platform.id) is None
    assert "account" not in standin.sessions[on_a.id]

    found = await client.v1.checkout.sessions.retrieve_async(on_a.id, options={"stripe_account": a})
    assert found.id == on_a.id
    for elsewhere in ({"stripe_account": b}, {}):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            await client.v1.checkout.sessions.retrieve_async(on_a.id, options=cast(RequestOptions, elsewhere))
        assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")
        assert raised.value.user_message == f"No such checkout.session: '{on_a.id}'"
        with pytest.raises(stripe.InvalidRequestError):
            await client.v1.checkout.sessions.expire_async(on_a.id, options=cast(RequestOptions, elsewhere))
    with pytest.raises(stripe.InvalidRequestError):
        await client.v1.checkout.sessions.retrieve_async(on_platform.id, options={"stripe_account": a})
    assert standin.sessions[on_a.id]["status"] == "open"

    expired = await client.v1.checkout.sessions.expire_async(on_a.id, options={"stripe_account": a})
    assert expired.status == "expired"

    recorded = [r.stripe_account for r in standin.requests]
    assert recorded[:2] == [a, None]
    assert recorded[-1] == a


async def test_idempotency_keys_are_scoped_to_the_account(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    a = standin.create_account()
    # The same parameters each time: a replay's must match, and session_params() reads the clock (expires_at).
    params = session_params()
    first = await create_on(client, a, "same", params)
    other = await create_on(client, None, "same", params)
    replay = await create_on(client, a, "same", params)
    assert other.id != first.id and replay.id == first.id
    assert [r.replayed for r in standin.requests] == [False, False, True]


async def test_unknown_stripe_account_header_is_forbidden(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.PermissionError) as raised:
        await create_on(client, "acct_x")
    assert raised.value.http_status == 403
    error = cast(dict[str, Any], raised.value.json_body)["error"]  # the library's PermissionError leaves .code unset
    assert (error["type"], error["code"]) == ("invalid_request_error", "account_invalid")
    message = str(raised.value.user_message)
    assert "does not have access to account 'acct_x'" in message
    assert standin.secret_key not in message  # masked, as Stripe does
    assert standin.sessions == {}
    [request] = standin.requests
    assert (request.status, request.stripe_account) == (403, "acct_x")


async def test_sessions_need_a_charges_enabled_account(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    pending = standin.create_account(charges_enabled=False, details_submitted=False)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await create_on(client, pending)
    assert raised.value.http_status == 400
    assert "charges are not enabled" in str(raised.value.user_message)
    assert standin.sessions == {}


async def test_connect_events_carry_the_account_and_the_connect_signature(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    a = standin.create_account()
    on_a, on_platform = await create_on(client, a), await create_on(client, None)
    standin.complete(on_a.id)
    standin.complete(on_platform.id)

    connect = standin.event("checkout.session.completed", on_a.id, metadata={"invoice_id": "9"})
    assert connect["account"] == a and connect["data"]["object"]["metadata"] == {"invoice_id": "9"}
    body, headers = standin.signed(connect)
    verified = stripe.Webhook.construct_event(
        body, headers["Stripe-Signature"], standin.connect_webhook_secret, tolerance=300
    )
    assert verified.account == a
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], standin.webhook_secret, tolerance=300)

    platform = standin.event("checkout.session.completed", on_platform.id)
    assert "account" not in platform
    body, headers = standin.signed(platform)
    stripe.Webhook.construct_event(body, headers["Stripe-Signature"], standin.webhook_secret, tolerance=300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], standin.connect_webhook_secret, tolerance=300)

    assert standin.event("checkout.session.completed", on_a.id, account="acct_forged")["account"] == "acct_forged"
    assert "account" not in standin.event("checkout.session.completed", on_a.id, account=None)
    assert standin.event("checkout.session.completed", on_platform.id, account=a)["account"] == a
    _, explicit = standin.signed(connect, secret=standin.webhook_secret)
    body = standin.signed(connect)[0]
    stripe.Webhook.construct_event(body, explicit["Stripe-Signature"], standin.webhook_secret, tolerance=300)

    updated = standin.account_event(a)
    assert (updated["type"], updated["account"], updated["data"]["object"]["id"]) == ("account.updated", a, a)
    assert updated["data"]["previous_attributes"] == {}
    custom = StripeStandIn(connect_webhook_secret="whsec_other_connect")
    assert custom.connect_webhook_secret == "whsec_other_connect"


async def test_checkout_page_names_the_payee_and_delivers_connect_events(
    standin: StripeStandIn, client: stripe.StripeClient, receiver: Receiver
) -> None:
    named, unnamed = standin.create_account(business_name="Acme <Studio>"), standin.create_account()
    on_named, on_unnamed, on_platform = (
        await create_on(client, named),
        await create_on(client, unnamed),
        await create_on(client, None),
    )
    assert '<p id="payee">Paying Acme &lt;Studio&gt;</p>' in browse("GET", on_named.url)[2]
    assert f'<p id="payee">Paying {unnamed}</p>' in browse("GET", on_unnamed.url)[2]
    assert '<p id="payee">Paying the platform account</p>' in browse("GET", on_platform.url)[2]

    standin.webhook_url = receiver.url
    status, headers, _ = browse("POST", on_named.url)
    assert (status, headers["Location"]) == (303, f"http://portico.test/paid?session={on_named.id}")
    [(sent, body)] = receiver.received
    event = stripe.Webhook.construct_event(body, sent["Stripe-Signature"], standin.connect_webhook_secret, 300)
    assert (event.type, event.account, event.data.object.id) == ("checkout.session.completed", named, on_named.id)


async def test_account_link_onboarding_round_trip(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    account = await client.v1.accounts.create_async({"type": "standard"})
    link = await link_for(client, account.id)
    assert (link.object, link.expires_at - link.created) == ("account_link", 300)
    assert link.url.startswith(f"{standin.url}/connect/onboard/")
    [stored] = standin.account_links.values()
    assert (stored["account"], stored["type"], stored["used"]) == (account.id, "account_onboarding", False)

    status, _, page = browse("GET", link.url)
    assert status == 200
    assert "<title>Stripe onboarding" in page and account.id in page
    assert '<form method="post"' in page and 'id="finish-onboarding">Finish onboarding</button>' in page

    status, headers, _ = browse("POST", link.url)
    assert (status, headers["Location"]) == (303, "http://portico.test/connect/done")
    onboarded = await client.v1.accounts.retrieve_async(account.id)
    assert (onboarded.charges_enabled, onboarded.payouts_enabled, onboarded.details_submitted) == (True, True, True)
    assert onboarded.requirements is not None and onboarded.requirements.currently_due == []
    assert standin.deliveries == []  # no webhook_url

    for method in ("GET", "POST"):  # used up: Stripe sends the visitor off for a fresh link
        status, headers, _ = browse(method, link.url)
        assert (status, headers["Location"]) == (303, "http://portico.test/connect/refresh")
    assert browse("GET", f"{standin.url}/connect/onboard/nope")[0] == 404


async def test_expired_account_link_redirects_to_refresh(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    now = [time.time()]
    standin.clock = lambda: now[0]
    pending = standin.create_account(charges_enabled=False, details_submitted=False)
    link = await link_for(client, pending)
    now[0] += 301
    for method in ("GET", "POST"):
        status, headers, _ = browse(method, link.url)
        assert (status, headers["Location"]) == (303, "http://portico.test/connect/refresh")
    assert standin.accounts[pending]["charges_enabled"] is False
    with pytest.raises(ValueError):
        standin.finish_onboarding(link.url)


async def test_onboarding_delivers_account_updated(
    standin: StripeStandIn, client: stripe.StripeClient, receiver: Receiver
) -> None:
    standin.webhook_url = receiver.url
    pending = standin.create_account(charges_enabled=False, payouts_enabled=False, details_submitted=False)
    link = await link_for(client, pending)
    assert browse("POST", link.url)[0] == 303

    [(headers, body)] = receiver.received  # delivered before the redirect was answered
    event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], standin.connect_webhook_secret, 300)
    assert (event.type, event.account) == ("account.updated", pending)
    assert event.data.object.charges_enabled is True
    assert json.loads(body)["data"]["previous_attributes"] == {}
    [delivery] = standin.deliveries
    assert (delivery.type, delivery.status) == ("account.updated", 200)


async def test_finish_onboarding_helper(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    pending = standin.create_account(charges_enabled=False, details_submitted=False)
    by_url, by_id = await link_for(client, pending), await link_for(client, pending)
    assert standin.finish_onboarding(by_url.url) == "http://portico.test/connect/done"
    assert standin.accounts[pending]["charges_enabled"] is True
    with pytest.raises(ValueError):
        standin.finish_onboarding(by_url.url)  # used
    assert standin.finish_onboarding(by_id.url.rsplit("/", 1)[1]) == "http://portico.test/connect/done"
    with pytest.raises(KeyError):
        standin.finish_onboarding("nope")


@pytest.mark.parametrize(
    ("overrides", "param", "code"),
    [
        ({"account": "acct_missing"}, "account", "resource_missing"),
        ({"refresh_url": "not a url"}, "refresh_url", "url_invalid"),
        ({"return_url": None}, "return_url", "parameter_missing"),
        ({"type": "account_party"}, "type", None),
        ({"colour": "blue"}, "colour", "parameter_unknown"),
    ],
)
async def test_account_link_create_validates(
    standin: StripeStandIn, client: stripe.StripeClient, overrides: dict[str, Any], param: str, code: str | None
) -> None:
    account = standin.create_account()
    params = {
        "account": account,
        "refresh_url": "http://portico.test/connect/refresh",
        "return_url": "http://portico.test/connect/done",
        "type": "account_onboarding",
        **overrides,
    }
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.account_links.create_async(cast(AccountLinkCreateParams, params))
    assert (raised.value.http_status, raised.value.param, raised.value.code) == (400, param, code)
    assert standin.account_links == {}


async def test_paid_sessions_grow_their_accounts_balance(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    a, b = standin.create_account(), standin.create_account()
    paid, clearing, on_platform = (
        await create_on(client, a, "1"),
        await create_on(client, a, "2"),
        await create_on(client, None),
    )
    standin.complete(paid.id)
    assert standin.balance_of(a) == {"eur": 2500}
    standin.complete(clearing.id, payment_status="unpaid")
    assert standin.balance_of(a) == {"eur": 2500}  # not yet cleared
    standin.succeed_async(clearing.id)
    assert standin.balance_of(a) == {"eur": 5000}
    assert standin.balance_of(b) == {} and standin.balance_of(None) == {}

    balance = (await client.v1.balance.retrieve_async(options={"stripe_account": a})).to_dict()
    assert balance["pending"] == [{"amount": 5000, "currency": "eur", "source_types": {"card": 5000}}]
    assert balance["available"] == [{"amount": 0, "currency": "eur", "source_types": {"card": 0}}]
    platform = (await client.v1.balance.retrieve_async()).to_dict()
    assert platform["pending"] == [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]

    standin.complete(on_platform.id, amount_total=700, currency="USD")
    assert standin.balance_of(None) == {"usd": 700}
    assert standin.balance_of(a) == {"eur": 5000}


async def test_reset_forgets_connect_state(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    a = standin.create_account()
    session = await create_on(client, a)
    await link_for(client, a)
    standin.complete(session.id)
    standin.reset()
    assert (standin.accounts, standin.account_links, standin.session_accounts) == ({}, {}, {})
    assert standin.balance_of(a) == {}


def test_unrecognized_urls_say_what_is_implemented(standin: StripeStandIn) -> None:
    answer = httpx.get(
        f"{standin.url}/v1/customers", headers={"Authorization": f"Bearer {standin.secret_key}"}, trust_env=False
    )
    assert answer.status_code == 404
    message = answer.json()["error"]["message"]
    assert "Unrecognized request URL (GET: /v1/customers)" in message
    assert "account create and retrieve" in message and "account link create" in message
    assert "subscription retrieve, update and cancel" in message and "invoice retrieve" in message


# --- subscriptions -------------------------------------------------------------------------------------------------

RETAINER = {
    "quantity": 1,
    "price_data": {
        "currency": "usd",
        "unit_amount": 5000,
        "recurring": {"interval": "month"},
        "product_data": {"name": "Retainer"},
    },
}
JAN_31 = int(datetime(2026, 1, 31, 12, tzinfo=UTC).timestamp())
FEB_28 = int(datetime(2026, 2, 28, 12, tzinfo=UTC).timestamp())
MAR_31 = int(datetime(2026, 3, 31, 12, tzinfo=UTC).timestamp())
APR_30 = int(datetime(2026, 4, 30, 12, tzinfo=UTC).timestamp())


def subscription_params(**overrides: Any) -> SessionCreateParams:
    """A monthly retainer, the way the app would start one; overrides may break Stripe's types on purpose."""
    return cast(
        SessionCreateParams,
        {
            "mode": "subscription",
            "line_items": [RETAINER],
            "subscription_data": {"metadata": {"k": "v"}, "description": "Monthly retainer"},
            "metadata": {"organization": "acme"},
            "success_url": SUCCESS_URL,
            "cancel_url": "http://portico.test/cancelled",
            "customer_email": "payer@example.com",
            **overrides,
        },
    )


def retainer(**price_data: Any) -> dict[str, Any]:
    """The retainer line item with some price_data replaced (None drops a key)."""
    merged = {**cast(dict[str, Any], RETAINER["price_data"]), **price_data}
    return {"quantity": 1, "price_data": {k: v for k, v in merged.items() if v is not None}}


def on(account: str | None, key: str | None = None) -> RequestOptions:
    options: RequestOptions = {}
    if account is not None:
        options["stripe_account"] = account
    if key is not None:
        options["idempotency_key"] = key
    return options


async def start_subscription(client: stripe.StripeClient, account: str | None, **overrides: Any) -> Any:
    return await client.v1.checkout.sessions.create_async(subscription_params(**overrides), options=on(account))


async def subscribe(standin: StripeStandIn, client: stripe.StripeClient, account: str | None) -> tuple[str, str]:
    """A completed subscription session on `account`: (session id, subscription id)."""
    session = await start_subscription(client, account)
    standin.complete(session.id)
    subscription_id = standin.subscription_of(session.id)
    assert subscription_id is not None
    return session.id, subscription_id


async def test_subscription_session_answers_like_stripe(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    a = standin.create_account(business_name="Acme")
    session = await start_subscription(client, a)

    data = session.to_dict()
    assert (data["mode"], data["status"], data["payment_status"]) == ("subscription", "open", "unpaid")
    assert (data["payment_intent"], data["subscription"], data["invoice"], data["customer"]) == (None,) * 4
    assert data["amount_total"] == 5000 and data["currency"] == "usd"
    assert "subscription_data" not in data and standin.account_of(session.id) == a
    assert standin.subscription_of(session.id) is None
    request = standin.requests[-1]
    assert request.params["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}
    assert request.params["subscription_data"]["metadata"] == {"k": "v"}

    status, _, page = browse("GET", session.url)
    assert status == 200
    assert '<strong id="amount">USD 50.00</strong> <span id="interval">per month</span>' in page
    assert 'id="pay">Subscribe</button>' in page

    yearly = retainer(recurring={"interval": "year"})
    quarterly = retainer(recurring={"interval": "month", "interval_count": 3})
    assert "per year" in browse("GET", (await start_subscription(client, a, line_items=[yearly])).url)[2]
    assert "every 3 months" in browse("GET", (await start_subscription(client, a, line_items=[quarterly])).url)[2]
    assert "per month" not in browse("GET", (await create_on(client, a)).url)[2]  # payment mode as before


@pytest.mark.parametrize(
    ("overrides", "param", "message"),
    [
        ({"line_items": [retainer(recurring=None)]}, "mode", "at least one recurring price in `subscription` mode"),
        (
            {"line_items": [RETAINER, retainer(recurring=None)]},
            "line_items[1][price_data][recurring]",
            "only recurring prices",
        ),
        (
            {"line_items": [retainer(recurring={"interval_count": 2})]},
            "line_items[0][price_data][recurring][interval]",
            None,
        ),
        (
            {"line_items": [retainer(recurring={"interval": "fortnight"})]},
            "line_items[0][price_data][recurring][interval]",
            None,
        ),
        (
            {"line_items": [retainer(recurring={"interval": "month", "interval_count": 0})]},
            "line_items[0][price_data][recurring][interval_count]",
            None,
        ),
        (
            {"line_items": [retainer(recurring={"interval": "month", "interval_count": 37})]},
            "line_items[0][price_data][recurring][interval_count]",
            "three years",
        ),
        (
            {"line_items": [retainer(recurring={"interval": "month", "usage_type": "metered"})]},
            "line_items[0][price_data][recurring][usage_type]",
            "Received unknown parameter",
        ),
        (
            {"line_items": [RETAINER, retainer(recurring={"interval": "year"})]},
            "line_items",
            "same `recurring.interval`",
        ),
        ({"subscription_data": {"trial_period_days": 7}}, "subscription_data[trial_period_days]", "does not model"),
        ({"subscription_data": {"colour": "blue"}}, "subscription_data[colour]", "Received unknown parameter"),
        ({"subscription_data": {"metadata": {"k" * 41: "v"}}}, "subscription_data[metadata]", None),
        ({"payment_intent_data": {"metadata": {"a": "b"}}}, "payment_intent_data", "in `subscription` mode"),
        ({"customer": "cus_missing", "customer_email": None}, "customer", "No such customer: 'cus_missing'"),
        ({"mode": "payment"}, "line_items[0][price_data][recurring]", "passed a recurring price"),
        (
            {"mode": "payment", "line_items": [retainer(recurring=None)]},
            "subscription_data",
            "in `payment` mode",
        ),
        ({"mode": "setup"}, "mode", None),
    ],
)
async def test_subscription_session_validates_like_stripe(
    standin: StripeStandIn, client: stripe.StripeClient, overrides: dict[str, Any], param: str, message: str | None
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await start_subscription(client, None, **overrides)
    assert (raised.value.http_status, raised.value.param) == (400, param)
    if message is not None:
        assert message in str(raised.value.user_message)
    assert standin.sessions == {}


async def test_completing_makes_a_customer_a_subscription_and_a_paid_invoice(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    standin.clock = lambda: JAN_31
    a = standin.create_account()
    session_id, subscription_id = await subscribe(standin, client, a)

    session = await client.v1.checkout.sessions.retrieve_async(session_id, options=on(a))
    invoice_id = standin.latest_invoice_of(subscription_id)
    assert (session.status, session.payment_status, session.payment_intent) == ("complete", "paid", None)
    assert (session.subscription, session.invoice) == (subscription_id, invoice_id)
    assert session.customer_details is not None and session.customer_details.email == "payer@example.com"
    customer_id = session.customer
    assert isinstance(customer_id, str) and customer_id.startswith("cus_")
    assert standin.customers[customer_id] == {
        "id": customer_id,
        "object": "customer",
        "created": JAN_31,
        "email": "payer@example.com",
        "livemode": False,
        "metadata": {},
        "name": "Stand-in Payer",
    }
    owners = (standin.customer_accounts, standin.subscription_accounts, standin.invoice_accounts)
    assert [owner[key] for owner, key in zip(owners, (customer_id, subscription_id, invoice_id), strict=True)] == [
        a
    ] * 3

    subscription = await client.v1.subscriptions.retrieve_async(subscription_id, options=on(a))
    assert isinstance(subscription, stripe.Subscription)
    data = subscription.to_dict()
    assert subscription_id.startswith("sub_")
    assert (data["status"], data["customer"], data["latest_invoice"], data["currency"]) == (
        "active",
        customer_id,
        invoice_id,
        "usd",
    )
    assert (data["metadata"], data["description"]) == ({"k": "v"}, "Monthly retainer")
    assert (data["cancel_at_period_end"], data["cancel_at"], data["canceled_at"], data["ended_at"]) == (
        False,
        None,
        None,
        None,
    )
    assert data["created"] == data["start_date"] == JAN_31
    assert "current_period_end" not in data  # on the items in this API version
    [item] = data["items"]["data"]
    assert item["id"].startswith("si_") and item["object"] == "subscription_item" and item["quantity"] == 1
    assert (item["current_period_start"], item["current_period_end"]) == (JAN_31, FEB_28)
    price = item["price"]
    assert price["id"].startswith("price_") and price["product"].startswith("prod_")
    assert (price["object"], price["currency"], price["unit_amount"]) == ("price", "usd", 5000)
    assert price["recurring"] == {"interval": "month", "interval_count": 1}

    invoice = await client.v1.invoices.retrieve_async(invoice_id, options=on(a))
    assert isinstance(invoice, stripe.Invoice)
    shown = invoice.to_dict()
    assert invoice_id.startswith("in_") and shown["object"] == "invoice"
    assert (shown["status"], shown["billing_reason"], shown["number"]) == (
        "paid",
        "subscription_create",
        "STANDIN-0001",
    )
    assert (shown["amount_due"], shown["amount_paid"], shown["amount_remaining"]) == (5000, 5000, 0)
    assert (shown["total"], shown["subtotal"], shown["attempt_count"]) == (5000, 5000, 1)
    assert (shown["customer"], shown["customer_email"], shown["currency"]) == (customer_id, "payer@example.com", "usd")
    assert shown["period_start"] == shown["period_end"] == shown["created"] == JAN_31
    assert (shown["hosted_invoice_url"], shown["metadata"]) == (None, {})
    assert "subscription" not in shown  # under parent in this API version
    assert shown["parent"] == {
        "type": "subscription_details",
        "subscription_details": {"subscription": subscription_id, "metadata": {"k": "v"}},
    }
    [line] = shown["lines"]["data"]
    assert line["id"].startswith("il_") and line["object"] == "line_item"
    assert (line["amount"], line["currency"], line["quantity"]) == (5000, "usd", 1)
    assert line["period"] == {"start": JAN_31, "end": FEB_28}
    assert line["description"] == "1 × Retainer (at USD 50.00 / month)"

    expanded = await client.v1.checkout.sessions.retrieve_async(
        session_id, params={"expand": ["subscription", "invoice"]}, options=on(a)
    )
    assert isinstance(expanded.subscription, stripe.Subscription) and expanded.subscription.id == subscription_id
    assert isinstance(expanded.invoice, stripe.Invoice) and expanded.invoice.id == invoice_id
    with_invoice = await client.v1.subscriptions.retrieve_async(
        subscription_id, params={"expand": ["latest_invoice"]}, options=on(a)
    )
    assert isinstance(with_invoice.latest_invoice, stripe.Invoice)
    assert with_invoice.latest_invoice.to_dict() == shown

    assert standin.balance_of(a) == {"usd": 5000} and standin.balance_of(None) == {}


async def test_a_later_session_may_reuse_the_customer(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    a, b = standin.create_account(), standin.create_account()
    first, _ = await subscribe(standin, client, a)
    customer = standin.sessions[first]["customer"]
    standin.customers[customer]["email"] = "billing@example.com"
    again = await start_subscription(client, a, customer=customer, customer_email=None)
    assert again.customer == customer
    assert standin.complete(again.id)["customer_details"]["email"] == "billing@example.com"
    second = standin.subscriptions[standin.subscription_of(again.id) or ""]
    assert second["customer"] == customer and len(standin.customers) == 1
    with pytest.raises(stripe.InvalidRequestError) as raised:  # a customer belongs to its account
        await start_subscription(client, b, customer=customer, customer_email=None)
    assert (raised.value.param, raised.value.code) == ("customer", "resource_missing")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await start_subscription(client, a, customer=customer)
    assert raised.value.param == "customer_email"


async def test_subscriptions_and_invoices_are_scoped_to_their_account(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    a, b = standin.create_account(), standin.create_account()
    _, subscription_id = await subscribe(standin, client, a)
    invoice_id = standin.latest_invoice_of(subscription_id)

    for elsewhere in (on(b), on(None)):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            await client.v1.subscriptions.retrieve_async(subscription_id, options=elsewhere)
        assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")
        assert raised.value.user_message == f"No such subscription: '{subscription_id}'"
        with pytest.raises(stripe.InvalidRequestError) as raised:
            await client.v1.invoices.retrieve_async(invoice_id, options=elsewhere)
        assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")
        assert raised.value.user_message == f"No such invoice: '{invoice_id}'"
        with pytest.raises(stripe.InvalidRequestError):
            await client.v1.subscriptions.update_async(
                subscription_id, {"cancel_at_period_end": True}, options=elsewhere
            )
        with pytest.raises(stripe.InvalidRequestError):
            await client.v1.subscriptions.cancel_async(subscription_id, options=elsewhere)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.subscriptions.retrieve_async("sub_missing", options=on(a))
    assert raised.value.http_status == 404
    assert standin.subscriptions[subscription_id]["status"] == "active"
    assert standin.subscriptions[subscription_id]["cancel_at_period_end"] is False


async def test_update_sets_cancel_at_period_end_and_metadata(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    standin.clock = lambda: JAN_31
    a = standin.create_account()
    _, subscription_id = await subscribe(standin, client, a)
    standin.clock = lambda: JAN_31 + 60

    params: SubscriptionUpdateParams = {"cancel_at_period_end": True, "metadata": {"k": "", "plan": "gold"}}
    updated = await client.v1.subscriptions.update_async(subscription_id, params, options=on(a, "cancel-1"))
    assert isinstance(updated, stripe.Subscription)
    assert (updated.status, updated.cancel_at_period_end, updated.cancel_at) == ("active", True, FEB_28)
    assert updated.canceled_at == JAN_31 + 60  # Stripe stamps the request's time, not the period end
    assert updated.to_dict()["metadata"] == {"plan": "gold"}
    assert standin.requests[-1].params == {"cancel_at_period_end": "true", "metadata": {"k": "", "plan": "gold"}}

    replay = await client.v1.subscriptions.update_async(subscription_id, params, options=on(a, "cancel-1"))
    assert replay.last_response is not None and replay.last_response.headers["Idempotent-Replayed"] == "true"
    assert replay.to_dict() == updated.to_dict()

    undone = await client.v1.subscriptions.update_async(
        subscription_id, {"cancel_at_period_end": False, "expand": ["latest_invoice"]}, options=on(a)
    )
    assert (undone.cancel_at_period_end, undone.cancel_at, undone.canceled_at) == (False, None, None)
    assert isinstance(undone.latest_invoice, stripe.Invoice)
    assert standin.subscriptions[subscription_id]["latest_invoice"] == undone.latest_invoice.id

    for bad, param, text in [
        ({"colour": "blue"}, "colour", "Received unknown parameter"),
        ({"proration_behavior": "none"}, "proration_behavior", "does not model"),
        ({"cancel_at_period_end": "maybe"}, "cancel_at_period_end", "Invalid boolean"),
    ]:
        with pytest.raises(stripe.InvalidRequestError) as raised:
            await client.v1.subscriptions.update_async(
                subscription_id, cast(SubscriptionUpdateParams, bad), options=on(a)
            )
        assert (raised.value.http_status, raised.value.param) == (400, param)
        assert text in str(raised.value.user_message)
    cleared = await client.v1.subscriptions.update_async(subscription_id, {"metadata": ""}, options=on(a))
    assert cleared.to_dict()["metadata"] == {}


async def test_delete_cancels_at_once(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    a = standin.create_account()
    _, subscription_id = await subscribe(standin, client, a)
    standin.clock = lambda: JAN_31

    canceled = await client.v1.subscriptions.cancel_async(
        subscription_id, {"cancellation_details": {"feedback": "too_expensive"}}, options=on(a)
    )
    assert isinstance(canceled, stripe.Subscription)
    assert (canceled.status, canceled.canceled_at, canceled.ended_at) == ("canceled", JAN_31, JAN_31)
    assert canceled.cancellation_details is not None
    assert (canceled.cancellation_details.feedback, canceled.cancellation_details.reason) == (
        "too_expensive",
        "cancellation_requested",
    )
    assert standin.requests[-1].method == "DELETE"

    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.subscriptions.update_async(subscription_id, {"cancel_at_period_end": True}, options=on(a))
    assert raised.value.http_status == 400
    assert raised.value.user_message == "A canceled subscription can only update its cancellation_details and metadata."
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.subscriptions.cancel_async(subscription_id, options=on(a))
    assert raised.value.http_status == 400
    relabelled = await client.v1.subscriptions.update_async(subscription_id, {"metadata": {"x": "y"}}, options=on(a))
    assert relabelled.to_dict()["metadata"] == {"k": "v", "x": "y"} and relabelled.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.subscriptions.cancel_async(subscription_id, {"prorate": True}, options=on(a))
    assert raised.value.param == "prorate"
    for helper in (standin.renew, standin.cancel_now, standin.cancel_at_period_end, standin.end_period):
        with pytest.raises(ValueError):
            helper(subscription_id)


async def test_renewals_bill_each_period_and_only_paid_ones_grow_the_balance(
    standin: StripeStandIn, client: stripe.StripeClient
) -> None:
    standin.clock = lambda: JAN_31
    a = standin.create_account()
    _, subscription_id = await subscribe(standin, client, a)
    first = standin.latest_invoice_of(subscription_id)
    assert standin.balance_of(a) == {"usd": 5000}

    paid = standin.renew(subscription_id)
    assert paid["id"] != first and standin.latest_invoice_of(subscription_id) == paid["id"]
    assert (paid["status"], paid["billing_reason"], paid["number"]) == ("paid", "subscription_cycle", "STANDIN-0002")
    assert (paid["amount_due"], paid["amount_paid"], paid["amount_remaining"], paid["attempt_count"]) == (
        5000,
        5000,
        0,
        1,
    )
    # Stripe's invoice period looks back one period; the line carries the period billed.
    assert (paid["period_start"], paid["period_end"], paid["created"]) == (JAN_31, FEB_28, FEB_28)
    assert paid["lines"]["data"][0]["period"] == {"start": FEB_28, "end": MAR_31}
    assert paid["parent"]["subscription_details"]["subscription"] == subscription_id
    subscription = standin.subscriptions[subscription_id]
    assert subscription["status"] == "active" and subscription["latest_invoice"] == paid["id"]
    item = subscription["items"]["data"][0]
    assert (item["current_period_start"], item["current_period_end"]) == (FEB_28, MAR_31)  # back to the 31st
    assert standin.balance_of(a) == {"usd": 10000}
    paid["status"] = "void"  # a copy
    assert standin.invoices[paid["id"]]["status"] == "paid"

    failed = standin.renew(subscription_id, paid=False)
    assert (failed["status"], failed["amount_paid"], failed["amount_remaining"], failed["attempt_count"]) == (
        "open",
        0,
        5000,
        1,
    )
    assert failed["lines"]["data"][0]["period"] == {"start": MAR_31, "end": APR_30}
    assert standin.balance_of(a) == {"usd": 10000}
    past_due = await client.v1.subscriptions.retrieve_async(subscription_id, options=on(a))
    assert (past_due.status, past_due.latest_invoice) == ("past_due", failed["id"])
    open_invoice = await client.v1.invoices.retrieve_async(failed["id"], options=on(a))
    assert (open_invoice.status, open_invoice.amount_remaining) == ("open", 5000)

    retried = standin.pay_invoice(failed["id"])
    assert (retried["status"], retried["amount_paid"], retried["attempt_count"]) == ("paid", 5000, 2)
    assert standin.subscriptions[subscription_id]["status"] == "active"
    assert standin.balance_of(a) == {"usd": 15000}
    with pytest.raises(ValueError):
        standin.pay_invoice(failed["id"])

    standin.renew(subscription_id, paid=False)
    assert standin.subscriptions[subscription_id]["status"] == "past_due"
    standin.renew(subscription_id)
    assert standin.subscriptions[subscription_id]["status"] == "active"
    assert standin.balance_of(a) == {"usd": 20000} and standin.balance_of(None) == {}
    assert [invoice["number"] for invoice in standin.invoices.values()] == [f"STANDIN-000{n}" for n in range(1, 6)]


async def test_cancel_at_period_end_then_end_period(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    standin.clock = lambda: JAN_31
    _, subscription_id = await subscribe(standin, client, None)
    with pytest.raises(ValueError):
        standin.end_period(subscription_id)  # not set to cancel: renew() moves it on

    standin.clock = lambda: JAN_31 + 3600
    scheduled = standin.cancel_at_period_end(subscription_id)
    assert (scheduled["status"], scheduled["cancel_at"], scheduled["canceled_at"]) == ("active", FEB_28, JAN_31 + 3600)
    with pytest.raises(ValueError):
        standin.renew(subscription_id)
    assert standin.cancel_at_period_end(subscription_id, False)["cancel_at"] is None
    standin.cancel_at_period_end(subscription_id)

    ended = standin.end_period(subscription_id)
    assert (ended["status"], ended["ended_at"], ended["canceled_at"]) == ("canceled", FEB_28, JAN_31 + 3600)
    assert standin.subscriptions[subscription_id]["status"] == "canceled"
    assert len(standin.invoices) == 1

    _, other = await subscribe(standin, client, None)
    now = standin.cancel_now(other)
    assert (now["status"], now["canceled_at"], now["ended_at"]) == ("canceled", JAN_31 + 3600, JAN_31 + 3600)


async def test_subscription_and_invoice_events(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    a = standin.create_account()
    session_id, on_a = await subscribe(standin, client, a)
    _, on_platform = await subscribe(standin, client, None)
    failed = standin.renew(on_a, paid=False)

    updated = standin.subscription_event(on_a)
    assert (updated["type"], updated["account"]) == ("customer.subscription.updated", a)
    assert updated["data"]["object"]["id"] == on_a and updated["data"]["object"]["status"] == "past_due"
    assert updated["data"]["previous_attributes"] == {}
    body, headers = standin.signed(updated)
    verified = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], standin.connect_webhook_secret, 300)
    assert (verified.account, verified.data.object.id) == (a, on_a)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], standin.webhook_secret, 300)

    payment_failed = standin.invoice_event(failed["id"], "invoice.payment_failed")
    assert (payment_failed["type"], payment_failed["account"]) == ("invoice.payment_failed", a)
    assert payment_failed["data"]["object"] == standin.invoices[failed["id"]]
    payment_failed["data"]["object"]["status"] = "paid"  # a copy
    assert standin.invoices[failed["id"]]["status"] == "open"
    body, headers = standin.signed(payment_failed)
    invoice_event = stripe.Webhook.construct_event(
        body, headers["Stripe-Signature"], standin.connect_webhook_secret, 300
    )
    assert invoice_event.data.object.parent.subscription_details.subscription == on_a

    platform = standin.invoice_event(standin.latest_invoice_of(on_platform))
    assert platform["type"] == "invoice.paid" and "account" not in platform
    body, headers = standin.signed(platform)
    stripe.Webhook.construct_event(body, headers["Stripe-Signature"], standin.webhook_secret, 300)

    created = standin.subscription_event(on_platform, "customer.subscription.created")
    assert "account" not in created and "previous_attributes" not in created["data"]
    standin.cancel_now(on_platform)
    deleted = standin.subscription_event(on_platform, "customer.subscription.deleted", event_id="evt_gone")
    assert (deleted["id"], deleted["data"]["object"]["status"]) == ("evt_gone", "canceled")
    changed = standin.subscription_event(on_a, previous_attributes={"status": "active"})
    assert changed["data"]["previous_attributes"] == {"status": "active"}
    assert "account" not in standin.invoice_event(failed["id"], "invoice.finalized", account=None)
    assert standin.subscription_event(on_a, account="acct_forged")["account"] == "acct_forged"
    assert standin.invoice_event(failed["id"], "invoice.payment_succeeded", account=a)["account"] == a
    with pytest.raises(ValueError):
        standin.invoice_event(failed["id"], "customer.subscription.updated")
    with pytest.raises(ValueError):
        standin.subscription_event(on_a, "invoice.paid")
    with pytest.raises(ValueError):
        standin.subscription_event(on_a, "customer.subscription.deleted", previous_attributes={})
    with pytest.raises(KeyError):
        standin.invoice_event("in_missing")

    built = [
        updated,
        payment_failed,
        platform,
        created,
        deleted,
        changed,
        standin.event("checkout.session.completed", session_id),
        standin.account_event(a),
    ]
    stamps = [event["created"] for event in built]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)  # strictly increasing, even within a second


async def test_checkout_page_subscribes(
    standin: StripeStandIn, client: stripe.StripeClient, receiver: Receiver
) -> None:
    standin.webhook_url = receiver.url
    a = standin.create_account()
    session = await start_subscription(client, a)
    with httpx.Client(trust_env=False) as browser:
        refused = browser.post(session.url, data={"payment_status": "unpaid"})
        assert refused.status_code == 400
        assert standin.sessions[session.id]["status"] == "open"
        paid = browser.post(session.url)
    assert (paid.status_code, paid.headers["Location"]) == (303, f"http://portico.test/paid?session={session.id}")

    subscription_id = standin.subscription_of(session.id)
    assert subscription_id is not None and standin.subscriptions[subscription_id]["status"] == "active"
    [(headers, body)] = receiver.received  # the page sends checkout.session.completed only
    event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], standin.connect_webhook_secret, 300)
    assert (event.type, event.account, event.data.object.subscription) == (
        "checkout.session.completed",
        a,
        subscription_id,
    )
    assert event.data.object.invoice == standin.latest_invoice_of(subscription_id)
    assert standin.balance_of(a) == {"usd": 5000}


async def test_subscription_sessions_complete_paid_only(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    session = await start_subscription(client, None)
    with pytest.raises(ValueError):
        standin.complete(session.id, payment_status="unpaid")
    assert standin.sessions[session.id]["status"] == "open" and standin.subscriptions == {}
    with pytest.raises(KeyError):
        standin.subscription_of("cs_test_missing")
    with pytest.raises(KeyError):
        standin.renew("sub_missing")


async def test_reset_forgets_subscriptions(standin: StripeStandIn, client: stripe.StripeClient) -> None:
    a = standin.create_account()
    _, subscription_id = await subscribe(standin, client, a)
    before = standin.subscription_event(subscription_id)["created"]
    standin.reset()
    assert (standin.customers, standin.subscriptions, standin.invoices) == ({}, {}, {})
    assert (standin.customer_accounts, standin.subscription_accounts, standin.invoice_accounts) == ({}, {}, {})
    assert standin.balance_of(a) == {}
    standin.create_account()
    assert standin.account_event(next(iter(standin.accounts)))["created"] > before
    _, again = await subscribe(standin, client, None)
    assert standin.invoices[standin.latest_invoice_of(again)]["number"] == "STANDIN-0001"
