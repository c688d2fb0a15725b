"""Settings: owners and admins choose how money and dates read (locale) and where moments are shown (time zone)."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing.user import User

from models.organizations import Role
from services.core import audit
from tests.support.factories import add_member, make_world
from tests.support.invoicing import draft, mark_sent
from tests.support.pages import eventually, signed_in, table_rows


def select_labelled(user: User, label: str) -> ui.select:
    return next(e for e in user.find(ui.select).elements if e.props.get("label") == label)


async def test_an_owner_switches_to_german_and_every_page_follows(user: User, at) -> None:
    world = await make_world("acme")
    invoice = await draft(world.actor, world.client.id, "9145.00")
    await mark_sent(invoice.id)
    await signed_in(user, world.owner_email)
    await user.open("/settings")
    await user.should_see("Organization", retries=50)
    locale, timezone = select_labelled(user, "Locale"), select_labelled(user, "Time zone")
    assert (locale.value, timezone.value) == ("en_US", "UTC")
    assert isinstance(locale.options, dict) and locale.options["de_DE"] == "Deutsch (Deutschland)"
    [example] = user.find(kind=ui.label, marker="locale-example").elements
    locale.value, timezone.value = "de_DE", "Europe/Berlin"
    assert "9.145,00\xa0€" in example.text and "29.11.2026, 20:05" in example.text  # a preview before saving
    user.find(kind=ui.button, content="Save settings").click()
    await user.should_see("Settings saved", retries=50)
    [event] = (await audit.list_events(world.actor, audit.AuditFilter(action="org.updated"))).items
    assert event.detail == {"locale": ["en_US", "de_DE"], "timezone": ["UTC", "Europe/Berlin"]}

    await user.open("/invoices")
    [row] = await table_rows(user, 1)
    assert (row["issue"], row["total"]) == ("10.03.2026", "9.145,00\xa0$")


async def test_a_member_sees_the_locale_but_cannot_change_it(user: User) -> None:
    world = await make_world("acme")
    member = await add_member(world.actor.org_id, "member@acme.test", Role.member)
    await signed_in(user, member.email)
    await user.open("/settings")
    await user.should_see("Only owners and admins can change these settings.", retries=50)
    await eventually(lambda: not select_labelled(user, "Locale").enabled)
    assert not select_labelled(user, "Time zone").enabled
