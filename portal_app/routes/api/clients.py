"""The API's clients: the organization's customer companies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, status

from portal_app.routes.api.deps import DEFAULT_PAGE_SIZE, NOT_FOUND, Actor, ClientId, Limit, Offset, resource_router
from portal_app.routes.api.types import ClientCreate, ClientList, ClientOut, ClientPatch, SearchText
from services.clients import clients

router = resource_router("clients")


@router.post("/clients", status_code=status.HTTP_201_CREATED, response_model=ClientOut)
async def create_client(body: ClientCreate, actor: Actor) -> Any:
    return await clients.create_client(actor, clients.ClientInput(**body.model_dump()))


@router.get("/clients", response_model=ClientList)
async def list_clients(
    actor: Actor,
    search: Annotated[SearchText, Query(max_length=200, description="Part of the name or email")] = "",
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Any:
    page = await clients.list_clients(actor, search=search, limit=limit, offset=offset)
    return {"items": page.items, "total": page.total}


@router.get("/clients/{client_id}", response_model=ClientOut, responses=NOT_FOUND)
async def get_client(client_id: ClientId, actor: Actor) -> Any:
    return await clients.get_client(actor, client_id)


@router.patch("/clients/{client_id}", response_model=ClientOut, responses=NOT_FOUND)
async def update_client(client_id: ClientId, body: ClientPatch, actor: Actor) -> Any:
    return await clients.update_client(actor, client_id, clients.ClientChanges(**body.model_dump()))
