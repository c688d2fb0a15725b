"""The REST API, mounted at /api: a bearer token acts as its staff user; each handler is one or two service calls."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictBool,
    StrictStr,
    StringConstraints,
    field_validator,
)

from models.projects import ProjectStatus
from portal_app.auth.requests import client_ip
from services.clients import clients, contacts
from services.core.actors import StaffActor
from services.core.common import MAX_PAGE_SIZE
from services.core.errors import Invalid, ServiceError
from services.projects import projects
from services.staff import api_tokens

DEFAULT_PAGE_SIZE = 50
# Far beyond any real list, and small enough for every database's integer: a huge offset is bad input, not a 500.
MAX_OFFSET = 2**31 - 1


# --- input types -------------------------------------------------------------------------------------------------


def no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL: refuse it here as bad input rather than fail in the database.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _iso_date_text(value: Any) -> Any:
    # JSON has no date type: only an ISO 8601 string is a date (pydantic would also take a number as a timestamp).
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date string (YYYY-MM-DD)")
    return value


def _not_null(value: Any) -> Any:
    """For partial updates: a field may be left out, but null is not a value it can take."""
    if value is None:
        raise ValueError("must not be null (leave the field out to keep its value)")
    return value


def bounded_text(max_length: int) -> Any:
    return Annotated[StrictStr, StringConstraints(max_length=max_length), AfterValidator(no_nul)]


Name = bounded_text(200)
Email = bounded_text(254)
Phone = bounded_text(50)
Address = bounded_text(1000)
Title = bounded_text(100)
Phase = bounded_text(100)
Description = bounded_text(4000)
IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
SearchText = Annotated[str, AfterValidator(no_nul)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClientCreate(Body):
    name: Name
    email: Email = ""
    phone: Phone = ""
    address: Address = ""


class ClientPatch(Body):
    """Fields left out keep their value; an empty string clears email, phone or address."""

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: Address | None = None

    _present = field_validator("name", "email", "phone", "address")(_not_null)


class ContactCreate(Body):
    email: Email
    name: Name
    title: Title = ""
    portal_enabled: StrictBool = False


class ContactPatch(Body):
    """Fields left out keep their value. Deactivating a contact ends its portal sessions."""

    portal_enabled: StrictBool | None = None
    active: StrictBool | None = None
    name: Name | None = None
    title: Title | None = None

    _present = field_validator("portal_enabled", "active", "name", "title")(_not_null)


class ProjectCreate(Body):
    client_id: uuid.UUID
    name: Name
    description: Description = ""
    status: ProjectStatus = ProjectStatus.active
    phase: Phase = ""
    lead_user_id: uuid.UUID | None = None
    start_date: IsoDate | None = None
    due_date: IsoDate | None = None


class ProjectPatch(Body):
    """Fields left out keep their value; null clears the lead or a date."""

    name: Name | None = None
    description: Description | None = None
    status: ProjectStatus | None = None
    phase: Phase | None = None
    lead_user_id: uuid.UUID | None = None
    start_date: IsoDate | None = None
    due_date: IsoDate | None = None

    _present = field_validator("name", "description", "status", "phase")(_not_null)


# --- output shapes (filled from the services' view dataclasses) -----------------------------------------------------


class ErrorOut(BaseModel):
    detail: str


class ClientOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str
    phone: str
    address: str
    archived: bool
    created_at: datetime


class ClientRowOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str
    contacts: int
    projects: int
    created_at: datetime


class ClientList(BaseModel):
    items: list[ClientRowOut]
    total: int


class ContactOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    email: str
    name: str
    title: str
    portal_enabled: bool
    active: bool
    last_sign_in_at: datetime | None
    created_at: datetime


class ContactList(BaseModel):
    items: list[ContactOut]
    total: int


class ProjectOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    name: str
    description: str
    status: ProjectStatus
    phase: str
    lead_user_id: uuid.UUID | None
    start_date: date | None
    due_date: date | None
    created_at: datetime


class ProjectList(BaseModel):
    items: list[ProjectOut]
    total: int


# --- authentication ----------------------------------------------------------------------------------------------

bearer = HTTPBearer(auto_error=False, description="A staff API token (`python main.py create-api-token`).")


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> StaffActor:
    actor = None
    if credentials is not None:
        actor = await api_tokens.authenticate(credentials.credentials, ip=client_ip(request))
    if actor is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "A valid API token is required: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return actor


Actor = Annotated[StaffActor, Depends(current_actor)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")]
# Ids in paths are plain strings: the services answer a malformed one like an unknown one, 404.
ClientId = Annotated[str, Path(description="Client id (UUID)")]
ContactId = Annotated[str, Path(description="Contact id (UUID)")]
ProjectId = Annotated[str, Path(description="Project id (UUID)")]

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut, "description": "Missing or invalid token"}}
router = APIRouter(prefix="/v1", responses=UNAUTHORIZED)
NOT_FOUND = {404: {"model": ErrorOut, "description": "No such object in this organization"}}


# --- clients -------------------------------------------------------------------------------------------------------


@router.post("/clients", status_code=status.HTTP_201_CREATED, response_model=ClientOut, tags=["clients"])
async def create_client(body: ClientCreate, actor: Actor) -> Any:
    return await clients.create_client(actor, clients.ClientInput(**body.model_dump()))


@router.get("/clients", response_model=ClientList, tags=["clients"])
async def list_clients(
    actor: Actor,
    search: Annotated[SearchText, Query(max_length=200, description="Part of the name or email")] = "",
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Any:
    page = await clients.list_clients(actor, search=search, limit=limit, offset=offset)
    return {"items": page.items, "total": page.total}


@router.get("/clients/{client_id}", response_model=ClientOut, responses=NOT_FOUND, tags=["clients"])
async def get_client(client_id: ClientId, actor: Actor) -> Any:
    return await clients.get_client(actor, client_id)


@router.patch("/clients/{client_id}", response_model=ClientOut, responses=NOT_FOUND, tags=["clients"])
async def update_client(client_id: ClientId, body: ClientPatch, actor: Actor) -> Any:
    current = await clients.get_client(actor, client_id)
    merged = {"name": current.name, "email": current.email, "phone": current.phone, "address": current.address}
    merged.update(body.model_dump(exclude_unset=True))
    return await clients.update_client(actor, current.id, clients.ClientInput(**merged))


# --- contacts ------------------------------------------------------------------------------------------------------


@router.post(
    "/clients/{client_id}/contacts",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactOut,
    responses={**NOT_FOUND, 409: {"model": ErrorOut, "description": "The email is already a contact"}},
    tags=["contacts"],
)
async def create_contact(client_id: ClientId, body: ContactCreate, actor: Actor) -> Any:
    return await contacts.create_contact(actor, client_id, contacts.ContactInput(**body.model_dump()))


@router.get("/clients/{client_id}/contacts", response_model=ContactList, responses=NOT_FOUND, tags=["contacts"])
async def list_contacts(client_id: ClientId, actor: Actor, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0) -> Any:
    # A client has tens of contacts: the service returns them all and the window is cut here.
    rows = await contacts.list_contacts(actor, client_id)
    return {"items": rows[offset : offset + limit], "total": len(rows)}


@router.get("/contacts/{contact_id}", response_model=ContactOut, responses=NOT_FOUND, tags=["contacts"])
async def get_contact(contact_id: ContactId, actor: Actor) -> Any:
    return await contacts.get_contact(actor, contact_id)


@router.patch("/contacts/{contact_id}", response_model=ContactOut, responses=NOT_FOUND, tags=["contacts"])
async def update_contact(contact_id: ContactId, body: ContactPatch, actor: Actor) -> Any:
    return await contacts.update_contact(actor, contact_id, contacts.ContactChanges(**body.model_dump()))


# --- projects ------------------------------------------------------------------------------------------------------


@router.post(
    "/projects", status_code=status.HTTP_201_CREATED, response_model=ProjectOut, responses=NOT_FOUND, tags=["projects"]
)
async def create_project(body: ProjectCreate, actor: Actor) -> Any:
    values = body.model_dump(exclude={"client_id"})
    values["status"] = body.status.value
    return await projects.create_project(actor, body.client_id, projects.ProjectInput(**values))


@router.get("/projects", response_model=ProjectList, tags=["projects"])
async def list_projects(
    actor: Actor,
    client_id: Annotated[uuid.UUID | None, Query(description="Only this client's projects")] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Any:
    page = await projects.list_projects(actor, client_id=client_id, limit=limit, offset=offset)
    return {"items": page.items, "total": page.total}


@router.get("/projects/{project_id}", response_model=ProjectOut, responses=NOT_FOUND, tags=["projects"])
async def get_project(project_id: ProjectId, actor: Actor) -> Any:
    return await projects.get_project(actor, project_id)


@router.patch("/projects/{project_id}", response_model=ProjectOut, responses=NOT_FOUND, tags=["projects"])
async def update_project(project_id: ProjectId, body: ProjectPatch, actor: Actor) -> Any:
    current = await projects.get_project(actor, project_id)
    merged: dict[str, Any] = {
        "name": current.name,
        "description": current.description,
        "status": current.status,
        "phase": current.phase,
        "lead_user_id": current.lead_user_id,
        "start_date": current.start_date,
        "due_date": current.due_date,
    }
    merged.update(body.model_dump(exclude_unset=True))
    merged["status"] = ProjectStatus(merged["status"]).value
    return await projects.update_project(actor, current.id, projects.ProjectInput(**merged))


# --- the application -----------------------------------------------------------------------------------------------


async def _service_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    body: dict[str, Any] = {"detail": exc.message}
    if isinstance(exc, Invalid) and exc.field:
        body["field"] = exc.field
    return JSONResponse(body, status_code=exc.status_code)


# A 422 says where the input went wrong and may quote it, but never more than this of it (a 10 MB name is not
# sent back): strings are cut, and lists and objects show their first few entries.
MAX_ECHO = 100
MAX_ECHO_ITEMS = 5


def capped(value: Any, depth: int = 0) -> Any:
    """`value` as a 422 may repeat it: bounded in size whatever came in."""
    if isinstance(value, str):
        return value if len(value) <= MAX_ECHO else value[:MAX_ECHO] + "…"
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**MAX_ECHO else "(a very long number)"
    if depth >= 2:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())
        shown = {capped(str(k)): capped(v, depth + 1) for k, v in items[:MAX_ECHO_ITEMS]}
        return shown | ({"…": f"{len(items) - MAX_ECHO_ITEMS} more"} if len(items) > MAX_ECHO_ITEMS else {})
    if isinstance(value, list | tuple):
        shown_items = [capped(v, depth + 1) for v in value[:MAX_ECHO_ITEMS]]
        return shown_items + ([f"… {len(value) - MAX_ECHO_ITEMS} more"] if len(value) > MAX_ECHO_ITEMS else [])
    return capped(str(value), depth)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 body, with the echoed input and the location's keys bounded."""
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        error = dict(error)
        error["loc"] = [capped(part) for part in error.get("loc", ())]
        if "input" in error:
            error["input"] = capped(error["input"])
        if "ctx" in error:
            error["ctx"] = {
                k: capped(v if isinstance(v, str | int | float) else str(v)) for k, v in error["ctx"].items()
            }
        errors.append(error)
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


def build_api() -> FastAPI:
    """The API as its own application; the app factory mounts it at /api (docs at /api/docs)."""
    api = FastAPI(
        title="Portico API",
        version="1",
        description="Clients, contacts, projects and invoices of the organization the token belongs to. "
        'Money is a decimal string ("1200.50"). Errors answer `{"detail": ...}`; an id from another '
        "organization answers 404.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    api.add_exception_handler(ServiceError, _service_error)
    api.add_exception_handler(RequestValidationError, _validation_error)
    api.include_router(router)
    from portal_app.routes import api_invoices, api_projects  # they build on this module's types: imported last

    api.include_router(api_invoices.router)
    api.include_router(api_projects.router)
    return api
