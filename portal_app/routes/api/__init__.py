"""The REST API, mounted at /api: a bearer token acts as its staff user; each handler is one service call.

`types` holds the bodies and answers, `deps` what every handler depends on (the token's actor, paging, the error
mapping), and each resource has a module of its own; only `build_api` puts them together."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from portal_app import failures
from portal_app.routes.api import (
    clients,
    contacts,
    deliverables,
    files,
    invoices,
    milestones,
    projects,
    quotes,
    requests,
    services,
    time_entries,
    updates,
)
from portal_app.routes.api.deps import service_error_handler, validation_error_handler
from services.core.errors import ServiceError


def build_api() -> FastAPI:
    """The API as its own application; the app factory mounts it at /api (docs at /api/docs)."""
    api = FastAPI(
        title="Portico API",
        version="1",
        description="Clients, contacts, projects, quotes, invoices, time and services of the organization the token "
        'belongs to. Money is a decimal string ("1200.50"). Errors answer `{"detail": ...}`; an id from another '
        "organization answers 404.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    api.add_exception_handler(ServiceError, service_error_handler)
    api.add_exception_handler(RequestValidationError, validation_error_handler)
    failures.install(api)
    for resource in (
        clients,
        contacts,
        projects,
        invoices,
        quotes,
        milestones,
        updates,
        requests,
        files,
        deliverables,
        time_entries,
        services,
    ):
        api.include_router(resource.router)
    return api
