"""Paying an invoice by card from the portal: the Pay button, the trip to Stripe Checkout and back, live updates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from nicegui import ElementFilter, ui
from nicegui.testing.user import User

from models import CheckoutAttempt, Payment
from portal_app.settings import Settings
from services.billing import invoices, manual_payments
from services.billing.invoice_views import InvoiceDetail
from services.billing.invoices import LineInput
from services.billing.manual_payments import PaymentInput
from services.card_payments import checkout, stripe_accounts
from services.clients import clients, contacts
from services.core.actors import PortalActor
from services.core.errors import NotFound
from tests.support.card_payments import connect, session_id_of, webhook
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import issue_invoice
from tests.support.pages import RecordingNavigate, eventually, recording
from tests.support.portal import mails_to, sign_in_contact
from tests.support.stripe_standin import StripeStandIn
from tests.support.ui import new_user

CREATE_SESSION = ("POST", "/v1/checkout/sessions")


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


async def press_pay(user: User, navigate: RecordingNavigate) -> str:
    """Press Pay and wait for the page to send the browser to Stripe; where it sent it."""
    before = len(navigate.away)
    user.find(marker="pay").click()
    await eventually(lambda: len(navigate.away) > before)
    return navigate.away[-1]


def sessions_created(standin: StripeStandIn) -> list[Any]:
    return [r for r in standin.requests if (r.method, r.path) == CREATE_SESSION]


@dataclass(frozen=True)
class Billing:
    world: OrgWorld
    sent: InvoiceDetail  # 1440.00 due
    partly: InvoiceDetail  # 440.00 paid of 1440.00
    paid: InvoiceDetail

    def page(self, invoice: InvoiceDetail, query: str = "") -> str:
        return f"/portal/acme/invoices/{invoice.id}{query}"


@pytest.fixture
async def billing(user: User, stripe_standin: StripeStandIn) -> Billing:
    world = await make_world("acme")
    await connect(stripe_standin, world)
    sent = await issue_invoice(world)
    partly = await issue_invoice(world)
    await manual_payments.record_payment(world.actor, partly.id, PaymentInput("440.00", paid_on=date(2025, 2, 3)))
    paid = await issue_invoice(world, lines=[LineInput("Hosting", "1", "50.00")])
    await manual_payments.record_payment(world.actor, paid.id, PaymentInput("50.00", paid_on=date(2025, 2, 1)))
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    return Billing(world, sent, partly, paid)


def pay_buttons(user: User) -> list[ui.button]:
    """The page's Pay buttons, none at all included (`user.find` insists on at least one)."""
    with user:
        return list(ElementFilter(kind=ui.button, marker="pay", local_scope=False))


def status_text(user: User) -> str:
    [badge] = user.find(kind=ui.badge, marker="invoice-status").elements
    return badge.text


async def invoice_rows(user: User) -> dict[str, dict]:
    await user.should_see(kind=ui.table, marker="invoices")
    [table] = user.find(kind=ui.table, marker="invoices").elements
    return {row["number"]: row for row in table.rows}


async def test_pay_is_offered_only_with_a_connected_account_and_something_due(user: User, billing: Billing) -> None:
    for invoice in (billing.sent, billing.partly):
        await user.open(billing.page(invoice))
        [button] = pay_buttons(user)
        assert button.text == "Pay" and button.enabled
        due = "$1,440.00" if invoice is billing.sent else "$1,000.00"
        assert button.props["aria-label"] == f"Pay {due} by card"
    await user.open(billing.page(billing.paid))
    await user.should_see(kind=ui.label, content="Amount due $0.00")
    assert pay_buttons(user) == []
    await user.open("/portal/acme/invoices")
    rows = await invoice_rows(user)
    assert {number: row["pay"] for number, row in rows.items()} == {
        billing.sent.number: True,
        billing.partly.number: True,
        billing.paid.number: False,
    }

    await stripe_accounts.disconnect(billing.world.actor)  # no account of its own: no Pay anywhere
    for invoice in (billing.sent, billing.partly, billing.paid):
        await user.open(billing.page(invoice))
        await user.should_see(kind=ui.label, content=f"Invoice {invoice.number}")
        assert pay_buttons(user) == []
    await user.open("/portal/acme/invoices")
    assert not any(row["pay"] for row in (await invoice_rows(user)).values())
    with pytest.raises(checkout.NotOffered):
        await checkout.start_portal_checkout(billing.world.portal_actor(), billing.sent.id)


async def test_pay_opens_a_checkout_session_for_the_amount_due_and_goes_there(
    user: User, billing: Billing, stripe_standin: StripeStandIn
) -> None:
    navigate = recording(user)
    await user.open(billing.page(billing.partly))
    url = await press_pay(user, navigate)
    assert navigate.away == [url]
    session_id = session_id_of(url)
    assert url == f"{stripe_standin.url}/pay/{session_id}"
    [created] = sessions_created(stripe_standin)
    params = created.params
    [item] = params["line_items"]
    assert item["price_data"]["unit_amount"] == "100000"  # 1000.00 USD in cents: what is due, not the total
    assert item["price_data"]["currency"] == "usd"
    assert params["metadata"]["portico_invoice_id"] == str(billing.partly.id)
    assert params["client_reference_id"] == str(billing.partly.id)
    assert params["customer_email"] == billing.world.contact.email
    page = f"http://portico.test/portal/acme/invoices/{billing.partly.id}"
    assert params["success_url"] == f"{page}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}"
    assert params["cancel_url"] == f"{page}?checkout=cancelled"
    assert created.idempotency_key
    assert stripe_standin.sessions[session_id]["amount_total"] == 100000
    assert not pay_buttons(user)[0].enabled  # leaving for Stripe: no second press, no second session


async def test_stripe_down_says_so_charges_nothing_and_pay_works_again(
    user: User, billing: Billing, stripe_standin: StripeStandIn
) -> None:
    navigate = recording(user)
    await user.open(billing.page(billing.sent))
    with stripe_standin.down():
        user.find(marker="pay").click()
        await user.should_see(checkout.UNAVAILABLE, retries=100)
    [notice] = user.find(marker="checkout-notice").elements
    assert notice.props["role"] == "alert"
    assert navigate.away == [] and stripe_standin.sessions == {}
    assert await count(Payment, Payment.invoice_id == billing.sent.id) == 0
    assert await count(CheckoutAttempt, CheckoutAttempt.status == "error") == 1
    assert status_text(user) == "Sent"

    [button] = pay_buttons(user)  # drawn afresh, ready to be pressed again
    assert button.enabled
    url = await press_pay(user, navigate)
    assert navigate.away == [url] and session_id_of(url) in stripe_standin.sessions


async def test_back_from_checkout_the_payment_shows_at_once_and_the_receipt_is_queued(
    user: User, billing: Billing, stripe_standin: StripeStandIn
) -> None:
    navigate = recording(user)
    await user.open(billing.page(billing.sent))
    session_id = session_id_of(await press_pay(user, navigate))
    stripe_standin.complete(session_id)  # paid at Stripe; the webhook has not arrived

    await user.open(billing.page(billing.sent, f"?checkout=success&session_id={session_id}"))
    await user.should_see("Thank you! Your payment was received.")
    assert status_text(user) == "Paid"
    assert pay_buttons(user) == []
    await user.should_see(kind=ui.label, content="Amount due $0.00")
    [payment] = (await invoices.get_invoice(billing.world.actor, billing.sent.id)).payments
    assert (payment.method, payment.amount_minor) == ("card", 144000) and payment.reference.startswith("Stripe pi_")
    [receipt] = [m for m in await mails_to(billing.world.contact.email) if "card payment" in m]
    assert "received your card payment of $1,440.00" in receipt

    await user.open(billing.page(billing.sent, f"?checkout=success&session_id={session_id}"))  # reloading is harmless
    await user.should_see("Thank you! Your payment was received.")
    assert await count(Payment, Payment.invoice_id == billing.sent.id) == 1


async def test_a_webhook_landing_later_turns_the_open_page_paid(
    user: User, billing: Billing, stripe_standin: StripeStandIn
) -> None:
    navigate = recording(user)
    await user.open(billing.page(billing.sent))
    session_id = session_id_of(await press_pay(user, navigate))

    # Back from Checkout before Stripe has settled (a slow card, a bank debit): the page says so and waits.
    await user.open(billing.page(billing.sent, f"?checkout=success&session_id={session_id}"))
    await user.should_see("Thank you! Your payment is being confirmed; this page shows it as soon as it is.")
    assert status_text(user) == "Sent"

    stripe_standin.complete(session_id)
    outcome = await webhook(stripe_standin, "checkout.session.completed", session_id)
    assert outcome.result == "paid"
    await user.should_see("Thank you! Your payment was received.", retries=50)
    assert status_text(user) == "Paid"
    assert pay_buttons(user) == []
    await user.should_see(kind=ui.label, content="Amount due $0.00")


async def test_a_payment_on_another_invoice_leaves_the_page_alone(
    user: User, billing: Billing, stripe_standin: StripeStandIn
) -> None:
    await user.open(billing.page(billing.sent))
    contact = PortalActor(
        billing.world.actor.org_id, billing.world.client.id, billing.world.contact.id, billing.world.contact.email
    )
    session_id = session_id_of(await checkout.start_portal_checkout(contact, billing.partly.id))
    stripe_standin.complete(session_id)
    assert (await webhook(stripe_standin, "checkout.session.completed", session_id)).result == "paid"
    await user.should_not_see("Thank you! Your payment was received.")
    assert status_text(user) == "Sent" and len(pay_buttons(user)) == 1


async def test_cancelled_checkout_says_nothing_was_charged(user: User, billing: Billing) -> None:
    await user.open(billing.page(billing.sent, "?checkout=cancelled"))
    await user.should_see("Payment cancelled. Nothing was charged.")
    assert len(pay_buttons(user)) == 1
    await user.open(billing.page(billing.sent, "?checkout=<script>"))  # unknown values are not echoed
    await user.should_see(kind=ui.label, content=f"Invoice {billing.sent.number}")
    await user.should_not_see(marker="checkout-notice")


async def test_an_overpaid_invoice_shows_the_credit(
    user: User, billing: Billing, stripe_standin: StripeStandIn
) -> None:
    contact = PortalActor(
        billing.world.actor.org_id, billing.world.client.id, billing.world.contact.id, billing.world.contact.email
    )
    session_id = session_id_of(await checkout.start_portal_checkout(contact, billing.partly.id))  # 1000.00
    await manual_payments.record_payment(billing.world.actor, billing.partly.id, PaymentInput("400.00"))
    stripe_standin.complete(session_id)
    assert (await webhook(stripe_standin, "checkout.session.completed", session_id)).result == "paid"
    await user.open(billing.page(billing.partly))
    await user.should_see(kind=ui.label, content="Overpaid (credit)")
    await user.should_see(kind=ui.label, content="$400.00")
    assert status_text(user) == "Paid" and pay_buttons(user) == []
    await user.open(billing.page(billing.sent))
    await user.should_not_see(kind=ui.label, content="Overpaid (credit)")


async def test_another_clients_contact_gets_no_pay_and_no_session(
    user: User, billing: Billing, app_client: httpx.AsyncClient, stripe_standin: StripeStandIn
) -> None:
    world = billing.world
    neighbour = await clients.create_client(world.actor, clients.ClientInput(name="Neighbour", email="n@n.test"))
    stranger = await contacts.create_contact(
        world.actor, neighbour.id, contacts.ContactInput(email="sam@n.test", name="Sam", portal_enabled=True)
    )
    theirs = await issue_invoice(world, client_id=neighbour.id)
    other = new_user(app_client)
    await sign_in_contact(other.http_client, "acme", world.actor.org_id, stranger.email)

    for invoice in (billing.sent, billing.partly):
        response = await other.http_client.get(billing.page(invoice))
        assert response.status_code == 404 and "Invoice not found" in response.text
        assert invoice.number not in response.text
        # Coming "back from Stripe" to someone else's invoice settles nothing and shows nothing either.
        response = await other.http_client.get(billing.page(invoice, "?checkout=success&session_id=cs_test_x"))
        assert response.status_code == 404
    await other.open("/portal/acme/invoices")
    await other.should_see(kind=ui.table, marker="invoices")
    [table] = other.find(kind=ui.table, marker="invoices").elements
    assert [(row["number"], row["pay"]) for row in table.rows] == [(theirs.number, True)]

    actor = PortalActor(world.actor.org_id, neighbour.id, stranger.id, stranger.email)
    for invoice in (billing.sent, billing.partly):
        with pytest.raises(NotFound):
            await checkout.start_portal_checkout(actor, invoice.id)
    globex = await make_world("globex")
    with pytest.raises(NotFound):
        await checkout.start_portal_checkout(actor, (await issue_invoice(globex)).id)
    assert sessions_created(stripe_standin) == [] and stripe_standin.sessions == {}
    assert await count(CheckoutAttempt) == 0
