"""Live changes across processes: an after-commit event from process A heard in process B, against the bare transport.

    .venv/bin/python -m bench.live_changes [--messages 300] [--warmup 30] [--spacing-ms 5] [--only postgres|redis]

Portico: A runs a Broadcast (services.core.broadcast) and commits a unit of work that publishes a ProjectActivity
(any ids: nothing is read for it); B, a subprocess (`--listen`), runs a Broadcast that only listens and an
`events.subscribe` listener that notes `time.time_ns()` when the event arrives. The unit of work runs one
`SELECT 1`, so its transaction reaches the database and its COMMIT is part of the cost, as a change made on a page
would be (an empty session commits without a round trip). Latency is the arrival in B minus the moment just before
A's `async with unit_of_work` begins: the commit, the after-commit hand-off to the sending task, the carrier,
B's decoding and its delivery to listeners. The unit of work's own time in A (its block, begin to end) is
printed beside it.

Baseline: the same message (the bytes Portico sends) through the bare transport between the same two processes,
on a channel of its own: `SELECT pg_notify(channel, payload)` on an autocommit psycopg connection in A and a bare
psycopg LISTEN loop in B for PostgreSQL; `redis.asyncio` publish and a bare pubsub loop for Redis. Latency is the
arrival in B minus the moment just before the send.

PostgreSQL runs in a throwaway cluster (tests/support/postgres.py) and Redis in a throwaway redis-server
(tests/support/redis_server.py); in the Redis run the unit of work still commits on that PostgreSQL, as Portico
does with PORTAL_REDIS_URL set. Rounds alternate which goes first, after a warm-up; after each message A waits for B's
report of it, then `--spacing-ms`, so each is measured alone. Both processes share the
machine's clock. Prints the median and p95 in milliseconds of each, the ratio of the medians and any message
that did not arrive within 5 s. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import make_url

from services.core import broadcast, config, db, events
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.migrations import upgrade

BARE_CHANNEL = "bench_bare_events"
PORTICO, BARE = "portico", "bare"
ARRIVAL_TIMEOUT = 5.0


def _conninfo(database_url: str) -> str:
    """psycopg's connection string for a SQLAlchemy URL (as broadcast.carrier_for makes it)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _report(kind: str, number: int, arrived_ns: int) -> None:
    sys.stdout.write(f"{kind} {number} {arrived_ns}\n")
    sys.stdout.flush()


# --- process B -----------------------------------------------------------------------------------------------


async def _bare_postgres_listen(database_url: str, ready: asyncio.Event) -> None:
    import psycopg

    connection = await psycopg.AsyncConnection.connect(_conninfo(database_url), autocommit=True)
    try:
        await connection.execute(f"LISTEN {BARE_CHANNEL}")
        ready.set()
        async for notice in connection.notifies():
            arrived = time.time_ns()
            _report(BARE, json.loads(notice.payload)["n"], arrived)
    finally:
        await connection.close()


async def _bare_redis_listen(redis_url: str, ready: asyncio.Event) -> None:
    from redis import asyncio as redis

    client = redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(BARE_CHANNEL)
        ready.set()
        async for item in pubsub.listen():
            arrived = time.time_ns()
            data = item.get("data")
            if isinstance(data, bytes):
                _report(BARE, json.loads(data)["n"], arrived)
    finally:
        await pubsub.aclose()
        await client.aclose()


async def listen(database_url: str, redis_url: str) -> None:
    """Process B: a listening Broadcast and a bare listener; one stdout line per arrival; ends when stdin closes."""

    def arrived(item: object) -> None:
        now = time.time_ns()
        if isinstance(item, events.ProjectActivity):
            _report(PORTICO, item.project_id.int, now)

    carrier = broadcast.carrier_for(database_url, redis_url)
    if carrier is None:
        raise SystemExit("live changes need PostgreSQL or Redis")
    portico = broadcast.Broadcast(carrier)
    unsubscribe = events.subscribe(arrived)
    portico.start(forwarding=False)
    bare_ready = asyncio.Event()
    bare = asyncio.create_task(
        _bare_redis_listen(redis_url, bare_ready) if redis_url else _bare_postgres_listen(database_url, bare_ready)
    )
    try:
        await asyncio.wait_for(asyncio.gather(portico.listening.wait(), bare_ready.wait()), timeout=30)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until A closes our stdin
    finally:
        unsubscribe()
        bare.cancel()
        await asyncio.gather(bare, return_exceptions=True)
        await portico.stop()


# --- process A -----------------------------------------------------------------------------------------------


@dataclass
class Samples:
    portico: list[float] = field(default_factory=list)  # milliseconds
    bare: list[float] = field(default_factory=list)
    committed: list[float] = field(default_factory=list)  # A's `async with unit_of_work` block alone
    lost: dict[str, int] = field(default_factory=lambda: {PORTICO: 0, BARE: 0})


async def _bare_sender(
    database_url: str, redis_url: str
) -> tuple[Callable[[str], Awaitable[None]], Callable[[], Awaitable[None]]]:
    """The baseline's send, and the call that closes its client."""
    if redis_url:
        from redis import asyncio as redis

        client = redis.from_url(redis_url)

        async def publish(message: str) -> None:
            await client.publish(BARE_CHANNEL, message)

        return publish, client.aclose
    import psycopg

    connection = await psycopg.AsyncConnection.connect(_conninfo(database_url), autocommit=True)

    async def notify(message: str) -> None:
        await connection.execute("SELECT pg_notify(%s, %s)", (BARE_CHANNEL, message))

    return notify, connection.close


class ListeningProcess:
    """Process B: started with `--listen`, its stdout read into one future per (kind, number) that arrives."""

    def __init__(self, database_url: str, redis_url: str) -> None:
        self.command = [sys.executable, "-m", "bench.live_changes", "--listen", "--database-url", database_url]
        if redis_url:
            self.command += ["--redis-url", redis_url]
        self.arrivals: dict[tuple[str, int], asyncio.Future[int]] = {}

    def arrival(self, kind: str, number: int) -> asyncio.Future[int]:
        """When message `number` of `kind` arrived in B, in `time.time_ns()`."""
        return self.arrivals.setdefault((kind, number), asyncio.get_running_loop().create_future())

    async def start(self, label: str) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        assert self.process.stdout is not None
        ready = await asyncio.wait_for(self.process.stdout.readline(), timeout=60)
        if ready.strip() != b"ready":
            raise SystemExit(f"[{label}] the listening process did not start: {ready!r}")
        self.reader = asyncio.create_task(self._read(self.process.stdout))

    async def _read(self, stdout: asyncio.StreamReader) -> None:
        while line := await stdout.readline():
            kind, number, arrived = line.decode().split()
            future = self.arrival(kind, int(number))
            if not future.done():
                future.set_result(int(arrived))

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()  # B ends when its stdin closes
        try:
            await asyncio.wait_for(self.process.wait(), timeout=10)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self.reader.cancel()
        await asyncio.gather(self.reader, return_exceptions=True)


async def measure(label: str, database_url: str, redis_url: str, messages: int, warmup: int, spacing: float) -> Samples:
    listener = ListeningProcess(database_url, redis_url)
    await listener.start(label)
    db.configure(database_url)
    carrier = broadcast.carrier_for(database_url, redis_url)
    assert carrier is not None
    portico = broadcast.Broadcast(carrier)
    portico.start()
    send_bare, close_bare = await _bare_sender(database_url, redis_url)
    actor = SystemActor(label="bench")
    org_id, client_id = uuid.uuid4(), uuid.uuid4()
    samples = Samples()

    async def portico_one(number: int) -> int:
        started = time.time_ns()
        async with unit_of_work(actor) as session:
            await session.execute(text("SELECT 1"))
            events.publish(session, events.ProjectActivity(org_id, client_id, uuid.UUID(int=number)))
        if number > warmup:
            samples.committed.append((time.time_ns() - started) / 1e6)
        return started

    async def bare_one(number: int) -> int:
        # The bytes Portico's Broadcast sends for the same event.
        message = broadcast.encode(events.ProjectActivity(org_id, client_id, uuid.UUID(int=number)), "bench", number)
        assert message is not None
        started = time.time_ns()
        await send_bare(message)
        return started

    steps: tuple[tuple[str, Callable[[int], Awaitable[int]]], ...] = ((PORTICO, portico_one), (BARE, bare_one))
    try:
        await asyncio.wait_for(portico.listening.wait(), timeout=30)
        for number in range(1, warmup + messages + 1):
            for kind, step in steps if number % 2 else steps[::-1]:
                started = await step(number)
                try:
                    arrived = await asyncio.wait_for(asyncio.shield(listener.arrival(kind, number)), ARRIVAL_TIMEOUT)
                except TimeoutError:
                    samples.lost[kind] += 1 if number > warmup else 0
                    continue
                if number > warmup:
                    (samples.portico if kind == PORTICO else samples.bare).append((arrived - started) / 1e6)
                await asyncio.sleep(spacing)
    finally:
        await portico.stop()
        await close_bare()
        await db.close()
        await listener.stop()
    return samples


def _median_p95(values: list[float]) -> tuple[float, float]:
    if not values:
        return math.nan, math.nan
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


def show(label: str, transport: str, samples: Samples) -> None:
    (p_median, p_p95), (b_median, b_p95) = _median_p95(samples.portico), _median_p95(samples.bare)
    c_median, c_p95 = _median_p95(samples.committed)
    print(f"[{label}] {'':<44}{'median ms':>10}{'p95 ms':>10}{'messages':>10}{'lost':>6}")
    portico_row = ("Portico (unit of work, commit, Broadcast)", p_median, p_p95, len(samples.portico))
    for name, median, p95, count, lost in (
        (*portico_row, str(samples.lost[PORTICO])),
        ("  of which the unit of work in A", c_median, c_p95, "", ""),
        (f"bare {transport}", b_median, b_p95, len(samples.bare), str(samples.lost[BARE])),
    ):
        print(f"[{label}] {name:<44}{median:>10.2f}{p95:>10.2f}{count:>10}{lost:>6}")
    print(f"[{label}] ratio of the medians: {p_median / b_median:.2f}x the bare transport")


@contextmanager
def postgres_database() -> Iterator[str]:
    from tests.support.postgres import start_cluster

    cluster = start_cluster()
    try:
        cluster.run_sql("CREATE DATABASE bench_live")
        yield cluster.url("bench_live")
    finally:
        cluster.stop()


async def run(args: argparse.Namespace) -> None:
    spacing = args.spacing_ms / 1000
    sizes = (args.messages, args.warmup, spacing)
    with postgres_database() as database_url:
        await upgrade(database_url)
        print(f"{args.messages} messages each after {args.warmup} warm-up, {args.spacing_ms:g} ms apart, interleaved")
        if args.only in (None, "postgres", "postgresql"):
            show("postgres", "psycopg NOTIFY/LISTEN", await measure("postgres", database_url, "", *sizes))
        if args.only in (None, "redis"):
            from tests.support.redis_server import running_redis

            with running_redis() as server:
                show(
                    "redis", "redis.asyncio PUBLISH/SUBSCRIBE", await measure("redis", database_url, server.url, *sizes)
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300, help="measured messages of each kind")
    parser.add_argument("--warmup", type=int, default=30, help="messages of each kind sent first, not measured")
    parser.add_argument("--spacing-ms", type=float, default=5.0, help="pause after each message has arrived")
    parser.add_argument("--only", choices=("postgres", "postgresql", "redis"))
    parser.add_argument("--listen", action="store_true", help=argparse.SUPPRESS)  # process B
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    config.configure(config.ServiceConfig(base_url="http://bench.test", secret_key="bench-secret-key"))
    if args.listen:
        asyncio.run(listen(args.database_url, args.redis_url))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
