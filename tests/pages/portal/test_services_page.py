"""The portal's Services page (SPEC §12): open to visitors, Buy or Subscribe through Stripe Checkout, the return,
and a signed-in contact's subscriptions with "Cancel at period end"."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from nicegui import ElementFilter, ui
from nicegui.testing.user import User

from models import Purchase, PurchaseStatus, Subscription
from portal_app.portal.services_page import CANCELLED, THANKS
from portal_app.settings import Settings
from services.card_payments import purchases
from services.catalog import catalog
from services.catalog.catalog import ServiceView
from services.organizations import organizations
from tests.support.card_payments import connect, session_id_of
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world
from tests.support.pages import RecordingNavigate, eventually, recording
from tests.support.portal import sign_in_contact
from tests.support.stripe_standin import StripeStandIn

PAGE = "/portal/acme/services"
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


@dataclass(frozen=True)
class Shop:
    world: OrgWorld
    account: str  # the organization's connected account at the stand-in
    logo: ServiceView  # one-time, public
    care: ServiceView  # monthly, public
    hidden: ServiceView  # not public
    retired: ServiceView  # public, archived


async def add_service(world: OrgWorld, name: str, price: str, currency: str = "USD", **fields: object) -> ServiceView:
    data = catalog.ServiceInput(name=name, price=price, currency=currency, **fields)  # type: ignore[arg-type]
    return await catalog.create_service(world.actor, data)


@pytest.fixture
async def shop(user: User, stripe_standin: StripeStandIn) -> Shop:
    world = await make_world("acme")
    account = await connect(stripe_standin, world)
    logo = await add_service(world, "Logo design", "1200.00", public=True, description="Three concepts, two rounds.")
    care = await add_service(world, "Website care", "99.00", interval="month", public=True)
    hidden = await add_service(world, "Secret retainer", "5000.00", public=False)
    retired = await add_service(world, "Old package", "300.00", public=True)
    await catalog.set_archived(world.actor, retired.id, True)
    return Shop(world, account, logo, care, hidden, retired)


def buttons(user: User, marker: str = "buy") -> list[ui.button]:
    """The page's buttons with `marker`, none at all included (`user.find` insists on at least one)."""
    with user:
        return list(ElementFilter(kind=ui.button, marker=marker, local_scope=False))


def texts(user: User, kind: type[ui.element] = ui.label) -> list[str]:
    with user:
        return [e.text for e in ElementFilter(kind=kind, local_scope=False) if hasattr(e, "text")]


def marked_texts(user: User, marker: str) -> list[str]:
    """The texts of the labels with `marker`, in the page's order."""
    with user:
        return [e.text for e in ElementFilter(kind=ui.label, marker=marker, local_scope=False)]


async def leave_for_checkout(user: User, navigate: RecordingNavigate) -> str:
    before = len(navigate.away)
    await eventually(lambda: len(navigate.away) > before)
    return navigate.away[-1]


def created_sessions(standin: StripeStandIn) -> list:
    return [r for r in standin.requests if (r.method, r.path) == CREATE_SESSION]


async def test_a_visitor_sees_the_public_services_with_prices_and_buy_or_subscribe(user: User, shop: Shop) -> None:
    await user.open(PAGE)
    await user.should_see(kind=ui.label, content="Logo design")
    await user.should_see("Three concepts, two rounds.")
    await user.should_see(kind=ui.label, content="Website care")
    shown = texts(user)
    assert "Secret retainer" not in shown and "Old package" not in shown
    assert shown.index("Logo design") < shown.index("Website care")  # the menu's order
    prices = marked_texts(user, "price")
    assert prices == ["$1,200.00", "$99.00 / month"]
    assert [b.text for b in buttons(user)] == ["Buy", "Subscribe"]
    # A visitor gets the organization's page, not the portal's navigation
    await user.should_see(kind=ui.label, content="Acme")
    await user.should_not_see("Sign out")
    await user.should_not_see(kind=ui.link, content="Invoices")
    await user.should_see(kind=ui.link, content="Client sign-in")


async def test_prices_follow_the_organizations_formats(user: User, shop: Shop) -> None:
    await organizations.update_organization(
        shop.world.actor, organizations.OrganizationChanges(locale="de_DE", name="Acme", slug="acme")
    )
    await add_service(shop.world, "Jahrespflege", "1188.00", "EUR", interval="year", public=True)
    await user.open(PAGE)
    await user.should_see(kind=ui.label, content="Jahrespflege")
    prices = marked_texts(user, "price")
    assert prices == ["1.200,00\xa0$", "99,00\xa0$ / month", "1.188,00\xa0€ / year"]


async def test_a_bad_email_is_shown_in_the_dialog_and_nothing_is_made(
    user: User, shop: Shop, stripe_standin: StripeStandIn
) -> None:
    navigate = recording(user)
    await user.open(PAGE)
    user.find(kind=ui.button, content="Buy").click()
    await user.should_see("Continue to payment")
    await user.should_see(kind=ui.label, content="Buy Logo design")
    user.find("Email").type("not an email")
    user.find("Company").type("Initech")
    user.find(kind=ui.button, content="Continue to payment").click()
    [email] = user.find(kind=ui.input, content="Email").elements
    await eventually(lambda: email.props.get("error") is True)
    assert "not valid" in email.props["error-message"]
    assert await count(Purchase) == 0
    assert created_sessions(stripe_standin) == [] and navigate.away == []

    email.set_value("buyer@initech.test")
    [company] = user.find(kind=ui.input, content="Company").elements
    company.set_value("  ")
    user.find(kind=ui.button, content="Continue to payment").click()
    await eventually(lambda: company.props.get("error") is True)
    assert "error" not in email.props
    assert await count(Purchase) == 0 and navigate.away == []


async def test_a_visitor_buys_a_one_time_service_through_checkout_on_the_orgs_account(
    user: User, shop: Shop, stripe_standin: StripeStandIn
) -> None:
    navigate = recording(user)
    await user.open(PAGE)
    user.find(kind=ui.button, content="Buy").click()
    user.find("Email").type("Buyer@Initech.test")
    user.find("Company").type("Initech")
    user.find(kind=ui.button, content="Continue to payment").click()
    url = await leave_for_checkout(user, navigate)
    session_id = session_id_of(url)
    assert url == f"{stripe_standin.url}/pay/{session_id}"
    [created] = created_sessions(stripe_standin)
    assert created.stripe_account == shop.account
    assert created.params["mode"] == "payment"
    assert created.params["customer_email"] == "buyer@initech.test"
    assert created.params["success_url"] == (
        "http://portico.test/portal/acme/services?purchase=success&session_id={CHECKOUT_SESSION_ID}"
    )
    assert created.params["cancel_url"] == "http://portico.test/portal/acme/services?purchase=cancelled"
    assert stripe_standin.sessions[session_id]["mode"] == "payment"
    assert stripe_standin.sessions[session_id]["amount_total"] == 120000
    [button] = user.find(kind=ui.button, content="Continue to payment").elements
    assert not button.enabled  # leaving for Stripe: no second press, no second session
    # Only the checkout attempt exists: no client or contact before payment
    assert await count(Purchase) == 1
    assert await count(Purchase, Purchase.status == PurchaseStatus.open, Purchase.client_id.is_(None)) == 1

    stripe_standin.complete(session_id)
    await user.open(f"{PAGE}?purchase=success&session_id={session_id}")
    await user.should_see(THANKS)
    assert await count(Purchase, Purchase.status == PurchaseStatus.paid, Purchase.client_id.is_not(None)) == 1
    await user.open(f"{PAGE}?purchase=success&session_id={session_id}")  # reloading is harmless
    await user.should_see(THANKS)
    assert await count(Purchase) == 1


async def test_a_visitor_subscribes_in_subscription_mode(user: User, shop: Shop, stripe_standin: StripeStandIn) -> None:
    navigate = recording(user)
    await user.open(PAGE)
    user.find(kind=ui.button, content="Subscribe").click()
    await user.should_see(kind=ui.label, content="Subscribe to Website care")
    user.find("Email").type("ops@initech.test")
    user.find("Company").type("Initech")
    user.find(kind=ui.button, content="Continue to payment").click()
    session_id = session_id_of(await leave_for_checkout(user, navigate))
    assert stripe_standin.requests[-1].stripe_account == shop.account
    assert stripe_standin.sessions[session_id]["mode"] == "subscription"


async def test_the_thank_you_is_the_same_for_a_known_email_and_a_made_up_session(
    user: User, shop: Shop, stripe_standin: StripeStandIn
) -> None:
    url = await purchases.start_visitor_purchase(shop.world.actor.org_id, shop.logo.id, shop.world.contact.email, "X")
    stripe_standin.complete(session_id_of(url))
    await user.open(f"{PAGE}?purchase=success&session_id={session_id_of(url)}")
    await user.should_see(THANKS)
    await user.open(f"{PAGE}?purchase=success&session_id=cs_test_made_up")
    await user.should_see(THANKS)
    await user.open(f"{PAGE}?purchase=cancelled")
    await user.should_see(CANCELLED)
    await user.should_not_see(THANKS)
    await user.open(f"{PAGE}?purchase=<script>")  # unknown values are not echoed
    await user.should_see(kind=ui.label, content="Logo design")
    await user.should_not_see(marker="purchase-notice")


async def test_a_signed_in_contact_goes_straight_to_checkout(
    user: User, shop: Shop, stripe_standin: StripeStandIn
) -> None:
    await sign_in_contact(user.http_client, "acme", shop.world.actor.org_id, shop.world.contact.email)
    navigate = recording(user)
    await user.open(PAGE)
    await user.should_see("Sign out")  # the portal's frame, navigation included
    links = {e.text: e.props["href"] for e in user.find(ui.link).elements}
    assert links["Services"] == PAGE and links["Invoices"] == "/portal/acme/invoices"
    user.find(kind=ui.button, content="Buy").click()
    url = await leave_for_checkout(user, navigate)
    await user.should_not_see("Continue to payment")
    [created] = created_sessions(stripe_standin)
    assert created.params["customer_email"] == shop.world.contact.email
    assert created.stripe_account == shop.account
    assert stripe_standin.sessions[session_id_of(url)]["mode"] == "payment"
    assert await count(Purchase, Purchase.contact_id == shop.world.contact.id, Purchase.via == "portal") == 1


async def test_without_a_connected_account_there_is_nothing_to_buy(user: User) -> None:
    world = await make_world("acme")
    await add_service(world, "Logo design", "1200.00", public=True)
    await user.open(PAGE)
    await user.should_see(kind=ui.label, content="Logo design")
    await user.should_see(kind=ui.label, content="$1,200.00")
    await user.should_see(marker="no-card-payments")
    assert buttons(user) == []


async def test_unknown_or_switched_off_portals_are_not_found(user: User, shop: Shop) -> None:
    response = await user.http_client.get("/portal/nope/services")
    assert response.status_code == 404
    await organizations.update_organization(
        shop.world.actor, organizations.OrganizationChanges(portal_enabled=False, name="Acme", slug="acme")
    )
    response = await user.http_client.get(PAGE)
    assert response.status_code == 404 and "Logo design" not in response.text


async def test_a_new_service_appears_on_the_open_page(user: User, shop: Shop) -> None:
    await user.open(PAGE)
    await user.should_see(kind=ui.label, content="Logo design")
    await add_service(shop.world, "SEO audit", "800.00", public=True)
    await user.should_see(kind=ui.label, content="SEO audit", retries=50)


async def test_a_contact_sees_their_subscription_and_cancels_it_at_period_end(
    user: User, shop: Shop, stripe_standin: StripeStandIn
) -> None:
    world = shop.world
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    await user.open(PAGE)
    await user.should_see(kind=ui.label, content="Website care")
    await user.should_not_see("Your subscriptions")

    # Subscribed in another tab: back from Checkout, the open page shows it at once
    url = await purchases.start_contact_purchase(world.portal_actor(), shop.care.id)
    session_id = session_id_of(url)
    stripe_standin.complete(session_id)
    assert (await purchases.confirm_return(world.actor.org_id, session_id)).result == "paid"
    await user.should_see("Your subscriptions", retries=50)
    assert await count(Subscription, Subscription.client_id == world.client.id) == 1
    [status] = user.find(kind=ui.badge, marker="subscription-status").elements
    assert status.text == "Active"
    [period] = user.find(kind=ui.label, marker="subscription-period").elements
    assert period.text.startswith("Renews on ")
    texts_now = texts(user)
    assert texts_now.index("Your subscriptions") < texts_now.index("Logo design")  # above the list
    await user.should_see(kind=ui.label, content="$99.00 / month")

    # Cancel, then think better of it: nothing changes
    user.find(marker="cancel-subscription").click()
    await user.should_see("Cancel Website care at the end of the period?")
    user.find(marker="cancel").click()
    await user.should_not_see("Cancel Website care at the end of the period?")
    [sub] = stripe_standin.subscriptions.values()
    assert sub["cancel_at_period_end"] is False

    user.find(marker="cancel-subscription").click()
    await user.should_see("Cancel Website care at the end of the period?")
    user.find(marker="confirm").click()
    await eventually(lambda: period.is_deleted)
    [period] = user.find(kind=ui.label, marker="subscription-period").elements
    assert period.text.startswith("Ends on ")
    assert buttons(user, "cancel-subscription") == []
    [sub] = stripe_standin.subscriptions.values()
    assert sub["cancel_at_period_end"] is True
    assert await count(Subscription, Subscription.cancel_at_period_end.is_(True)) == 1


async def test_a_visitor_never_sees_subscriptions(user: User, shop: Shop, stripe_standin: StripeStandIn) -> None:
    url = await purchases.start_contact_purchase(shop.world.portal_actor(), shop.care.id)
    stripe_standin.complete(session_id_of(url))
    assert (await purchases.confirm_return(shop.world.actor.org_id, session_id_of(url))).result == "paid"
    await user.open(PAGE)
    await user.should_see(kind=ui.label, content="Website care")
    await user.should_not_see("Your subscriptions")
    assert buttons(user, "cancel-subscription") == []


async def test_stripe_down_is_said_in_the_dialog_and_the_visitor_can_try_again(
    user: User, shop: Shop, stripe_standin: StripeStandIn
) -> None:
    navigate = recording(user)
    await user.open(PAGE)
    user.find(kind=ui.button, content="Buy").click()
    user.find("Email").type("buyer@initech.test")
    user.find("Company").type("Initech")
    with stripe_standin.down():
        user.find(kind=ui.button, content="Continue to payment").click()
        await user.should_see(purchases.UNAVAILABLE, retries=100)
    [problem] = user.find(marker="visitor-error").elements
    assert problem.props["role"] == "alert"
    assert navigate.away == [] and stripe_standin.sessions == {}
    assert await count(Purchase, Purchase.status == PurchaseStatus.error, Purchase.client_id.is_(None)) == 1

    [button] = user.find(kind=ui.button, content="Continue to payment").elements
    assert button.enabled
    user.find(kind=ui.button, content="Continue to payment").click()
    url = await leave_for_checkout(user, navigate)
    assert session_id_of(url) in stripe_standin.sessions
    await user.should_not_see(purchases.UNAVAILABLE)
