"""Clients, contacts and projects through the services: validation, search, pages, and the audit trail."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Client, Contact, Project, ProjectStatus
from services.clients import clients, contacts
from services.clients.clients import ClientInput
from services.clients.contacts import ContactChanges, ContactInput
from services.core import audit, clock
from services.core.actors import SystemActor
from services.core.audit import AuditFilter
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid
from services.projects import projects
from services.projects.projects import ProjectInput
from tests.support.clock import T0
from tests.support.factories import make_org, make_world


async def row_counts() -> dict[str, int]:
    async with unit_of_work(SystemActor()) as session:
        return {
            model.__tablename__: (await session.execute(select(func.count()).select_from(model))).scalar_one()
            for model in (Client, Contact, Project, AuditEvent)
        }


async def events(actor, action: str = "") -> list[audit.AuditRow]:
    return (await audit.list_events(actor, AuditFilter(action=action), limit=200)).items


# --- clients ---------------------------------------------------------------------------------------------------


async def test_create_get_and_update_client_with_audit(database, at):
    actor = await make_org("acme")
    created = await clients.create_client(
        actor, ClientInput(name="  Globex  ", email="AP@Globex.TEST", phone="+1 555", address="1 Main St")
    )
    assert (created.name, created.email, created.phone, created.address) == (
        "Globex",
        "ap@globex.test",
        "+1 555",
        "1 Main St",
    )
    assert await clients.get_client(actor, created.id) == created
    assert await clients.get_client(actor, str(created.id)) == created

    [row] = await events(actor, "client.created")
    assert (row.target_type, row.target_label, row.actor_label, row.actor_type) == (
        "client",
        "Globex",
        actor.email,
        "staff",
    )
    assert row.at == T0

    updated = await clients.update_client(actor, created.id, ClientInput(name="Globex Corp", email="ap@globex.test"))
    assert (updated.name, updated.email, updated.phone, updated.address) == ("Globex Corp", "ap@globex.test", "", "")
    assert await clients.get_client(actor, created.id) == updated
    [row] = await events(actor, "client.updated")
    assert row.detail == {"name": ["Globex", "Globex Corp"], "phone": ["+1 555", ""], "address": ["1 Main St", ""]}

    # Saving the same values again is not a change and leaves no audit row.
    await clients.update_client(actor, created.id, ClientInput(name="Globex Corp", email="ap@globex.test"))
    assert len(await events(actor, "client.updated")) == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (ClientInput(name=""), "name"),
        (ClientInput(name="   "), "name"),
        (ClientInput(name="x" * 201), "name"),
        (ClientInput(name="Ok", email="not-an-email"), "email"),
        (ClientInput(name="Ok", email="a@@b.test"), "email"),
        (ClientInput(name="Ok", phone="1" * 51), "phone"),
        (ClientInput(name="Ok", address="x" * 1001), "address"),
    ],
)
async def test_bad_client_input_is_refused_and_changes_nothing(database, data, field):
    world = await make_world("acme")
    before = await row_counts()
    with pytest.raises(Invalid) as info:
        await clients.create_client(world.actor, data)
    assert info.value.field == field
    with pytest.raises(Invalid) as info:
        await clients.update_client(world.actor, world.client.id, data)
    assert info.value.field == field
    assert await row_counts() == before
    assert await clients.get_client(world.actor, world.client.id) == world.client


async def test_list_clients_orders_by_name_and_pages(database):
    actor = await make_org("acme")
    for name in ("delta", "Bravo", "alpha", "Charlie", "echo"):
        await clients.create_client(actor, ClientInput(name=name))

    page = await clients.list_clients(actor, limit=2)
    assert ([c.name for c in page.items], page.total, page.limit, page.offset) == (["alpha", "Bravo"], 5, 2, 0)
    page = await clients.list_clients(actor, limit=2, offset=2)
    assert ([c.name for c in page.items], page.total) == (["Charlie", "delta"], 5)
    page = await clients.list_clients(actor, limit=2, offset=4)
    assert ([c.name for c in page.items], page.total) == (["echo"], 5)
    page = await clients.list_clients(actor, limit=2, offset=10)
    assert (page.items, page.total) == ([], 5)

    with pytest.raises(Invalid) as info:
        await clients.list_clients(actor, limit=0)
    assert info.value.field == "limit"
    with pytest.raises(Invalid) as info:
        await clients.list_clients(actor, limit=201)
    assert info.value.field == "limit"
    with pytest.raises(Invalid) as info:
        await clients.list_clients(actor, offset=-1)
    assert info.value.field == "offset"


async def test_list_clients_counts_active_contacts_and_projects(database):
    world = await make_world("acme")
    extra = await contacts.create_contact(world.actor, world.client.id, ContactInput(email="gone@c.test", name="Gone"))
    await contacts.update_contact(world.actor, extra.id, ContactChanges(active=False))
    await contacts.create_contact(world.actor, world.client.id, ContactInput(email="bob@c.test", name="Bob"))
    await projects.create_project(world.actor, world.client.id, ProjectInput(name="Second"))
    empty = await clients.create_client(world.actor, ClientInput(name="Zeta"))

    rows = {r.id: r for r in (await clients.list_clients(world.actor)).items}
    assert (rows[world.client.id].contacts, rows[world.client.id].projects) == (2, 2)
    assert (rows[empty.id].contacts, rows[empty.id].projects) == (0, 0)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("%", ["100% Pure"]),
        ("_", ["a_b Studio"]),
        ("a_b", ["a_b Studio"]),
        ("0%", ["100% Pure"]),
        ("\\", ["Back\\slash Ltd"]),
        ("1000 PURE", ["1000 Pure"]),
        ("studio", ["a_b Studio", "axb Studio"]),
        ("@pure.test", ["100% Pure"]),
        ("  axb  ", ["axb Studio"]),
        ("nothing like it", []),
    ],
)
async def test_search_matches_the_term_literally(database, term, expected):
    actor = await make_org("acme")
    for name, email in (
        ("100% Pure", "hello@pure.test"),
        ("1000 Pure", ""),
        ("a_b Studio", ""),
        ("axb Studio", ""),
        ("Back\\slash Ltd", ""),
    ):
        await clients.create_client(actor, ClientInput(name=name, email=email))
    page = await clients.list_clients(actor, search=term)
    assert [c.name for c in page.items] == expected
    assert page.total == len(expected)


# --- contacts --------------------------------------------------------------------------------------------------


async def test_contacts_create_get_list_and_update_with_audit(database):
    world = await make_world("acme")
    actor = world.actor
    bob = await contacts.create_contact(
        actor, world.client.id, ContactInput(email=" Bob@Client.TEST ", name="bob Smith", title="CTO")
    )
    assert (bob.email, bob.name, bob.title, bob.portal_enabled, bob.active) == (
        "bob@client.test",
        "bob Smith",
        "CTO",
        False,
        True,
    )
    assert await contacts.get_contact(actor, bob.id) == bob
    listed = (await contacts.list_contacts(actor, world.client.id)).items
    assert [c.name for c in listed] == ["bob Smith", "Jane Doe"]  # by name, case-insensitively
    [created] = [e for e in await events(actor, "contact.created") if e.target_label == "bob@client.test"]
    assert created.detail == {"client": world.client.name, "portal_enabled": False}

    bob = await contacts.update_contact(actor, bob.id, ContactChanges(name="Bob Smith", title="", portal_enabled=True))
    assert (bob.name, bob.title, bob.portal_enabled) == ("Bob Smith", "", True)
    [access] = await events(actor, "contact.portal_access_changed")
    assert (access.target_label, access.detail) == ("bob@client.test", {"portal_enabled": True})
    [edited] = await events(actor, "contact.updated")
    assert edited.detail == {"name": ["bob Smith", "Bob Smith"], "title": ["CTO", ""]}

    bob = await contacts.update_contact(actor, bob.id, ContactChanges(active=False))
    assert not bob.active
    assert [e.target_label for e in await events(actor, "contact.deactivated")] == ["bob@client.test"]
    bob = await contacts.update_contact(actor, bob.id, ContactChanges(active=True))
    assert bob.active
    assert [e.target_label for e in await events(actor, "contact.activated")] == ["bob@client.test"]

    # No change, no audit row.
    before = await row_counts()
    await contacts.update_contact(actor, bob.id, ContactChanges(name="Bob Smith", active=True, portal_enabled=True))
    assert await row_counts() == before
    assert await contacts.get_contact(actor, bob.id) == bob


@pytest.mark.parametrize("email", ["jane@client-acme.test", "JANE@Client-Acme.Test", "  jane@CLIENT-acme.test "])
async def test_duplicate_contact_email_is_a_conflict(database, email):
    world = await make_world("acme")
    other = await clients.create_client(world.actor, ClientInput(name="Other"))
    before = await row_counts()
    for client_id in (world.client.id, other.id):  # unique across the organization, not just the client
        with pytest.raises(Conflict):
            await contacts.create_contact(world.actor, client_id, ContactInput(email=email, name="Copy"))
    assert await row_counts() == before


async def test_same_contact_email_in_another_organization_is_fine(database):
    first = await make_world("acme")
    second = await make_world("globex")
    copy = await contacts.create_contact(
        second.actor, second.client.id, ContactInput(email=first.contact.email, name="Jane at Globex")
    )
    assert copy.email == first.contact.email


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (ContactInput(email="", name="Ann"), "email"),
        (ContactInput(email="ann", name="Ann"), "email"),
        (ContactInput(email="ann@", name="Ann"), "email"),
        (ContactInput(email="ann@c.test", name=""), "name"),
        (ContactInput(email="ann@c.test", name="x" * 201), "name"),
        (ContactInput(email="ann@c.test", name="Ann", title="x" * 101), "title"),
    ],
)
async def test_bad_contact_input_changes_nothing(database, data, field):
    world = await make_world("acme")
    before = await row_counts()
    with pytest.raises(Invalid) as info:
        await contacts.create_contact(world.actor, world.client.id, data)
    assert info.value.field == field
    assert await row_counts() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (ContactChanges(name="", portal_enabled=False, active=False), "name"),
        (ContactChanges(name="x" * 201, portal_enabled=False), "name"),
        (ContactChanges(title="x" * 101, active=False), "title"),
    ],
)
async def test_bad_contact_update_changes_nothing(database, changes, field):
    world = await make_world("acme")
    before = await row_counts()
    with pytest.raises(Invalid) as info:
        await contacts.update_contact(world.actor, world.contact.id, changes)
    assert info.value.field == field
    assert await contacts.get_contact(world.actor, world.contact.id) == world.contact
    assert await row_counts() == before


# --- projects --------------------------------------------------------------------------------------------------


async def test_create_update_list_projects_with_audit(database):
    world = await make_world("acme")
    actor = world.actor
    created = await projects.create_project(
        actor,
        world.client.id,
        ProjectInput(
            name=" Brand refresh ",
            description="Logo and colours",
            status="planned",
            phase="Discovery",
            lead_user_id=actor.user_id,
            start_date=date(2026, 4, 1),
            due_date=date(2026, 4, 1),
        ),
    )
    assert (created.name, created.status, created.phase, created.client_name) == (
        "Brand refresh",
        ProjectStatus.planned,
        "Discovery",
        world.client.name,
    )
    assert (created.lead_user_id, created.lead_name) == (actor.user_id, "owner")
    assert await projects.get_project(actor, created.id) == created
    [row] = [e for e in await events(actor, "project.created") if e.target_label == "Brand refresh"]
    assert row.detail == {"client": world.client.name}

    updated = await projects.update_project(
        actor, created.id, ProjectInput(name="Brand refresh", status="on_hold", due_date=date(2026, 5, 1))
    )
    assert (updated.status, updated.lead_user_id, updated.lead_name, updated.start_date, updated.due_date) == (
        ProjectStatus.on_hold,
        None,
        "",
        None,
        date(2026, 5, 1),
    )
    [row] = await events(actor, "project.updated")
    assert set(row.detail) == {"description", "status", "phase", "lead_user_id", "start_date", "due_date"}
    assert row.detail["status"] == ["planned", "on_hold"]

    other = await clients.create_client(actor, ClientInput(name="Other"))
    elsewhere = await projects.create_project(actor, other.id, ProjectInput(name="Elsewhere"))
    page = await projects.list_projects(actor)
    assert [p.id for p in page.items] == [elsewhere.id, created.id, world.project.id]  # newest first
    assert page.total == 3
    page = await projects.list_projects(actor, limit=1, offset=1)
    assert ([p.id for p in page.items], page.total) == ([created.id], 3)
    page = await projects.list_projects(actor, client_id=world.client.id)
    assert ([p.id for p in page.items], page.total) == ([created.id, world.project.id], 2)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (ProjectInput(name=""), "name"),
        (ProjectInput(name="x" * 201), "name"),
        (ProjectInput(name="P", description="x" * 4001), "description"),
        (ProjectInput(name="P", phase="x" * 101), "phase"),
        (ProjectInput(name="P", status="finished"), "status"),
        (ProjectInput(name="P", status=""), "status"),
        (ProjectInput(name="P", start_date=date(2026, 5, 2), due_date=date(2026, 5, 1)), "due_date"),
        (ProjectInput(name="P", lead_user_id=uuid.uuid4()), "lead_user_id"),
    ],
)
async def test_bad_project_input_changes_nothing(database, data, field):
    world = await make_world("acme")
    before = await row_counts()
    with pytest.raises(Invalid) as info:
        await projects.create_project(world.actor, world.client.id, data)
    assert info.value.field == field
    with pytest.raises(Invalid) as info:
        await projects.update_project(world.actor, world.project.id, data)
    assert info.value.field == field
    assert await row_counts() == before
    assert await projects.get_project(world.actor, world.project.id) == world.project


async def test_project_lead_must_be_a_member_of_this_organization(database):
    world = await make_world("acme")
    outsider = await make_org("globex")  # a real staff user, but of another organization
    before = await row_counts()
    with pytest.raises(Invalid) as info:
        await projects.create_project(
            world.actor, world.client.id, ProjectInput(name="P", lead_user_id=outsider.user_id)
        )
    assert info.value.field == "lead_user_id"
    assert await row_counts() == before


# --- the audit log ---------------------------------------------------------------------------------------------


async def test_audit_filters_by_action_actor_and_dates(database, at):
    actor = await make_org("acme")  # org.created on day 0
    clock.freeze(T0 + timedelta(days=1))
    first = await clients.create_client(actor, ClientInput(name="First"))
    clock.freeze(T0 + timedelta(days=2, hours=14))  # late on day 2 (UTC)
    await clients.update_client(actor, first.id, ClientInput(name="First Renamed"))
    clock.freeze(T0 + timedelta(days=3))
    await clients.create_client(actor, ClientInput(name="Third"))

    everything = await audit.list_events(actor, AuditFilter())
    assert [e.action for e in everything.items] == ["client.created", "client.updated", "client.created", "org.created"]
    assert everything.total == 4

    by_action = await audit.list_events(actor, AuditFilter(action="client.created"))
    assert [e.target_label for e in by_action.items] == ["Third", "First"]
    assert await audit.list_actions(actor) == ["client.created", "client.updated", "org.created"]

    by_actor = await audit.list_events(actor, AuditFilter(actor="OWNER@acme"))
    assert by_actor.total == 3  # org.created was done by the platform, not by the owner
    assert (await audit.list_events(actor, AuditFilter(actor="%"))).total == 0  # a literal %, not a wildcard
    assert (await audit.list_events(actor, AuditFilter(actor="someone-else"))).total == 0

    day = T0.date()
    ranged = await audit.list_events(
        actor, AuditFilter(date_from=day + timedelta(days=1), date_to=day + timedelta(days=2))
    )
    assert [e.action for e in ranged.items] == ["client.updated", "client.created"]
    since = await audit.list_events(actor, AuditFilter(date_from=day + timedelta(days=2)))
    assert [e.target_label for e in since.items] == ["Third", "First Renamed"]
    until = await audit.list_events(actor, AuditFilter(date_to=day))
    assert [e.action for e in until.items] == ["org.created"]
    combined = await audit.list_events(actor, AuditFilter(action="client.created", date_to=day + timedelta(days=2)))
    assert [e.target_label for e in combined.items] == ["First"]

    page = await audit.list_events(actor, AuditFilter(), limit=3, offset=3)
    assert ([e.action for e in page.items], page.total) == (["org.created"], 4)


async def test_a_clients_first_contact_is_its_billing_contact_unless_told_otherwise(database):
    actor = await make_org("acme")
    client = await clients.create_client(actor, ClientInput(name="Initech"))
    first = await contacts.create_contact(actor, client.id, ContactInput(email="peter@initech.test", name="Peter"))
    second = await contacts.create_contact(actor, client.id, ContactInput(email="bill@initech.test", name="Bill"))
    told = await contacts.create_contact(
        actor, client.id, ContactInput(email="milton@initech.test", name="Milton", billing=True)
    )
    assert (first.billing, second.billing, told.billing) == (True, False, True)
    other = await clients.create_client(actor, ClientInput(name="Initrode"))
    declined = await contacts.create_contact(
        actor, other.id, ContactInput(email="joanna@initrode.test", name="Joanna", billing=False)
    )
    assert declined.billing is False
