"""Invoices from approved hours: the lines, the rate, each entry billed once (also under concurrency on
PostgreSQL), and released again when the draft is deleted or the invoice voided."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from services.billing import hours_invoices, invoices
from services.core.errors import Conflict, Invalid
from services.time import entries, rates
from services.time.entries import EntryInput
from tests.support.clock import T0
from tests.support.factories import make_team

TODAY = T0.date()


async def logged(team, *specs: tuple[str, str, int]) -> list[entries.EntryView]:
    made = []
    for hours_text, description, days_ago in specs:
        made.append(
            await entries.log_entry(
                team.staff,
                EntryInput(team.world.project.id, TODAY - timedelta(days=days_ago), hours_text, description),
            )
        )
    await entries.approve(team.staff, [m.id for m in made])
    return made


async def test_a_draft_has_a_line_per_entry_at_the_projects_rate_and_bills_them(database, at) -> None:
    at()
    team = await make_team()
    await rates.set_project_rates(team.staff, team.world.project.id, hourly_rate="90.00")
    made = await logged(team, ("2", "Wireframes", 2), ("0:20", "Call", 1))
    waiting = await entries.log_entry(team.staff, EntryInput(team.world.project.id, TODAY, "5", "Not approved"))
    draft = await hours_invoices.invoice_from_hours(team.staff, team.world.project.id)
    assert draft.status == "draft" and draft.currency == "USD"
    assert [(line.description.split(": ")[-1], str(line.quantity)) for line in draft.lines] == [
        ("Wireframes", "2.0000"),
        ("Call", "0.3333"),
    ]
    assert draft.total_minor == 18000 + 3000  # 2 h and 20 min at $90
    billed = {e.id: e.invoice_id for e in (await entries.list_entries(team.staff)).items}
    assert billed[made[0].id] == billed[made[1].id] == draft.id and billed[waiting.id] is None
    with pytest.raises(Invalid, match="no approved, unbilled hours"):
        await hours_invoices.invoice_from_hours(team.staff, team.world.project.id)

    await invoices.delete_draft(team.staff, draft.id)
    again = await hours_invoices.invoice_from_hours(team.staff, team.world.project.id, grouping="person")
    [line] = again.lines
    assert line.description.startswith("owner: 2 entries") and str(line.quantity) == "2.3333"
    await invoices.send_invoice(team.staff, again.id)
    await invoices.void_invoice(team.staff, again.id)
    assert {e.invoice_id for e in (await entries.list_entries(team.staff, status="approved")).items} == {None}


async def test_without_a_rate_the_draft_is_refused_and_nothing_is_billed(database, at) -> None:
    at()
    team = await make_team()
    await logged(team, ("1", "Work", 0))
    with pytest.raises(Invalid, match="hourly rate"):
        await hours_invoices.invoice_from_hours(team.staff, team.world.project.id)
    assert {e.invoice_id for e in (await entries.list_entries(team.staff)).items} == {None}
    with pytest.raises(Invalid, match="entry"):
        await hours_invoices.invoice_from_hours(team.staff, team.world.project.id, grouping="week")


async def test_billed_time_cannot_be_changed_until_released(database, at) -> None:
    at()
    team = await make_team()
    await rates.set_project_rates(team.staff, team.world.project.id, hourly_rate="50")
    [entry] = await logged(team, ("1", "Work", 0))
    await hours_invoices.invoice_from_hours(team.staff, team.world.project.id)
    with pytest.raises(Conflict, match="billed"):
        await entries.update_entry(team.staff, entry.id, EntryInput(team.world.project.id, TODAY, "9", "More"))


@pytest.mark.postgres
async def test_two_drafts_at_once_bill_each_hour_once(postgres_url: str, at) -> None:
    from services.core import db

    db.configure(postgres_url)
    try:
        at()
        team = await make_team()
        await rates.set_project_rates(team.staff, team.world.project.id, hourly_rate="50")
        await logged(team, *((f"{n % 3 + 1}", f"Task {n}", n % 5) for n in range(30)))
        results = await asyncio.gather(
            *(hours_invoices.invoice_from_hours(team.staff, team.world.project.id) for _ in range(4)),
            return_exceptions=True,
        )
        made = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, BaseException)]
        assert len(made) == 1, results
        assert all(isinstance(r, (Conflict, Invalid)) for r in refused), refused
        billed = {e.invoice_id for e in (await entries.list_entries(team.staff, limit=200)).items}
        assert billed == {made[0].id}
    finally:
        await db.close()
