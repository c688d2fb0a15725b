"""Staff are told when invoice mails could not say how to pay: no Stripe and no payment instructions."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing.user import User

from services.adapters import stripe_gateway
from tests.support.factories import make_world
from tests.support.invoicing import draft, set_org
from tests.support.pages import signed_in

SETTINGS_WARNING = "payment-instructions-missing"
SEND_WARNING = "send-without-payment-instructions"


async def test_settings_warn_until_there_are_payment_instructions(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/settings")
    await user.should_see(marker=SETTINGS_WARNING, retries=50)
    await user.should_see("invoice mails will not tell clients how to pay")
    instructions = next(e for e in user.find(ui.textarea).elements if e.props.get("label") == "Payment instructions")
    instructions.value = "IBAN DE00 1234"
    user.find(kind=ui.button, content="Save invoicing settings").click()
    await user.should_see("Invoicing settings saved", retries=50)
    await user.should_not_see(marker=SETTINGS_WARNING)


async def test_settings_do_not_warn_when_stripe_takes_payments(user: User) -> None:
    # reset by the autouse fixture; direct mode: this one organization is paid into the platform's account
    stripe_gateway.configure(stripe_gateway.StripeConfig(secret_key="sk_test_page", direct=True))
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/settings")
    await user.should_see("Save invoicing settings", retries=50)
    await user.should_not_see(marker=SETTINGS_WARNING)


async def test_sending_warns_that_the_client_will_not_be_told_how_to_pay_but_still_sends(user: User) -> None:
    world = await make_world("acme")
    invoice = await draft(world.actor, world.client.id, "100.00")
    await signed_in(user, world.owner_email)
    await user.open(f"/invoices/{invoice.id}")
    user.find(marker="action-send").click()
    await user.should_see(f"Send {invoice.number}", retries=50)
    await user.should_see(marker=SEND_WARNING)
    await user.should_see("the client will not be told how to pay")
    user.find(marker="confirm-send").click()
    await user.should_see(f"Sent {invoice.number}", retries=50)


async def test_sending_does_not_warn_with_payment_instructions(user: User) -> None:
    world = await make_world("acme")
    await set_org(world.actor.org_id, payment_instructions="IBAN DE00 1234")
    invoice = await draft(world.actor, world.client.id, "100.00")
    await signed_in(user, world.owner_email)
    await user.open(f"/invoices/{invoice.id}")
    user.find(marker="action-send").click()
    await user.should_see(f"Send {invoice.number}", retries=50)
    await user.should_not_see(marker=SEND_WARNING)
