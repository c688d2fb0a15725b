"""Rate limits and one-time tickets shared by several processes: in the database (SQLite, PostgreSQL) or in Redis.

Each test runs on every back end with two stores on one database or one Redis, as two `serve` processes have.
Time is passed in (`now`), so windows slide without sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import OneTimeTicket, RateHit
from services.core import db, shared_state
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.shared_state import DatabaseState, RedisState, SharedState
from tests.support.clock import T0

EMAIL = "jane@agency.test"
IP = "203.0.113.7"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "redis"])
def store_url(request: pytest.FixtureRequest) -> str:
    """An empty database (migrated) or an empty Redis."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def processes(store_url: str) -> AsyncIterator[tuple[SharedState, SharedState]]:
    """Two stores on one database (two engines) or one Redis (two clients), as two processes have."""
    if store_url.startswith("redis"):
        clients = (RedisState(store_url), RedisState(store_url))
        yield clients
        for client in clients:
            await client.close()
        return
    databases = (db.Database(store_url), db.Database(store_url))
    yield DatabaseState(databases[0]), DatabaseState(databases[1])
    for database in databases:
        await database.dispose()


@pytest.fixture
def state(processes: tuple[SharedState, SharedState]) -> SharedState:
    return processes[0]


# --- rate limits -----------------------------------------------------------------------------------------------


async def test_a_limit_holds_per_key_and_bucket(state: SharedState) -> None:
    assert [await state.hit("sign-in", EMAIL, 3, 60, now=at(0)) for _ in range(4)] == [True, True, True, False]
    assert await state.blocked("sign-in", EMAIL, 3, 60, now=at(1))
    # Another key, or the same key in another bucket, has a count of its own.
    assert not await state.blocked("sign-in", "joe@agency.test", 3, 60, now=at(1))
    assert await state.hit("sign-in", "joe@agency.test", 3, 60, now=at(1))
    assert await state.hit("reset", EMAIL, 3, 60, now=at(1))


async def test_the_window_slides(state: SharedState) -> None:
    assert await state.hit("b", "k", 2, 60, now=at(0))
    assert await state.hit("b", "k", 2, 60, now=at(30))
    assert not await state.hit("b", "k", 2, 60, now=at(30))
    assert await state.blocked("b", "k", 2, 60, now=at(59.9))  # the first hit is still inside the window
    assert not await state.hit("b", "k", 2, 60, now=at(59.9))
    assert not await state.blocked("b", "k", 2, 60, now=at(60))  # exactly one window old: out
    assert await state.hit("b", "k", 2, 60, now=at(60))
    assert not await state.hit("b", "k", 2, 60, now=at(60))  # the hit at 30 s and this one fill the window
    assert await state.hit("b", "k", 2, 60, now=at(120)) and await state.hit("b", "k", 2, 60, now=at(120))


async def test_refused_attempts_do_not_extend_the_block(state: SharedState) -> None:
    assert await state.hit("b", "k", 1, 10, now=at(0))
    for second in range(1, 6):
        assert not await state.hit("b", "k", 1, 10, now=at(second))
    assert await state.hit("b", "k", 1, 10, now=at(10))  # ten seconds after the only counted hit


async def test_reset_forgets_one_key_or_the_whole_bucket(state: SharedState) -> None:
    for key in ("a", "b"):
        assert await state.hit("b1", key, 1, 60, now=at(0))
    assert await state.hit("b2", "a", 1, 60, now=at(0))
    await state.reset("b1", "a")
    assert not await state.blocked("b1", "a", 1, 60, now=at(1))
    assert await state.blocked("b1", "b", 1, 60, now=at(1))
    await state.reset("b1", "unknown")  # harmless
    await state.reset("b1")
    assert not await state.blocked("b1", "b", 1, 60, now=at(1))
    assert await state.blocked("b2", "a", 1, 60, now=at(1))  # another bucket is untouched


async def test_two_processes_share_one_count(processes: tuple[SharedState, SharedState]) -> None:
    first, second = processes
    assert await first.hit("sign-in", EMAIL, 3, 60, now=at(0))
    assert await second.hit("sign-in", EMAIL, 3, 60, now=at(1))
    assert await first.hit("sign-in", EMAIL, 3, 60, now=at(2))
    assert not await second.hit("sign-in", EMAIL, 3, 60, now=at(3))
    assert await second.blocked("sign-in", EMAIL, 3, 60, now=at(3))
    await first.reset("sign-in", EMAIL)
    assert await second.hit("sign-in", EMAIL, 3, 60, now=at(4))


async def test_concurrent_hits_from_two_processes_never_pass_the_limit(
    processes: tuple[SharedState, SharedState],
) -> None:
    attempts = [processes[n % 2].hit("sign-in", IP, 5, 60, now=at(0)) for n in range(14)]
    assert sum(await asyncio.gather(*attempts)) == 5


async def test_a_limit_keeps_no_email_or_address(state: SharedState) -> None:
    assert await state.hit("sign-in", EMAIL, 3, 60, now=at(0))
    assert await state.hit("sign-in", IP, 3, 60, now=at(0))
    stored = await _everything_stored(state)
    assert stored
    assert not any(raw in text for text in stored for raw in (EMAIL, IP, "jane", "203.0.113"))


# --- one-time tickets ------------------------------------------------------------------------------------------


async def test_a_ticket_is_taken_once(state: SharedState) -> None:
    await state.put_ticket("sign-in", "h" * 64, '{"who": 1}', 60, now=at(0))
    assert await state.take_ticket("sign-in", "h" * 64, now=at(1)) == '{"who": 1}'
    assert await state.take_ticket("sign-in", "h" * 64, now=at(1)) is None
    assert await state.take_ticket("sign-in", "x" * 64, now=at(1)) is None


async def test_a_ticket_is_unknown_in_another_bucket(state: SharedState) -> None:
    await state.put_ticket("staff", "h" * 64, "staff payload", 60, now=at(0))
    assert await state.take_ticket("portal", "h" * 64, now=at(1)) is None
    assert await state.take_ticket("staff", "h" * 64, now=at(1)) == "staff payload"


async def test_a_ticket_expires(state: SharedState) -> None:
    await state.put_ticket("b", "fresh", "fresh", 60, now=at(0))
    await state.put_ticket("b", "stale", "stale", 60, now=at(0))
    assert await state.take_ticket("b", "fresh", now=at(60)) == "fresh"  # at the very end of its life it works
    assert await state.take_ticket("b", "stale", now=at(60.5)) is None
    assert await state.take_ticket("b", "stale", now=at(30)) is None  # tried once when expired: gone


async def test_a_ticket_taken_by_one_process_is_gone_for_the_other(processes: tuple[SharedState, SharedState]) -> None:
    first, second = processes
    await first.put_ticket("sign-in", "h" * 64, "payload", 60, now=at(0))
    assert await second.take_ticket("sign-in", "h" * 64, now=at(1)) == "payload"
    assert await first.take_ticket("sign-in", "h" * 64, now=at(1)) is None


async def test_concurrent_takes_of_one_ticket_have_one_winner(processes: tuple[SharedState, SharedState]) -> None:
    await processes[0].put_ticket("sign-in", "h" * 64, "payload", 60, now=at(0))
    takes = [processes[n % 2].take_ticket("sign-in", "h" * 64, now=at(1)) for n in range(10)]
    taken = await asyncio.gather(*takes)
    assert taken.count("payload") == 1 and taken.count(None) == 9


# --- purge -----------------------------------------------------------------------------------------------------


async def test_purge_removes_what_has_expired(state: SharedState) -> None:
    assert await state.hit("b", "old", 5, 60, now=at(0))
    assert await state.hit("b", "new", 5, 60, now=at(50))
    await state.put_ticket("b", "old", "old", 60, now=at(0))
    await state.put_ticket("b", "new", "new", 60, now=at(50))
    if isinstance(state, RedisState):
        assert await state.purge_expired(now=at(100)) == 0  # Redis expires keys itself: each has its time to live
        assert all(0 < ttl <= 61_000 for ttl in await _redis_ttls(state))
        return
    assert await state.purge_expired(now=at(59)) == 0
    assert await state.purge_expired(now=at(61)) == 2  # the old hit and the old ticket
    assert await state.take_ticket("b", "old", now=at(0)) is None  # even if a clock read earlier again
    assert await state.blocked("b", "new", 1, 60, now=at(61))
    assert await state.take_ticket("b", "new", now=at(61)) == "new"
    assert await state.purge_expired(now=at(111)) == 1
    assert await _everything_stored(state) == []


# --- the configured store --------------------------------------------------------------------------------------


async def test_the_module_uses_the_configured_database_by_default(database: db.Database) -> None:
    assert isinstance(shared_state.configure(""), DatabaseState)
    assert await shared_state.hit("b", "k", 1, 60)
    assert not await shared_state.hit("b", "k", 1, 60)
    assert await shared_state.blocked("b", "k", 1, 60)
    await shared_state.put_ticket("b", "h", "payload", 60)
    assert await shared_state.take_ticket("b", "h") == "payload"
    await shared_state.reset("b")
    assert not await shared_state.blocked("b", "k", 1, 60)
    assert await shared_state.purge_expired() == 0


async def test_a_redis_url_configures_redis(redis_url: str) -> None:
    configured = shared_state.configure(redis_url)
    try:
        assert isinstance(configured, RedisState)
        assert await shared_state.hit("b", "k", 1, 60)
        assert not await shared_state.hit("b", "k", 1, 60)
    finally:
        await shared_state.close()


def test_bucket_names_are_checked() -> None:
    with pytest.raises(ValueError, match="bucket"):
        shared_state.key_hash("no spaces or *", "k")


# --- helpers ---------------------------------------------------------------------------------------------------


async def _everything_stored(state: SharedState) -> list[str]:
    """Every key, member and value the store holds, as text."""
    if isinstance(state, RedisState):
        client = state._redis
        stored: list[str] = []
        async for key in client.scan_iter():
            stored.append(key.decode())
            if await client.type(key) == b"zset":
                stored += [member.decode() for member in await client.zrange(key, 0, -1)]
            else:
                stored.append((await client.get(key) or b"").decode())
        return stored
    assert isinstance(state, DatabaseState)
    async with unit_of_work(SystemActor(), state._database) as session:
        hits = (await session.execute(select(RateHit.bucket, RateHit.key_hash))).all()
        tickets = (await session.execute(select(OneTimeTicket.ticket_hash, OneTimeTicket.payload))).all()
        assert await session.scalar(select(func.count()).select_from(RateHit)) == len(hits)
    return [str(value) for row in (*hits, *tickets) for value in row]


async def _redis_ttls(state: RedisState) -> list[int]:
    client = state._redis
    return [await client.pttl(key) async for key in client.scan_iter()]
