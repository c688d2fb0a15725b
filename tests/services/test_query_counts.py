"""A page's query count does not grow with its rows (SPEC §9)."""

from __future__ import annotations

from services.clients import clients, contacts
from services.core import audit
from services.core.db import Database
from services.projects import projects
from services.staff import staff
from tests.support.db import counted
from tests.support.factories import make_world


async def queries_for(database: Database, call) -> int:
    with counted(database) as statements:
        await call()
    return len(statements)


async def test_list_pages_issue_a_constant_number_of_queries(database: Database) -> None:
    world = await make_world("acme")
    actor = world.actor

    async def lists() -> list[int]:
        return [
            await queries_for(database, lambda: clients.list_clients(actor, limit=100)),
            await queries_for(database, lambda: projects.list_projects(actor, limit=100)),
            await queries_for(database, lambda: contacts.list_contacts(actor, world.client.id)),
            await queries_for(database, lambda: audit.list_events(actor, audit.AuditFilter(), limit=100)),
            await queries_for(database, lambda: staff.list_staff(actor, limit=100)),
        ]

    few = await lists()
    for n in range(20):
        client = await clients.create_client(actor, clients.ClientInput(name=f"Client {n}"))
        await contacts.create_contact(
            actor, world.client.id, contacts.ContactInput(email=f"p{n}@acme.test", name=f"P{n}")
        )
        await projects.create_project(actor, client.id, projects.ProjectInput(name=f"Project {n}"))
    many = await lists()
    assert (await clients.list_clients(actor, limit=100)).total == 21
    assert few == many
