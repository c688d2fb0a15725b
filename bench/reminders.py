"""The reminders sweep over many invoices, on SQLite and on PostgreSQL: a first sweep, then an idempotent one.

.venv/bin/python -m bench.reminders [--invoices 100000] [--clients 1000] [--batch 1000] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.data import generate
from models import OutboxMail, ReminderSent
from services.billing import reminders
from services.core import db
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.migrations import upgrade


async def _count(model: type) -> int:
    async with unit_of_work(SystemActor(label="bench")) as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def run(url: str, label: str, invoices: int, clients: int, batch: int) -> None:
    await upgrade(url)
    db.configure(url)
    try:
        data = await generate(clients=clients, invoices_count=invoices)
        print(f"[{label}] generated {data.invoices:,} invoices for {data.clients:,} clients in {data.seconds:.1f} s")
        now = datetime.now(UTC)
        for name in ("first sweep", "second sweep (idempotent)"):
            started = time.perf_counter()
            sent = await reminders.sweep(now=now, batch=batch)
            seconds = time.perf_counter() - started
            print(f"[{label}] {name}: {seconds:.2f} s, {invoices / seconds:,.0f} invoices/s, {sent:,} reminders queued")
        print(
            f"[{label}] rows: {await _count(ReminderSent):,} reminders_sent, {await _count(OutboxMail):,} outbox_mail"
        )
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    if args.only != "postgres":
        with tempfile.TemporaryDirectory(prefix="portico-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            asyncio.run(run(url, "sqlite", args.invoices, args.clients, args.batch))
    if args.only != "sqlite":
        from tests.support.postgres import start_cluster

        cluster = start_cluster()
        try:
            cluster.psql("CREATE DATABASE bench")
            asyncio.run(run(cluster.url("bench"), "postgres", args.invoices, args.clients, args.batch))
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
