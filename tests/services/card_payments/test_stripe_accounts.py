"""Binding an organization to its connected Stripe account: one account per organization and organization per
account, a clear refusal otherwise, audited; and the `set-stripe-account` command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from models import AuditEvent, Organization
from services.card_payments import stripe_accounts
from services.core import db
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid, NotFound
from tests.support.factories import make_org
from tests.support.live import ROOT


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
