"""The audit log at length, on SQLite and PostgreSQL: a capped count, bounded pages, the actions an organization has."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.clients import clients
from services.core import audit, clock
from services.core.actors import Actor, SystemActor
from services.core.db import unit_of_work
from services.core.errors import Invalid
from tests.support.db import counted
from tests.support.factories import make_org


async def bulk(actor: Actor, count: int, action: str = "test.bulk") -> None:
    """Rows as a sweep writes them (record_many), a second apart, newest last."""
    rows = []
    for n in range(count):
        rows.append(audit.row(actor, action, target_label=f"row {n}"))
        rows[-1]["at"] = clock.now() + timedelta(seconds=n)
    async with unit_of_work(SystemActor()) as session:
        await audit.record_many(session, rows)


async def test_the_count_stops_just_past_the_cap(database, at) -> None:
    actor = await make_org("acme")
    await bulk(actor, audit.COUNT_CAP)
    exact = await audit.list_events(actor, audit.AuditFilter(action="test.bulk"))
    assert exact.total == audit.COUNT_CAP  # at the cap: still exact
    await bulk(actor, 1)
    assert (await audit.list_events(actor, audit.AuditFilter(action="test.bulk"))).total == audit.COUNT_CAP + 1
    await bulk(actor, 5)
    capped = await audit.list_events(actor, audit.AuditFilter())
    assert capped.total == audit.COUNT_CAP + 1  # "more than COUNT_CAP", however many more
    last = await audit.list_events(actor, audit.AuditFilter(action="test.bulk"), limit=50, offset=audit.COUNT_CAP - 50)
    assert len(last.items) == 50 and last.total == audit.COUNT_CAP + 1
    assert [e.at for e in last.items] == sorted((e.at for e in last.items), reverse=True)


async def test_pages_are_bounded_and_newest_first(database, at) -> None:
    actor = await make_org("acme")
    await bulk(actor, 230)
    page = await audit.list_events(actor, audit.AuditFilter(action="test.bulk"), limit=200)
    assert len(page.items) == 200 and page.total == 230
    assert [e.target_label for e in page.items[:2]] == ["row 229", "row 228"]
    rest = await audit.list_events(actor, audit.AuditFilter(action="test.bulk"), limit=200, offset=200)
    assert [e.target_label for e in rest.items][-1] == "row 0" and len(rest.items) == 30
    for limit, offset in ((201, 0), (0, 0), (50, -1)):
        with pytest.raises(Invalid):
            await audit.list_events(actor, audit.AuditFilter(), limit=limit, offset=offset)


async def test_the_actions_are_the_ones_each_organization_logged_by_either_writer(database, at) -> None:
    acme, globex = await make_org("acme"), await make_org("globex")
    await clients.create_client(acme, clients.ClientInput(name="First"))  # audit.record, flushed with the client
    await bulk(acme, 2, "test.bulk")  # audit.record_many
    await bulk(acme, 1, "test.bulk")  # an action already known is not repeated
    assert await audit.list_actions(acme) == ["client.created", "org.created", "test.bulk"]
    assert await audit.list_actions(globex) == ["org.created"]


async def test_an_action_is_noted_once_and_only_when_its_transaction_commits(database) -> None:
    actor = await make_org("acme")

    async def record(action: str, *, fail: bool = False) -> list[str]:
        with counted(database) as statements:
            try:
                async with unit_of_work(actor) as session:
                    audit.record(session, actor, action, target_type="probe", target_label="probe")
                    if fail:
                        await session.flush()  # the insert is sent, then the transaction fails
                        raise RuntimeError("rolled back")
            except RuntimeError:
                pass
        return [s for s in statements if "audit_actions" in s]

    assert len(await record("probe.first")) == 1
    assert await record("probe.first") == []  # known: no statement at all
    assert len(await record("probe.undone", fail=True)) == 1
    assert "probe.undone" not in await audit.list_actions(actor)
    assert len(await record("probe.undone")) == 1  # the rolled-back insert was not taken as done
    assert {"probe.first", "probe.undone"} <= set(await audit.list_actions(actor))


async def test_the_date_filter_cuts_days_in_the_organizations_time_zone(database) -> None:
    actor = await make_org("acme")
    late = audit.row(actor, "test.late", target_label="late evening in UTC")
    late["at"] = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # already 11 March in Berlin
    async with unit_of_work(SystemActor()) as session:
        await audit.record_many(session, [late])

    def on(day: date, zone: str) -> audit.AuditFilter:
        return audit.AuditFilter(action="test.late", date_from=day, date_to=day, timezone=zone)

    berlin = await audit.list_events(actor, on(date(2026, 3, 11), "Europe/Berlin"))
    utc = await audit.list_events(actor, on(date(2026, 3, 11), "UTC"))
    assert (berlin.total, utc.total) == (1, 0)
    assert (await audit.list_events(actor, on(date(2026, 3, 10), "UTC"))).total == 1
