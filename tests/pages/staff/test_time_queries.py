"""The staff time pages read a fixed number of SQL statements whatever the week or the queue holds (SPEC §11)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from nicegui.testing.user import User

from services.core.db import get_database
from services.time import entries
from services.time.entries import EntryInput
from tests.support.db import counted
from tests.support.factories import OrgWorld, add_member, make_world
from tests.support.pages import signed_in

MONDAY = date(2026, 3, 9)
PATHS = ("/time", "/time/approvals")


async def log(world: OrgWorld, count: int, start: int) -> None:
    """`count` more entries in the owner's week (shown on /time) and a member's (waiting on /time/approvals)."""
    ana = await add_member(world.actor.org_id, f"ana{start}@acme.test") if count else None
    for n in range(start, start + count):
        day = MONDAY + timedelta(days=n % 2)  # Monday or today, Tuesday: not ahead
        await entries.log_entry(world.actor, EntryInput(world.project.id, day, "0.5", f"Mine {n}"))
        assert ana is not None
        await entries.log_entry(ana, EntryInput(world.project.id, day, "0.5", f"Ana's {n}"))


async def statements(user: User) -> dict[str, int]:
    await asyncio.sleep(0.3)  # redraws of pages open before, for the entries just logged, are over
    found = {}
    for path in PATHS:
        with counted(get_database()) as seen:
            await user.open(path)
            await user.should_see("Sign out")
        found[path] = len(seen)
    return found


async def test_the_time_pages_read_as_many_statements_with_one_entry_as_with_thirty(user: User, at) -> None:
    world = await make_world("acme")
    await log(world, 1, 0)
    await signed_in(user, world.owner_email)
    few = await statements(user)
    await log(world, 29, 1)
    many = await statements(user)
    assert (await entries.approval_queue(world.actor)).total == 60  # both people's entries wait
    assert (await entries.my_week(world.actor, MONDAY)).total_minutes == 30 * 30
    assert many == few
    assert all(many.values())
