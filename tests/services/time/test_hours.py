"""What the client sees of the hours: approved entries only, totals per project and budget, a CSV of exactly
that, never a rate, a cost or a note; and a question on an entry that becomes a request."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models import InboxItem
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Invalid, NotFound
from services.projects import projects, work_requests
from services.time import entries, hours, rates
from services.time.entries import EntryInput
from tests.support.clock import T0
from tests.support.factories import Team

TODAY = T0.date()


async def log(team: Team, hours_text: str, description: str, *, day: date = TODAY, approve: bool = True, **more):
    made = await entries.log_entry(
        team.staff,
        EntryInput(team.world.project.id, day, hours_text, description, note="internal: client is slow", **more),
    )
    if approve:
        await entries.approve(team.staff, [made.id])
    return made


async def test_the_client_sees_approved_entries_with_totals_and_budget_and_nothing_else(team: Team, at) -> None:
    at()
    await rates.set_project_rates(team.staff, team.world.project.id, hourly_rate="95.00", budget_hours="10")
    await log(team, "2", "Wireframes")
    await log(team, "1.5", "Copy review", billable=False)
    await log(team, "3", "Waiting for approval", approve=False)
    rejected = await log(team, "4", "Rejected work", approve=False)
    await entries.reject(team.staff, [rejected.id], "Not ours")
    await log(team, "1", "Last month", day=TODAY - timedelta(days=40))

    report = await hours.client_hours(team.jane)
    assert (report.date_from, report.date_to) == (date(2026, 3, 1), date(2026, 3, 31))
    assert [e.description for e in report.entries.items] == ["Copy review", "Wireframes"] or [
        e.description for e in report.entries.items
    ] == ["Wireframes", "Copy review"]
    assert report.total_minutes == 210 and report.entries.total == 2
    [project] = report.projects
    assert (project.minutes, project.budget_minutes, project.used_minutes) == (210, 600, 270)  # used: all time
    shown = repr(report)
    for secret in ("9500", "95.00", "internal: client is slow", "Waiting for approval", "Rejected work", "Not ours"):
        assert secret not in shown


async def test_the_csv_is_what_the_page_shows_and_is_safe_in_a_spreadsheet(team: Team, at) -> None:
    at()
    await log(team, "1.25", '=HYPERLINK("http://evil")')
    await log(team, "0:30", "Call")
    await log(team, "2", "Not approved", approve=False)
    text = await hours.hours_csv(team.jane)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Date", "Project", "Person", "Description", "Hours", "Billable"]
    assert sorted(r[4] for r in rows[1:-1]) == ["0.50", "1.25"]
    assert rows[-1] == ["Total", "", "", "", "1.75", ""]
    assert any(r[3] == '\'=HYPERLINK("http://evil")' for r in rows)  # never a formula
    assert "Not approved" not in text and "internal" not in text


async def test_a_range_the_wrong_way_round_is_refused(team: Team) -> None:
    with pytest.raises(Invalid, match="From"):
        await hours.client_hours(team.jane, date_from=date(2026, 3, 10), date_to=date(2026, 3, 1))
    with pytest.raises(Invalid, match="three years"):
        await hours.client_hours(team.jane, date_from=date(2020, 1, 1), date_to=date(2026, 3, 1))


async def test_a_question_becomes_a_request_quoting_the_entry_and_flags_it(team: Team, at) -> None:
    at()
    made = await log(team, "2", "Wireframes")
    card = await hours.question_entry(team.jane, made.id, "Was this the second round?")
    assert card.title == f"Question about hours on {TODAY.isoformat()}"
    assert "“Wireframes”, 2.00 h." in card.description and "second round" in card.description
    assert card.project_id == team.world.project.id
    [flagged] = (await entries.list_entries(team.staff)).items
    assert (flagged.questioned, flagged.question_request_id) == (True, card.id)
    async with unit_of_work(SystemActor()) as session:
        [kind] = await session.scalars(
            select(InboxItem.kind).where(InboxItem.request_id == card.id, InboxItem.kind == "questioned")
        )
    assert kind == "questioned"
    assert (await work_requests.get_request(team.john, card.id)).title == card.title


async def test_unapproved_entries_cannot_be_questioned_or_seen(team: Team, at) -> None:
    at()
    pending = await log(team, "2", "Pending", approve=False)
    with pytest.raises(NotFound):
        await hours.question_entry(team.jane, pending.id, "What is this?")
    with pytest.raises(NotFound):
        await hours.question_entry(team.staff, pending.id, "Staff do not question")


async def test_staff_see_the_projects_hours_and_rates_stay_on_their_side(team: Team, at) -> None:
    at()
    await rates.set_project_rates(
        team.staff, team.world.project.id, hourly_rate="120", currency="EUR", budget_hours="5"
    )
    await log(team, "2", "Done")
    await log(team, "1", "Waiting", approve=False)
    summary = await hours.project_time(team.staff, team.world.project.id)
    assert (summary.approved_minutes, summary.submitted_minutes, summary.billed_minutes) == (120, 60, 0)
    assert (summary.hourly_rate_minor, summary.rate_currency, summary.budget_minutes) == (12000, "EUR", 300)
    with pytest.raises(NotFound):
        await hours.project_time(team.jane, team.world.project.id)
    with pytest.raises(Invalid):
        await rates.set_project_rates(team.staff, team.world.project.id, hourly_rate="-5", budget_hours="0")
    await projects.get_project(team.staff, team.world.project.id)  # the project page still reads
