"""The audit log page at length: pages reach the newest events, and the count says when there are more."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing.user import User

from services.core import audit
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from tests.support.factories import make_world
from tests.support.pages import signed_in, table_rows, the_table


async def test_a_log_longer_than_the_count_cap_says_so(user: User) -> None:
    world = await make_world("acme")
    rows = [audit.row(world.actor, "test.bulk", target_label=f"row {n}") for n in range(audit.COUNT_CAP + 1)]
    async with unit_of_work(SystemActor()) as session:
        await audit.record_many(session, rows)
    await signed_in(user, world.owner_email)
    await user.open("/audit")
    assert len(await table_rows(user, 50)) == 50
    table = the_table(user)
    assert table.pagination["rowsNumber"] == audit.COUNT_CAP  # 200 pages of 50: the newest 10,000 events
    assert "'+'" in table.props[":pagination-label"]  # "1-50 of 10,000+"
    await user.should_see(f"More than {audit.COUNT_CAP:,} events match")

    action = next(e for e in user.find(ui.select).elements if e.props.get("label") == "Action")
    action.value = "staff.signed_in"
    assert len(await table_rows(user, 1)) == 1
    assert table.pagination["rowsNumber"] == 1 and "'+'" not in table.props[":pagination-label"]
    await user.should_not_see(f"More than {audit.COUNT_CAP:,} events match")
