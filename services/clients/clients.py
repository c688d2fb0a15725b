"""Clients: the agency's customer companies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Client, Contact
from models.projects import Project
from services.core import audit
from services.core.actors import Actor, require_staff
from services.core.common import (
    ADDRESS_LINES,
    Page,
    like_pattern,
    normalize_email,
    optional_text,
    page_window,
    parse_id,
    required_text,
)
from services.core.db import unit_of_work
from services.core.errors import NotFound
from services.core.scoping import visible


@dataclass(frozen=True, slots=True)
class ClientInput:
    name: str
    email: str = ""
    phone: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class ClientChanges:
    """A partial update: None leaves a field as it is; an empty string clears email, phone or address."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class ClientView:
    id: uuid.UUID
    name: str
    email: str
    phone: str
    address: str
    archived: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ClientRow:
    id: uuid.UUID
    name: str
    email: str
    contacts: int
    projects: int
    created_at: datetime


def _view(client: Client) -> ClientView:
    return ClientView(
        client.id, client.name, client.email, client.phone, client.address, client.archived, client.created_at
    )


def _clean(data: ClientInput | ClientChanges) -> dict[str, str]:
    """The fields `data` sets, checked and normalized: all of a ClientInput's, those not None of a ClientChanges."""
    values: dict[str, str] = {}
    if data.name is not None:
        values["name"] = required_text(data.name, "name", "Name", 200)
    if data.email is not None:
        email = data.email.strip()
        values["email"] = normalize_email(email) if email else ""
    if data.phone is not None:
        values["phone"] = optional_text(data.phone, "phone", "Phone", 50)
    if data.address is not None:
        values["address"] = optional_text(data.address, "address", "Address", 1000, max_lines=ADDRESS_LINES)
    return values


async def load_client(session: AsyncSession, actor: Actor, client_id: uuid.UUID | str) -> Client:
    """The client row if the actor may see it, else NotFound: the one lookup other services reuse."""
    client = await session.scalar(
        select(Client).where(Client.id == parse_id(client_id, "Client not found"), *visible(actor, Client))
    )
    if client is None:
        raise NotFound("Client not found")
    return client


async def create_client(actor: Actor, data: ClientInput) -> ClientView:
    staff = require_staff(actor)
    values = _clean(data)
    async with unit_of_work(actor) as session:
        client = Client(org_id=staff.org_id, name_key=values["name"].lower(), **values)
        session.add(client)
        await session.flush()
        audit.record(
            session, actor, "client.created", target_type="client", target_id=client.id, target_label=client.name
        )
        return _view(client)


async def update_client(actor: Actor, client_id: uuid.UUID | str, data: ClientInput | ClientChanges) -> ClientView:
    """Sets what `data` gives, in one unit of work: every field of a ClientInput (the staff form), only the fields
    a ClientChanges gives (the API's PATCH)."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        client = await load_client(session, actor, client_id)
        values = _clean(data)
        changed = {k: [getattr(client, k), v] for k, v in values.items() if getattr(client, k) != v}
        for key, value in values.items():
            setattr(client, key, value)
        client.name_key = client.name.lower()
        if changed:
            audit.record(
                session,
                actor,
                "client.updated",
                target_type="client",
                target_id=client.id,
                target_label=client.name,
                detail=changed,
            )
        return _view(client)


async def get_client(actor: Actor, client_id: uuid.UUID | str) -> ClientView:
    async with unit_of_work(actor) as session:
        return _view(await load_client(session, actor, client_id))


async def list_clients(actor: Actor, search: str = "", limit: int = 25, offset: int = 0) -> Page[ClientRow]:
    """One page of clients by name, with contact and project counts; three queries whatever the page size."""
    staff = require_staff(actor)
    limit, offset = page_window(limit, offset)
    conditions = [Client.org_id == staff.org_id]
    term = search.strip()
    if term:
        pattern = like_pattern(term)
        conditions.append(or_(Client.name_key.like(pattern, escape="\\"), Client.email.like(pattern, escape="\\")))
    async with unit_of_work(actor) as session:
        total = await session.scalar(select(func.count()).select_from(Client).where(*conditions))
        clients = list(
            await session.scalars(
                select(Client).where(*conditions).order_by(Client.name_key, Client.id).limit(limit).offset(offset)
            )
        )
        ids = [c.id for c in clients]
        contacts = (
            dict(
                (
                    await session.execute(
                        select(Contact.client_id, func.count())
                        .where(Contact.org_id == staff.org_id, Contact.client_id.in_(ids), Contact.active.is_(True))
                        .group_by(Contact.client_id)
                    )
                ).all()
            )
            if ids
            else {}
        )
        projects = (
            dict(
                (
                    await session.execute(
                        select(Project.client_id, func.count())
                        .where(Project.org_id == staff.org_id, Project.client_id.in_(ids))
                        .group_by(Project.client_id)
                    )
                ).all()
            )
            if ids
            else {}
        )
    items = [
        ClientRow(c.id, c.name, c.email, contacts.get(c.id, 0), projects.get(c.id, 0), c.created_at) for c in clients
    ]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)
