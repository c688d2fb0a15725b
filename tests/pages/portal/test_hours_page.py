"""The portal's Hours page: the client's approved entries only, totaled per project and overall with the budget
used, never a rate; filtered by range and project; a CSV link for exactly what is shown; and "Question" on an
entry, which becomes a request on its project and flags the entry for staff."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from nicegui import ui
from nicegui.element import Element
from nicegui.testing.user import User
from sqlalchemy import select

from models import WorkRequest as Request
from portal_app.portal.hours_page import HOURS_PAGE
from services.clients import clients
from services.core import clock
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.formatting import Formats
from services.projects import projects
from services.time import entries, rates
from services.time.entries import EntryInput, EntryView
from tests.support.factories import OrgWorld, make_world
from tests.support.pages import eventually, the
from tests.support.portal import sign_in_contact

NOTE = "internal: the client is slow to answer"
FORMATS = Formats()


@pytest.fixture
async def acme(user: User) -> OrgWorld:
    world = await make_world("acme")
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    return world


def first_of_month() -> date:
    return clock.now().date().replace(day=1)


async def log(
    world: OrgWorld,
    hours: str,
    description: str,
    *,
    day: date | None = None,
    project_id: uuid.UUID | None = None,
    approve: bool = True,
    billable: bool = True,
) -> EntryView:
    made = await entries.log_entry(
        world.actor,
        EntryInput(
            project_id or world.project.id, day or first_of_month(), hours, description, billable=billable, note=NOTE
        ),
    )
    if approve:
        await entries.approve(world.actor, [made.id])
    return made


def page_text(user: User) -> str:
    """Every text and property the page holds, hidden ones included: what reaches the browser."""
    parts = []
    assert user.client is not None
    for element in user.client.layout.descendants():
        parts.append(str(getattr(element, "text", "")))
        parts.append(str(element.props))
    return "\n".join(parts)


def inside(user: User, marker: str) -> list[str]:
    """The texts of labels and badges inside the element marked `marker`, now."""
    [box] = user.find(marker=marker).elements
    return [e.text for e in [box, *box.descendants()] if isinstance(e, ui.label | ui.badge)]


def marked(user: User, marker: str) -> list[Element]:
    try:
        return list(user.find(marker=marker).elements)
    except AssertionError:
        return []


async def test_only_approved_entries_of_this_client_are_listed_and_totaled_never_a_rate(
    user: User, acme: OrgWorld
) -> None:
    staff = acme.actor
    await rates.set_project_rates(staff, acme.project.id, hourly_rate="187.35", budget_hours="10")
    await log(acme, "2", "Wireframes")
    await log(acme, "1.5", "Copy review", billable=False)
    await log(acme, "3", "Waiting for approval", approve=False)
    rejected = await log(acme, "4", "Rejected work", approve=False)
    await entries.reject(staff, [rejected.id], "Not ours to bill")
    await log(acme, "1", "Last month's work", day=first_of_month() - timedelta(days=20))
    globex = await clients.create_client(staff, clients.ClientInput(name="Globex"))
    theirs = await projects.create_project(staff, globex.id, projects.ProjectInput(name="Globex Shop"))
    await log(acme, "5", "Globex checkout", project_id=theirs.id)

    await user.open("/portal/acme/hours")
    await user.should_see("Wireframes")
    await user.should_see("Copy review")
    assert "No charge" in inside(user, "hours-entries")
    totals = inside(user, "hours-total")
    assert totals == ["Total", "3.5 h"]
    # the budget counts all approved time on the project, last month's too
    assert inside(user, "hours-budget") == ["4.5 of 10 h used"]
    text = page_text(user)
    for hidden in (
        "Waiting for approval",
        "Rejected work",
        "Not ours to bill",
        "Last month's work",
        "Globex",
        NOTE,
        "187.35",
        "187,35",
        "18735",
        "$187",
        "$374",  # the cost of the two hours
    ):
        assert hidden not in text, hidden


async def test_the_range_and_the_project_filter_what_is_listed_and_the_csv_link_follows(
    user: User, acme: OrgWorld
) -> None:
    staff = acme.actor
    other = await projects.create_project(staff, acme.client.id, projects.ProjectInput(name="Mobile app"))
    earlier = first_of_month() - timedelta(days=20)
    await log(acme, "1", "Homepage this month")
    await log(acme, "0.5", "App this month", project_id=other.id)
    await log(acme, "2", "Homepage earlier", day=earlier)

    await user.open("/portal/acme/hours")
    await user.should_see("Homepage this month")
    await user.should_not_see("Homepage earlier")
    start, end = first_of_month(), clock.now().date()
    link = await the(user, "hours-csv", ui.link)
    assert link.text == "Download CSV"
    default_end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    assert link.props["href"] == f"/portal/acme/hours.csv?date_from={start}&date_to={default_end}"

    # the From field, typed in the organization's way, widens the range
    (await the(user, "hours-from", ui.input)).value = FORMATS.input_day(earlier)
    await user.should_see("Homepage earlier")
    assert inside(user, "hours-total") == ["Total", "3.5 h"]
    assert link_href(user) == f"/portal/acme/hours.csv?date_from={earlier}&date_to={default_end}"

    # one project
    (await the(user, "hours-project", ui.select)).value = str(other.id)
    await user.should_not_see("Homepage this month")
    await user.should_see("App this month")
    assert inside(user, "hours-total") == ["Total", "0.5 h"]
    assert link_href(user).endswith(f"&project={other.id}")

    # To before From: said on the field, the list stays as it was
    (await the(user, "hours-to", ui.input)).value = FORMATS.input_day(earlier - timedelta(days=1))
    field = await the(user, "hours-from", ui.input)
    await eventually(lambda: field.props.get("error-message") == "“From” must be on or before “To”.")
    await user.should_see("App this month")

    # the address carries a range and a project too (the page's own links could)
    await user.open(f"/portal/acme/hours?date_from={earlier}&date_to={end}&project={acme.project.id}")
    await user.should_see("Homepage earlier")
    await user.should_not_see("App this month")


def link_href(user: User) -> str:
    [link] = user.find(marker="hours-csv").elements
    return str(link.props["href"])


async def test_the_csv_link_serves_what_the_page_lists(user: User, acme: OrgWorld) -> None:
    await log(acme, "1.25", "Design review")
    await log(acme, "0:30", "Call", billable=False)
    await log(acme, "2", "Not approved", approve=False)
    await user.open("/portal/acme/hours")
    await user.should_see("Design review")
    response = await user.http_client.get(link_href(user))
    assert response.status_code == 200, response.text
    lines = response.text.splitlines()
    assert lines[0] == "Date,Project,Person,Description,Hours,Billable"
    listed = {(r.split(",")[3], Decimal(r.split(",")[4])) for r in lines[1:-1]}
    assert listed == {("Design review", Decimal("1.25")), ("Call", Decimal("0.50"))}
    assert inside(user, "hours-total") == ["Total", "1.75 h"]
    assert lines[-1] == "Total,,,,1.75,"


async def test_a_question_becomes_a_request_and_flags_the_entry(user: User, acme: OrgWorld) -> None:
    entry = await log(acme, "2", "Wireframes")
    await user.open("/portal/acme/hours")
    await user.should_see("Wireframes")
    user.find(marker=f"question-{entry.id}").click()
    box = await the(user, "question-text", ui.textarea)
    user.find(marker="question-send").click()  # empty: refused on the box
    await eventually(lambda: bool(box.props.get("error-message")))
    box.value = "Two hours for wireframes seems a lot?"
    user.find(marker="question-send").click()
    await user.should_see("Open the project")
    [link] = [e for e in user.find(ui.link).elements if e.text == "Open the project"]
    assert link.props["href"] == f"/portal/acme/projects/{acme.project.id}"
    await eventually(lambda: "Questioned" in inside(user, f"entry-{entry.id}"))
    assert not marked(user, f"question-{entry.id}")

    [seen] = (await entries.list_entries(acme.actor, project_id=acme.project.id)).items
    assert seen.questioned and seen.question_request_id is not None
    async with unit_of_work(SystemActor()) as session:
        request = await session.get(Request, seen.question_request_id)
        assert request is not None
        assert request.project_id == acme.project.id
        assert "Two hours for wireframes seems a lot?" in request.description
        assert "Wireframes" in request.description
        assert await session.scalar(select(Request.id).where(Request.project_id == acme.project.id)) == request.id


async def test_entries_come_a_page_at_a_time(user: User, acme: OrgWorld) -> None:
    made = [
        await entries.log_entry(acme.actor, EntryInput(acme.project.id, first_of_month(), "0.25", f"Task {k:02}"))
        for k in range(HOURS_PAGE + 3)
    ]
    await entries.approve(acme.actor, [m.id for m in made])
    await user.open("/portal/acme/hours")
    await user.should_see(f"1–{HOURS_PAGE} of {HOURS_PAGE + 3}")
    assert len(marked(user, "hours-entries")[0].default_slot.children) == HOURS_PAGE
    assert inside(user, "hours-total") == ["Total", f"{FORMATS.number(Decimal(HOURS_PAGE + 3) / 4)} h"]
    pager = await the(user, "hours-pages", ui.pagination)
    pager.value = 2
    await user.should_see(f"{HOURS_PAGE + 1}–{HOURS_PAGE + 3} of {HOURS_PAGE + 3}")


async def test_no_hours_say_so_and_an_approval_shows_at_once(user: User, acme: OrgWorld) -> None:
    waiting = await log(acme, "1", "Analytics setup", approve=False)
    await user.open("/portal/acme/hours")
    await user.should_see("No approved hours in this range")
    await user.should_see("Hours")
    await entries.approve(acme.actor, [waiting.id])
    await user.should_see("Analytics setup", retries=100)
    await user.should_not_see("No approved hours in this range")


async def test_the_portal_navigation_offers_hours(user: User, acme: OrgWorld) -> None:
    await user.open("/portal/acme/")
    hrefs = {e.props["href"] for e in user.find(ui.link).elements if e.text == "Hours"}
    assert hrefs == {"/portal/acme/hours"}
