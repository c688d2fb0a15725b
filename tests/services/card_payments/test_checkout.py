"""Starting a card payment: the Checkout Session Stripe is asked for, and what happens when it cannot be made."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditEvent, CheckoutStatus
from services.adapters import stripe_gateway
from services.billing import manual_payments
from services.card_payments import checkout
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import NotFound
from tests.support.card_payments import Billed, attempts_of, new_invoice, payments_of
from tests.support.factories import make_world
from tests.support.invoicing import draft


def created_sessions(billed: Billed) -> list:
    return [r for r in billed.standin.requests if r.method == "POST" and r.path == "/v1/checkout/sessions"]


async def test_pay_asks_stripe_for_the_amount_due_with_the_invoice_in_metadata(billed: Billed) -> None:
    await manual_payments.record_payment(
        billed.world.actor, billed.invoice_id, manual_payments.PaymentInput(amount="20.00")
    )
    url = await checkout.start_portal_checkout(billed.contact, billed.invoice_id)

    [request] = created_sessions(billed)
    [attempt] = await attempts_of(billed.invoice_id)
    params = request.params
    assert attempt.stripe_session_id is not None
    assert url == billed.standin.sessions[attempt.stripe_session_id]["url"]
    assert params["mode"] == "payment"
    [line] = params["line_items"]
    assert line["price_data"]["unit_amount"] in (10000, "10000")
    assert line["price_data"]["currency"] == "eur"
    assert params["client_reference_id"] == str(billed.invoice_id)
    assert params["metadata"]["portico_invoice_id"] == str(billed.invoice_id)
    assert params["metadata"]["portico_org_id"] == str(billed.world.actor.org_id)
    assert params["metadata"]["portico_attempt_id"] == str(attempt.id)
    assert request.idempotency_key == attempt.idempotency_key == f"portico-checkout-{attempt.id}"
    page = f"http://portico.test/portal/acme/invoices/{billed.invoice_id}"
    assert params["success_url"] == f"{page}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}"
    assert params["cancel_url"] == f"{page}?checkout=cancelled"
    assert params["customer_email"] == billed.contact.email
    assert (attempt.status, attempt.amount_minor, attempt.currency, attempt.via) == (
        CheckoutStatus.open,
        10000,
        "EUR",
        "portal",
    )


async def test_a_second_press_offers_the_same_open_session(billed: Billed) -> None:
    first = await checkout.start_portal_checkout(billed.contact, billed.invoice_id)
    second = await checkout.start_portal_checkout(billed.contact, billed.invoice_id)
    assert first == second
    assert len(created_sessions(billed)) == 1


async def test_a_changed_amount_due_gets_a_new_session_with_its_own_key(billed: Billed) -> None:
    await checkout.start_portal_checkout(billed.contact, billed.invoice_id)
    await manual_payments.record_payment(
        billed.world.actor, billed.invoice_id, manual_payments.PaymentInput(amount="20.00")
    )
    await checkout.start_portal_checkout(billed.contact, billed.invoice_id)
    keys = [r.idempotency_key for r in created_sessions(billed)]
    assert len(keys) == 2 and len(set(keys)) == 2


async def test_the_public_link_pays_without_signing_in(billed: Billed) -> None:
    url = await checkout.start_public_checkout(billed.token, ip="203.0.113.9")
    [request] = created_sessions(billed)
    page = f"http://portico.test/i/{billed.token}"
    assert url.startswith(billed.standin.url)
    assert request.params["success_url"] == f"{page}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}"
    assert "customer_email" not in request.params
    [attempt] = await attempts_of(billed.invoice_id)
    assert attempt.via == "public" and attempt.contact_id is None


async def test_zero_decimal_currencies_are_sent_in_whole_units(billed: Billed) -> None:
    yen = await new_invoice(billed.world, "5000", currency="JPY")
    await checkout.start_portal_checkout(billed.contact, yen)
    [request] = created_sessions(billed)
    assert request.params["line_items"][0]["price_data"]["unit_amount"] in (5000, "5000")
    assert request.params["line_items"][0]["price_data"]["currency"] == "jpy"


async def test_nothing_is_offered_without_stripe_or_without_an_amount_due(billed: Billed) -> None:
    await manual_payments.record_payment(
        billed.world.actor, billed.invoice_id, manual_payments.PaymentInput(amount="120.00")
    )
    with pytest.raises(checkout.NothingDue):
        await checkout.start_portal_checkout(billed.contact, billed.invoice_id)
    with pytest.raises(checkout.NothingDue):
        await checkout.start_public_checkout(billed.token)
    open_invoice = await new_invoice(billed.world)
    stripe_gateway.configure(stripe_gateway.StripeConfig())
    assert not checkout.offered(False, checkout.InvoiceStatus.sent, 100)
    assert checkout.offered(True, checkout.InvoiceStatus.sent, 100)
    assert not checkout.offered(True, checkout.InvoiceStatus.sent, 0)
    with pytest.raises(checkout.NotOffered):
        await checkout.start_portal_checkout(billed.contact, open_invoice)
    assert created_sessions(billed) == []


async def test_drafts_and_other_clients_invoices_cannot_be_paid_from_the_portal(billed: Billed) -> None:
    unsent = await draft(billed.world.actor, billed.world.client.id, "50.00")
    with pytest.raises(NotFound):
        await checkout.start_portal_checkout(billed.contact, unsent.id)
    other = await make_world("globex")
    theirs = await new_invoice(other)
    with pytest.raises(NotFound):
        await checkout.start_portal_checkout(billed.contact, theirs)
    with pytest.raises(checkout.NotOffered):
        await checkout.start_public_checkout("0" * 64)
    assert created_sessions(billed) == [] and await attempts_of(theirs) == []


async def test_stripe_down_tells_the_payer_records_nothing_and_can_be_retried(billed: Billed) -> None:
    with billed.standin.down(), pytest.raises(checkout.PaymentUnavailable) as refused:
        await checkout.start_portal_checkout(billed.contact, billed.invoice_id)
    assert "Nothing was charged" in refused.value.message
    [failed] = await attempts_of(billed.invoice_id)
    assert failed.status == CheckoutStatus.error and "APIConnectionError" in failed.error
    assert await payments_of(billed.invoice_id) == []

    url = await checkout.start_portal_checkout(billed.contact, billed.invoice_id)
    assert url.startswith(billed.standin.url)
    statuses = sorted(a.status for a in await attempts_of(billed.invoice_id))
    assert statuses == [CheckoutStatus.error, CheckoutStatus.open]


async def test_a_wrong_key_is_an_error_staff_can_read(billed: Billed) -> None:
    billed.standin.fail_next(401, message="Invalid API Key provided: sk_test_****")
    with pytest.raises(checkout.PaymentUnavailable):
        await checkout.start_portal_checkout(billed.contact, billed.invoice_id)
    async with unit_of_work(SystemActor()) as session:
        logged = await session.scalar(select(AuditEvent).where(AuditEvent.action == "invoice.checkout_failed"))
    assert logged is not None and "Invalid API Key" in logged.detail["reason"]
    assert logged.actor_type == "portal" and logged.actor_label == billed.contact.email


async def test_attempts_per_invoice_are_bounded(billed: Billed) -> None:
    with billed.standin.down():
        for _ in range(checkout.ATTEMPT_LIMIT):
            with pytest.raises(checkout.PaymentUnavailable):
                await checkout.start_public_checkout(billed.token)
    with pytest.raises(checkout.TooManyAttempts):
        await checkout.start_public_checkout(billed.token)
    assert len(await attempts_of(billed.invoice_id)) == checkout.ATTEMPT_LIMIT
