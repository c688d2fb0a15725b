"""The API's project updates: news on a project, public to the client's contacts or internal to staff."""

from __future__ import annotations

from typing import Any

from fastapi import status

from portal_app.routes.api.deps import DEFAULT_PAGE_SIZE, NOT_FOUND, Actor, Limit, Offset, ProjectId, resource_router
from portal_app.routes.api.types import UpdateCreate, UpdateList, UpdateOut
from services.projects import discussion

router = resource_router("updates")


@router.post(
    "/projects/{project_id}/updates",
    status_code=status.HTTP_201_CREATED,
    response_model=UpdateOut,
    responses=NOT_FOUND,
)
async def create_update(project_id: ProjectId, body: UpdateCreate, actor: Actor) -> Any:
    """A public update is mailed to the client's contacts in their next digest; an internal one never leaves staff."""
    return await discussion.post_update(actor, project_id, body.body, body.visibility)


@router.get("/projects/{project_id}/updates", response_model=UpdateList, responses=NOT_FOUND)
async def list_updates(
    project_id: ProjectId, actor: Actor, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> Any:
    """The project's updates, public and internal, newest first."""
    page = await discussion.list_updates(actor, project_id, limit=limit, offset=offset)
    return {"items": page.items, "total": page.total}
