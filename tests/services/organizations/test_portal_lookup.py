"""The portal guard's cached organization lookup: every settings change is seen on the next lookup, not after a TTL."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from models import Organization
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Conflict
from services.organizations import organizations
from services.organizations.organizations import OrganizationChanges
from tests.support.factories import make_world
from tests.support.invoicing import set_org

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def test_a_cached_lookup_reads_nothing_until_the_organization_changes(database):
    world = await make_world("acme")
    first = await organizations.portal_by_slug("acme")
    assert first is not None and first.portal_enabled
    async with unit_of_work(SystemActor()) as session:  # behind the services' back: no event, so the cache holds
        await session.execute(update(Organization).where(Organization.id == first.id).values(name="Renamed"))
    assert await organizations.portal_by_slug("ACME") == first

    changes = OrganizationChanges(name="Acme", slug="acme", portal_enabled=False)
    await organizations.update_organization(world.actor, changes)
    switched_off = await organizations.portal_by_slug("acme")
    assert switched_off is not None and not switched_off.portal_enabled


async def test_a_renamed_slug_stops_answering_at_once(database):
    world = await make_world("acme")
    assert await organizations.portal_by_slug("acme") is not None
    await organizations.update_organization(world.actor, OrganizationChanges(name="Acme", slug="acme-new"))
    assert await organizations.portal_by_slug("acme") is None
    renamed = await organizations.portal_by_slug("acme-new")
    assert renamed is not None and renamed.id == world.actor.org_id


async def test_the_logo_shows_and_goes_at_once(database):
    world = await make_world("acme")
    before = await organizations.portal_by_slug("acme")
    assert before is not None and not before.has_logo
    await organizations.update_logo(world.actor, PNG)
    with_logo = await organizations.portal_by_slug("acme")
    assert with_logo is not None and with_logo.has_logo
    await organizations.remove_logo(world.actor)
    without = await organizations.portal_by_slug("acme")
    assert without is not None and not without.has_logo


async def test_a_change_that_rolls_back_keeps_the_cache(database):
    world = await make_world("acme")
    cached = await organizations.portal_by_slug("acme")
    await set_org(world.actor.org_id, name="Direct")  # no event: still the cached view
    await make_world("globex")
    with pytest.raises(Conflict):  # the slug is taken: the update rolls back, and its event with it
        await organizations.update_organization(world.actor, OrganizationChanges(name="Acme", slug="globex"))
    assert await organizations.portal_by_slug("acme") == cached


async def test_unknown_slugs_are_not_cached(database):
    assert await organizations.portal_by_slug("acme") is None
    await make_world("acme")
    assert await organizations.portal_by_slug("acme") is not None
