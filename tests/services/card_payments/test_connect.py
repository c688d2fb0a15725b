"""Stripe Connect: two agencies on one install, each paid into its own account, and no way for one account's
sessions or events to settle the other's invoices. Direct mode for a one-organization install."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models import CheckoutStatus, StripeEvent
from services.adapters import stripe_gateway
from services.billing import invoice_views, invoices
from services.card_payments import checkout, webhooks
from services.core import db
from services.core.actors import PortalActor, SystemActor
from services.core.db import unit_of_work
from services.core.errors import Conflict
from services.organizations import organizations
from tests.support.card_payments import (
    attempts_of,
    connect,
    new_invoice,
    payments_of,
    refusals_of,
    session_id_of,
)
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import make_billing
from tests.support.live import ROOT
from tests.support.stripe_standin import StripeStandIn

COMPLETED = "checkout.session.completed"
CREATE_SESSION = ("POST", "/v1/checkout/sessions")


@dataclass(frozen=True)
class Agency:
    world: OrgWorld
    account: str
    invoice_id: uuid.UUID

    @property
    def contact(self) -> PortalActor:
        return self.world.portal_actor()

    async def pay(self) -> str:
        """The contact presses Pay in the portal; the Checkout Session's id."""
        return session_id_of(await checkout.start_portal_checkout(self.contact, self.invoice_id))


async def agency(slug: str, standin: StripeStandIn) -> Agency:
    world = await make_world(slug)
    account = await connect(standin, world)
    await make_billing(world.contact.id)
    return Agency(world, account, await new_invoice(world))


@pytest.fixture
async def agencies(database, stripe_standin: StripeStandIn) -> tuple[Agency, Agency]:
    return await agency("acme", stripe_standin), await agency("bravo", stripe_standin)


async def deliver(standin: StripeStandIn, event: dict) -> checkout.Outcome:
    body, headers = standin.signed(event)
    return await webhooks.handle_webhook(body, headers["Stripe-Signature"])


async def stays_unpaid(target: Agency) -> None:
    assert await payments_of(target.invoice_id) == []
    assert all(a.status == CheckoutStatus.open for a in await attempts_of(target.invoice_id))


async def test_each_pay_goes_to_its_own_organizations_account(
    agencies: tuple[Agency, Agency], stripe_standin: StripeStandIn
) -> None:
    acme, bravo = agencies
    assert acme.account != bravo.account
    for payer in (acme, bravo):
        session_id = await payer.pay()
        assert stripe_standin.account_of(session_id) == payer.account
        [attempt] = await attempts_of(payer.invoice_id)
        assert attempt.stripe_account_id == payer.account
    made = [r for r in stripe_standin.requests if (r.method, r.path) == CREATE_SESSION]
    assert [r.stripe_account for r in made] == [acme.account, bravo.account]

    for payer in (acme, bravo):
        [attempt] = await attempts_of(payer.invoice_id)
        assert attempt.stripe_session_id is not None
        stripe_standin.complete(attempt.stripe_session_id)
        event = stripe_standin.event(COMPLETED, attempt.stripe_session_id)
        assert event["account"] == payer.account  # a Connect event names its account
        assert (await deliver(stripe_standin, event)).result == "paid"
        assert len(await payments_of(payer.invoice_id)) == 1
    assert stripe_standin.balance_of(acme.account) == {"eur": 12000}
    assert stripe_standin.balance_of(bravo.account) == {"eur": 12000}
    assert stripe_standin.balance_of(None) == {}


async def test_an_event_of_account_b_about_a_session_of_a_changes_nothing(
    agencies: tuple[Agency, Agency], stripe_standin: StripeStandIn
) -> None:
    acme, bravo = agencies
    session_id = await acme.pay()
    stripe_standin.complete(session_id)
    forged = stripe_standin.event(COMPLETED, session_id, account=bravo.account)  # signed, but from B's account
    outcome = await deliver(stripe_standin, forged)
    assert (outcome.result, outcome.org_id) == ("refused", acme.world.actor.org_id)
    await stays_unpaid(acme)
    [refusal] = await refusals_of(acme.invoice_id)
    assert refusal.org_id == acme.world.actor.org_id
    assert bravo.account not in str(refusal.detail)  # A's staff read that it came from elsewhere, not whose it was
    async with unit_of_work(SystemActor()) as session:
        recorded = await session.scalar(select(StripeEvent).where(StripeEvent.event_id == forged["id"]))
    assert recorded is not None and recorded.outcome.startswith("refused")

    platform = stripe_standin.event(COMPLETED, session_id, account=None)  # the platform's own events cannot either
    assert (await deliver(stripe_standin, platform)).result == "refused"
    await stays_unpaid(acme)

    genuine = stripe_standin.event(COMPLETED, session_id)  # A's own event still settles it, once
    assert (await deliver(stripe_standin, genuine)).result == "paid"
    assert len(await payments_of(acme.invoice_id)) == 1


async def test_a_real_session_of_b_naming_a_invoice_in_its_metadata_changes_nothing(
    agencies: tuple[Agency, Agency], stripe_standin: StripeStandIn
) -> None:
    acme, bravo = agencies
    await acme.pay()
    [a_attempt] = await attempts_of(acme.invoice_id)
    b_session = await bravo.pay()
    stripe_standin.complete(b_session)
    event = stripe_standin.event(COMPLETED, b_session)
    assert event["account"] == bravo.account
    named = {"portico_invoice_id": str(acme.invoice_id), "portico_org_id": str(acme.world.actor.org_id)}
    event["data"]["object"]["metadata"].update(named)
    event["data"]["object"]["client_reference_id"] = str(acme.invoice_id)
    assert (await deliver(stripe_standin, event)).result == "refused"
    await stays_unpaid(acme)
    assert await payments_of(bravo.invoice_id) == []  # nor does it pay B's invoice under a false name

    # Naming A's attempt too (as a session made before A's got its id might) is refused all the same.
    again = stripe_standin.event(COMPLETED, b_session)
    again["data"]["object"]["metadata"].update({**named, "portico_attempt_id": str(a_attempt.id)})
    assert (await deliver(stripe_standin, again)).result == "refused"
    await stays_unpaid(acme)
    assert len(await refusals_of(acme.invoice_id)) == 2  # recorded for A's staff, whose invoice was named...
    b_refusals = await refusals_of(bravo.invoice_id)  # ...and for B's, whose session it was
    assert len(b_refusals) == 2 and all(r.org_id == bravo.world.actor.org_id for r in b_refusals)


async def test_a_session_id_of_a_is_never_read_back_on_b(
    agencies: tuple[Agency, Agency], stripe_standin: StripeStandIn
) -> None:
    acme, bravo = agencies
    a_session = await acme.pay()
    stripe_standin.complete(a_session)
    with pytest.raises(stripe_gateway.StripeRefused, match=r"No such checkout\.session"):
        await stripe_gateway.retrieve_checkout_session(a_session, account=bravo.account)

    def reads() -> list:
        return [r for r in stripe_standin.requests if r.method == "GET" and r.path.endswith(a_session)]

    # B's contact comes back to B's invoice with A's session id in the address: nothing is read, nothing paid
    before = len(reads())
    outcome = await checkout.confirm_return(a_session, invoice_id=bravo.invoice_id)
    assert outcome.result == "ignored"
    await stays_unpaid(acme)
    assert len(reads()) == before
    # A's own return reads it on A's account and settles it
    assert (await checkout.confirm_return(a_session, invoice_id=acme.invoice_id)).result == "paid"
    assert reads()[-1].stripe_account == acme.account


async def test_an_organization_without_a_usable_account_offers_no_pay(database, stripe_standin: StripeStandIn) -> None:
    world = await make_world("acme")
    invoice_id = await new_invoice(world)
    contact = world.portal_actor()
    with pytest.raises(checkout.NotOffered):  # no account at all
        await checkout.start_portal_checkout(contact, invoice_id)
    assert not (await invoices.get_invoice(world.actor, invoice_id)).card_payments

    await connect(stripe_standin, world, charges_enabled=False)  # Stripe says charges are not enabled yet
    with pytest.raises(checkout.NotOffered):
        await checkout.start_public_checkout(invoice_views.public_token(invoice_id))
    assert not (await invoices.get_invoice(world.actor, invoice_id)).card_payments
    assert [r for r in stripe_standin.requests if (r.method, r.path) == CREATE_SESSION] == []


# --- direct mode -----------------------------------------------------------------------------------------------


@pytest.fixture
def direct(stripe_standin: StripeStandIn) -> StripeStandIn:
    stripe_gateway.configure(
        stripe_gateway.StripeConfig(
            secret_key=stripe_standin.secret_key,
            webhook_secret=stripe_standin.webhook_secret,
            api_base=stripe_standin.url,
            direct=True,
        )
    )
    return stripe_standin


async def test_direct_mode_pays_the_one_organization_into_the_platform_account(database, direct: StripeStandIn) -> None:
    world = await make_world("acme")
    await make_billing(world.contact.id)
    invoice_id = await new_invoice(world)
    session_id = session_id_of(await checkout.start_portal_checkout(world.portal_actor(), invoice_id))
    assert direct.account_of(session_id) is None
    [made] = [r for r in direct.requests if (r.method, r.path) == CREATE_SESSION]
    assert made.stripe_account is None
    direct.complete(session_id)
    event = direct.event(COMPLETED, session_id)
    assert "account" not in event
    assert (await deliver(direct, event)).result == "paid"
    assert direct.balance_of(None) == {"eur": 12000}

    with pytest.raises(Conflict, match="serves one organization only"):
        await organizations.create_organization(
            SystemActor(label="test"), name="Bravo", slug="bravo", owner_email="o@bravo.test", owner_password="x" * 12
        )


def serve(database_url: str, var_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_VAR_DIR": str(var_dir),
        "PORTAL_SECRET_KEY": "test-secret-key",
        "PORTAL_PORT": "1",  # never reached: serve stops before listening
        **env,
    }
    return subprocess.run(
        [sys.executable, "main.py", "serve"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


async def test_serve_refuses_direct_mode_with_two_organizations(sqlite_url: str, tmp_path: Path) -> None:
    db.configure(sqlite_url)
    try:
        await make_world("acme")
        await make_world("bravo")
    finally:
        await db.close()
    refused = await asyncio.to_thread(serve, sqlite_url, tmp_path, PORTAL_STRIPE_DIRECT="true")
    assert refused.returncode == 2
    assert "PORTAL_STRIPE_DIRECT=true" in refused.stderr and "This install has 2" in refused.stderr
    assert "Listening on" not in refused.stdout


async def test_reconcile_reads_each_session_on_its_own_account_and_one_lost_account_stops_no_other(
    at, agencies: tuple[Agency, Agency], stripe_standin: StripeStandIn
) -> None:
    acme, bravo = agencies
    sessions = {payer.account: await payer.pay() for payer in (acme, bravo)}
    for session_id in sessions.values():
        stripe_standin.complete(session_id)  # paid, but no webhook came
    del stripe_standin.accounts[acme.account]  # the platform lost access to A's account meanwhile
    at(checkout.RECONCILE_AFTER + timedelta(minutes=1))
    assert await checkout.reconcile() == 1
    await stays_unpaid(acme)
    assert len(await payments_of(bravo.invoice_id)) == 1
    reads = [r for r in stripe_standin.requests if r.method == "GET" and r.path.startswith("/v1/checkout/sessions/")]
    assert {(r.path.rsplit("/", 1)[1], r.stripe_account) for r in reads} == {
        (session_id, account) for account, session_id in sessions.items()
    }
