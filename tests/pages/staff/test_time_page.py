"""The staff Time page: the quick log form, the week and its totals, copy last week, the running timer."""

from __future__ import annotations

from datetime import date, timedelta

from nicegui import ui
from nicegui.testing.user import User

from models.time import TimeStatus
from services.projects import projects
from services.time import entries
from services.time.entries import EntryInput
from tests.support.factories import OrgWorld, make_world
from tests.support.pages import eventually, signed_in, the

MONDAY = date(2026, 3, 9)  # the week of the frozen today, Tuesday 2026-03-10 (the `at` fixture)
TUESDAY = MONDAY + timedelta(days=1)


async def logged(world: OrgWorld, day: date, hours: str, description: str) -> entries.EntryView:
    return await entries.log_entry(world.actor, EntryInput(world.project.id, day, hours, description))


async def my_entries(world: OrgWorld) -> list[entries.EntryView]:
    return (await entries.list_entries(world.actor, user_id=world.actor.user_id)).items


def text_of(user: User, marker: str) -> str:
    label = next(iter(user.find(marker=marker).elements))
    assert isinstance(label, ui.label)
    return label.text


async def open_time(user: User, world: OrgWorld) -> None:
    await signed_in(user, world.owner_email)
    await user.open("/time")
    await user.should_see(marker="week-total", retries=50)


async def test_an_entry_is_logged_from_the_form_and_shows_in_its_day(user: User, at) -> None:
    world = await make_world("acme")
    await open_time(user, world)
    # the one active project is chosen already; the day is today
    assert (await the(user, "entry-project", ui.select)).value == str(world.project.id)
    assert (await the(user, "entry-date", ui.input)).value == "03/10/2026"
    (await the(user, "entry-hours", ui.input)).value = "1:30"
    (await the(user, "entry-description", ui.input)).value = "Homepage wireframes"
    (await the(user, "entry-note", ui.input)).value = "Took longer: unclear brief"
    user.find(marker="entry-log").click()
    await user.should_see("Logged 1.5 h on Acme Website", retries=50)
    [entry] = await eventually(lambda: my_entries(world))
    assert (entry.minutes, entry.work_date, entry.description, entry.note, entry.billable, entry.status) == (
        90,
        TUESDAY,
        "Homepage wireframes",
        "Took longer: unclear brief",
        True,
        TimeStatus.submitted,
    )
    await user.should_see(marker=f"entry-{entry.id}", retries=50)
    await user.should_see("Week total: 1.5 h")
    assert text_of(user, f"day-total-{TUESDAY}") == "1.5 h"
    assert (await the(user, "entry-hours", ui.input)).value == ""  # ready for the next one


async def test_a_refused_entry_marks_every_field_at_fault(user: User, at) -> None:
    world = await make_world("acme")
    await projects.create_project(world.actor, world.client.id, projects.ProjectInput(name="Second"))
    await open_time(user, world)
    project = await the(user, "entry-project", ui.select)
    assert project.value is None  # two projects: nothing is chosen for the person
    (await the(user, "entry-date", ui.input)).value = "13/45/2026"
    (await the(user, "entry-hours", ui.input)).value = "lots"
    user.find(marker="entry-log").click()
    await eventually(lambda: project.props.get("error-message"))
    errors = {
        marker: next(iter(user.find(marker=marker).elements)).props.get("error-message")
        for marker in ("entry-project", "entry-date", "entry-hours", "entry-description")
    }
    assert errors == {
        "entry-project": "Choose a project.",
        "entry-date": "Date must be a date like 12/31/2026.",
        "entry-hours": "Enter the time spent, like 1.5 or 1:30.",
        "entry-description": "Description is required.",
    }
    assert await my_entries(world) == []


async def test_the_week_adds_up_by_day_and_moves_between_weeks(user: User, at) -> None:
    world = await make_world("acme")
    await logged(world, MONDAY, "2", "Kick-off")
    await logged(world, TUESDAY, "0.75", "Copy edits")
    await logged(world, TUESDAY, "30m", "Call")
    await logged(world, MONDAY - timedelta(days=3), "4", "Last week's work")
    await open_time(user, world)
    await user.should_see("Week total: 3.25 h")
    assert text_of(user, f"day-total-{MONDAY}") == "2 h"
    assert text_of(user, f"day-total-{TUESDAY}") == "1.25 h"
    await user.should_not_see("Last week's work")
    user.find(marker="week-previous").click()
    await user.should_see("Last week's work", retries=50)
    await user.should_see("Week total: 4 h")
    user.find(marker="week-today").click()
    await user.should_see("Week total: 3.25 h", retries=50)


async def test_copy_last_week_logs_the_same_time_a_week_later_and_says_how_many(user: User, at) -> None:
    world = await make_world("acme")
    await logged(world, MONDAY - timedelta(days=7), "2", "Weekly report")
    await logged(world, MONDAY - timedelta(days=5), "1", "Stand-up")
    await open_time(user, world)
    await user.should_see("Week total: 0 h")
    user.find(marker="copy-week").click()
    await user.should_see("Copied 2 entries from the week before", retries=50)
    await user.should_see("Week total: 3 h", retries=50)
    copied = [e for e in await my_entries(world) if e.work_date >= MONDAY]
    assert sorted((e.work_date, e.description, e.status) for e in copied) == [
        (MONDAY, "Weekly report", TimeStatus.submitted),
        (MONDAY + timedelta(days=2), "Stand-up", TimeStatus.submitted),
    ]


async def test_a_rejected_entry_shows_its_reason(user: User, at) -> None:
    world = await make_world("acme")
    rejected = await logged(world, TUESDAY, "1", "Too vague")
    await entries.reject(world.actor, [rejected.id], "Say which page")
    await open_time(user, world)
    await user.should_see("Rejected: Say which page")
    await user.should_see(kind=ui.badge, content="Rejected")


async def test_an_entry_is_edited_and_deleted(user: User, at) -> None:
    world = await make_world("acme")
    entry = await logged(world, TUESDAY, "1", "Draft")
    await open_time(user, world)
    user.find(marker="entry-edit").click()
    # the log form's hours field is empty; the dialog's holds the entry's
    [dialog_hours] = await eventually(
        lambda: [e for e in user.find(marker="entry-hours").elements if getattr(e, "value", "") == "1.00"]
    )
    dialog_hours.value = "2.5"
    user.find(marker="entry-save").click()
    await user.should_see("Week total: 2.5 h", retries=50)
    assert (await entries.list_entries(world.actor)).items[0].minutes == 150

    user.find(marker="entry-delete").click()
    await user.should_see("Delete this time entry?", retries=50)
    user.find(marker="confirm").click()
    await user.should_see("Week total: 0 h", retries=50)
    assert (await entries.list_entries(world.actor, project_id=entry.project_id)).total == 0


async def test_the_timer_runs_across_a_reload_and_stop_logs_the_minutes(user: User, at) -> None:
    world = await make_world("acme")
    await open_time(user, world)
    user.find(marker="timer-start").click()  # nothing chosen yet
    project = await the(user, "timer-project", ui.select)
    await eventually(lambda: project.props.get("error-message") == "Choose a project.")
    project.value = str(world.project.id)
    (await the(user, "timer-description", ui.input)).value = "Design review"
    user.find(marker="timer-start").click()
    elapsed = await the(user, "timer-elapsed", ui.label)
    assert elapsed.text == "0:00:00"
    at(timedelta(minutes=44, seconds=40))
    await eventually(lambda: elapsed.text == "0:44:40")  # the label moves on by itself, each second

    await user.open("/projects")  # elsewhere, then back: the timer kept running
    await user.open("/time")
    await user.should_see("Design review", retries=50)
    assert (await the(user, "timer-elapsed", ui.label)).text == "0:44:40"
    user.find(marker="timer-stop").click()
    await user.should_see("Logged 45 min on Acme Website", retries=50)
    [entry] = await eventually(lambda: my_entries(world))
    assert (entry.minutes, entry.work_date, entry.description) == (45, TUESDAY, "Design review")
    await user.should_see(marker="timer-start", retries=50)
    await user.should_see("Week total: 0.75 h", retries=50)
    await user.open("/time")
    await user.should_see(marker="timer-start", retries=50)  # stopped for good
    await user.should_not_see(marker="timer-elapsed")


async def test_a_timer_stopped_at_once_logs_a_minute_and_one_discarded_logs_nothing(user: User, at) -> None:
    world = await make_world("acme")
    await open_time(user, world)
    for action in ("timer-discard", "timer-stop"):
        (await the(user, "timer-project", ui.select)).value = str(world.project.id)
        (await the(user, "timer-description", ui.input)).value = action
        user.find(marker="timer-start").click()
        await user.should_see(marker=action, retries=50)
        user.find(marker=action).click()
        await user.should_see(marker="timer-start", retries=50)
    [entry] = await eventually(lambda: my_entries(world))
    assert (entry.description, entry.minutes) == ("timer-stop", 1)


async def test_a_decision_made_elsewhere_shows_without_a_reload(user: User, at) -> None:
    world = await make_world("acme")
    entry = await logged(world, TUESDAY, "1", "Mockups")
    await open_time(user, world)
    await user.should_see(kind=ui.badge, content="Submitted")
    await entries.reject(world.actor, [entry.id], "Split it by page")
    await user.should_see("Rejected: Split it by page", retries=100)
