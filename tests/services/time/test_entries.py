"""Logging time, the week, and the approval gate: who may decide, bulk decisions, what changes after."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, Role
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Forbidden, Invalid, NotFound
from services.projects import projects
from services.time import entries
from services.time.entries import EntryInput
from tests.support.clock import T0
from tests.support.factories import Team, add_member

TODAY = T0.date()  # Tuesday 10 March 2026, where `at` freezes the clock


def work(team: Team, hours: str = "1.5", day: date = TODAY, **changes: object) -> EntryInput:
    values: dict[str, object] = {
        "project_id": team.world.project.id,
        "work_date": day,
        "hours": hours,
        "description": "Homepage layout",
    }
    values.update(changes)
    return EntryInput(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "minutes"), [("1.5", 90), ("1,25", 75), ("1:30", 90), ("0:05", 5), ("45m", 45), ("2h", 120), ("24", 1440)]
)
def test_hours_are_read_in_the_ways_people_type_them(text: str, minutes: int) -> None:
    assert entries.parse_hours(text) == minutes


@pytest.mark.parametrize("text", ["", "0", "-1", "24.5", "1:75", "abc", "1e9", "nan", "0.001"])
def test_bad_durations_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(Invalid):
        entries.parse_hours(text)


async def test_an_entry_is_submitted_and_shows_in_the_week(team: Team, at) -> None:
    at()
    made = await entries.log_entry(team.staff, work(team, note="Took long: fonts"))
    assert (made.status, made.minutes, made.hours, made.user_name, made.note) == (
        "submitted",
        90,
        "1.50",
        "owner",
        "Took long: fonts",
    )
    week = await entries.my_week(team.staff, TODAY)
    assert week.start == date(2026, 3, 9) and week.total_minutes == 90
    assert week.minutes_by_day[TODAY] == 90 and [e.id for e in week.entries] == [made.id]


async def test_a_form_with_several_problems_names_them_all(team: Team) -> None:
    with pytest.raises(Invalid) as refused:
        await entries.log_entry(team.staff, work(team, hours="0", description=" "))
    assert {p.field for p in refused.value.problems} == {"hours", "description"}


async def test_time_is_not_logged_ahead(team: Team, at) -> None:
    at()
    with pytest.raises(Invalid, match="not ahead"):
        await entries.log_entry(team.staff, work(team, day=TODAY + timedelta(days=3)))


async def test_copy_last_week_logs_the_same_entries_a_week_later(team: Team, at) -> None:
    at()
    await entries.log_entry(team.staff, work(team, day=TODAY - timedelta(days=7)))
    await entries.log_entry(team.staff, work(team, "2", day=TODAY - timedelta(days=6)))
    assert await entries.copy_last_week(team.staff, TODAY) == 2
    week = await entries.my_week(team.staff, TODAY)
    assert sorted(e.minutes for e in week.entries) == [90, 120]
    assert {e.status for e in week.entries} == {"submitted"}


async def test_owners_admins_and_the_projects_lead_decide_others_do_not(team: Team) -> None:
    lead = await add_member(team.staff.org_id, "lead@acme.test", name="Lena")
    other = await add_member(team.staff.org_id, "other@acme.test", name="Otto")
    await projects.update_project(team.staff, team.world.project.id, projects.ProjectChanges(lead_user_id=lead.user_id))
    mine = await entries.log_entry(other, work(team))
    assert [e.id for e in (await entries.approval_queue(lead)).items] == [mine.id]
    assert (await entries.approval_queue(other)).items == []
    with pytest.raises(Forbidden, match="projects you lead"):
        await entries.approve(other, [mine.id])
    assert await entries.approve(lead, [mine.id]) == 1
    assert await entries.approve(lead, [mine.id]) == 0  # already approved: nothing changes, no second audit row
    with pytest.raises(Forbidden, match="owners and admins"):
        await entries.update_entry(other, mine.id, work(team, "3"))
    assert (await entries.approval_queue(team.staff)).items == []


async def test_bulk_reject_needs_a_reason_and_the_author_resubmits(team: Team) -> None:
    member = await add_member(team.staff.org_id, "m@acme.test", role=Role.member)
    first = await entries.log_entry(member, work(team))
    second = await entries.log_entry(member, work(team, "2"))
    with pytest.raises(Invalid, match="Reason"):
        await entries.reject(team.staff, [first.id, second.id], "  ")
    assert await entries.reject(team.staff, [first.id, second.id], "Wrong project") == 2
    [rejected, _] = (await entries.list_entries(member, status="rejected")).items
    assert rejected.reject_reason == "Wrong project"
    again = await entries.update_entry(member, rejected.id, work(team, "1"))
    assert (again.status, again.reject_reason, again.minutes) == ("submitted", "", 60)
    async with unit_of_work(SystemActor()) as session:
        actions = list(await session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("time.%"))))
    assert actions.count("time.rejected") == 2 and actions.count("time.logged") == 2


async def test_members_change_only_their_own_time(team: Team) -> None:
    member = await add_member(team.staff.org_id, "m@acme.test")
    theirs = await entries.log_entry(team.staff, work(team))
    with pytest.raises(Forbidden, match="only your own"):
        await entries.delete_entry(member, theirs.id)
    with pytest.raises(Forbidden, match="someone else"):
        await entries.log_entry(member, work(team, user_id=team.staff.user_id))
    await entries.delete_entry(team.staff, theirs.id)
    with pytest.raises(NotFound):
        await entries.delete_entry(team.staff, theirs.id)


async def test_contacts_cannot_log_or_decide(team: Team) -> None:
    with pytest.raises(NotFound):
        await entries.log_entry(team.jane, work(team))
    with pytest.raises(NotFound):
        await entries.approval_queue(team.jane)
