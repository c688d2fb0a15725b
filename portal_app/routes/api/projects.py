"""The API's projects: the work the agency does for a client."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Query, status

from portal_app.routes.api.deps import DEFAULT_PAGE_SIZE, NOT_FOUND, Actor, Limit, Offset, ProjectId, resource_router
from portal_app.routes.api.types import ProjectCreate, ProjectList, ProjectOut, ProjectPatch
from services.projects import projects

router = resource_router("projects")


@router.post("/projects", status_code=status.HTTP_201_CREATED, response_model=ProjectOut, responses=NOT_FOUND)
async def create_project(body: ProjectCreate, actor: Actor) -> Any:
    values = body.model_dump(exclude={"client_id"})
    values["status"] = body.status.value
    return await projects.create_project(actor, body.client_id, projects.ProjectInput(**values))


@router.get("/projects", response_model=ProjectList)
async def list_projects(
    actor: Actor,
    client_id: Annotated[uuid.UUID | None, Query(description="Only this client's projects")] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Any:
    page = await projects.list_projects(actor, client_id=client_id, limit=limit, offset=offset)
    return {"items": page.items, "total": page.total}


@router.get("/projects/{project_id}", response_model=ProjectOut, responses=NOT_FOUND)
async def get_project(project_id: ProjectId, actor: Actor) -> Any:
    return await projects.get_project(actor, project_id)


@router.patch("/projects/{project_id}", response_model=ProjectOut, responses=NOT_FOUND)
async def update_project(project_id: ProjectId, body: ProjectPatch, actor: Actor) -> Any:
    # Only the fields sent change: a left-out field keeps its value, a null lead or date is cleared.
    changes = projects.ProjectChanges(**body.model_dump(exclude_unset=True))
    return await projects.update_project(actor, project_id, changes)
