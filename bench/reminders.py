"""The reminders sweep over many invoices, on SQLite and on PostgreSQL: a first sweep, then an idempotent one.

.venv/bin/python -m bench.reminders [--invoices 100000] [--clients 1000] [--batch 5000] [--only sqlite|postgres]
                                    [--repeat 1]

Each round starts from fresh data (a new SQLite file, a new PostgreSQL database); with --repeat N the rounds'
median and spread (lowest to highest) follow. "cpu" is this process's CPU time (Python, and SQLite's work, which
runs in this process): on a busy machine it moves less than the wall-clock time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import ColumnElement, func, select

from bench.data import generate
from models import AuditEvent, Base, OutboxMail, ReminderSent
from services.billing import reminders
from services.core import db
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.migrations import upgrade

SWEEPS = ("first sweep", "second sweep (idempotent)")


@dataclass(frozen=True)
class Sweep:
    seconds: float
    cpu_seconds: float
    reminded: int


async def _count(model: type[Base], *conditions: ColumnElement[bool]) -> int:
    async with unit_of_work(SystemActor(label="bench")) as session:
        return await session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


async def _sweep(now: datetime, batch: int | None) -> Sweep:
    started, cpu_started = time.perf_counter(), time.process_time()
    reminded = await (reminders.sweep(now=now) if batch is None else reminders.sweep(now=now, batch=batch))
    return Sweep(time.perf_counter() - started, time.process_time() - cpu_started, reminded)


async def run_round(url: str, label: str, invoices: int, clients: int, batch: int | None) -> tuple[Sweep, Sweep]:
    """One round on a fresh, empty database: generate the data, sweep twice, check the rows each reminder left."""
    await upgrade(url)
    db.configure(url)
    try:
        data = await generate(clients=clients, invoices_count=invoices)
        print(f"[{label}] generated {data.invoices:,} invoices for {data.clients:,} clients in {data.seconds:.1f} s")
        now = datetime.now(UTC)
        first, second = await _sweep(now, batch), await _sweep(now, batch)
        for name, sweep in zip(SWEEPS, (first, second), strict=True):
            print(
                f"[{label}] {name}: {sweep.seconds:.2f} s, {invoices / sweep.seconds:,.0f} invoices/s "
                f"(cpu {sweep.cpu_seconds:.2f} s), {sweep.reminded:,} reminders queued"
            )
        sent = await _count(ReminderSent)
        mails = await _count(OutboxMail)
        audited = await _count(AuditEvent, AuditEvent.action == "invoice.reminder_sent")
        print(f"[{label}] rows: {sent:,} reminders_sent, {mails:,} outbox_mail, {audited:,} reminder audit events")
        # Each client has one billing contact here: one mail per reminder.
        if second.reminded or not sent == mails == audited == first.reminded:
            raise SystemExit(f"[{label}] each reminder should leave one row of each kind, and the second sweep none")
        return first, second
    finally:
        await db.close()


def summarize(label: str, invoices: int, rounds: list[tuple[Sweep, Sweep]]) -> None:
    for index, name in enumerate(SWEEPS):
        rates = [invoices / sweeps[index].seconds for sweeps in rounds]
        seconds = statistics.median(sweeps[index].seconds for sweeps in rounds)
        print(
            f"[{label}] {name}: median {statistics.median(rates):,.0f} invoices/s ({seconds:.2f} s), "
            f"spread {min(rates):,.0f}–{max(rates):,.0f} invoices/s over {len(rounds)} rounds"
        )


def repeat(label: str, rounds: int, invoices: int, one_round: Callable[[int], tuple[Sweep, Sweep]]) -> None:
    results = []
    for n in range(1, rounds + 1):
        if rounds > 1:
            print(f"[{label}] round {n} of {rounds}")
        results.append(one_round(n))
    if rounds > 1:
        summarize(label, invoices, results)


@contextmanager
def postgres_cluster() -> Iterator[Callable[[int], str]]:
    """A throwaway cluster; the function it yields makes a fresh database for round n and returns its URL."""
    from tests.support.postgres import start_cluster

    cluster = start_cluster()
    previous: list[str] = []

    def fresh_database(n: int) -> str:
        for name in previous:
            cluster.run_sql(f"DROP DATABASE IF EXISTS {name}")
        previous[:] = [f"bench_{n}"]
        cluster.run_sql(f"CREATE DATABASE bench_{n}")
        return cluster.url(f"bench_{n}")

    try:
        yield fresh_database
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=1_000)
    parser.add_argument("--batch", type=int, help=f"invoices per transaction (the sweep's own: {reminders.BATCH:,})")
    parser.add_argument("--only", choices=("sqlite", "postgres", "postgresql"))
    parser.add_argument("--repeat", type=int, default=1, help="rounds per database, each on fresh data")
    args = parser.parse_args()
    sizes = (args.invoices, args.clients, args.batch)
    if args.only in (None, "sqlite"):

        def sqlite_round(n: int) -> tuple[Sweep, Sweep]:
            with tempfile.TemporaryDirectory(prefix="portico-bench-") as tmp:
                return asyncio.run(run_round(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", "sqlite", *sizes))

        repeat("sqlite", args.repeat, args.invoices, sqlite_round)
    if args.only in (None, "postgres", "postgresql"):
        with postgres_cluster() as fresh_database:

            def postgres_round(n: int) -> tuple[Sweep, Sweep]:
                return asyncio.run(run_round(fresh_database(n), "postgres", *sizes))

            repeat("postgres", args.repeat, args.invoices, postgres_round)


if __name__ == "__main__":
    main()
