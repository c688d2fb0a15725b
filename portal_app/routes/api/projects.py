"""The API's projects: the work the agency does for a client, with its hourly rate and hour budget (staff-side)."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated, Any

from fastapi import Query, status

from portal_app.routes.api.deps import DEFAULT_PAGE_SIZE, NOT_FOUND, Actor, Limit, Offset, ProjectId, resource_router
from portal_app.routes.api.types import ErrorOut, ProjectCreate, ProjectDetailOut, ProjectList, ProjectPatch
from services.projects import projects
from services.time import rates

router = resource_router("projects")

RATE_FIELDS = ("hourly_rate", "currency", "budget_hours")  # set through services.time.rates, not the project


async def _detail(actor: Actor, view: projects.ProjectView) -> dict[str, Any]:
    """The project with its rate and budget: the list leaves these out (a second read per project)."""
    billing = await rates.get_project_rates(actor, view.id)
    return dataclasses.asdict(view) | {
        "hourly_rate": billing.hourly_rate,
        "currency": billing.currency,
        "budget_hours": billing.budget_hours,
    }


@router.post("/projects", status_code=status.HTTP_201_CREATED, response_model=ProjectDetailOut, responses=NOT_FOUND)
async def create_project(body: ProjectCreate, actor: Actor) -> Any:
    values = body.model_dump(exclude={"client_id"})
    values["status"] = body.status.value
    return await _detail(actor, await projects.create_project(actor, body.client_id, projects.ProjectInput(**values)))


@router.get("/projects", response_model=ProjectList)
async def list_projects(
    actor: Actor,
    client_id: Annotated[uuid.UUID | None, Query(description="Only this client's projects")] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Any:
    page = await projects.list_projects(actor, client_id=client_id, limit=limit, offset=offset)
    return {"items": page.items, "total": page.total}


@router.get("/projects/{project_id}", response_model=ProjectDetailOut, responses=NOT_FOUND)
async def get_project(project_id: ProjectId, actor: Actor) -> Any:
    return await _detail(actor, await projects.get_project(actor, project_id))


@router.patch(
    "/projects/{project_id}",
    response_model=ProjectDetailOut,
    responses={**NOT_FOUND, 403: {"model": ErrorOut, "description": "Rates: not an owner, an admin or the lead"}},
)
async def update_project(project_id: ProjectId, body: ProjectPatch, actor: Actor) -> Any:
    # Only the fields sent change: a left-out field keeps its value, a null lead, date, rate or budget is cleared.
    sent = body.model_dump(exclude_unset=True)
    billing = {key: sent.pop(key) for key in RATE_FIELDS if key in sent}
    # Rates and the project's own fields change in one unit of work: a refusal of either changes nothing.
    if billing:
        await rates.set_project_rates(
            actor, project_id, **billing, changes=projects.ProjectChanges(**sent) if sent else None
        )
        view = await projects.get_project(actor, project_id)
    else:
        view = await projects.update_project(actor, project_id, projects.ProjectChanges(**sent))
    return await _detail(actor, view)
