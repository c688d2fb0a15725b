"""Small builders for test data, through the services like any caller."""

from __future__ import annotations

from dataclasses import dataclass

from services.clients import clients, contacts
from services.core.actors import StaffActor, SystemActor
from services.organizations import organizations
from services.projects import projects
from services.staff import staff

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
        actor, client.id, contacts.ContactInput(email=f"jane@client-{slug}.test", name="Jane Doe", portal_enabled=True)
    )
    project = await projects.create_project(actor, client.id, projects.ProjectInput(name=f"{slug.title()} Website"))
    return OrgWorld(actor, client, contact, project, slug, actor.email)
