"""An agency with a client, two portal contacts and a project; and the same for a second client."""

from __future__ import annotations

import pytest

from services.clients import contacts
from tests.support.factories import Team, make_world


@pytest.fixture
async def team(database) -> Team:
    world = await make_world("acme")
    john = await contacts.create_contact(
        world.actor,
        world.client.id,
        contacts.ContactInput(email="john@client-acme.test", name="John Roe", portal_enabled=True),
    )
    return Team(world, world.portal_actor(), world.portal_actor(john))
