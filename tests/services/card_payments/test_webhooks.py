"""Webhooks and the other ways a payment's outcome arrives: exactly one Payment and one receipt, whatever the order."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from models import AuditEvent, CheckoutAttempt, CheckoutStatus, Invoice, InvoiceStatus, StripeEvent
from services.adapters import stripe_gateway
from services.billing import invoices, manual_payments
from services.card_payments import checkout, webhooks
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from tests.support.card_payments import Billed, attempts_of, mails, new_invoice, payments_of, refusals_of
from tests.support.db import count
from tests.support.invoicing import set_org

COMPLETED = "checkout.session.completed"
SUCCEEDED = "checkout.session.async_payment_succeeded"
FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"


async def invoice_row(billed: Billed, invoice_id=None) -> Invoice:
    async with unit_of_work(SystemActor()) as session:
        found = await session.get(Invoice, invoice_id or billed.invoice_id)
        assert found is not None
        return found


async def audit_actions(action: str) -> list[AuditEvent]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


async def assert_paid_once(billed: Billed, amount_minor: int = 12000) -> None:
    [payment] = await payments_of(billed.invoice_id)
    assert (payment.amount_minor, payment.currency, payment.method) == (amount_minor, "EUR", "card")
    assert payment.stripe_checkout_session_id and payment.stripe_payment_intent_id
    assert len(await mails("Receipt:")) == 1
    assert len(await mails("Payment received:")) == 1
    assert len(await audit_actions("invoice.payment_received")) == 1


async def test_a_completed_checkout_pays_the_invoice_and_mails_both_receipts(billed: Billed) -> None:
    session_id = await billed.pay()
    outcome = await billed.completed(session_id)

    assert outcome.result == "paid"
    await assert_paid_once(billed)
    invoice = await invoice_row(billed)
    assert (invoice.status, invoice.amount_paid_minor) == (InvoiceStatus.paid, 12000) and invoice.paid_at
    [receipt] = await mails("Receipt:")
    assert receipt.to_addr == billed.contact.email
    assert "€120.00" in receipt.body_text and "paid in full" in receipt.body_text
    assert receipt.body_text.startswith("Hello Jane Doe,\n\n") and "€120.00" in receipt.body_html
    [agency] = await mails("Payment received:")
    assert agency.to_addr == billed.world.owner_email and billed.world.client.name in agency.body_text
    assert agency.body_text.startswith("Hello ") and billed.world.client.name in agency.body_html
    [logged] = await audit_actions("invoice.payment_received")
    assert logged.detail["stripe_session"] == session_id and logged.detail["payer"] == billed.contact.email
    assert logged.target_id == billed.invoice_id
    [attempt] = await attempts_of(billed.invoice_id)
    assert attempt.status == CheckoutStatus.paid
    assert await count(StripeEvent, StripeEvent.org_id == billed.world.actor.org_id) == 1


async def test_the_public_link_receipt_goes_to_the_billing_contacts_and_the_support_address(billed: Billed) -> None:
    await set_org(billed.world.actor.org_id, support_email="accounts@acme.test")
    url = await checkout.start_public_checkout(billed.token)
    await billed.completed(url.rsplit("/", 1)[1])
    assert [m.to_addr for m in await mails("Receipt:")] == [billed.contact.email]
    assert [m.to_addr for m in await mails("Payment received:")] == ["accounts@acme.test"]


async def test_the_same_event_ten_times_is_counted_once(billed: Billed) -> None:
    session_id = await billed.pay()
    billed.standin.complete(session_id)
    event = billed.standin.event(COMPLETED, session_id)
    results = [(await billed.deliver(event)).result for _ in range(10)]
    assert results == ["paid"] + ["duplicate"] * 9
    await assert_paid_once(billed)
    assert await count(StripeEvent) == 1


async def test_different_events_for_one_session_are_counted_once(billed: Billed) -> None:
    session_id = await billed.pay()
    await billed.completed(session_id)
    again = await billed.deliver(billed.standin.event(SUCCEEDED, session_id))
    late_expiry = await billed.deliver(billed.standin.event(EXPIRED, session_id, status="expired"))
    assert (again.result, late_expiry.result) == ("unchanged", "unchanged")
    assert (await checkout.confirm_return(session_id, invoice_id=billed.invoice_id)).result == "ignored"
    await assert_paid_once(billed)


async def test_a_bank_debit_is_pending_until_it_succeeds(billed: Billed) -> None:
    session_id = await billed.pay()
    pending = await billed.completed(session_id, payment_status="unpaid")
    assert pending.result == "pending"
    assert await payments_of(billed.invoice_id) == [] and await mails("Receipt:") == []
    assert (await invoice_row(billed)).status == InvoiceStatus.sent
    billed.standin.succeed_async(session_id)
    assert (await billed.deliver(billed.standin.event(SUCCEEDED, session_id))).result == "paid"
    await assert_paid_once(billed)


async def test_reordered_async_events_still_settle_once(billed: Billed) -> None:
    session_id = await billed.pay()
    billed.standin.complete(session_id, payment_status="unpaid")
    completed_unpaid = billed.standin.event(COMPLETED, session_id)
    billed.standin.succeed_async(session_id)
    succeeded = billed.standin.event(SUCCEEDED, session_id)
    assert (await billed.deliver(succeeded)).result == "paid"
    assert (await billed.deliver(completed_unpaid)).result == "unchanged"
    [attempt] = await attempts_of(billed.invoice_id)
    assert attempt.status == CheckoutStatus.paid
    await assert_paid_once(billed)


async def test_a_failed_bank_debit_leaves_the_invoice_open_and_says_so(billed: Billed) -> None:
    session_id = await billed.pay()
    await billed.completed(session_id, payment_status="unpaid")
    billed.standin.fail_async(session_id)
    assert (await billed.deliver(billed.standin.event(FAILED, session_id))).result == "failed"
    assert await payments_of(billed.invoice_id) == []
    assert [m.to_addr for m in await mails("Payment for invoice")] == [billed.contact.email]
    assert len(await mails("Payment failed:")) == 1
    assert (await invoice_row(billed)).status == InvoiceStatus.sent
    assert len(await audit_actions("invoice.payment_failed")) == 1
    # the payer can try again at once
    assert (await checkout.start_portal_checkout(billed.contact, billed.invoice_id)).startswith(billed.standin.url)


@pytest.mark.parametrize(
    "forgery",
    [
        pytest.param({"secret": "whsec_someone_else"}, id="wrong-secret"),
        pytest.param({"age": 400}, id="stale"),
        pytest.param({"age": -400}, id="future"),
    ],
)
async def test_forged_and_stale_signatures_change_nothing(billed: Billed, forgery: dict) -> None:
    session_id = await billed.pay()
    billed.standin.complete(session_id)
    with pytest.raises(stripe_gateway.BadSignature):
        signing = (
            {"secret": forgery["secret"]} if "secret" in forgery else {"timestamp": int(time.time()) - forgery["age"]}
        )
        await billed.deliver(billed.standin.event(COMPLETED, session_id), **signing)
    assert await payments_of(billed.invoice_id) == [] and await count(StripeEvent) == 0


async def test_a_tampered_body_changes_nothing(billed: Billed) -> None:
    session_id = await billed.pay()
    billed.standin.complete(session_id)
    body, headers = billed.standin.signed(billed.standin.event(COMPLETED, session_id))
    with pytest.raises(stripe_gateway.BadSignature):
        await webhooks.handle_webhook(body.replace(b"12000", b"99000"), headers["Stripe-Signature"])
    with pytest.raises(stripe_gateway.BadSignature):
        await webhooks.handle_webhook(body, "")
    assert await payments_of(billed.invoice_id) == [] and await count(StripeEvent) == 0


async def test_less_than_due_is_recorded_as_it_came_and_leaves_the_rest_due(billed: Billed) -> None:
    session_id = await billed.pay()
    assert (await billed.completed(session_id, amount_total=5000)).result == "paid"
    await assert_paid_once(billed, amount_minor=5000)
    invoice = await invoice_row(billed)
    assert (invoice.status, invoice.amount_paid_minor) == (InvoiceStatus.partially_paid, 5000)
    [receipt] = await mails("Receipt:")
    assert "€70.00 is still due" in receipt.body_text
    [logged] = await audit_actions("invoice.payment_received")
    assert logged.detail["asked"] == "120.00"


async def test_money_on_top_of_a_manual_payment_shows_as_a_credit(billed: Billed) -> None:
    session_id = await billed.pay()
    await manual_payments.record_payment(
        billed.world.actor, billed.invoice_id, manual_payments.PaymentInput(amount="50.00")
    )
    await billed.completed(session_id)
    detail = await invoices.get_invoice(billed.world.actor, billed.invoice_id)
    assert (detail.status, detail.amount_paid_minor, detail.amount_due_minor, detail.overpaid_minor) == (
        InvoiceStatus.paid,
        17000,
        0,
        5000,
    )
    [receipt] = await mails("Receipt:")
    assert "€50.00 more than was due" in receipt.body_text
    [agency] = await mails("Payment received:")
    assert "overpaid by €50.00" in agency.body_text


async def test_another_currency_is_not_applied_and_goes_to_review(billed: Billed) -> None:
    session_id = await billed.pay()
    outcome = await billed.completed(session_id, currency="usd")
    assert outcome.result == "review"
    assert await payments_of(billed.invoice_id) == [] and await mails("Receipt:") == []
    [alert] = await mails("Payment needs review:")
    assert alert.to_addr == billed.world.owner_email and "USD" in alert.body_text
    [attempt] = await attempts_of(billed.invoice_id)
    assert attempt.status == CheckoutStatus.review and "EUR" in attempt.error
    # a repeat of the news changes nothing more
    assert (await billed.deliver(billed.standin.event(COMPLETED, session_id))).result == "unchanged"
    assert len(await mails("Payment needs review:")) == 1


async def test_money_for_an_invoice_voided_meanwhile_goes_to_review(billed: Billed) -> None:
    session_id = await billed.pay()
    await invoices.void_invoice(billed.world.actor, billed.invoice_id)
    assert (await billed.completed(session_id)).result == "review"
    assert await payments_of(billed.invoice_id) == []
    assert (await invoice_row(billed)).status == InvoiceStatus.void


async def test_sessions_and_events_that_are_not_ours_are_acknowledged_and_ignored(billed: Billed) -> None:
    stranger = await billed.standin.stripe_client().v1.checkout.sessions.create_async(
        {
            "mode": "payment",
            "success_url": "https://example.com/ok",
            "line_items": [
                {"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 500, "product_data": {"name": "x"}}}
            ],
        }
    )
    billed.standin.complete(stranger.id)
    assert (await billed.deliver(billed.standin.event(COMPLETED, stranger.id))).result == "ignored"
    session_id = await billed.pay()
    other = billed.standin.event("customer.created", session_id)
    assert (await billed.deliver(other)).result == "ignored"
    assert await payments_of(billed.invoice_id) == [] and await count(StripeEvent) == 2


async def test_a_session_whose_id_we_lost_is_found_by_its_metadata(billed: Billed) -> None:
    session_id = await billed.pay()
    async with unit_of_work(SystemActor()) as session:  # as after a crash between Stripe's answer and our commit
        await session.execute(
            update(CheckoutAttempt).values(stripe_session_id=None, status=CheckoutStatus.creating, checkout_url="")
        )
    assert (await billed.completed(session_id)).result == "paid"
    await assert_paid_once(billed)


async def test_metadata_naming_another_invoice_is_not_trusted(billed: Billed) -> None:
    session_id = await billed.pay()
    billed.standin.complete(session_id)
    other_invoice = await new_invoice(billed.world)
    event = billed.standin.event(COMPLETED, session_id)
    event["data"]["object"]["metadata"]["portico_invoice_id"] = str(other_invoice)
    assert (await billed.deliver(event)).result == "refused"
    assert await payments_of(billed.invoice_id) == [] and await payments_of(other_invoice) == []
    [refusal] = await refusals_of(billed.invoice_id)  # recorded on the attempt's invoice, for its staff to review
    assert refusal.detail["stripe_session"] == session_id
    [attempt] = await attempts_of(billed.invoice_id)
    assert attempt.status == CheckoutStatus.open  # nothing about the attempt changed


async def test_an_expired_session_is_closed_and_a_new_press_opens_another(billed: Billed) -> None:
    session_id = await billed.pay()
    billed.standin.expire(session_id)
    assert (await billed.deliver(billed.standin.event(EXPIRED, session_id))).result == "expired"
    second = await checkout.start_portal_checkout(billed.contact, billed.invoice_id)
    assert session_id not in second


# --- the payer's return and the reconcile job ----------------------------------------------------------------------


async def test_the_payers_return_settles_before_the_webhook(billed: Billed) -> None:
    session_id = await billed.pay()
    billed.standin.complete(session_id)
    assert (await checkout.confirm_return(session_id, invoice_id=billed.invoice_id)).result == "paid"
    assert (await billed.deliver(billed.standin.event(COMPLETED, session_id))).result == "unchanged"
    await assert_paid_once(billed)


async def test_a_made_up_return_costs_no_call_to_stripe(billed: Billed) -> None:
    before = len(billed.standin.requests)
    other = await new_invoice(billed.world)
    session_id = await billed.pay()
    assert (await checkout.confirm_return("cs_test_made_up", invoice_id=billed.invoice_id)).result == "ignored"
    assert (await checkout.confirm_return(session_id, invoice_id=other)).result == "ignored"
    assert (await checkout.confirm_return(session_id, token="f" * 64)).result == "ignored"
    assert len(billed.standin.requests) == before + 1  # only the session Pay created


async def test_reconcile_settles_what_no_webhook_reported(billed: Billed, at) -> None:
    at()
    paid_id = await billed.pay()
    expired_id = (await checkout.start_public_checkout(billed.token)).rsplit("/", 1)[1]
    billed.standin.complete(paid_id)
    billed.standin.expire(expired_id)
    assert await checkout.reconcile() == 0  # too young: a webhook may still come
    at(checkout.RECONCILE_AFTER * 2)
    assert await checkout.reconcile() == 2
    await assert_paid_once(billed)
    statuses = {a.stripe_session_id: a.status for a in await attempts_of(billed.invoice_id)}
    assert statuses == {paid_id: CheckoutStatus.paid, expired_id: CheckoutStatus.expired}
    assert await checkout.reconcile() == 0


async def test_reconcile_follows_a_bank_debit_to_its_end(billed: Billed, at) -> None:
    at()
    session_id = await billed.pay()
    billed.standin.complete(session_id, payment_status="unpaid")
    at(checkout.RECONCILE_AFTER * 2)
    assert await checkout.reconcile() == 1
    [attempt] = await attempts_of(billed.invoice_id)
    assert attempt.status == CheckoutStatus.pending
    billed.standin.fail_async(session_id)
    assert await checkout.reconcile() == 1
    [attempt] = await attempts_of(billed.invoice_id)
    assert attempt.status == CheckoutStatus.failed and await payments_of(billed.invoice_id) == []


async def test_reconcile_with_stripe_down_changes_nothing_and_tries_again_later(billed: Billed, at) -> None:
    at()
    session_id = await billed.pay()
    billed.standin.complete(session_id)
    at(checkout.RECONCILE_AFTER * 2)
    with billed.standin.down():
        assert await checkout.reconcile() == 0
    assert await payments_of(billed.invoice_id) == []
    assert await checkout.reconcile() == 1
    await assert_paid_once(billed)


async def test_reconcile_gives_up_on_attempts_stripe_never_answered(billed: Billed, at) -> None:
    at()
    await billed.pay()
    async with unit_of_work(SystemActor()) as session:
        await session.execute(update(CheckoutAttempt).values(status=CheckoutStatus.creating, stripe_session_id=None))
    at(checkout.RECONCILE_AFTER * 2)
    await checkout.reconcile()
    [attempt] = await attempts_of(billed.invoice_id)
    assert attempt.status == CheckoutStatus.error


# --- concurrency ---------------------------------------------------------------------------------------------------


async def test_concurrent_duplicate_deliveries_are_counted_once(billed: Billed) -> None:
    session_id = await billed.pay()
    billed.standin.complete(session_id)
    event = billed.standin.event(COMPLETED, session_id)
    outcomes = await asyncio.gather(*(billed.deliver(event) for _ in range(10)))
    assert sorted(o.result for o in outcomes) == ["duplicate"] * 9 + ["paid"]
    await assert_paid_once(billed)


async def test_every_path_at_once_still_counts_the_session_once(billed: Billed) -> None:
    session_id = await billed.pay()
    billed.standin.complete(session_id)
    completed = billed.standin.event(COMPLETED, session_id)
    succeeded = billed.standin.event(SUCCEEDED, session_id)
    outcomes = await asyncio.gather(
        billed.deliver(completed),
        billed.deliver(succeeded),
        billed.deliver(completed),
        checkout.confirm_return(session_id, invoice_id=billed.invoice_id),
        billed.deliver(succeeded),
    )
    assert [o.result for o in outcomes].count("paid") == 1
    await assert_paid_once(billed)
    async with unit_of_work(SystemActor()) as session:
        assert (await session.execute(select(func.count()).select_from(StripeEvent))).scalar_one() <= 2


async def test_a_currency_portico_does_not_know_goes_to_review_not_to_a_crash(billed: Billed) -> None:
    session_id = await billed.pay()
    assert (await billed.completed(session_id, currency="xyz")).result == "review"
    assert await payments_of(billed.invoice_id) == []
    [alert] = await mails("Payment needs review:")
    assert "XYZ" in alert.body_text


async def test_handled_event_ids_are_purged_after_stripe_stops_retrying(billed: Billed, at) -> None:
    at()
    session_id = await billed.pay()
    await billed.completed(session_id)
    assert await webhooks.purge_events() == 0
    at(webhooks.EVENT_RETENTION + timedelta(days=1))
    assert await webhooks.purge_events() == 1
    assert await count(StripeEvent) == 0
