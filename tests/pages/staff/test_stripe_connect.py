"""Stripe Connect in Settings: connecting an organization's own Stripe account, the way back from Stripe's
onboarding, refreshing its state and disconnecting it; what members see; direct mode; the invoice page's note."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from nicegui import ElementFilter, ui
from nicegui.testing.user import User
from sqlalchemy import select

from models import AuditEvent, CheckoutStatus
from models.organizations import Role
from portal_app.settings import Settings
from services.adapters import stripe_gateway
from services.billing import invoice_views
from services.card_payments import checkout, stripe_accounts
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from tests.support.card_payments import attempts_of, connect, session_id_of
from tests.support.factories import OrgWorld, add_member, make_world
from tests.support.invoicing import draft, mark_sent
from tests.support.pages import eventually, recording, signed_in
from tests.support.signin import staff_cookie
from tests.support.stripe_standin import StripeStandIn
from tests.support.ui import new_user

CREATE_ACCOUNT = ("POST", "/v1/accounts")
NO_ACCOUNT = "Clients cannot pay by card until a Stripe account is connected in Settings → Card payments."
CHARGES_OFF = (
    "Clients cannot pay by card yet: Stripe has not enabled charges on the connected account. "
    "Finish Stripe's onboarding from Settings → Card payments."
)
CARDS_ON = "On: invoices with an amount due show a Pay button"


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
async def acme(user: User) -> OrgWorld:
    """An organization with no Stripe account yet (the app is up: `user` builds it)."""
    return await make_world("acme")


def text_of(user: User, marker: str) -> str:
    [element] = user.find(kind=ui.label, marker=marker).elements
    return element.text


def buttons(user: User) -> set[str]:
    """Which of the account's buttons the Stripe card shows."""
    markers = ("stripe-connect", "stripe-refresh", "stripe-disconnect")
    with user:
        return {m for m in markers if list(ElementFilter(kind=ui.button, marker=m, local_scope=False))}


async def open_settings(user: User, path: str = "/settings") -> None:
    await user.open(path)
    await user.should_see("Card payments (Stripe)")


async def audited(world: OrgWorld, action: str) -> list[AuditEvent]:
    async with unit_of_work(SystemActor()) as session:
        return list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.org_id == world.actor.org_id, AuditEvent.action == action)
            )
        )


async def sent_invoice(world: OrgWorld, price: str = "100.00") -> invoice_views.InvoiceDetail:
    detail = await draft(world.actor, world.client.id, price)
    await mark_sent(detail.id)
    return detail


async def press_connect(user: User) -> str:
    """Press "Connect Stripe" on the open Settings page; where the page sends the browser (not followed)."""
    navigate = recording(user)
    user.find(kind=ui.button, marker="stripe-connect").click()
    await eventually(lambda: navigate.away)
    [away] = navigate.away
    return away


def state_of(url: str) -> str:
    [state] = parse_qs(urlsplit(url).query)["state"]
    return state


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_connect_stripe_makes_a_standard_account_and_sends_the_owner_to_onboarding(
    user: User, acme: OrgWorld, stripe_standin: StripeStandIn
) -> None:
    await signed_in(user, acme.owner_email)
    await open_settings(user)
    assert text_of(user, "stripe-account") == "None connected"
    assert text_of(user, "stripe-on") == "Off"
    assert text_of(user, "stripe-why-not") == NO_ACCOUNT
    assert buttons(user) == {"stripe-connect"}
    [connect_button] = user.find(kind=ui.button, marker="stripe-connect").elements
    assert connect_button.text == "Connect Stripe"
    assert stripe_standin.accounts == {}

    url = await press_connect(user)

    assert url.startswith(f"{stripe_standin.url}/connect/onboard/")
    [created] = [r for r in stripe_standin.requests if (r.method, r.path) == CREATE_ACCOUNT]
    assert created.params["type"] == "standard"
    assert created.params["metadata"] == {"portico_org_id": str(acme.actor.org_id)}
    assert created.idempotency_key
    account = (await stripe_accounts.account_view(acme.actor)).account_id
    assert list(stripe_standin.accounts) == [account]
    link = stripe_standin.account_links[urlsplit(url).path.rsplit("/", 1)[1]]
    assert link["account"] == account
    assert link["return_url"].startswith("http://portico.test/settings/stripe/return?state=")
    assert link["refresh_url"].startswith("http://portico.test/settings/stripe/refresh?state=")
    [event] = await audited(acme, "stripe.account_created")
    assert event.detail["account"] == account


async def test_the_way_back_from_stripe_holds_only_for_the_session_that_left(
    user: User, acme: OrgWorld, stripe_standin: StripeStandIn, app_client: httpx.AsyncClient
) -> None:
    await signed_in(user, acme.owner_email)
    await open_settings(user)
    link = await press_connect(user)
    account = (await stripe_accounts.account_view(acme.actor)).account_id
    back = stripe_standin.finish_onboarding(link)  # Stripe enables the account and sends the browser back
    assert back.startswith("http://portico.test/settings/stripe/return?state=")
    state = state_of(back)

    # Another owner of the same organization, in another browser, with the same link: nothing happens.
    await add_member(acme.actor.org_id, "ann@acme.test", Role.admin)
    other = httpx.AsyncClient(transport=app_client._transport, base_url="http://test")
    await staff_cookie(other, "ann@acme.test")  # signed in over HTTP: the sign-in form is tested on its own
    response = await other.get(path_of(back))
    assert (response.status_code, response.headers["location"]) == (303, "/settings?stripe=wrong-session")
    tampered = state[:-1] + ("0" if state[-1] != "0" else "1")
    response = await user.http_client.get(f"/settings/stripe/return?{urlencode({'state': tampered})}")
    assert (response.status_code, response.headers["location"]) == (303, "/settings?stripe=wrong-session")
    unchanged = await stripe_accounts.account_view(acme.actor)
    assert (unchanged.account_id, unchanged.charges_enabled, unchanged.reported_at) == (account, False, None)

    response = await user.http_client.get(path_of(back))
    assert (response.status_code, response.headers["location"]) == (303, "/settings?stripe=returned")
    view = await stripe_accounts.account_view(acme.actor)
    assert (view.account_id, view.charges_enabled, view.card_payments) == (account, True, True)
    await open_settings(user, "/settings?stripe=returned")
    assert text_of(user, "stripe-return-notice").startswith("Back from Stripe.")
    assert text_of(user, "stripe-charges") == "Enabled"
    assert text_of(user, "stripe-on") == CARDS_ON

    # Stripe's refresh URL (the link was used or expired): a fresh link into onboarding for the same account.
    refresh = f"/settings/stripe/refresh?{urlencode({'state': state})}"
    response = await user.http_client.get(refresh)
    assert response.status_code == 303
    renewed = response.headers["location"]
    assert renewed.startswith(f"{stripe_standin.url}/connect/onboard/") and renewed != link
    assert stripe_standin.account_links[urlsplit(renewed).path.rsplit("/", 1)[1]]["account"] == account
    response = await other.get(refresh)
    assert (response.status_code, response.headers["location"]) == (303, "/settings?stripe=wrong-session")


async def test_members_see_the_account_but_no_buttons(
    user: User, acme: OrgWorld, stripe_standin: StripeStandIn, app_client: httpx.AsyncClient
) -> None:
    account = await connect(stripe_standin, acme, charges_enabled=False)
    owner = new_user(app_client)  # the owner of the same organization sees the buttons the member does not
    await signed_in(owner, acme.owner_email)
    await open_settings(owner)
    assert buttons(owner) == {"stripe-connect", "stripe-refresh", "stripe-disconnect"}

    member = await add_member(acme.actor.org_id, "amy@acme.test", Role.member)
    await signed_in(user, member.email)
    await open_settings(user)
    assert text_of(user, "stripe-account") == account
    assert text_of(user, "stripe-charges") == "Not enabled yet"
    assert text_of(user, "stripe-why-not") == CHARGES_OFF
    assert buttons(user) == set()


async def test_disconnect_asks_first_then_unbinds_and_ends_open_checkouts(
    user: User, acme: OrgWorld, stripe_standin: StripeStandIn
) -> None:
    account = await connect(stripe_standin, acme)
    invoice = await sent_invoice(acme)
    session_id = session_id_of(await checkout.start_public_checkout(invoice_views.public_token(invoice.id)))
    assert stripe_standin.account_of(session_id) == account
    await signed_in(user, acme.owner_email)
    await open_settings(user)
    assert text_of(user, "stripe-account") == account
    assert text_of(user, "stripe-open") == "1"

    user.find(kind=ui.button, marker="stripe-disconnect").click()
    await user.should_see(f"Disconnect {account}?", retries=50)
    user.find(marker="cancel").click()
    await user.should_not_see(marker="cancel", retries=50)
    assert (await stripe_accounts.account_view(acme.actor)).account_id == account
    assert stripe_standin.sessions[session_id]["status"] == "open"
    assert await audited(acme, "stripe.account_disconnected") == []

    user.find(kind=ui.button, marker="stripe-disconnect").click()
    await user.should_see(marker="confirm", retries=50)
    user.find(marker="confirm").click()
    await user.should_see("Stripe account disconnected", retries=50)
    await user.should_see("None connected", retries=50)
    assert text_of(user, "stripe-account") == "None connected"
    assert text_of(user, "stripe-on") == "Off"
    assert buttons(user) == {"stripe-connect"}
    assert (await stripe_accounts.account_view(acme.actor)).account_id == ""
    assert stripe_standin.sessions[session_id]["status"] == "expired"
    [attempt] = await attempts_of(invoice.id)
    assert attempt.status == CheckoutStatus.expired
    [event] = await audited(acme, "stripe.account_disconnected")
    assert event.detail["account"] == account


async def test_refresh_shows_what_stripe_reports_now(user: User, acme: OrgWorld, stripe_standin: StripeStandIn) -> None:
    account = await connect(stripe_standin, acme)
    await signed_in(user, acme.owner_email)
    await open_settings(user)
    assert text_of(user, "stripe-charges") == "Enabled"
    assert text_of(user, "stripe-on") == CARDS_ON
    await user.should_not_see(marker="stripe-requirements")

    stripe_standin.update_account(
        account,
        charges_enabled=False,
        requirements={
            "currently_due": ["external_account"],
            "eventually_due": ["external_account"],
            "past_due": [],
            "pending_verification": [],
            "errors": [],
            "disabled_reason": "requirements.past_due",
            "current_deadline": None,
        },
    )
    user.find(kind=ui.button, marker="stripe-refresh").click()
    await user.should_see(marker="stripe-requirements", retries=50)
    assert text_of(user, "stripe-requirements") == "external_account"
    assert text_of(user, "stripe-charges") == "Not enabled yet"
    assert text_of(user, "stripe-on") == "Off"
    assert text_of(user, "stripe-why-not") == CHARGES_OFF
    view = await stripe_accounts.account_view(acme.actor)
    assert (view.charges_enabled, view.requirements_due) == (False, ("external_account",))


async def test_the_invoice_page_says_why_clients_cannot_pay_by_card(
    user: User, acme: OrgWorld, stripe_standin: StripeStandIn
) -> None:
    invoice = await sent_invoice(acme)
    await signed_in(user, acme.owner_email)
    await user.open(f"/invoices/{invoice.id}")
    await user.should_see(marker="no-card-payments")
    with user.scope(marker="no-card-payments"):
        await user.should_see(NO_ACCOUNT)

    await connect(stripe_standin, acme)
    await user.open(f"/invoices/{invoice.id}")
    await user.should_see("Public link")
    await user.should_not_see(marker="no-card-payments")


async def test_direct_mode_takes_payments_into_the_platform_account(
    user: User, acme: OrgWorld, stripe_standin: StripeStandIn
) -> None:
    stripe_gateway.configure(
        stripe_gateway.StripeConfig(secret_key=stripe_standin.secret_key, api_base=stripe_standin.url, direct=True)
    )
    await signed_in(user, acme.owner_email)
    await open_settings(user)
    assert text_of(user, "stripe-account") == "The platform's own (direct mode)"
    assert text_of(user, "stripe-on") == CARDS_ON
    assert buttons(user) == set()
    await user.should_not_see(marker="stripe-why-not")
    await user.should_not_see(marker="stripe-charges")
