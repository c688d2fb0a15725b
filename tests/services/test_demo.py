"""`main.py demo`: the demo agency, with project work to look at in both the workspace and the portal."""

from __future__ import annotations

from services import demo
from services.clients.contacts import list_contacts
from services.core.actors import PortalActor
from services.projects import discussion, milestones, projects, work_requests
from services.staff import staff


async def test_the_demo_agency_has_clients_projects_and_project_work(database) -> None:
    assert not await demo.has_any_organization()
    login = await demo.seed()
    assert login.created and await demo.has_any_organization()
    who = await staff.check_password(login.email, login.password)
    assert who is not None
    actor = await staff.actor_for(who.user_id, who.org_id)
    assert actor is not None
    listing = await projects.list_projects(actor, limit=50)
    active = [p for p in listing.items if p.status.value == "active"]
    assert listing.total == 6 and len(active) == 3
    site = next(p for p in active if p.name == "Spring campaign site")
    overview = await milestones.project_overview(actor, site.id)
    assert overview.progress.percent == 50 and overview.next_deadline is not None
    board = await work_requests.project_board(actor, site.id)
    assert [len(cards) for cards in board.columns.values()] == [1, 1, 1]
    assert (await discussion.list_updates(actor, site.id)).total == 2

    jane = next(c for c in (await list_contacts(actor, site.client_id)).items if c.email == "jane@acme-outdoor.test")
    portal = PortalActor(org_id=actor.org_id, client_id=site.client_id, contact_id=jane.id, email=jane.email)
    seen = await discussion.list_updates(portal, site.id)
    assert seen.total == 1 and "conservative" not in repr(seen)  # the internal note stays with staff
