"""Over HTTP against the whole app: POST /webhooks/stripe, and Pay on the public invoice link."""

from __future__ import annotations

import time

import httpx
import pytest

from models import InvoiceStatus, StripeEvent
from portal_app.settings import Settings
from services.adapters import stripe_gateway
from services.billing import invoice_views, invoices, manual_payments
from tests.support.card_payments import attempts_of, connect, mails, new_invoice, payments_of
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import make_billing
from tests.support.stripe_standin import StripeStandIn

COMPLETED = "checkout.session.completed"


@pytest.fixture
def app_settings(app_settings: Settings, stripe_standin: StripeStandIn) -> Settings:
    return app_settings.model_copy(
        update={
            "stripe_secret_key": stripe_standin.secret_key,
            "stripe_webhook_secret": stripe_standin.webhook_secret,
            "stripe_api_base": stripe_standin.url,
            "stripe_connect_webhook_secret": stripe_standin.connect_webhook_secret,
        }
    )


@pytest.fixture
async def acme(app_client: httpx.AsyncClient, stripe_standin: StripeStandIn) -> OrgWorld:
    world = await make_world("acme")
    await connect(stripe_standin, world)
    await make_billing(world.contact.id)
    return world


async def press_pay(app_client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await app_client.post(f"/i/{token}/pay")


async def paid_session(app_client: httpx.AsyncClient, standin: StripeStandIn, token: str) -> str:
    response = await press_pay(app_client, token)
    assert response.status_code == 303, response.text
    session_id = response.headers["location"].rsplit("/", 1)[1]
    standin.complete(session_id)
    return session_id


async def post_event(app_client: httpx.AsyncClient, standin: StripeStandIn, event: dict, **signing) -> httpx.Response:
    body, headers = standin.signed(event, **signing)
    return await app_client.post("/webhooks/stripe", content=body, headers=headers)


async def test_the_public_page_offers_pay_and_sends_the_browser_to_checkout(
    app_client: httpx.AsyncClient, acme: OrgWorld, stripe_standin: StripeStandIn
) -> None:
    invoice_id = await new_invoice(acme)
    token = invoice_views.public_token(invoice_id)
    page = await app_client.get(f"/i/{token}")
    assert f'action="/i/{token}/pay"' in page.text and ">Pay</button>" in page.text

    response = await press_pay(app_client, token)
    assert response.status_code == 303
    [attempt] = await attempts_of(invoice_id)
    assert attempt.stripe_session_id is not None
    assert response.headers["location"] == stripe_standin.sessions[attempt.stripe_session_id]["url"]
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_the_webhook_pays_and_the_return_page_says_thank_you(
    app_client: httpx.AsyncClient, acme: OrgWorld, stripe_standin: StripeStandIn
) -> None:
    invoice_id = await new_invoice(acme)
    token = invoice_views.public_token(invoice_id)
    session_id = await paid_session(app_client, stripe_standin, token)

    delivered = await post_event(app_client, stripe_standin, stripe_standin.event(COMPLETED, session_id))
    assert delivered.status_code == 200 and delivered.json() == {"received": True, "result": "paid"}
    again = await post_event(app_client, stripe_standin, stripe_standin.event(COMPLETED, session_id))
    assert again.json()["result"] == "unchanged"

    page = await app_client.get(f"/i/{token}", params={"checkout": "success", "session_id": session_id})
    assert "Thank you! Your payment was received." in page.text
    assert ">Paid<" in page.text and ">Pay</button>" not in page.text
    assert len(await payments_of(invoice_id)) == 1 and len(await mails("Receipt:")) == 1


async def test_coming_back_before_the_webhook_settles_from_stripe(
    app_client: httpx.AsyncClient, acme: OrgWorld, stripe_standin: StripeStandIn
) -> None:
    invoice_id = await new_invoice(acme)
    token = invoice_views.public_token(invoice_id)
    session_id = await paid_session(app_client, stripe_standin, token)
    page = await app_client.get(f"/i/{token}", params={"checkout": "success", "session_id": session_id})
    assert "Thank you! Your payment was received." in page.text
    [payment] = await payments_of(invoice_id)
    assert payment.stripe_checkout_session_id == session_id


@pytest.mark.parametrize(
    "outcome, text",
    [
        ("cancelled", "Payment cancelled. Nothing was charged."),
        ("<script>alert(1)</script>", None),
    ],
    ids=["cancelled", "unknown"],
)
async def test_return_notices_are_fixed_texts(
    app_client: httpx.AsyncClient, acme: OrgWorld, outcome: str, text: str | None
) -> None:
    token = invoice_views.public_token(await new_invoice(acme))
    page = await app_client.get(f"/i/{token}", params={"checkout": outcome})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    if text:
        assert text in page.text


async def test_stripe_down_brings_the_payer_back_with_a_message(
    app_client: httpx.AsyncClient, acme: OrgWorld, stripe_standin: StripeStandIn
) -> None:
    invoice_id = await new_invoice(acme)
    token = invoice_views.public_token(invoice_id)
    with stripe_standin.down():
        response = await press_pay(app_client, token)
    assert response.headers["location"] == f"/i/{token}?checkout=unavailable"
    page = await app_client.get(response.headers["location"])
    assert "Card payment is unavailable right now. Nothing was charged." in page.text
    assert ">Pay</button>" in page.text  # and the payer can try again
    assert await payments_of(invoice_id) == []
    assert (await press_pay(app_client, token)).headers["location"].startswith(stripe_standin.url)


async def test_nothing_due_and_bad_tokens(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    invoice_id = await new_invoice(acme)
    await manual_payments.record_payment(acme.actor, invoice_id, manual_payments.PaymentInput(amount="120.00"))
    token = invoice_views.public_token(invoice_id)
    assert ">Pay</button>" not in (await app_client.get(f"/i/{token}")).text
    assert (await press_pay(app_client, token)).headers["location"] == f"/i/{token}?checkout=nothing_due"
    assert (await press_pay(app_client, "0" * 64)).headers["location"] == f"/i/{'0' * 64}?checkout=not_offered"
    assert (await press_pay(app_client, "not-a-token")).status_code == 404
    voided = await new_invoice(acme)
    await invoices.void_invoice(acme.actor, voided)
    void_token = invoice_views.public_token(voided)
    assert (await press_pay(app_client, void_token)).headers["location"].endswith("checkout=not_offered")
    assert await attempts_of(voided) == []


@pytest.mark.parametrize(
    "signing",
    [
        pytest.param({"secret": "whsec_forged"}, id="forged"),
        pytest.param({"age": 301 + 60}, id="stale"),
        pytest.param({"age": -3600}, id="future"),
    ],
)
async def test_bad_signatures_are_refused_with_400(
    app_client: httpx.AsyncClient, acme: OrgWorld, stripe_standin: StripeStandIn, signing: dict
) -> None:
    invoice_id = await new_invoice(acme)
    session_id = await paid_session(app_client, stripe_standin, invoice_views.public_token(invoice_id))
    if "age" in signing:  # relative to now, not to when the tests were collected
        signing = {"timestamp": int(time.time()) - signing["age"]}
    response = await post_event(app_client, stripe_standin, stripe_standin.event(COMPLETED, session_id), **signing)
    assert response.status_code == 400 and response.json() == {"detail": "The signature does not match."}
    assert await payments_of(invoice_id) == [] and await count(StripeEvent) == 0


async def test_malformed_deliveries_get_clear_answers(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    missing = await app_client.post("/webhooks/stripe", content=b"{}")
    assert missing.status_code == 400 and "Stripe-Signature" in missing.json()["detail"]
    garbage = await app_client.post("/webhooks/stripe", content=b"\x00\xff", headers={"Stripe-Signature": "t=1,v1=x"})
    assert garbage.status_code == 400
    huge = await app_client.post(
        "/webhooks/stripe", content=b"x" * (600 * 1024), headers={"Stripe-Signature": "t=1,v1=x"}
    )
    assert huge.status_code == 413
    assert await count(StripeEvent) == 0


async def test_a_partial_card_payment_shows_on_the_page(
    app_client: httpx.AsyncClient, acme: OrgWorld, stripe_standin: StripeStandIn
) -> None:
    invoice_id = await new_invoice(acme)
    token = invoice_views.public_token(invoice_id)
    response = await press_pay(app_client, token)
    session_id = response.headers["location"].rsplit("/", 1)[1]
    stripe_standin.complete(session_id, amount_total=2000)
    await post_event(app_client, stripe_standin, stripe_standin.event(COMPLETED, session_id))
    detail = await invoices.get_invoice(acme.actor, invoice_id)
    assert (detail.status, detail.amount_due_minor) == (InvoiceStatus.partially_paid, 10000)
    page = (await app_client.get(f"/i/{token}")).text
    assert "Partially paid" in page and ">Pay</button>" in page


async def test_without_a_webhook_secret_deliveries_are_asked_to_come_back(
    app_client: httpx.AsyncClient, acme: OrgWorld, stripe_standin: StripeStandIn
) -> None:
    stripe_gateway.configure(
        stripe_gateway.StripeConfig(secret_key=stripe_standin.secret_key, api_base=stripe_standin.url)
    )
    response = await app_client.post("/webhooks/stripe", content=b"{}", headers={"Stripe-Signature": "t=1,v1=x"})
    assert response.status_code == 503


async def test_no_key_no_pay_button(acme: OrgWorld, app_client: httpx.AsyncClient) -> None:
    stripe_gateway.configure(stripe_gateway.StripeConfig())
    token = invoice_views.public_token(await new_invoice(acme))
    page = (await app_client.get(f"/i/{token}")).text
    assert "/pay" not in page and ">Pay</button>" not in page
    assert (await press_pay(app_client, token)).headers["location"].endswith("checkout=not_offered")
