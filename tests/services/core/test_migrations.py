"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL, and run both ways."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import models
from services.billing import invoices, manual_payments, receivables
from services.billing.manual_payments import PaymentInput
from services.core import audit, db, migrations
from tests.support.clock import T0
from tests.support.factories import make_world
from tests.support.invoicing import draft, mark_sent
from tests.support.receivables import direct_aging, direct_invoiced_vs_collected

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


async def test_0007_builds_the_rollups_and_audit_actions_from_the_rows_already_there(db_url, at):
    """Downgrading below 0007 drops what it made; upgrading again fills it from invoices, payments and the log."""
    db.configure(db_url)
    try:
        world = await make_world("acme")
        actor, client = world.actor, world.client.id
        paid = await draft(actor, client, "300.00", issue=date(2026, 1, 5), due=date(2026, 2, 4))
        partly = await draft(actor, client, "80.00", currency="EUR", issue=date(2026, 2, 1), due=date(2026, 2, 20))
        late = await draft(actor, client, "40.00", issue=date(2025, 11, 2), due=date(2025, 11, 30))
        voided = await draft(actor, client, "60.00", issue=date(2026, 3, 1), due=date(2026, 3, 31))
        await draft(actor, client, "70.00")  # stays a draft
        for made in (paid, partly, late, voided):
            await mark_sent(made.id)
        await manual_payments.record_payment(actor, paid.id, PaymentInput("300.00", paid_on=date(2026, 2, 10)))
        await manual_payments.record_payment(actor, partly.id, PaymentInput("30.00", paid_on=date(2026, 3, 2)))
        await invoices.void_invoice(actor, voided.id)
        before = (await receivables.aging(actor), await receivables.invoiced_vs_collected(actor, 6))
        actions = await audit.list_actions(actor)
        assert before[0] and actions
        await db.close()

        await _run(db_url, _alembic, db_url, command.downgrade, "0006")
        await _run(db_url, _alembic, db_url, command.upgrade, "head")

        db.configure(db_url)
        today = T0.date()
        after = (await receivables.aging(actor), await receivables.invoiced_vs_collected(actor, 6))
        assert after == before
        assert after == (
            await direct_aging(actor.org_id, today),
            await direct_invoiced_vs_collected(actor.org_id, today, 6),
        )
        assert await audit.list_actions(actor) == actions
    finally:
        await db.close()
