"""The scoping hook on its own: unfiltered queries still see only what the actor may."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased

from models import (
    ApiToken,
    AuditEvent,
    Client,
    Contact,
    MagicLink,
    Membership,
    Organization,
    OutboxMail,
    PortalSession,
    Project,
    StaffSession,
    StaffUser,
)
from services.clients import clients, contacts
from services.core import db
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from tests.support.isolation import Worlds, raw

# --- the scoping hook on its own -------------------------------------------------------------------------------


async def test_hook_scopes_unfiltered_queries_of_a_portal_actor(worlds: Worlds):
    portal, a = worlds.portal, worlds.a
    assert [p.id for p in await raw(portal, select(Project))] == [a.project.id]
    assert [c.id for c in await raw(portal, select(Contact))] == [a.contact.id]
    assert [c.id for c in await raw(portal, select(Client))] == [a.client.id]
    assert [o.id for o in await raw(portal, select(Organization))] == [a.actor.org_id]
    for model in (AuditEvent, ApiToken, StaffSession, StaffUser, Membership, OutboxMail, MagicLink, PortalSession):
        assert await raw(portal, select(model)) == [], model.__name__
    for model in (MagicLink, PortalSession):  # it has a sign-in link and a session, and still sees neither
        assert len(await raw(SystemActor(), select(model.id).where(model.contact_id == a.contact.id))) == 1
    assert [p.id for p in await raw(portal, select(aliased(Project)))] == [a.project.id]
    assert await raw(portal, select(Project.name).join(Client, Client.id == Project.client_id)) == [a.project.name]
    assert await raw(portal, select(func.count()).select_from(Contact)) == [1]
    async with unit_of_work(portal) as session:
        assert await session.get(Project, worlds.a2.project.id) is None
        assert await session.get(PortalSession, worlds.portal_session_id) is None
        assert db.rows_affected(await session.execute(update(PortalSession).values(ended_reason="mine"))) == 0
        assert db.rows_affected(await session.execute(delete(MagicLink))) == 0
        assert db.rows_affected(await session.execute(update(Contact).values(title="Mine"))) == 1
        assert db.rows_affected(await session.execute(delete(Project))) == 1
        await session.rollback()
    async with unit_of_work(SystemActor()) as session:
        assert await session.scalar(select(func.count()).select_from(Contact).where(Contact.title == "Mine")) == 0


async def test_hook_scopes_unfiltered_queries_of_another_organization(worlds: Worlds):
    a, intruder = worlds.a.actor, worlds.b.actor
    for model in (Project, Contact, Client, AuditEvent, ApiToken, StaffSession, Membership, OutboxMail, PortalSession):
        rows = await raw(intruder, select(model))
        assert all(r.org_id == intruder.org_id for r in rows), model.__name__
    assert [o.id for o in await raw(intruder, select(Organization))] == [intruder.org_id]
    assert await raw(intruder, select(func.count()).select_from(Client)) == [1]
    assert await raw(intruder, select(OutboxMail)) == []  # org A's queued mail (a sign-in link, say)
    assert await raw(intruder, select(MagicLink)) == []  # org A's sign-in links; org B has none
    async with unit_of_work(intruder) as session:
        assert await session.get(Client, worlds.a.client.id) is None
        await session.execute(update(Client).values(name="Pwned", name_key="pwned"))
        await session.execute(delete(Contact))
    assert (await clients.get_client(a, worlds.a.client.id)).name == worlds.a.client.name
    assert (await contacts.list_contacts(a, worlds.a.client.id)).total == 1


async def test_a_session_without_an_actor_is_refused(database):
    session = db.get_database().sessionmaker()
    try:
        with pytest.raises(RuntimeError, match="without an actor"):
            await session.execute(select(Client))
    finally:
        await session.close()


async def test_an_unknown_kind_of_actor_is_refused(database):
    @dataclass(frozen=True)
    class Stranger:
        org_id: uuid.UUID
        ip: str = ""

    with pytest.raises(RuntimeError, match="unknown actor"):
        await raw(Stranger(uuid.uuid4()), select(Client))
