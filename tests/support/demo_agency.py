"""The demo agency as the browser tests meet it: seeded, its owner, its "Spring campaign site" and Jane Cooper."""

from __future__ import annotations

from dataclasses import dataclass

from services import demo
from services.clients import contacts
from services.core.actors import StaffActor
from services.projects import projects
from services.staff import staff
from tests.support.factories import PASSWORD


@dataclass(frozen=True)
class DemoAgency:
    login: demo.DemoLogin
    owner: StaffActor
    site: projects.ProjectView  # the project the tours open
    jane: contacts.ContactView  # its client's contact, who signs in to the portal


async def seeded_demo() -> DemoAgency:
    login = await demo.seed(PASSWORD)
    who = await staff.check_password(login.email, PASSWORD)
    assert who is not None
    owner = await staff.actor_for(who.user_id, who.org_id)
    assert owner is not None
    site = next(p for p in (await projects.list_projects(owner, limit=50)).items if p.name == "Spring campaign site")
    jane = next(c for c in (await contacts.list_contacts(owner, site.client_id)).items if c.name == "Jane Cooper")
    return DemoAgency(login, owner, site, jane)
