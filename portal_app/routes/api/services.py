"""The API's services catalog (SPEC §12): what the agency sells, at what price and how often. Everyone on the
team reads it; owners and admins change it. Prices travel as decimal strings ("1200.00"), never JSON floats."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import Path, Query, status
from pydantic import BaseModel, Field, StrictBool, field_validator

from portal_app.routes.api.deps import DEFAULT_PAGE_SIZE, NOT_FOUND, Actor, Limit, Offset, Responses, resource_router
from portal_app.routes.api.types import Body, CurrencyCode, DecimalText, Description, ErrorOut, Name, _not_null
from services.catalog import catalog
from services.core import money

router = resource_router("services")

ServiceId = Annotated[str, Path(description="Service id (UUID)")]
IntervalName = Literal["one_time", "month", "year"]
FORBIDDEN: Responses = {403: {"model": ErrorOut, "description": "Only owners and admins change the catalog"}}


class ServiceCreate(Body):
    name: Name
    description: Description = ""
    price: DecimalText = Field(description="Above zero, with at most the currency's decimals")
    currency: CurrencyCode = Field(description="ISO 4217 code, e.g. USD, EUR, JPY")
    interval: IntervalName = Field("one_time", description="one_time, or the renewal interval of a subscription")
    public: StrictBool = Field(False, description="Shown on the portal's public Services page")


class ServicePatch(Body):
    """Fields left out keep their value. A new price applies to purchases from now on; subscriptions keep the
    price they were bought at."""

    name: Name | None = None
    description: Description | None = None
    price: DecimalText | None = None
    currency: CurrencyCode | None = Field(None, description="Without a new price, the price is kept as it reads")
    interval: IntervalName | None = None
    public: StrictBool | None = None

    _present = field_validator("name", "description", "price", "currency", "interval", "public")(_not_null)


class ServiceOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    price: str
    currency: str
    interval: IntervalName
    public: bool
    position: int  # the menu's order, 1 first
    archived: bool


class ServiceList(BaseModel):
    items: list[ServiceOut]
    total: int


def service_out(view: catalog.ServiceView) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "description": view.description,
        "price": money.format_decimal(view.price_minor, view.currency),
        "currency": view.currency,
        "interval": view.interval.value,
        "public": view.public,
        "position": view.position,
        "archived": view.archived,
    }


@router.post("/services", status_code=status.HTTP_201_CREATED, response_model=ServiceOut, responses=FORBIDDEN)
async def create_service(body: ServiceCreate, actor: Actor) -> Any:
    return service_out(await catalog.create_service(actor, catalog.ServiceInput(**body.model_dump())))


@router.get("/services", response_model=ServiceList)
async def list_services(
    actor: Actor,
    archived: Annotated[bool, Query(description="The archived services instead of the menu")] = False,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Any:
    # The menu in order; a catalog is a short list, read whole and cut here.
    views = await catalog.list_services(actor, archived=archived)
    return {"items": [service_out(view) for view in views[offset : offset + limit]], "total": len(views)}


@router.get("/services/{service_id}", response_model=ServiceOut, responses=NOT_FOUND)
async def get_service(service_id: ServiceId, actor: Actor) -> Any:
    return service_out(await catalog.get_service(actor, service_id))


@router.patch("/services/{service_id}", response_model=ServiceOut, responses={**NOT_FOUND, **FORBIDDEN})
async def update_service(service_id: ServiceId, body: ServicePatch, actor: Actor) -> Any:
    changes = catalog.ServiceChanges(**body.model_dump(exclude_unset=True))
    return service_out(await catalog.update_service(actor, service_id, changes))
