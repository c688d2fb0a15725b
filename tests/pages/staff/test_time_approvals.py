"""The staff Approvals page: the queue oldest first, bulk approve, bulk reject with a reason, who sees what."""

from __future__ import annotations

from datetime import date, timedelta

from nicegui import ui
from nicegui.testing.user import User

from models import Role
from models.time import TimeStatus
from services.core.actors import StaffActor
from services.projects import projects
from services.time import entries
from services.time.entries import EntryInput
from tests.support.factories import OrgWorld, add_member, make_world
from tests.support.pages import error_of, eventually, signed_in, table_rows, the, the_table

MONDAY = date(2026, 3, 9)


async def ana_logs(world: OrgWorld, count: int) -> tuple[StaffActor, list[entries.EntryView]]:
    ana = await add_member(world.actor.org_id, "ana@acme.test", name="Ana")
    made = [
        await entries.log_entry(ana, EntryInput(world.project.id, MONDAY - timedelta(days=n), "1", f"Task {n}"))
        for n in range(count)
    ]
    return ana, made


def select(user: User, rows: list[dict]) -> None:
    """Tick rows as the browser reports it."""
    user.find(ui.table).trigger("selection", {"added": True, "rows": rows, "keys": [r["id"] for r in rows]})


async def statuses(world: OrgWorld) -> dict[str, tuple[TimeStatus, str]]:
    return {e.description: (e.status, e.reject_reason) for e in (await entries.list_entries(world.actor)).items}


async def test_the_queue_is_approved_and_rejected_in_bulk(user: User, at) -> None:
    world = await make_world("acme")
    await ana_logs(world, 3)
    await signed_in(user, world.owner_email)
    await user.open("/time/approvals")
    rows = await table_rows(user, 3)
    assert [r["description"] for r in rows] == ["Task 2", "Task 1", "Task 0"]  # the longest waiting first
    assert (rows[0]["person"], rows[0]["hours"], rows[0]["project"]) == ("Ana", "1 h", "Acme Client · Acme Website")

    user.find(marker="approve").click()  # nothing ticked
    await user.should_see("Tick the entries to approve first", retries=50)
    select(user, rows[:2])
    user.find(marker="approve").click()
    await user.should_see("Approved 2 entries", retries=50)
    rows = await table_rows(user, 1)
    assert the_table(user).selected == []  # what was decided is no longer ticked
    assert (await statuses(world))["Task 2"] == (TimeStatus.approved, "")

    select(user, rows)
    user.find(marker="reject").click()
    reason = await the(user, "reject-reason-input", ui.textarea)
    user.find(marker="confirm-reject").click()
    assert await eventually(error_of(reason)) == "Reason is required."
    reason.value = "Which task was this?"
    user.find(marker="confirm-reject").click()
    await user.should_see("Rejected 1 entry", retries=50)
    await table_rows(user, 0)
    assert await statuses(world) == {
        "Task 0": (TimeStatus.rejected, "Which task was this?"),
        "Task 1": (TimeStatus.approved, ""),
        "Task 2": (TimeStatus.approved, ""),
    }


async def test_a_member_who_leads_no_project_is_told_why_there_is_nothing(user: User) -> None:
    world = await make_world("acme")
    await ana_logs(world, 1)
    await signed_in(user, "ana@acme.test")
    await user.should_not_see("Approvals")  # not in the navigation
    await user.open("/time/approvals")
    await user.should_see("You approve time on the projects you lead, and you lead none yet.", retries=50)
    await user.should_not_see(kind=ui.table)


async def test_a_lead_sees_only_the_time_on_the_projects_they_lead(user: User, at) -> None:
    world = await make_world("acme")
    lead = await add_member(world.actor.org_id, "lee@acme.test", Role.member, name="Lee")
    led = await projects.create_project(
        world.actor, world.client.id, projects.ProjectInput(name="Led by Lee", lead_user_id=lead.user_id)
    )
    ana, _ = await ana_logs(world, 1)  # on the world's project, which Lee does not lead
    await entries.log_entry(ana, EntryInput(led.id, MONDAY, "2", "On Lee's project"))
    await signed_in(user, "lee@acme.test")
    await user.should_see("Approvals")  # in the navigation for a lead
    await user.open("/time/approvals")
    rows = await table_rows(user, 1)
    assert [r["description"] for r in rows] == ["On Lee's project"]
    select(user, rows)
    user.find(marker="approve").click()
    await user.should_see("Approved 1 entry", retries=50)
    assert (await statuses(world))["On Lee's project"] == (TimeStatus.approved, "")


async def test_the_queue_redraws_when_time_is_logged_elsewhere(user: User, at) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/time/approvals")
    assert await table_rows(user, 0) == []
    await ana_logs(world, 2)
    rows = await table_rows(user, 2)
    assert {r["description"] for r in rows} == {"Task 0", "Task 1"}
