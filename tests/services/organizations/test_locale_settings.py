"""An organization's locale and time zone: checked, audited like every settings change, and seen by the portal at once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from models.organizations import Role
from services.core import audit, config
from services.core.errors import Forbidden, Invalid
from services.organizations import organizations
from services.organizations.organizations import OrganizationChanges
from tests.support.factories import add_member, make_world


async def test_a_new_locale_and_time_zone_are_audited_and_the_portal_sees_them_at_once(database) -> None:
    world = await make_world("acme")
    cached = await organizations.portal_by_slug("acme")
    assert cached is not None and (cached.locale, cached.timezone) == ("en_US", "UTC")
    changes = OrganizationChanges(name="Acme", slug="acme", locale="de-de", timezone="Europe/Berlin")
    view = await organizations.update_organization(world.actor, changes)
    assert (view.locale, view.timezone) == ("de_DE", "Europe/Berlin")  # written the canonical way
    assert view.formats.money(914500, "EUR") == "9.145,00\xa0€"
    portal = await organizations.portal_by_slug("acme")
    assert portal is not None and (portal.locale, portal.timezone) == ("de_DE", "Europe/Berlin")
    [event] = (await audit.list_events(world.actor, audit.AuditFilter(action="org.updated"))).items
    assert event.detail == {"locale": ["en_US", "de_DE"], "timezone": ["UTC", "Europe/Berlin"]}


async def test_leaving_them_out_changes_neither(database) -> None:
    world = await make_world("acme")
    await organizations.update_organization(world.actor, OrganizationChanges("Acme", "acme", locale="en_GB"))
    view = await organizations.update_organization(world.actor, OrganizationChanges(name="Acme Studio", slug="acme"))
    assert (view.name, view.locale, view.timezone) == ("Acme Studio", "en_GB", "UTC")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (OrganizationChanges("Acme", "acme", locale="xx_INVALID"), "locale"),
        (OrganizationChanges("Acme", "acme", locale="en_US; DROP TABLE organizations"), "locale"),
        (OrganizationChanges("Acme", "acme", locale=""), "locale"),
        (OrganizationChanges("Acme", "acme", timezone="Mars/Olympus_Mons"), "timezone"),
        (OrganizationChanges("Acme", "acme", locale="de_DE", timezone="CEST"), "timezone"),
    ],
)
async def test_an_unknown_locale_or_time_zone_is_refused_and_nothing_changes(
    database, changes: OrganizationChanges, field: str
) -> None:
    world = await make_world("acme")
    with pytest.raises(Invalid) as refused:
        await organizations.update_organization(world.actor, changes)
    assert refused.value.field == field
    view = await organizations.get_organization(world.actor)
    assert (view.locale, view.timezone) == ("en_US", "UTC")
    assert (await audit.list_events(world.actor, audit.AuditFilter(action="org.updated"))).total == 0


async def test_a_member_cannot_change_them(database) -> None:
    world = await make_world("acme")
    member = await add_member(world.actor.org_id, "member@acme.test", Role.member)
    with pytest.raises(Forbidden):
        await organizations.update_organization(member, OrganizationChanges("Acme", "acme", locale="de_DE"))


async def test_a_new_organization_starts_in_the_instances_time_zone(database, service_config) -> None:
    config.configure(replace(service_config, default_timezone="America/New_York"))
    world = await make_world("acme")
    view = await organizations.get_organization(world.actor)
    assert (view.locale, view.timezone) == ("en_US", "America/New_York")
