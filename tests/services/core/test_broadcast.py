"""Live changes across processes: every event class travels as ids, a process applies each message once, and a
listener that loses its PostgreSQL connection comes back."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from services.core import broadcast, db, events
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from tests.support.postgres import Cluster

ORG, CLIENT, PROJECT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def sample(cls: type) -> object:
    """An instance of the event class with every field filled."""
    values: dict[str, object] = {}
    for field in dataclasses.fields(cls):
        hint = str(field.type)
        if "frozenset" in hint:
            values[field.name] = frozenset({uuid.uuid4(), uuid.uuid4()})
        elif "UUID" in hint:
            values[field.name] = uuid.uuid4()
        else:
            values[field.name] = True
    return cls(**values)


@pytest.mark.parametrize(
    "cls", [broadcast.KINDS[name] for name in sorted(broadcast.KINDS)], ids=sorted(broadcast.KINDS)
)
def test_every_event_travels_whole(cls: type) -> None:
    item = sample(cls)
    message = broadcast.encode(item, "a", 7)
    assert message is not None and len(message) < 8000  # PostgreSQL's NOTIFY payload limit
    assert broadcast.decode(message) == ("a", 7, item)


def test_anything_else_is_neither_sent_nor_applied() -> None:
    assert broadcast.encode("not an event", "a", 1) is None
    for junk in ("", "{}", '{"o":"a","n":1,"k":"Nope","f":{}}', '{"o":"a","n":1,"k":"OrganizationChanged","f":{}}'):
        assert broadcast.decode(junk) is None


class Recorded:
    """The events this process's listeners hear."""

    def __init__(self) -> None:
        self.heard: list[object] = []
        self.stop = events.subscribe(self.heard.append)


async def test_a_process_applies_each_message_once_and_never_its_own() -> None:
    here = Recorded()
    carrier = broadcast.PostgresCarrier("unused")
    process = broadcast.Broadcast(carrier)
    item = events.ProjectActivity(ORG, CLIENT, PROJECT)
    from_other = broadcast.encode(item, "other", 1)
    own = broadcast.encode(item, process.origin, 1)
    assert from_other and own
    process._received(own)
    process._received(from_other)
    process._received(from_other)  # again, after a reconnect
    here.stop()
    assert here.heard == [item] and process.received == 1


@pytest.fixture
async def postgres(pg_cluster: Cluster, postgres_url: str) -> AsyncIterator[str]:
    database = db.configure(postgres_url)
    yield postgres_url
    await database.dispose()
    await db.close()


async def heard(recorded: Recorded, count: int) -> None:
    async def enough() -> None:
        while len(recorded.heard) < count:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(enough(), timeout=10)


@pytest.mark.postgres
async def test_a_change_committed_here_reaches_another_process_through_postgresql(postgres: str) -> None:
    this = broadcast.Broadcast(broadcast.carrier_for(postgres, ""))  # type: ignore[arg-type]
    other = broadcast.Broadcast(broadcast.carrier_for(postgres, ""))  # type: ignore[arg-type]
    this.start()
    other.start(forwarding=False)  # plays the second process: it only listens
    await asyncio.wait_for(other.listening.wait(), timeout=10)
    recorded = Recorded()
    try:
        item = events.QuotesChanged(ORG, CLIENT, uuid.uuid4())
        async with unit_of_work(SystemActor(label="test")) as session:
            events.publish(session, item)
        # heard once where it was committed, and once more as the other process delivers it to its listeners
        await heard(recorded, 2)
        assert recorded.heard == [item, item] and other.received == 1

        # the database drops the listener's connection (a restart): it connects again and hears what follows
        async with unit_of_work(SystemActor(label="test")) as session:
            await session.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
                )
            )
        await asyncio.wait_for(_reconnected(other), timeout=10)
        later = events.OrganizationChanged(ORG)
        async with unit_of_work(SystemActor(label="test")) as session:
            events.publish(session, later)
        await heard(recorded, 4)
        assert recorded.heard[2:] == [later, later] and other.received == 2
    finally:
        recorded.stop()
        await this.stop()
        await other.stop()


async def _reconnected(process: broadcast.Broadcast) -> None:
    while process.listening.is_set():  # first it notices the connection is gone
        await asyncio.sleep(0.01)
    await process.listening.wait()


async def test_a_change_committed_here_reaches_another_process_through_redis(
    sqlite_database: db.Database, redis_url: str
) -> None:
    from redis import asyncio as redis

    this = broadcast.Broadcast(broadcast.carrier_for("sqlite+aiosqlite://", redis_url))  # type: ignore[arg-type]
    other = broadcast.Broadcast(broadcast.carrier_for("sqlite+aiosqlite://", redis_url))  # type: ignore[arg-type]
    this.start()
    other.start(forwarding=False)
    await asyncio.wait_for(other.listening.wait(), timeout=10)
    recorded = Recorded()
    admin = redis.from_url(redis_url)
    try:
        item = events.ProjectActivity(ORG, CLIENT, PROJECT, internal=True)
        async with unit_of_work(SystemActor(label="test")) as session:
            events.publish(session, item)
        await heard(recorded, 2)
        assert recorded.heard == [item, item] and other.received == 1

        await admin.client_kill_filter(_type="pubsub")  # Redis drops the subscribers: they subscribe again
        await asyncio.wait_for(_reconnected(other), timeout=10)
        later = events.CatalogChanged(ORG)
        async with unit_of_work(SystemActor(label="test")) as session:
            events.publish(session, later)
        await heard(recorded, 4)
        assert recorded.heard[2:] == [later, later] and other.received == 2
    finally:
        recorded.stop()
        await admin.aclose()
        await this.stop()
        await other.stop()
