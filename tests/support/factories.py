"""Small builders for test data, through the services like any caller."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from models import Membership, Role, StaffUser
from services.clients import clients, contacts
from services.core.actors import PortalActor, StaffActor, SystemActor
from services.core.db import unit_of_work
from services.organizations import organizations
from services.projects import projects
from services.staff import passwords, staff

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class OrgWorld:
    """An organization with its owner, one client, one contact and one project."""

    actor: StaffActor
    client: clients.ClientView
    contact: contacts.ContactView
    project: projects.ProjectView
    slug: str
    owner_email: str

    def portal_actor(self, contact: contacts.ContactView | None = None) -> PortalActor:
        """The world's contact (or another contact of one of its clients) acting in the portal."""
        who = contact or self.contact
        return PortalActor(org_id=self.actor.org_id, client_id=who.client_id, contact_id=who.id, email=who.email)


async def make_org(slug: str, *, name: str | None = None) -> StaffActor:
    email = f"owner@{slug}.test"
    await organizations.create_organization(
        SystemActor(label="test"), name=name or slug.title(), slug=slug, owner_email=email, owner_password=PASSWORD
    )
    who = await staff.check_password(email, PASSWORD)
    assert who is not None
    actor = await staff.actor_for(who.user_id, who.org_id)
    assert actor is not None
    return actor


async def make_world(slug: str) -> OrgWorld:
    actor = await make_org(slug)
    client = await clients.create_client(
        actor, clients.ClientInput(name=f"{slug.title()} Client", email=f"billing@client-{slug}.test")
    )
    contact = await contacts.create_contact(
        actor,
        client.id,
        # not the billing contact: invoices go to the client's email unless a test makes one
        contacts.ContactInput(email=f"jane@client-{slug}.test", name="Jane Doe", portal_enabled=True, billing=False),
    )
    project = await projects.create_project(actor, client.id, projects.ProjectInput(name=f"{slug.title()} Website"))
    return OrgWorld(actor, client, contact, project, slug, actor.email)


async def add_member(org_id: uuid.UUID, email: str, role: Role = Role.member, name: str = "") -> StaffActor:
    async with unit_of_work(SystemActor(org_id=org_id)) as session:
        user = StaffUser(email=email, name=name or email.split("@")[0], password_hash=passwords.hash_password(PASSWORD))
        session.add(user)
        await session.flush()
        session.add(Membership(org_id=org_id, user_id=user.id, role=role))
    return StaffActor(org_id=org_id, user_id=user.id, role=role, email=email)


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


async def make_team(slug: str = "acme") -> Team:
    """An agency with a client, two portal contacts (Jane, John) and a project."""
    world = await make_world(slug)
    john = await contacts.create_contact(
        world.actor,
        world.client.id,
        contacts.ContactInput(email=f"john@client-{slug}.test", name="John Roe", portal_enabled=True),
    )
    return Team(world, world.portal_actor(), world.portal_actor(john))
