"""Card payments end to end against the loopback Stripe stand-in, on SQLite and on PostgreSQL.

For N open invoices (among 10,000 in the organization): press Pay on the public link (one attempt row, one
Checkout Session over HTTP), finish checkout at the stand-in, then hand the signed `checkout.session.completed`
to the webhook handler (signature check, event-id insert, locks, Payment, receipts, audit). Then the same
events again (duplicates) and all of them at once, 20 at a time (concurrent duplicates).

.venv/bin/python -m bench.payments [--payments 300] [--invoices 10000] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.data import ensure_secret_key, generate
from models import Invoice, Organization, OutboxMail, Payment
from services.adapters import stripe_gateway
from services.billing import invoice_views
from services.card_payments import checkout, stripe_accounts, webhooks
from services.core import db
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.migrations import upgrade
from tests.support.stripe_standin import StripeStandIn, start_standin


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(samples) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


async def _count(model: type) -> int:
    async with unit_of_work(SystemActor(label="bench")) as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def run(url: str, label: str, standin: StripeStandIn, count: int, invoices: int) -> None:
    await upgrade(url)
    db.configure(url)
    try:
        await generate(clients=1_000, invoices_count=invoices)
        async with unit_of_work(SystemActor(label="bench")) as session:
            slugs = list(await session.scalars(select(Organization.slug)))
        for slug in slugs:  # each organization paid into its own connected account at the stand-in
            await stripe_accounts.bind_account(slug, standin.create_account())
        async with unit_of_work(SystemActor(label="bench")) as session:
            ids = list(await session.scalars(select(Invoice.id).order_by(Invoice.number).limit(count)))
        starts, handles, bodies = [], [], []
        for invoice_id in ids:
            began = time.perf_counter()
            url_ = await checkout.start_public_checkout(invoice_views.public_token(invoice_id))
            starts.append(time.perf_counter() - began)
            session_id = url_.rsplit("/", 1)[1]
            standin.complete(session_id)
            body, headers = standin.signed(standin.event("checkout.session.completed", session_id))
            bodies.append((body, headers["Stripe-Signature"]))
            began = time.perf_counter()
            outcome = await webhooks.handle_webhook(*bodies[-1])
            handles.append(time.perf_counter() - began)
            assert outcome.result == "paid", outcome
        duplicates = []
        for body, signature in bodies:
            began = time.perf_counter()
            await webhooks.handle_webhook(body, signature)
            duplicates.append(time.perf_counter() - began)
        began = time.perf_counter()
        for n in range(0, len(bodies), 20):
            await asyncio.gather(*(webhooks.handle_webhook(b, s) for b, s in bodies[n : n + 20] for _ in range(2)))
        burst = time.perf_counter() - began
        print(f"[{label}] Pay (attempt row + Checkout Session over loopback HTTP): {_ms(starts)}")
        print(f"[{label}] webhook that records a payment: {_ms(handles)}, {len(handles) / sum(handles):,.0f}/s")
        print(f"[{label}] duplicate webhook: {_ms(duplicates)}, {len(duplicates) / sum(duplicates):,.0f}/s")
        print(f"[{label}] {2 * len(bodies)} concurrent duplicates, 40 at a time: {burst:.2f} s")
        print(
            f"[{label}] rows: {await _count(Payment):,} payments, {await _count(OutboxMail):,} receipts and notices queued"
        )
    finally:
        await db.close()


def use_standin(standin: StripeStandIn) -> None:
    """Point this process's Stripe gateway at the stand-in, with its key and both webhook secrets."""
    stripe_gateway.configure(
        stripe_gateway.StripeConfig(
            standin.secret_key,
            standin.webhook_secret,
            standin.url,
            connect_webhook_secret=standin.connect_webhook_secret,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=300)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    ensure_secret_key()
    with start_standin() as standin:
        use_standin(standin)
        if args.only != "postgres":
            with tempfile.TemporaryDirectory(prefix="portico-bench-") as tmp:
                url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
                asyncio.run(run(url, "sqlite", standin, args.payments, args.invoices))
        if args.only != "sqlite":
            from tests.support.postgres import start_cluster

            cluster = start_cluster()
            try:
                cluster.run_sql("CREATE DATABASE bench")
                asyncio.run(run(cluster.url("bench"), "postgres", standin, args.payments, args.invoices))
            finally:
                cluster.stop()


if __name__ == "__main__":
    main()
