"""What several `serve` processes must share: sliding-window rate limits and one-time tickets (SPEC §15).

One interface, two back ends: the database by default (SQLite needs nothing more, PostgreSQL serves any number
of processes), or Redis when `PORTAL_REDIS_URL` is set. `configure` picks one at start-up; callers use the module
functions. A limit's key (an email, an IP) is stored only as an HMAC under the secret key, a ticket only as the
hash its caller gives.

Every call takes `now` for tests; it defaults to the services' clock. Processes compare their own clocks, so
their clocks must agree (NTP) to within what a sign-in limit can tolerate.
"""

from __future__ import annotations

import re
import secrets
from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from models.shared_state import OneTimeTicket, RateHit
from services.core import clock
from services.core.actors import SystemActor
from services.core.config import keyed_hash
from services.core.db import Database, rows_affected, unit_of_work

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncSession

_BUCKET = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
# The first key of PostgreSQL's two-key advisory locks: a space of its own, apart from single-key locks.
_RATE_LOCK_SPACE = 0x5EA7


def _check_bucket(bucket: str) -> str:
    if not _BUCKET.fullmatch(bucket):
        raise ValueError(f"bucket names are short lowercase words: {bucket!r}")
    return bucket


def key_hash(bucket: str, key: str) -> str:
    """What is stored for a limit's key: an HMAC, so neither a table nor Redis holds emails or IP addresses."""
    return keyed_hash("rate-limit", _check_bucket(bucket), key)


class SharedState(ABC):
    @abstractmethod
    async def hit(
        self, bucket: str, key: str, limit: int, window_seconds: float, *, now: datetime | None = None
    ) -> bool:
        """Count one attempt and answer True, or False when `key` already has `limit` attempts in the last
        `window_seconds` (the refused attempt is then not counted, so it does not extend the block)."""

    @abstractmethod
    async def blocked(
        self, bucket: str, key: str, limit: int, window_seconds: float, *, now: datetime | None = None
    ) -> bool:
        """Whether the next `hit` would be refused; counts nothing."""

    @abstractmethod
    async def reset(self, bucket: str, key: str | None = None) -> None:
        """Forget the attempts of `key` in `bucket`, or of every key in it."""

    @abstractmethod
    async def put_ticket(
        self, bucket: str, ticket_hash: str, payload: str, ttl_seconds: float, *, now: datetime | None = None
    ) -> None:
        """Keep `payload` under `ticket_hash` for `ttl_seconds`, for one `take_ticket`."""

    @abstractmethod
    async def take_ticket(self, bucket: str, ticket_hash: str, *, now: datetime | None = None) -> str | None:
        """The payload, to exactly one taker across all processes, while it lives; the ticket is gone afterwards
        (an expired one too)."""

    @abstractmethod
    async def purge_expired(self, *, now: datetime | None = None) -> int:
        """Remove what has expired; how many rows went."""

    async def close(self) -> None:
        """Release connections this back end holds of its own (the database's engine is `services.db`'s)."""
        return None


class DatabaseState(SharedState):
    """Rows in `rate_hits` and `one_time_tickets`, on the configured database or on `database`."""

    def __init__(self, database: Database | None = None) -> None:
        self._database = database

    def _transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        return unit_of_work(SystemActor(label="shared state"), self._database)

    async def hit(
        self, bucket: str, key: str, limit: int, window_seconds: float, *, now: datetime | None = None
    ) -> bool:
        now = now or clock.now()
        hashed = key_hash(bucket, key)
        window = timedelta(seconds=window_seconds)
        async with self._transaction() as session:
            if _is_postgres(session):
                # READ COMMITTED lets two processes count the same rows: each key's count-and-insert goes in turn.
                await session.execute(
                    select(func.pg_advisory_xact_lock(_RATE_LOCK_SPACE, func.hashtext(f"{bucket}:{hashed}")))
                )
            # A write first: on SQLite it takes the database's write lock, so the count below is this writer's own.
            await session.execute(
                delete(RateHit).where(RateHit.bucket == bucket, RateHit.key_hash == hashed, RateHit.at <= now - window)
            )
            if await _count(session, bucket, hashed, now - window) >= limit:
                return False
            session.add(RateHit(bucket=bucket, key_hash=hashed, at=now, expires_at=now + window))
        return True

    async def blocked(
        self, bucket: str, key: str, limit: int, window_seconds: float, *, now: datetime | None = None
    ) -> bool:
        since = (now or clock.now()) - timedelta(seconds=window_seconds)
        async with self._transaction() as session:
            return await _count(session, bucket, key_hash(bucket, key), since) >= limit

    async def reset(self, bucket: str, key: str | None = None) -> None:
        condition = RateHit.bucket == _check_bucket(bucket)
        if key is not None:
            condition &= RateHit.key_hash == key_hash(bucket, key)
        async with self._transaction() as session:
            await session.execute(delete(RateHit).where(condition))

    async def put_ticket(
        self, bucket: str, ticket_hash: str, payload: str, ttl_seconds: float, *, now: datetime | None = None
    ) -> None:
        expires_at = (now or clock.now()) + timedelta(seconds=ttl_seconds)
        async with self._transaction() as session:
            session.add(
                OneTimeTicket(
                    ticket_hash=ticket_hash, bucket=_check_bucket(bucket), payload=payload, expires_at=expires_at
                )
            )

    async def take_ticket(self, bucket: str, ticket_hash: str, *, now: datetime | None = None) -> str | None:
        now = now or clock.now()
        async with self._transaction() as session:
            # DELETE … RETURNING: of two concurrent takers, the second finds the row gone (PostgreSQL waits on the
            # first's row lock and re-checks; SQLite has one writer at a time).
            taken = (
                await session.execute(
                    delete(OneTimeTicket)
                    .where(OneTimeTicket.ticket_hash == ticket_hash, OneTimeTicket.bucket == bucket)
                    .returning(OneTimeTicket.payload, OneTimeTicket.expires_at)
                )
            ).one_or_none()
        if taken is None or taken.expires_at < now:
            return None
        return taken.payload

    async def purge_expired(self, *, now: datetime | None = None) -> int:
        now = now or clock.now()
        async with self._transaction() as session:
            hits = await session.execute(delete(RateHit).where(RateHit.expires_at <= now))
            tickets = await session.execute(delete(OneTimeTicket).where(OneTimeTicket.expires_at < now))
            return rows_affected(hits) + rows_affected(tickets)


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def _count(session: AsyncSession, bucket: str, hashed: str, since: datetime) -> int:
    query = select(func.count()).where(RateHit.bucket == bucket, RateHit.key_hash == hashed, RateHit.at > since)
    return await session.scalar(query) or 0


# KEYS[1] the key's sorted set; ARGV: the oldest score outside the window, now, the limit, a unique member, the
# window in ms. One script runs at a time in Redis: the count and the add cannot interleave with another process.
_HIT_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
    return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    """A score that a double holds exactly (whole microseconds since the epoch), so window edges compare exactly."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


class RedisState(SharedState):
    """A sorted set of attempt times per bucket and key, and a string per ticket; Redis expires both itself."""

    def __init__(self, url: str, *, prefix: str = "portico:") -> None:
        from redis.asyncio import Redis  # imported when Redis is configured: `serve` on the database never needs it

        self._redis: Redis = Redis.from_url(url)
        self._prefix = prefix
        self._hit = self._redis.register_script(_HIT_SCRIPT)

    def _rate_key(self, bucket: str, key: str) -> str:
        return f"{self._prefix}rate:{bucket}:{key_hash(bucket, key)}"

    def _ticket_key(self, bucket: str, ticket_hash: str) -> str:
        return f"{self._prefix}ticket:{_check_bucket(bucket)}:{ticket_hash}"

    async def hit(
        self, bucket: str, key: str, limit: int, window_seconds: float, *, now: datetime | None = None
    ) -> bool:
        now = now or clock.now()
        window = timedelta(seconds=window_seconds)
        args: list[int | str] = [_micros(now - window), _micros(now), limit, secrets.token_hex(8), _ms(window)]
        return bool(await self._hit(keys=[self._rate_key(bucket, key)], args=args))

    async def blocked(
        self, bucket: str, key: str, limit: int, window_seconds: float, *, now: datetime | None = None
    ) -> bool:
        since = _micros((now or clock.now()) - timedelta(seconds=window_seconds))
        return int(await self._redis.zcount(self._rate_key(bucket, key), f"({since}", "+inf")) >= limit

    async def reset(self, bucket: str, key: str | None = None) -> None:
        if key is not None:
            await self._redis.delete(self._rate_key(bucket, key))
            return
        keys = [k async for k in self._redis.scan_iter(match=f"{self._prefix}rate:{_check_bucket(bucket)}:*")]
        if keys:
            await self._redis.delete(*keys)

    async def put_ticket(
        self, bucket: str, ticket_hash: str, payload: str, ttl_seconds: float, *, now: datetime | None = None
    ) -> None:
        ttl = timedelta(seconds=ttl_seconds)
        expires = _micros((now or clock.now()) + ttl)
        # The expiry travels with the payload, so the services' clock decides (as on the database); Redis's own,
        # a second later, only clears it away.
        await self._redis.set(self._ticket_key(bucket, ticket_hash), f"{expires}:{payload}", px=_ms(ttl) + 1000)

    async def take_ticket(self, bucket: str, ticket_hash: str, *, now: datetime | None = None) -> str | None:
        taken = await self._redis.getdel(self._ticket_key(bucket, ticket_hash))  # atomic: one taker gets it
        if taken is None:
            return None
        expires, _, payload = taken.decode().partition(":")
        return payload if int(expires) >= _micros(now or clock.now()) else None

    async def purge_expired(self, *, now: datetime | None = None) -> int:
        return 0  # keys carry their own expiry

    async def close(self) -> None:
        await self._redis.aclose()


def _ms(duration: timedelta) -> int:
    return max(1, int(duration.total_seconds() * 1000))


_state: SharedState = DatabaseState()


def configure(redis_url: str = "") -> SharedState:
    """Redis at `redis_url`, or the configured database when it is empty. Close the previous one first."""
    global _state
    _state = RedisState(redis_url) if redis_url else DatabaseState()
    return _state


def get() -> SharedState:
    return _state


async def close() -> None:
    await _state.close()


async def hit(bucket: str, key: str, limit: int, window_seconds: float) -> bool:
    return await _state.hit(bucket, key, limit, window_seconds)


async def blocked(bucket: str, key: str, limit: int, window_seconds: float) -> bool:
    return await _state.blocked(bucket, key, limit, window_seconds)


async def reset(bucket: str, key: str | None = None) -> None:
    await _state.reset(bucket, key)


async def put_ticket(bucket: str, ticket_hash: str, payload: str, ttl_seconds: float) -> None:
    await _state.put_ticket(bucket, ticket_hash, payload, ttl_seconds)


async def take_ticket(bucket: str, ticket_hash: str) -> str | None:
    return await _state.take_ticket(bucket, ticket_hash)


async def purge_expired() -> int:
    return await _state.purge_expired()
