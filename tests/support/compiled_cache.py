"""One SQL compilation cache for every engine the tests create.

Nearly every test configures a fresh database, so a fresh engine, and SQLAlchemy keys its cache of compiled
statements by the engine's own dialect object: each test compiled again every statement the test before had
compiled (a third of the isolation tests' time). Engines of one dialect class, driver options and server
version compile a statement to the same SQL, so here they share one cache, keyed by those instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import LRUCache


def _dialect_key(dialect: Dialect) -> tuple:
    return (type(dialect), dialect.server_version_info, dialect.paramstyle, dialect.positional)


class SharedCompiledCache(LRUCache):
    """SQLAlchemy's LRU cache, with the dialect in each key replaced by what it compiles by."""

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(self._shared(key), default)

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(self._shared(key), value)

    @staticmethod
    def _shared(key: Any) -> Any:
        if isinstance(key, tuple) and key and isinstance(key[0], Dialect):
            return (_dialect_key(key[0]), *key[1:])
        return key


SHARED = SharedCompiledCache(20000)


def share(engine: AsyncEngine) -> AsyncEngine:
    engine.sync_engine._compiled_cache = SHARED
    return engine
