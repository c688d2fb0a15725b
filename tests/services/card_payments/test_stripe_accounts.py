"""Binding an organization to its connected Stripe account: one account per organization and organization per
account, a clear refusal otherwise, audited; and the `set-stripe-account` command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from models import AuditEvent, Organization
from models.organizations import Role
from services.card_payments import checkout, stripe_accounts, webhooks
from services.core import db
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Conflict, Forbidden, Invalid, NotFound
from tests.support.card_payments import connect
from tests.support.factories import add_member, make_org, make_world
from tests.support.live import ROOT
from tests.support.stripe_standin import StripeStandIn


async def account_of(slug: str) -> str | None:
    async with unit_of_work(SystemActor()) as session:
        return await session.scalar(select(Organization.stripe_account_id).where(Organization.slug == slug))


async def test_an_organization_is_bound_once_and_an_account_to_one_organization(database) -> None:
    await make_org("acme")
    await make_org("bravo")
    assert await stripe_accounts.bind_account("acme", " acct_1AcmeAccount01 ") == "acct_1AcmeAccount01"
    assert await account_of("acme") == "acct_1AcmeAccount01"
    assert await stripe_accounts.bind_account("ACME", "acct_1AcmeAccount01") == "acct_1AcmeAccount01"  # no change
    with pytest.raises(Conflict, match="already bound to another organization"):
        await stripe_accounts.bind_account("bravo", "acct_1AcmeAccount01")
    assert await account_of("bravo") is None
    async with unit_of_work(SystemActor()) as session:
        rows = list(await session.execute(select(AuditEvent.action, AuditEvent.detail, AuditEvent.actor_label)))
    assert [(action, detail["account"], who) for action, detail, who in rows if action.startswith("stripe")] == [
        ("stripe.account_bound", "acct_1AcmeAccount01", "cli")
    ]


@pytest.mark.parametrize("account", ["", "acct_", "sk_live_123456789", "acct_1234 5678", "acct_../../x", "x" * 70])
async def test_anything_but_an_account_id_is_refused(database, account: str) -> None:
    await make_org("acme")
    with pytest.raises(Invalid, match="looks like acct_"):
        await stripe_accounts.bind_account("acme", account)
    assert await account_of("acme") is None


async def test_an_unknown_organization_is_named(database) -> None:
    with pytest.raises(NotFound, match="“nope”"):
        await stripe_accounts.bind_account("nope", "acct_1AcmeAccount01")


def set_account(database_url: str, var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PORTAL_DATABASE_URL": database_url, "PORTAL_VAR_DIR": str(var_dir)}
    env["PORTAL_SECRET_KEY"] = "test-secret-key"
    return subprocess.run(
        [sys.executable, "main.py", "set-stripe-account", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_command_binds_and_prints_the_account_or_says_why_not(sqlite_url: str, tmp_path: Path) -> None:
    db.configure(sqlite_url)
    try:
        await make_org("acme")
    finally:
        await db.close()
    done = await asyncio.to_thread(
        set_account, sqlite_url, tmp_path, "--org", "acme", "--account", "acct_1AcmeAccount01"
    )
    assert (done.returncode, done.stdout.strip()) == (0, "acct_1AcmeAccount01"), done.stderr
    refused = await asyncio.to_thread(set_account, sqlite_url, tmp_path, "--org", "acme", "--account", "sk_live_1")
    assert refused.returncode == 2 and "looks like acct_" in refused.stderr and not refused.stdout
    db.configure(sqlite_url)
    try:
        assert await account_of("acme") == "acct_1AcmeAccount01"
    finally:
        await db.close()


# --- with Stripe: the account's state, onboarding, account.updated ----------------------------------------------


async def test_binding_reads_the_account_state_from_stripe(database, stripe_standin: StripeStandIn) -> None:
    world = await make_world("acme")
    pending = stripe_standin.create_account(charges_enabled=False, payouts_enabled=False)
    await stripe_accounts.bind_account("acme", pending)
    view = await stripe_accounts.account_view(world.actor)
    assert (view.account_id, view.charges_enabled, view.payouts_enabled) == (pending, False, False)
    assert view.reported_at is not None and "external_account" in view.requirements_due
    assert not view.card_payments and "has not enabled charges" in view.why_not
    [read] = [r for r in stripe_standin.requests if r.path == f"/v1/accounts/{pending}"]
    assert read.stripe_account is None  # the platform reads its connected account


async def test_an_account_stripe_does_not_know_is_refused(database, stripe_standin: StripeStandIn) -> None:
    await make_org("acme")
    with pytest.raises(Invalid, match="Stripe does not know acct_1UnknownAccount1"):
        await stripe_accounts.bind_account("acme", "acct_1UnknownAccount1")
    assert await account_of("acme") is None


async def test_stripe_down_binds_with_the_state_unknown_and_pay_offered(
    database, stripe_standin: StripeStandIn
) -> None:
    world = await make_world("acme")
    account = stripe_standin.create_account()
    with stripe_standin.down():
        await stripe_accounts.bind_account("acme", account)
    view = await stripe_accounts.account_view(world.actor)
    assert view.account_id == account and view.reported_at is None
    assert view.card_payments  # Stripe itself refuses the session if charges turn out to be off
    assert (await stripe_accounts.refresh_state(world.actor)).reported_at is not None


async def account_updated(standin: StripeStandIn, account: str, **overrides: object) -> checkout.Outcome:
    event = standin.account_event(account)
    event.update(overrides)
    body, headers = standin.signed(event)
    return await webhooks.handle_webhook(body, headers["Stripe-Signature"])


async def test_account_updated_keeps_the_state_current_and_is_audited_on_change(
    database, stripe_standin: StripeStandIn
) -> None:
    world = await make_world("acme")
    account = await connect(stripe_standin, world)
    stripe_standin.update_account(account, charges_enabled=False)
    outcome = await account_updated(stripe_standin, account)
    assert (outcome.result, outcome.org_id) == ("account", world.actor.org_id)
    assert not (await stripe_accounts.account_view(world.actor)).card_payments
    stripe_standin.update_account(account, charges_enabled=True)
    assert (await account_updated(stripe_standin, account)).result == "account"
    assert (await account_updated(stripe_standin, account)).result == "account"  # the same state again
    assert (await stripe_accounts.account_view(world.actor)).card_payments
    async with unit_of_work(SystemActor()) as session:
        states = list(
            await session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "stripe.account_state"))
        )
    assert [d["charges_enabled"] for d in states] == [True, False, True]  # bound, turned off, back on: not twice


async def test_account_updated_for_an_unbound_or_mismatched_account_changes_nothing(
    database, stripe_standin: StripeStandIn
) -> None:
    world = await make_world("acme")
    account = await connect(stripe_standin, world)
    stray = stripe_standin.create_account(charges_enabled=False)
    assert (await account_updated(stripe_standin, stray)).result == "ignored"
    # an event of another account carrying this organization's account object is not believed
    event = stripe_standin.account_event(account)
    event["data"]["object"]["charges_enabled"] = False
    event["account"] = stray
    body, headers = stripe_standin.signed(event)
    assert (await webhooks.handle_webhook(body, headers["Stripe-Signature"])).result == "ignored"
    assert (await stripe_accounts.account_view(world.actor)).card_payments


async def test_onboarding_makes_one_account_per_page_and_the_way_back_is_bound_to_the_session(
    database, stripe_standin: StripeStandIn
) -> None:
    world = await make_world("acme")
    session_id, other_session = uuid.uuid4(), uuid.uuid4()
    first = await stripe_accounts.start_onboarding(world.actor, session_id, "page-1")
    second = await stripe_accounts.start_onboarding(world.actor, session_id, "page-1")  # a double click
    assert first != second  # each press gets a fresh link...
    [account] = stripe_standin.accounts  # ...to the one account
    created = [r for r in stripe_standin.requests if (r.method, r.path) == ("POST", "/v1/accounts")]
    assert created[0].params["type"] == "standard"
    assert created[0].params["metadata"] == {"portico_org_id": str(world.actor.org_id)}
    assert (await stripe_accounts.account_view(world.actor)).account_id == account

    return_url = stripe_standin.finish_onboarding(second)
    state = parse_qs(urlsplit(return_url).query)["state"][0]
    assert urlsplit(return_url).path == stripe_accounts.RETURN_PATH
    with pytest.raises(Forbidden):  # another browser's session
        await stripe_accounts.finish_onboarding(world.actor, other_session, state)
    with pytest.raises(Forbidden):
        await stripe_accounts.finish_onboarding(
            world.actor, session_id, state[:-1] + ("0" if state[-1] != "0" else "1")
        )
    bravo = await make_world("bravo")  # another organization's admin with the same session id gets nowhere either
    with pytest.raises(Forbidden):
        await stripe_accounts.finish_onboarding(bravo.actor, session_id, state)
    assert not (await stripe_accounts.account_view(world.actor)).charges_enabled

    view = await stripe_accounts.finish_onboarding(world.actor, session_id, state)
    assert view.charges_enabled and view.payouts_enabled and view.card_payments
    fresh = await stripe_accounts.renew_onboarding(world.actor, session_id, state)
    assert fresh.startswith(f"{stripe_standin.url}/connect/onboard/")


async def test_members_cannot_connect_or_disconnect(database, stripe_standin: StripeStandIn) -> None:
    world = await make_world("acme")
    account = await connect(stripe_standin, world)
    member = await add_member(world.actor.org_id, "amy@acme.test", Role.member)
    for attempt in (
        stripe_accounts.start_onboarding(member, uuid.uuid4(), "k"),
        stripe_accounts.disconnect(member),
    ):
        with pytest.raises(Forbidden):
            await attempt
    assert (await stripe_accounts.account_view(member)).account_id == account
    assert [r for r in stripe_standin.requests if r.path == "/v1/accounts"] == []
