"""Live changes across processes (SPEC §15): every after-commit event of this process also goes to the others,
which deliver it to their own listeners as if it had been committed there. An open page on process B redraws
when a change is made through process A.

Events carry ids and flags only (services.core.events), sent as JSON with their class's name. Each message carries
its process's id and a sequence number: a process ignores its own messages (it delivered them when they
committed) and any message it has seen already, so nothing is applied twice.

Two carriers, one interface: PostgreSQL LISTEN/NOTIFY on the channel `portico_events` (psycopg's asynchronous
notifications, on connections of its own), or Redis pub/sub when PORTAL_REDIS_URL is set. Either reconnects
with a growing pause (up to 5 s) when its server goes away, and goes on. On SQLite there is one process and
nothing to send.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import logging
import typing
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from services.core import events

log = logging.getLogger("portico.broadcast")

CHANNEL = "portico_events"
SEEN_KEPT = 10_000  # message ids remembered against duplicates
QUEUE_LIMIT = 10_000  # events waiting to be sent; past it the oldest are dropped (pages reload on their next event)
RETRY_FIRST, RETRY_MAX = 0.2, 5.0

# Every event class, by name: what a message may say it is.
KINDS: dict[str, type] = {
    name: value
    for name, value in vars(events).items()
    if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == events.__name__
}


def encode(item: object, origin: str, number: int) -> str | None:
    """The message for an event (None for anything that is not one of `events`' classes)."""
    kind = type(item).__name__
    if KINDS.get(kind) is not type(item):
        return None
    fields: dict[str, object] = {}
    for field in dataclasses.fields(item):  # type: ignore[arg-type]
        value = getattr(item, field.name)
        if isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, frozenset):
            value = sorted(str(v) for v in value)
        fields[field.name] = value
    return json.dumps({"o": origin, "n": number, "k": kind, "f": fields}, separators=(",", ":"))


def decode(message: str) -> tuple[str, int, object] | None:
    """(origin, number, event) of a message; None for anything malformed or of an unknown kind."""
    try:
        data = json.loads(message)
        cls = KINDS[data["k"]]
        hints = typing.get_type_hints(cls)
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            raw = data["f"][field.name]
            hint = str(hints[field.name])
            if raw is None and "None" in hint:
                values[field.name] = None
            elif "frozenset" in hint:
                values[field.name] = frozenset(uuid.UUID(v) for v in raw)
            elif "UUID" in hint:
                values[field.name] = uuid.UUID(raw)
            else:
                values[field.name] = bool(raw)
        return str(data["o"]), int(data["n"]), cls(**values)
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("ignored a malformed live-change message")
        return None


class Carrier(Protocol):
    async def send(self, message: str) -> None: ...
    async def listen(self, received: Callable[[str], None], ready: asyncio.Event) -> None:
        """Deliver every message on the channel to `received` until cancelled; `ready` is set once listening
        (again, after a reconnect)."""
        ...


class PostgresCarrier:
    """LISTEN/NOTIFY on connections of its own (not the pool's: a listening connection is held for good)."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._sender: typing.Any = None  # a psycopg AsyncConnection, made on first use

    async def _connect(self) -> typing.Any:
        import psycopg

        return await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)

    async def send(self, message: str) -> None:
        for attempt in (1, 2):  # a connection the database dropped is made again once
            try:
                if self._sender is None:
                    self._sender = await self._connect()
                await self._sender.execute("SELECT pg_notify(%s, %s)", (CHANNEL, message))
                return
            except Exception:
                await self._close_sender()
                if attempt == 2:
                    raise

    async def _close_sender(self) -> None:
        sender, self._sender = self._sender, None
        if sender is not None:
            with contextlib.suppress(Exception):  # it is being dropped because it failed already
                await sender.close()

    async def listen(self, received: Callable[[str], None], ready: asyncio.Event) -> None:
        async def once() -> None:
            connection = await self._connect()
            try:
                await connection.execute(f"LISTEN {CHANNEL}")
                ready.set()
                async for notice in connection.notifies():
                    received(notice.payload)
            finally:
                ready.clear()
                await connection.close()

        await _forever(once, "PostgreSQL")

    async def close(self) -> None:
        await self._close_sender()


class RedisCarrier:
    def __init__(self, url: str) -> None:
        from redis import asyncio as redis

        self.client = redis.from_url(url)

    async def send(self, message: str) -> None:
        await self.client.publish(CHANNEL, message)

    async def listen(self, received: Callable[[str], None], ready: asyncio.Event) -> None:
        async def once() -> None:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                ready.set()
                async for item in pubsub.listen():
                    data = item.get("data")
                    if isinstance(data, bytes):
                        received(data.decode())
            finally:
                ready.clear()
                await pubsub.aclose()

        await _forever(once, "Redis")

    async def close(self) -> None:
        await self.client.aclose()


async def _forever(once: Callable[[], typing.Awaitable[None]], name: str) -> None:
    """Run `once` again whenever it ends or fails, pausing longer each time it fails in a row (up to 5 s)."""
    pause = RETRY_FIRST
    while True:
        try:
            await once()
            pause = RETRY_FIRST
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("live changes: %s connection lost (%s); reconnecting in %.1f s", name, exc, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_MAX)


class Broadcast:
    """This process's side: forwards its committed events to the carrier and delivers the others' here."""

    def __init__(self, carrier: Carrier) -> None:
        self.carrier = carrier
        self.origin = uuid.uuid4().hex
        self._numbers = itertools.count()
        self._seen: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._outgoing: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._stop_forwarding: Callable[[], None] | None = None
        self.listening = asyncio.Event()
        self.received = 0  # messages from other processes delivered here

    def start(self, *, forwarding: bool = True) -> None:
        """Listen to the others, and (unless `forwarding` is False: tests that play another process) send ours."""
        if forwarding:
            self._stop_forwarding = events.forward(self._forward)
        self._tasks = [
            asyncio.create_task(self.carrier.listen(self._received, self.listening), name="live changes: listen"),
            asyncio.create_task(self._send_all(), name="live changes: send"),
        ]

    async def stop(self) -> None:
        if self._stop_forwarding:
            self._stop_forwarding()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        close = getattr(self.carrier, "close", None)
        if close is not None:
            await close()

    def _forward(self, item: object) -> None:
        """After commit, on the event loop's thread: queued, so the commit never waits for the network."""
        message = encode(item, self.origin, next(self._numbers))
        if message is None:
            return
        if self._outgoing.qsize() >= QUEUE_LIMIT:
            self._outgoing.get_nowait()
        self._outgoing.put_nowait(message)

    async def _send_all(self) -> None:
        while True:
            message = await self._outgoing.get()
            try:
                await self.carrier.send(message)
            except Exception as exc:  # the server is away: this change is not heard elsewhere; later ones will be
                log.warning("live changes: could not send (%s)", exc)

    def _received(self, message: str) -> None:
        decoded = decode(message)
        if decoded is None:
            return
        origin, number, item = decoded
        if origin == self.origin or (origin, number) in self._seen:
            return
        self._seen[(origin, number)] = None
        if len(self._seen) > SEEN_KEPT:
            self._seen.popitem(last=False)
        self.received += 1
        events.deliver_here(item)


def carrier_for(database_url: str, redis_url: str) -> Carrier | None:
    """Redis when configured, else PostgreSQL's own; None on SQLite (one process, nothing to share)."""
    if redis_url:
        return RedisCarrier(redis_url)
    if database_url.startswith("postgresql"):
        from sqlalchemy.engine import make_url

        url = make_url(database_url).set(drivername="postgresql")
        return PostgresCarrier(url.render_as_string(hide_password=False))
    return None
