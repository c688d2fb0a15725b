"""The isolation tests' two organizations, fresh for each test, and the two layers of scoping.

Building the worlds takes a couple of seconds and hundreds of tests need them, so each worker builds them
once per backend into a database of its own and every test gets a copy of that database (a file copy on
SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL). The `Worlds` value holds only ids, markers and secrets,
all of which the copy contains, so each test still starts from the same untouched state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from services.core import db, scoping
from tests.support.db import fresh_postgres_url, fresh_sqlite_url
from tests.support.isolation import Worlds, make_worlds
from tests.support.postgres import Cluster

# per worker process: backend -> (the built database: SQLite file or PostgreSQL database name, its worlds)
_BUILT: dict[str, tuple[str, Worlds]] = {}


async def _build(url: str) -> Worlds:
    db.configure(url)
    try:
        return await make_worlds()
    finally:
        await db.close()  # no connection may stay open on a database used as a template


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, sqlite_template: Path) -> tuple[str, Path | Cluster]:
    """The database the worlds live in; set up here, outside the event loop, since the templates need their own."""
    if request.param == "sqlite":
        return "sqlite", sqlite_template
    return "postgres", request.getfixturevalue("pg_cluster")


@pytest.fixture
async def worlds(
    backend: tuple[str, Path | Cluster], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> AsyncIterator[Worlds]:
    kind, place = backend
    if kind == "sqlite":
        assert isinstance(place, Path)
        sqlite_template = place
        if "sqlite" not in _BUILT:
            url = fresh_sqlite_url(sqlite_template, tmp_path_factory.mktemp("worlds"))
            _BUILT["sqlite"] = (url.removeprefix("sqlite+aiosqlite:///"), await _build(url))
        built_path, built = _BUILT["sqlite"]
        db.configure(fresh_sqlite_url(Path(built_path), tmp_path))
        yield built
        await db.close()
        return
    assert isinstance(place, Cluster)
    cluster = place
    if "postgres" not in _BUILT:
        url, name = fresh_postgres_url(cluster)
        _BUILT["postgres"] = (name, await _build(url))
    template, built = _BUILT["postgres"]
    url, copy = fresh_postgres_url(cluster, template)
    db.configure(url)
    yield built
    await db.close()
    cluster.run_sql(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")


@pytest.fixture(params=["both layers", "explicit filters only"])
def layers(request):
    """The second run takes the scoping hook away: each query's own filters must suffice on their own."""
    if request.param == "both layers":
        yield request.param
        return
    event.remove(Session, "do_orm_execute", scoping._add_actor_criteria)
    try:
        yield request.param
    finally:
        event.listen(Session, "do_orm_execute", scoping._add_actor_criteria)
