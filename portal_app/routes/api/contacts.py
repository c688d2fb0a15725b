"""The API's contacts: the people at a client, and their portal access."""

from __future__ import annotations

from typing import Any

from fastapi import status

from portal_app.routes.api.deps import (
    DEFAULT_PAGE_SIZE,
    NOT_FOUND,
    Actor,
    ClientId,
    ContactId,
    Limit,
    Offset,
    resource_router,
)
from portal_app.routes.api.types import ContactCreate, ContactList, ContactOut, ContactPatch, ErrorOut
from services.clients import contacts

router = resource_router("contacts")


@router.post(
    "/clients/{client_id}/contacts",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactOut,
    responses={**NOT_FOUND, 409: {"model": ErrorOut, "description": "The email is already a contact"}},
)
async def create_contact(client_id: ClientId, body: ContactCreate, actor: Actor) -> Any:
    return await contacts.create_contact(actor, client_id, contacts.ContactInput(**body.model_dump()))


@router.get("/clients/{client_id}/contacts", response_model=ContactList, responses=NOT_FOUND)
async def list_contacts(client_id: ClientId, actor: Actor, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0) -> Any:
    page = await contacts.list_contacts(actor, client_id, limit=limit, offset=offset)
    return {"items": page.items, "total": page.total}


@router.get("/contacts/{contact_id}", response_model=ContactOut, responses=NOT_FOUND)
async def get_contact(contact_id: ContactId, actor: Actor) -> Any:
    return await contacts.get_contact(actor, contact_id)


@router.patch("/contacts/{contact_id}", response_model=ContactOut, responses=NOT_FOUND)
async def update_contact(contact_id: ContactId, body: ContactPatch, actor: Actor) -> Any:
    return await contacts.update_contact(actor, contact_id, contacts.ContactChanges(**body.model_dump()))
