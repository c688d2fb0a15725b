"""`main.py demo`: the demo agency, with project work to look at in both the workspace and the portal."""

from __future__ import annotations

from sqlalchemy import func, select

from models.collaboration import PendingNotification
from models.files import Deliverable, File
from models.mail import OutboxMail
from models.time import TimeEntry
from services import demo
from services.billing import invoice_listing
from services.clients.contacts import list_contacts
from services.core.actors import PortalActor, SystemActor
from services.core.db import unit_of_work
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


async def test_the_demo_has_invoices_in_every_state_in_two_currencies_and_queues_no_mail(database) -> None:
    login = await demo.seed()
    who = await staff.check_password(login.email, login.password)
    assert who is not None
    actor = await staff.actor_for(who.user_id, who.org_id)
    assert actor is not None
    rows = (await invoice_listing.list_invoices(actor, invoice_listing.InvoiceFilter(), limit=100)).items
    assert {r.display_status for r in rows} >= {"draft", "sent", "overdue", "partially_paid", "paid"}
    assert {r.currency for r in rows} == {"USD", "EUR"}
    balances = {b.currency: b for b in await invoice_listing.outstanding(actor)}
    assert balances["USD"].overdue_minor > 0 and balances["EUR"].outstanding_minor > 0

    async with unit_of_work(SystemActor()) as session:
        queued = await session.scalar(select(func.count()).select_from(OutboxMail))
        digests = await session.scalar(select(func.count()).select_from(PendingNotification))
    assert (queued, digests) == (0, 0)  # the made-up contacts get no invoices and no digests

    updates = set()
    for project in (await projects.list_projects(actor, limit=50)).items:
        updates |= {u.body for u in (await discussion.list_updates(actor, project.id)).items}
    assert len(updates) == 6  # two of their own per active project, none repeated


async def test_the_demo_has_a_shared_brief_and_a_design_waiting_for_review(database) -> None:
    login = await demo.seed()
    async with unit_of_work(SystemActor()) as session:
        rows = list(
            await session.execute(select(File.name, File.kind, File.shared, File.content_type).order_by(File.name))
        )
        [status] = await session.scalars(select(Deliverable.status))
    assert [tuple(r) for r in rows] == [
        ("Creative brief.pdf", "upload", True, "application/pdf"),
        ("Homepage design v1.png", "deliverable", True, "image/png"),
    ]
    assert status == "in_review" and login.slug


async def test_the_demo_has_approved_and_waiting_time_at_a_rate(database) -> None:
    await demo.seed()
    async with unit_of_work(SystemActor()) as session:
        statuses = sorted(str(s) for s in await session.scalars(select(TimeEntry.status)))
    assert statuses.count("approved") == 6 and statuses.count("submitted") == 2
