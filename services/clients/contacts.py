"""Contacts: the people at a client, and their portal access."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Contact
from services.clients import portal_sessions
from services.clients.clients import load_client
from services.core import audit
from services.core.actors import Actor, require_staff
from services.core.common import Page, normalize_email, optional_text, page_window, parse_id, required_text
from services.core.db import unit_of_work
from services.core.errors import Conflict, NotFound
from services.core.scoping import visible


@dataclass(frozen=True, slots=True)
class ContactView:
    id: uuid.UUID
    client_id: uuid.UUID
    email: str
    name: str
    title: str
    portal_enabled: bool
    active: bool
    last_sign_in_at: datetime | None
    created_at: datetime
    billing: bool = False  # receives invoices and reminders


@dataclass(frozen=True, slots=True)
class ContactInput:
    email: str
    name: str
    title: str = ""
    portal_enabled: bool = False
    billing: bool | None = None  # None: the client's first contact is its billing contact, later ones are not


@dataclass(frozen=True, slots=True)
class ContactChanges:
    """A partial update: None leaves a field as it is."""

    name: str | None = None
    title: str | None = None
    portal_enabled: bool | None = None
    active: bool | None = None
    billing: bool | None = None


def _view(c: Contact) -> ContactView:
    return ContactView(
        c.id,
        c.client_id,
        c.email,
        c.name,
        c.title,
        c.portal_enabled,
        c.active,
        c.last_sign_in_at,
        c.created_at,
        c.billing,
    )


async def _email_taken(session: AsyncSession, org_id: uuid.UUID, email: str) -> bool:
    return await session.scalar(select(Contact.id).where(Contact.org_id == org_id, Contact.email == email)) is not None


async def load_contact(session: AsyncSession, actor: Actor, contact_id: uuid.UUID | str) -> Contact:
    contact = await session.scalar(
        select(Contact).where(Contact.id == parse_id(contact_id, "Contact not found"), *visible(actor, Contact))
    )
    if contact is None:
        raise NotFound("Contact not found")
    return contact


async def create_contact(actor: Actor, client_id: uuid.UUID | str, data: ContactInput) -> ContactView:
    staff = require_staff(actor)
    email = normalize_email(data.email)
    name = required_text(data.name, "name", "Name", 200)
    title = optional_text(data.title, "title", "Title", 100)
    async with unit_of_work(actor) as session:
        client = await load_client(session, actor, client_id)
        if await _email_taken(session, staff.org_id, email):
            raise Conflict(f"A contact with the email {email} already exists.")
        billing = data.billing
        if billing is None:  # SPEC appendix A: the first contact is the billing contact unless told otherwise
            billing = await session.scalar(select(Contact.id).where(Contact.client_id == client.id).limit(1)) is None
        contact = Contact(
            org_id=staff.org_id,
            client_id=client.id,
            email=email,
            name=name,
            title=title,
            portal_enabled=data.portal_enabled,
            billing=billing,
        )
        session.add(contact)
        try:
            await session.flush()
        except IntegrityError as exc:  # a concurrent insert of the same email
            raise Conflict(f"A contact with the email {email} already exists.") from exc
        audit.record(
            session,
            actor,
            "contact.created",
            target_type="contact",
            target_id=contact.id,
            target_label=email,
            detail={"client": client.name, "portal_enabled": data.portal_enabled}
            | ({"billing": True} if billing else {}),
        )
        return _view(contact)


async def update_contact(actor: Actor, contact_id: uuid.UUID | str, changes: ContactChanges) -> ContactView:
    require_staff(actor)
    async with unit_of_work(actor) as session:
        contact = await load_contact(session, actor, contact_id)
        values: dict[str, str] = {}
        if changes.name is not None:
            values["name"] = required_text(changes.name, "name", "Name", 200)
        if changes.title is not None:
            values["title"] = optional_text(changes.title, "title", "Title", 100)
        edited = {k: [getattr(contact, k), v] for k, v in values.items() if getattr(contact, k) != v}
        for key, (_, value) in edited.items():
            setattr(contact, key, value)
        if edited:
            audit.record(
                session,
                actor,
                "contact.updated",
                target_type="contact",
                target_id=contact.id,
                target_label=contact.email,
                detail=edited,
            )
        if changes.portal_enabled is not None and changes.portal_enabled != contact.portal_enabled:
            contact.portal_enabled = changes.portal_enabled
            if not contact.portal_enabled:
                await portal_sessions.end_for_contact(session, contact, "access_removed")
            audit.record(
                session,
                actor,
                "contact.portal_access_changed",
                target_type="contact",
                target_id=contact.id,
                target_label=contact.email,
                detail={"portal_enabled": changes.portal_enabled},
            )
        if changes.billing is not None and changes.billing != contact.billing:
            contact.billing = changes.billing
            audit.record(
                session,
                actor,
                "contact.billing_changed",
                target_type="contact",
                target_id=contact.id,
                target_label=contact.email,
                detail={"billing": changes.billing},
            )
        if changes.active is not None and changes.active != contact.active:
            contact.active = changes.active
            if not contact.active:
                await portal_sessions.end_for_contact(session, contact, "deactivated")
            audit.record(
                session,
                actor,
                "contact.activated" if changes.active else "contact.deactivated",
                target_type="contact",
                target_id=contact.id,
                target_label=contact.email,
            )
        return _view(contact)


async def get_contact(actor: Actor, contact_id: uuid.UUID | str) -> ContactView:
    require_staff(actor)
    async with unit_of_work(actor) as session:
        return _view(await load_contact(session, actor, contact_id))


async def list_contacts(
    actor: Actor, client_id: uuid.UUID | str, limit: int = 50, offset: int = 0
) -> Page[ContactView]:
    """One page of a client's contacts, by name, and how many it has."""
    staff = require_staff(actor)
    limit, offset = page_window(limit, offset)
    async with unit_of_work(actor) as session:
        client = await load_client(session, actor, client_id)
        conditions = [Contact.org_id == staff.org_id, Contact.client_id == client.id]
        total = await session.scalar(select(func.count()).select_from(Contact).where(*conditions))
        rows = await session.scalars(
            select(Contact)
            .where(*conditions)
            .order_by(func.lower(Contact.name), Contact.id)
            .limit(limit)
            .offset(offset)
        )
        return Page(items=[_view(c) for c in rows], total=total or 0, limit=limit, offset=offset)
