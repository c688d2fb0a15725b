"""Card payments as staff see them: the Stripe card in Settings, and attempts and card payments on an invoice."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing.user import User

from models.organizations import Role
from portal_app.settings import Settings
from services.adapters import stripe_gateway
from services.billing import invoice_views, invoices, manual_payments
from services.billing.manual_payments import PaymentInput
from services.card_payments import checkout, webhooks
from tests.support.card_payments import connect, session_id_of, webhook
from tests.support.factories import OrgWorld, add_member, make_world
from tests.support.invoicing import draft, mark_sent
from tests.support.pages import signed_in
from tests.support.stripe_standin import StripeStandIn


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
async def acme(user: User, stripe_standin: StripeStandIn) -> OrgWorld:
    world = await make_world("acme")
    await connect(stripe_standin, world)
    return world


async def sent_invoice(world: OrgWorld, price: str = "100.00") -> invoice_views.InvoiceDetail:
    detail = await draft(world.actor, world.client.id, price)
    await mark_sent(detail.id)
    return detail


async def pay_by_link(invoice: invoice_views.InvoiceDetail) -> str:
    """Someone holding the public link presses Pay; the Checkout Session's id."""
    return session_id_of(await checkout.start_public_checkout(invoice_views.public_token(invoice.id)))


def text_of(user: User, marker: str) -> str:
    [element] = user.find(kind=ui.label, marker=marker).elements
    return element.text


async def test_settings_without_stripe_says_what_to_set(user: User, acme: OrgWorld) -> None:
    stripe_gateway.configure(stripe_gateway.StripeConfig())
    await signed_in(user, acme.owner_email)
    await user.open("/settings")
    await user.should_see("Card payments (Stripe)")
    await user.should_see("Stripe is not configured: clients are shown no Pay button.")
    for name in (
        "PORTAL_STRIPE_SECRET_KEY",
        "PORTAL_STRIPE_WEBHOOK_SECRET",
        "PORTAL_STRIPE_CONNECT_WEBHOOK_SECRET",
        "PORTAL_STRIPE_API_BASE",
    ):
        await user.should_see(kind=ui.label, content=name)
    assert text_of(user, "stripe-on") == "Off"
    await user.should_not_see(marker="stripe-mode")
    await user.should_not_see(marker="stripe-check")


async def test_settings_with_stripe_shows_mode_webhook_counts_and_checks_the_connection(
    user: User, acme: OrgWorld, stripe_standin: StripeStandIn
) -> None:
    await pay_by_link(await sent_invoice(acme))  # one session waiting for its payer
    odd = await pay_by_link(await sent_invoice(acme))
    stripe_standin.complete(odd, currency="eur")  # charged in a currency the invoice is not in
    assert (await webhook(stripe_standin, "checkout.session.completed", odd)).result == "review"

    await signed_in(user, acme.owner_email)
    await user.open("/settings")
    await user.should_see("Card payments (Stripe)")
    await user.should_not_see(marker="stripe-not-configured")
    assert text_of(user, "stripe-mode") == "Test: no real money moves"
    assert text_of(user, "stripe-webhook-secret") == "Set"
    assert text_of(user, "stripe-api-base") == stripe_standin.url
    [url] = user.find(kind=ui.input, marker="stripe-webhook-url").elements
    assert url.value == "http://portico.test/webhooks/stripe"
    assert sorted(e.text for e in user.find(kind=ui.label, marker="stripe-event").elements) == sorted(
        (*webhooks.CHECKOUT_EVENTS, *webhooks.CATALOG_EVENTS, *webhooks.ACCOUNT_EVENTS)
    )
    assert text_of(user, "stripe-last-webhook") != "none yet"
    assert text_of(user, "stripe-open") == "1"
    assert text_of(user, "stripe-review") == "1"
    page = (await user.http_client.get("/settings")).text
    assert stripe_standin.secret_key not in page and stripe_standin.webhook_secret not in page

    user.find(marker="stripe-check").click()
    await user.should_see("Stripe answered.", retries=50)
    stripe_standin.fail_next(401, message="Invalid API Key provided: sk_test_****")
    user.find(marker="stripe-check").click()
    await user.should_see("Stripe did not answer: AuthenticationError", retries=50)
    assert "Invalid API Key provided" in text_of(user, "stripe-check-result")


async def test_members_see_the_card_too_and_a_quiet_account_says_none_yet(user: User, acme: OrgWorld) -> None:
    member = await add_member(acme.actor.org_id, "amy@acme.test", Role.member)
    await signed_in(user, member.email)
    await user.open("/settings")
    await user.should_see("Card payments (Stripe)")
    assert text_of(user, "stripe-mode") == "Test: no real money moves"
    assert text_of(user, "stripe-last-webhook") == "none yet"
    assert (text_of(user, "stripe-open"), text_of(user, "stripe-review")) == ("0", "0")
    await user.should_see(marker="stripe-check")


async def test_webhook_secret_missing_is_a_warning(user: User, acme: OrgWorld, stripe_standin: StripeStandIn) -> None:
    stripe_gateway.configure(
        stripe_gateway.StripeConfig(secret_key=stripe_standin.secret_key, api_base=stripe_standin.url)
    )
    await signed_in(user, acme.owner_email)
    await user.open("/settings")
    await user.should_see("Card payments (Stripe)")
    assert text_of(user, "stripe-webhook-secret").startswith("Missing")


async def test_the_invoice_lists_attempts_and_card_payments_and_follows_webhooks(
    user: User, acme: OrgWorld, stripe_standin: StripeStandIn
) -> None:
    invoice = await sent_invoice(acme)
    first = await pay_by_link(invoice)  # asks for 100.00
    await manual_payments.record_payment(acme.actor, invoice.id, PaymentInput("40.00", reference="Transfer 12"))
    second = await pay_by_link(invoice)  # asks for the 60.00 left

    await signed_in(user, acme.owner_email)
    await user.open(f"/invoices/{invoice.id}")
    await user.should_see("Card payments")
    assert len(user.find(marker="attempt-open").elements) == 2
    await user.should_see(kind=ui.label, content="$100.00")
    await user.should_see(kind=ui.label, content="$60.00")
    await user.should_not_see(kind=ui.label, content="Overpaid (credit)")

    stripe_standin.complete(first)  # the first session, paid in full after the transfer: 40.00 too much
    assert (await webhook(stripe_standin, "checkout.session.completed", first)).result == "paid"
    await user.should_see(marker="attempt-paid", retries=50)  # redrawn without a reload
    [badge] = user.find(kind=ui.badge, marker="invoice-status").elements
    assert badge.text == "Paid"
    [card] = [p for p in (await invoices.get_invoice(acme.actor, invoice.id)).payments if p.method == "card"]
    assert card.reference.startswith("Stripe pi_")
    await user.should_see(kind=ui.label, content=card.reference)
    await user.should_see(kind=ui.label, content="Card")
    await user.should_see(kind=ui.label, content="Transfer 12")
    await user.should_see(kind=ui.label, content="Overpaid (credit)")
    [overpaid] = user.find(kind=ui.label, marker="overpaid").elements
    assert overpaid.text == "$40.00"

    stripe_standin.complete(second, currency="eur")
    assert (await webhook(stripe_standin, "checkout.session.completed", second)).result == "review"
    await user.open(f"/invoices/{invoice.id}")  # only a payment that lands is announced to open pages
    await user.should_see(marker="attempt-review")
    await user.should_see(kind=ui.badge, content="Needs review")
    await user.should_see("Stripe charged EUR; the invoice is in USD.")
    [row] = user.find(marker="attempt-review").elements
    assert "bg-red-50" in row.classes


async def test_an_invoice_without_attempts_has_no_card_panel(user: User, acme: OrgWorld) -> None:
    invoice = await sent_invoice(acme)
    await signed_in(user, acme.owner_email)
    await user.open(f"/invoices/{invoice.id}")
    await user.should_see("No payments yet.")
    await user.should_not_see(marker="card-payments")
