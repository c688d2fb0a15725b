"""The engine, sessions and the unit of work. Each session carries its actor for the scoping hook."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, CursorResult, FromClause, Insert, Result, Table, TableClause, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from services.core import scoping
from services.core.actors import Actor

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite


CONNECT_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = 10
SQLITE_CONNECTIONS = 15


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` says the database could not be reached or used just now (down, restarting, a connection
    lost mid-statement, the pool exhausted, SQLite busy past its timeout) rather than that a statement is wrong:
    the request may succeed when tried again."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        if url.startswith("sqlite"):
            # One writer at a time on SQLite; WAL lets readers proceed, busy_timeout makes writers wait.
            # Connections are pooled (each is a thread and three PRAGMAs to open): a unit of work borrows one.
            # All of them are kept: overflow connections were opened at each busy moment and closed after, each a
            # new thread with a new page cache (bench/soak.py, 500 tabs: 8 to 18 threads, over and over).
            engine_kwargs.setdefault("connect_args", {"timeout": 30})
            if "poolclass" not in engine_kwargs:
                engine_kwargs.setdefault("pool_size", SQLITE_CONNECTIONS)
                engine_kwargs.setdefault("max_overflow", 0)
        else:
            # A checked-out connection is tested first (one that died with a server restart is replaced unseen);
            # a server that does not answer fails a connect in 5 s, and a request waits at most 10 s for a free
            # pooled connection: while the database is away, requests fail fast with a clear answer, never hang.
            engine_kwargs.setdefault("pool_pre_ping", True)
            engine_kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
            engine_kwargs.setdefault("connect_args", {"connect_timeout": CONNECT_TIMEOUT_SECONDS})
        self.engine: AsyncEngine = create_async_engine(url, **engine_kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_database: Database | None = None


def configure(url: str, **engine_kwargs: Any) -> Database:
    global _database
    _database = Database(url, **engine_kwargs)
    return _database


def get_database() -> Database:
    if _database is None:
        raise RuntimeError("services.db.configure() has not been called")
    return _database


async def close() -> None:
    global _database
    if _database is not None:
        await _database.dispose()
        _database = None


@asynccontextmanager
async def unit_of_work(actor: Actor, database: Database | None = None) -> AsyncIterator[AsyncSession]:
    """A transaction seen through `actor`: committed on success, rolled back on any error.

    On the configured database, or on `database` (a second engine on the same data, as another process has).
    """
    session = (database or get_database()).sessionmaker()
    scoping.bind(session, actor)
    try:
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    finally:
        await session.close()


def insert_or_skip(
    session: AsyncSession, table: Table | FromClause, conflict_columns: list[str], returning: ColumnElement
) -> Insert:
    """INSERT … ON CONFLICT (columns) DO NOTHING RETURNING …, in the session's dialect.

    Returns a row only for what this statement inserted: the unique constraint decides who goes first, so
    concurrent callers (two sweeps, two deliveries of one webhook) each learn whether the work is theirs.
    """
    statement = dialect_insert(session.get_bind().dialect.name, table)
    return statement.on_conflict_do_nothing(index_elements=conflict_columns).returning(returning)


def dialect_insert(dialect_name: str, table: Table | FromClause) -> postgresql.Insert | sqlite.Insert:
    """The INSERT of the dialect named `dialect_name` (the one with ON CONFLICT), its module imported on first use.

    `from sqlalchemy.dialects import postgresql` imports every PostgreSQL driver's dialect and the catalog
    tables, about 0.1 s: at module level it delays every start, even of a server that runs on SQLite.
    """
    target = cast(TableClause, table)  # a mapped class's __table__ is typed FromClause; it is a Table
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(target)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(target)


def rows_affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE executed through a session changed (a cursor result underneath)."""
    assert isinstance(result, CursorResult)
    return result.rowcount or 0
