"""What the API's handlers depend on: the token's actor, paging and path parameters, the answers every resource
shares, and the mapping of errors to JSON bodies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from portal_app.auth.requests import client_ip
from portal_app.routes.api.types import MAX_OFFSET, ErrorOut
from services.core.actors import StaffActor
from services.core.common import MAX_PAGE_SIZE
from services.core.errors import Invalid, ServiceError
from services.staff import api_tokens

DEFAULT_PAGE_SIZE = 50

# --- authentication ------------------------------------------------------------------------------------------------

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


# --- parameters ----------------------------------------------------------------------------------------------------

Actor = Annotated[StaffActor, Depends(current_actor)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")]
# Ids in paths are plain strings: the services answer a malformed one like an unknown one, 404.
ClientId = Annotated[str, Path(description="Client id (UUID)")]
ContactId = Annotated[str, Path(description="Contact id (UUID)")]
ProjectId = Annotated[str, Path(description="Project id (UUID)")]
InvoiceId = Annotated[str, Path(description="Invoice id (UUID)")]
RequestId = Annotated[str, Path(description="Request id (UUID)")]

# --- shared answers ------------------------------------------------------------------------------------------------

Responses = dict[int | str, dict[str, Any]]
UNAUTHORIZED: Responses = {401: {"model": ErrorOut, "description": "Missing or invalid token"}}
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "No such object in this organization"}}


def resource_router(tag: str) -> APIRouter:
    """A resource's router: under /v1, every operation tagged `tag` and answering 401 without a valid token."""
    return APIRouter(prefix="/v1", responses=UNAUTHORIZED, tags=[tag])


# --- errors --------------------------------------------------------------------------------------------------------


async def service_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """A service's refusal as `{"detail": ...}` with its status code, and the field at fault where it names one."""
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


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
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
