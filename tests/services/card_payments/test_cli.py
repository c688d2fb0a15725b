"""`python main.py run-job reconcile`: the same job `serve` schedules, run once from the command line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from models import CheckoutAttempt, CheckoutStatus
from services.billing import invoice_views
from services.card_payments import checkout
from services.core import clock, db
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from tests.support.card_payments import attempts_of, connect, new_invoice, payments_of
from tests.support.factories import make_world
from tests.support.invoicing import make_billing
from tests.support.live import ROOT
from tests.support.stripe_standin import StripeStandIn


def run_job(name: str, database_url: str, var_dir: Path, standin: StripeStandIn) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_VAR_DIR": str(var_dir),
        "PORTAL_SECRET_KEY": "test-secret-key",
        "PORTAL_BASE_URL": "http://portico.test",
        "PORTAL_STRIPE_SECRET_KEY": standin.secret_key,
        "PORTAL_STRIPE_WEBHOOK_SECRET": standin.webhook_secret,
        "PORTAL_STRIPE_API_BASE": standin.url,
    }
    return subprocess.run(
        [sys.executable, "main.py", "run-job", name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_run_job_reconcile_settles_a_session_that_got_no_webhook(
    sqlite_url: str, tmp_path: Path, stripe_standin: StripeStandIn
) -> None:
    db.configure(sqlite_url)
    try:
        world = await make_world("acme")
        await connect(stripe_standin, world)
        await make_billing(world.contact.id)
        invoice_id = await new_invoice(world)
        url = await checkout.start_public_checkout(invoice_views.public_token(invoice_id))
        stripe_standin.complete(url.rsplit("/", 1)[1])
        async with unit_of_work(SystemActor()) as session:  # as if the payer left ten minutes ago
            await session.execute(update(CheckoutAttempt).values(created_at=clock.now() - timedelta(minutes=10)))
        done = await asyncio.to_thread(run_job, "reconcile", sqlite_url, tmp_path / "var", stripe_standin)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().splitlines()[-1] == "settled 1 Stripe session(s)"
        [attempt] = await attempts_of(invoice_id)
        assert attempt.status == CheckoutStatus.paid
        assert len(await payments_of(invoice_id)) == 1
    finally:
        await db.close()
