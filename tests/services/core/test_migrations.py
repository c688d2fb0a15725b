"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL, and run both ways."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import models
from services.core import migrations

APP_TABLES = {t.name for t in models.Base.metadata.sorted_tables}


def _head() -> str:
    head = ScriptDirectory.from_config(migrations.alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _diff(sync_connection) -> list:
    context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
    return compare_metadata(context, models.Base.metadata)


def _tables(sync_connection) -> set[str]:
    return set(inspect(sync_connection).get_table_names()) - {"alembic_version"}


async def _run(url: str, fn, *args):
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(fn, *args)
    finally:
        await engine.dispose()


def _alembic(sync_connection, url: str, action, revision: str) -> None:
    config = migrations.alembic_config(url)
    config.attributes["connection"] = sync_connection
    action(config, revision)


async def _revision(url: str) -> str | None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await migrations.current_revision(connection)
    finally:
        await engine.dispose()


async def test_migrated_schema_matches_the_models(db_url):
    assert await _run(db_url, _diff) == []
    assert await _run(db_url, _tables) == APP_TABLES
    assert await _revision(db_url) == _head()


async def test_upgrade_of_a_migrated_database_is_a_no_op(db_url):
    async def count_orgs() -> int:
        return await _run(db_url, lambda c: c.execute(text("SELECT count(*) FROM organizations")).scalar_one())

    org = models.Organization.__table__
    await _run(
        db_url,
        lambda c: c.execute(
            org.insert().values(id=uuid.uuid4(), name="Kept", slug="kept", created_at=datetime.now(UTC))
        ),
    )
    await migrations.upgrade(db_url)
    await migrations.upgrade(db_url)
    assert await _revision(db_url) == _head()
    assert await count_orgs() == 1
    assert await _run(db_url, _diff) == []


async def test_downgrade_to_base_and_upgrade_again(db_url):
    await _run(db_url, _alembic, db_url, command.downgrade, "base")
    assert await _run(db_url, _tables) == set()
    assert await _revision(db_url) is None

    await _run(db_url, _alembic, db_url, command.upgrade, "head")
    assert await _run(db_url, _tables) == APP_TABLES
    assert await _revision(db_url) == _head()
    assert await _run(db_url, _diff) == []


async def test_the_comparison_notices_a_drifted_schema(db_url):
    """Guards the guard: a schema that lost an index must not compare as equal."""
    await _run(db_url, lambda c: c.execute(text("DROP INDEX ix_projects_org_id_status")))
    diff = await _run(db_url, _diff)
    assert [d[0] for d in diff] == ["add_index"]
    assert diff[0][1].name == "ix_projects_org_id_status"
