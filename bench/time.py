"""Time at scale: a million entries in one organization, on SQLite and on PostgreSQL, with each query's plan.

bench/time_data.py inserts the entries in bulk (1,000 clients' projects, 20 staff, two years, ~85 % approved,
older approved time mostly billed; one client with 50,000 entries, one project with 5,000 approved unbilled
entries). Then times, median and p95 over --repeat runs after a warm-up call, the service calls the pages make:
the portal Hours page (`client_hours` for the big client, this month and a whole year), its CSV for a month,
the staff approval queue (first page and a deep offset), a project's hours summary (`project_time`), and a draft
invoice from the 5,000 entries (`invoice_from_hours`, its draft deleted after each run to release them). Last,
EXPLAIN (QUERY PLAN on SQLite, ANALYZE on PostgreSQL) of every statement each call sent.

.venv/bin/python -m bench.time [--entries 1000000] [--repeat 20] [--only sqlite|postgresql] [--no-plans]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from bench.data import ensure_secret_key
from bench.scale import Call, Timing, plan, timed, vacuum
from bench.time_data import UNBILLED_DAYS, TimeDataset, generate_time
from models.organizations import Role
from services.billing import hours_invoices, invoices
from services.core import db
from services.core.actors import StaffActor
from services.core.migrations import upgrade
from services.time import entries, hours
from tests.support.postgres import start_cluster

PAGE = 50  # the Hours page's and the queue's page size


def owner(data: TimeDataset) -> StaffActor:
    return StaffActor(org_id=data.org_id, user_id=data.owner_id, role=Role.owner, email=data.owner_email)


def month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


async def calls(data: TimeDataset) -> list[tuple[str, Call]]:
    staff, today = owner(data), data.today
    this_month = month_of(today)
    last_month = month_of(this_month[0] - timedelta(days=1))
    year = (today - timedelta(days=364), today)
    queue_total = (await entries.approval_queue(staff, limit=1)).total
    deep = min(10_000, (queue_total - 1) // PAGE * PAGE)

    def client_hours(span: tuple[date, date]) -> Call:
        return lambda: hours.client_hours(
            staff, client_id=data.big_client_id, date_from=span[0], date_to=span[1], limit=PAGE
        )

    async def draft_and_release() -> None:
        draft = await hours_invoices.invoice_from_hours(
            staff,
            data.billing_project_id,
            date_from=today - timedelta(days=UNBILLED_DAYS),
            date_to=today,
            grouping="day",  # one line per entry stops at an invoice's 500 lines
        )
        assert len(draft.lines) > 0
        await invoices.delete_draft(staff, draft.id)  # the entries are free again for the next run

    return [
        ("hours page: big client, this month", client_hours(this_month)),
        ("hours page: big client, last month", client_hours(last_month)),
        ("hours page: big client, a whole year", client_hours(year)),
        (
            "hours CSV: big client, last month",
            lambda: hours.hours_csv(
                staff, client_id=data.big_client_id, date_from=last_month[0], date_to=last_month[1]
            ),
        ),
        (f"approval queue: page 1 (of {queue_total:,})", lambda: entries.approval_queue(staff, limit=PAGE)),
        (f"approval queue: offset {deep:,}", lambda: entries.approval_queue(staff, limit=PAGE, offset=deep)),
        ("project_time: big client's project", lambda: hours.project_time(staff, data.big_project_id)),
        ("invoice_from_hours: 5,000 entries by day, delete_draft", draft_and_release),
    ]


async def run_all(database: db.Database, label: str, named: list[tuple[str, Call]], repeat: int, plans: bool) -> None:
    for name, call in named:
        timing: Timing = await timed(database, name, call, repeat)
        print(f"[{label}] {name:<56} median {timing.median_ms:7.1f} ms   p95 {timing.p95_ms:7.1f} ms")
        if not plans:
            continue
        seen: set[str] = set()
        for statement, parameters in timing.statements:
            # Reads only, each once: EXPLAIN ANALYZE runs its statement, and the draft's INSERTs and UPDATEs
            # would run again (and collide with what the warm-up wrote); the CSV's pages repeat one query.
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")) or statement in seen:
                continue
            seen.add(statement)
            head = " ".join(statement.split())[:150]
            print(f"      SQL  {head}{'…' if len(head) == 150 else ''}")
            for line in await plan(database, statement, parameters):
                print(f"        {line}")


async def run(url: str, label: str, count: int, repeat: int, plans: bool, prepare: Callable[[], None]) -> None:
    await upgrade(url)
    database = db.configure(url)
    try:
        data = await generate_time(entries=count, big_client_entries=min(50_000, count // 2))
        print(
            f"[{label}] generated {data.entries:,} time entries and {data.invoices:,} invoices"
            f" in {data.seconds:.1f} s ({data.entries / data.seconds:,.0f} entries/s)"
        )
        prepare()
        await run_all(database, label, await calls(data), repeat, plans)
    finally:
        await db.close()


def sqlite_analyze(path: Path) -> None:
    """sqlite_stat1 for the planner, as `PRAGMA optimize` would write it."""
    with sqlite3.connect(path) as connection:
        connection.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", choices=("sqlite", "postgresql", "postgres"))
    parser.add_argument("--no-plans", dest="plans", action="store_false", help="skip the EXPLAIN output")
    parser.add_argument(
        "--analyze-sqlite",
        action="store_true",
        help="ANALYZE the SQLite file after the load (the app never does: without it SQLite plans without statistics)",
    )
    args = parser.parse_args()
    ensure_secret_key()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="portico-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            prepare = (lambda: sqlite_analyze(Path(tmp) / "bench.db")) if args.analyze_sqlite else (lambda: None)
            asyncio.run(run(url, "sqlite", args.entries, args.repeat, args.plans, prepare))
    if args.only in (None, "postgresql", "postgres"):
        cluster = start_cluster()
        try:
            cluster.run_sql("CREATE DATABASE bench")
            asyncio.run(
                run(cluster.url("bench"), "postgresql", args.entries, args.repeat, args.plans, lambda: vacuum(cluster))
            )
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
