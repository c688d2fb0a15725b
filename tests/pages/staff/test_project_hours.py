"""The project page's Hours card, its rate and budget dialog, drafting an invoice from hours, deleting the draft."""

from __future__ import annotations

from datetime import date

from nicegui import ui
from nicegui.testing.user import User

from services.billing import invoice_listing
from services.staff import staff
from services.time import entries, hours, rates
from services.time.entries import EntryInput
from tests.support.factories import OrgWorld, add_member, make_world
from tests.support.pages import error_of, eventually, signed_in, the
from tests.support.portal import sign_in_contact
from tests.support.ui import new_user

MARCH_2 = date(2026, 3, 2)


async def approved(world: OrgWorld, hours_text: str, description: str, day: date = MARCH_2) -> entries.EntryView:
    entry = await entries.log_entry(world.actor, EntryInput(world.project.id, day, hours_text, description))
    await entries.approve(world.actor, [entry.id])
    return entry


def text_of(user: User, marker: str) -> str:
    label = next(iter(user.find(marker=marker).elements))
    assert isinstance(label, ui.label | ui.button)
    return label.text


async def open_project(user: User, world: OrgWorld) -> None:
    await signed_in(user, world.owner_email)
    await user.open(f"/projects/{world.project.id}")
    await user.should_see(marker="hours-card", retries=50)


async def test_the_hours_card_adds_up_and_the_rate_and_budget_are_set(user: User, at) -> None:
    world = await make_world("acme")
    await approved(world, "2", "Design")
    await approved(world, "1.5", "Build")
    await entries.log_entry(world.actor, EntryInput(world.project.id, MARCH_2, "0.5", "Waiting"))
    await open_project(user, world)
    assert text_of(user, "hours-approved") == "3.5 h"
    assert text_of(user, "hours-waiting") == "0.5 h"
    assert text_of(user, "hours-billed") == "0 h"
    assert text_of(user, "hours-questioned") == "0"
    assert text_of(user, "hours-rate").startswith("Not set")
    await user.should_see(marker="no-budget")

    user.find(marker="rates-open").click()
    rate = await the(user, "rate-input", ui.input)
    budget = await the(user, "budget-input", ui.input)
    currency = await the(user, "rate-currency", ui.select)
    await eventually(lambda: currency.value == "USD")  # filled from what is saved as the dialog opens
    rate.value, budget.value = "-5", "abc"
    user.find(marker="rates-save").click()
    assert await eventually(error_of(rate)) == "The hourly rate must be more than 0."
    assert budget.props.get("error-message")  # both problems at once
    rate.value, budget.value = "95", "10"
    user.find(marker="rates-save").click()
    await user.should_see("Saved the rate and budget", retries=50)
    await eventually(lambda: text_of(user, "hours-rate") == "$95.00 per hour")
    assert text_of(user, "budget-used") == "3.5 h of 10 h budget used (35%)"
    await user.should_not_see(marker="over-budget")
    saved = await rates.get_project_rates(world.actor, world.project.id)
    assert (saved.hourly_rate_minor, saved.currency, saved.budget_minutes) == (9500, "USD", 600)

    user.find(marker="rates-open").click()
    budget = await the(user, "budget-input", ui.input)
    await eventually(lambda: budget.value == "10.00")
    budget.value = "2"
    user.find(marker="rates-save").click()
    await user.should_see(marker="over-budget", retries=50)
    assert text_of(user, "budget-used") == "3.5 h of 2 h budget used (175%) — over budget"

    user.find(marker="rates-open").click()
    budget = await the(user, "budget-input", ui.input)
    await eventually(lambda: budget.value == "2.00")
    budget.value = ""  # empty clears
    user.find(marker="rates-save").click()
    await user.should_see(marker="no-budget", retries=50)
    assert (await rates.get_project_rates(world.actor, world.project.id)).budget_minutes is None


async def test_the_card_follows_time_changed_elsewhere(user: User, at) -> None:
    world = await make_world("acme")
    await open_project(user, world)
    assert text_of(user, "hours-approved") == "0 h"
    await approved(world, "3", "Elsewhere")
    await eventually(lambda: text_of(user, "hours-approved") == "3 h")


async def test_a_draft_from_hours_opens_the_invoice_and_deleting_it_frees_the_hours(user: User, at) -> None:
    world = await make_world("acme")
    await open_project(user, world)
    user.find(marker="draft-open").click()
    date_from = await the(user, "draft-from", ui.input)
    assert (date_from.value, (await the(user, "draft-to", ui.input)).value) == ("03/01/2026", "03/31/2026")
    user.find(marker="draft-save").click()  # nothing approved yet
    assert (
        await eventually(error_of(date_from)) == "There are no approved, unbilled hours on this project in that range."
    )

    first = await approved(world, "2", "Design")
    second = await approved(world, "1", "Build")
    user.find(marker="draft-save").click()  # no rate yet: refused, said in a notification
    await user.should_see("Set the project's hourly rate (or a default rate for owner) first.", retries=50)
    assert (await invoice_listing.list_invoices(world.actor)).total == 0

    await rates.set_project_rates(world.actor, world.project.id, hourly_rate="100")
    (await the(user, "draft-grouping", ui.select)).value = "person"
    user.find(marker="draft-save").click()
    await user.should_see(marker="action-delete", retries=100)  # the new draft's own page
    [row] = (await invoice_listing.list_invoices(world.actor)).items
    assert row.total_minor == 30000
    await user.should_see(f"Invoice {row.number}")
    billed = {e.id: e.invoice_id for e in (await entries.list_entries(world.actor)).items}
    assert billed == {first.id: row.id, second.id: row.id}

    user.find(marker="action-delete").click()
    await user.should_see(f"Delete the draft {row.number}?", retries=50)
    user.find(marker="confirm").click()
    await user.should_see("Deleted the draft", retries=50)
    await user.should_see("New invoice", retries=50)  # back on the list
    assert (await invoice_listing.list_invoices(world.actor)).total == 0
    assert {e.invoice_id for e in (await entries.list_entries(world.actor)).items} == {None}
    assert (await hours.project_time(world.actor, world.project.id)).billed_minutes == 0


async def test_the_rate_shows_to_staff_and_never_on_the_portal_project_page(user: User, at) -> None:
    world = await make_world("acme")
    await rates.set_project_rates(world.actor, world.project.id, hourly_rate="123.45", budget_hours="10")
    await approved(world, "1", "Design")
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    await user.open(f"/portal/acme/projects/{world.project.id}")
    await user.should_see("Acme Website", retries=50)
    await user.should_not_see("123.45")
    await user.should_not_see("per hour")

    staff = new_user(user.http_client)
    await open_project(staff, world)
    await staff.should_see("$123.45 per hour")


async def test_owners_set_a_members_default_rate_on_people_and_members_do_not_see_rates(user: User) -> None:
    world = await make_world("acme")
    ana = await add_member(world.actor.org_id, "ana@acme.test", name="Ana")
    await signed_in(user, world.owner_email)
    await user.open("/people")
    await user.should_see(marker="rate-ana@acme.test", retries=50)
    assert text_of(user, "rate-ana@acme.test") == "No default rate"
    user.find(marker="rate-ana@acme.test").click()
    rate = await the(user, "rate-input", ui.input)
    rate.value = "80.001"
    user.find(marker="rate-save").click()
    assert await eventually(error_of(rate)) == "Hourly rate has more than 2 decimal places for USD."
    rate.value = "80"
    user.find(marker="rate-save").click()
    await user.should_see("Saved the default rate of Ana", retries=50)
    await eventually(lambda: text_of(user, "rate-ana@acme.test") == "$80.00/h")
    [row] = [m for m in (await staff.list_staff(world.actor)).items if m.user_id == ana.user_id]
    assert row.default_rate_minor == 8000

    member = new_user(user.http_client)
    await signed_in(member, "ana@acme.test")
    await member.open("/people")
    await member.should_see("owner@acme.test", retries=50)
    await member.should_not_see("$80.00/h")
    await member.should_not_see(marker="rate-ana@acme.test")
