"""The staff lists and home totals at the SPEC §9 scale, on SQLite and on PostgreSQL, with each query's plan.

One organization with 1,000 clients, 10,000 contacts, --invoices invoices over 15 months and 200,000 audit
rows (bench/data.py `generate_history`), and beside it one with 10,000 invoices, to show how the home page's
totals grow (or do not) with the invoice count. Times each service call as the pages make it: the invoice list
at several depths and with each filter, the home page's receivables, the audit log; median and p95 over
--repeat runs, then EXPLAIN (QUERY PLAN on SQLite, ANALYZE on PostgreSQL) of every statement the call sent.

.venv/bin/python -m bench.scale [--invoices 100000] [--repeat 30] [--only sqlite|postgresql] [--no-plans]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.data import ScaleDataset, ensure_secret_key, generate_history
from models.organizations import Role
from services.billing import receivables
from services.billing.invoice_listing import InvoiceFilter, list_invoices
from services.core import audit, db
from services.core.actors import StaffActor
from services.core.migrations import upgrade
from tests.support.postgres import Cluster, start_cluster

Call = Callable[[], Awaitable[object]]
PAGE = 25  # the staff invoice list's default page size
AUDIT_PAGE = 50
SMALL = 10_000  # invoices of the organization the home totals are compared with


@dataclass(frozen=True)
class Timing:
    label: str
    median_ms: float
    p95_ms: float
    statements: list[tuple[str, Any]]


@contextmanager
def captured(database: db.Database) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and their parameters) a call sends, to explain them afterwards."""
    sent: list[tuple[str, Any]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", keep)


async def timed(database: db.Database, label: str, call: Call, repeat: int) -> Timing:
    with captured(database) as statements:
        await call()  # also warms the caches, as any page view after the first finds them
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return Timing(label, statistics.median(samples), p95, statements)


async def plan(database: db.Database, statement: str, parameters: Any) -> list[str]:
    async with database.engine.connect() as connection:
        if database.is_postgres:
            rows = await connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {statement}", parameters)
            return [row[0] for row in rows]
        rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        depth: dict[int, int] = {0: -1}
        lines = []
        for row in rows:
            node, parent, _, detail = list(row)
            depth[node] = depth.get(parent, -1) + 1
            lines.append("  " * depth[node] + detail)
        return lines


async def list_calls(staff: StaffActor, today: date) -> list[tuple[str, Call]]:
    def page(offset: int = 0, **filters: Any) -> Call:
        return lambda: list_invoices(staff, InvoiceFilter(**filters), limit=PAGE, offset=offset)

    async def last(**filters: Any) -> int:
        """The offset of the filter's last page."""
        total = (await list_invoices(staff, InvoiceFilter(**filters), limit=1)).total
        return (total - 1) // PAGE * PAGE

    client_id = (await list_invoices(staff, InvoiceFilter(), limit=1)).items[0].client_id
    month_ago, year_ago = today - timedelta(days=30), today - timedelta(days=365)
    calls = [
        ("list: page 1", page()),
        ("list: offset 5,000", page(5_000)),
        ("list: offset 50,000", page(50_000)),
        (f"list: last page (offset {await last():,})", page(await last())),
    ]
    for status in ("draft", "sent", "partially_paid", "paid", "void", "open", "overdue"):
        calls.append((f"list: status={status}", page(status=status)))
    for status in ("paid", "open", "overdue"):  # deep in a large status, and in the two that span two statuses
        offset = await last(status=status)
        calls.append((f"list: status={status}, last page (offset {offset:,})", page(offset, status=status)))
    calls += [
        ("list: one client", page(client_id=client_id)),
        ("list: issued in the last 30 days", page(date_from=month_ago, date_to=today)),
        ("list: issued a year ago, for a month", page(date_from=today - timedelta(days=395), date_to=year_ago)),
        ("list: open, issued in the last 30 days", page(status="open", date_from=month_ago)),
    ]
    return calls


def home_calls(staff: StaffActor) -> list[tuple[str, Call]]:
    return [
        ("home: invoiced_vs_collected (12 months)", lambda: receivables.invoiced_vs_collected(staff)),
        ("home: aging", lambda: receivables.aging(staff)),
    ]


def audit_calls(staff: StaffActor) -> list[tuple[str, Call]]:
    def page(offset: int = 0, **filters: Any) -> Call:
        return lambda: audit.list_events(staff, audit.AuditFilter(**filters), limit=AUDIT_PAGE, offset=offset)

    return [
        ("audit: page 1", page()),
        ("audit: offset 9,950 (the last page the count offers)", page(9_950)),
        ("audit: offset 100,000", page(100_000)),
        ("audit: action=invoice.sent", page(action="invoice.sent")),
        ("audit: action=api_token.revoked, offset 1,000", page(1_000, action="api_token.revoked")),
        ("audit: list_actions", lambda: audit.list_actions(staff)),
    ]


def owner(data: ScaleDataset) -> StaffActor:
    return StaffActor(org_id=data.org_id, user_id=data.owner_id, role=Role.owner, email=data.owner_email)


async def run_all(
    database: db.Database, label: str, calls: list[tuple[str, Call]], repeat: int, plans: bool
) -> list[Timing]:
    timings = []
    for name, call in calls:
        timing = await timed(database, name, call, repeat)
        timings.append(timing)
        print(f"[{label}] {name:<56} median {timing.median_ms:7.1f} ms   p95 {timing.p95_ms:7.1f} ms")
        if plans:
            for statement, parameters in timing.statements:
                head = " ".join(statement.split())[:150]
                print(f"      SQL  {head}{'…' if len(head) == 150 else ''}")
                for line in await plan(database, statement, parameters):
                    print(f"        {line}")
    return timings


async def run(url: str, label: str, invoices: int, repeat: int, plans: bool, prepare: Callable[[], None]) -> None:
    await upgrade(url)
    database = db.configure(url)
    try:
        small = await generate_history(
            clients=100, contacts_per_client=1, invoices_count=SMALL, audit_rows=0, slug="small", seed=2
        )
        data = await generate_history(invoices_count=invoices)
        print(
            f"[{label}] generated {data.clients:,} clients, {data.contacts:,} contacts, {data.invoices:,} invoices,"
            f" {data.payments:,} payments, {data.audit_rows:,} audit rows in {data.seconds:.1f} s"
            f" (and an organization with {SMALL:,} invoices in {small.seconds:.1f} s)"
        )
        prepare()
        staff, today = owner(data), date.today()
        await run_all(database, label, await list_calls(staff, today), repeat, plans)
        big = await run_all(database, label, home_calls(staff), repeat, plans)
        await run_all(database, label, audit_calls(staff), repeat, plans)
        few = await run_all(database, f"{label}, {SMALL:,} invoices", home_calls(owner(small)), repeat, False)
        for at_scale, at_small in zip(big, few, strict=True):
            print(
                f"[{label}] flatness {at_scale.label}: {invoices:,} vs {SMALL:,} invoices,"
                f" median x{at_scale.median_ms / at_small.median_ms:.2f}, p95 x{at_scale.p95_ms / at_small.p95_ms:.2f}"
            )
    finally:
        await db.close()


def vacuum(cluster: Cluster) -> None:
    """What autovacuum does after a bulk load: statistics, and the visibility map that index-only scans need.

    The throwaway cluster commits asynchronously, and VACUUM marks no page all-visible while a commit near the
    rows' own (ANALYZE's, say) is not yet flushed: so ANALYZE first, a CHECKPOINT to flush the WAL, then VACUUM.
    """
    for command in ("ANALYZE", "CHECKPOINT", "VACUUM"):
        cluster.run_sql(command, database="bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", choices=("sqlite", "postgresql", "postgres"))
    parser.add_argument("--no-plans", dest="plans", action="store_false", help="skip the EXPLAIN output")
    args = parser.parse_args()
    ensure_secret_key()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="portico-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            asyncio.run(run(url, "sqlite", args.invoices, args.repeat, args.plans, lambda: None))
    if args.only in (None, "postgresql", "postgres"):
        cluster = start_cluster()
        try:
            cluster.run_sql("CREATE DATABASE bench")
            asyncio.run(
                run(cluster.url("bench"), "postgresql", args.invoices, args.repeat, args.plans, lambda: vacuum(cluster))
            )
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
