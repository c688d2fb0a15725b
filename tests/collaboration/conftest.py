"""An agency with a client, two portal contacts and a project; and the same for a second client."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.clients import contacts
from services.core.actors import PortalActor
from tests.support.factories import OrgWorld, make_world


@dataclass(frozen=True)
class Team:
    world: OrgWorld
    jane: PortalActor  # the world's contact
    john: PortalActor  # a second contact of the same client

    @property
    def staff(self):
        return self.world.actor

    @property
    def project_id(self):
        return self.world.project.id


def portal_actor(world: OrgWorld, contact) -> PortalActor:
    return PortalActor(
        org_id=world.actor.org_id, client_id=contact.client_id, contact_id=contact.id, email=contact.email
    )


@pytest.fixture
async def team(database) -> Team:
    world = await make_world("acme")
    john = await contacts.create_contact(
        world.actor,
        world.client.id,
        contacts.ContactInput(email="john@client-acme.test", name="John Roe", portal_enabled=True),
    )
    return Team(world, portal_actor(world, world.contact), portal_actor(world, john))
