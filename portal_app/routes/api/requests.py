"""The API's requests: cards on a project's kanban (Backlog, In progress, Done)."""

from __future__ import annotations

from typing import Any

from fastapi import status

from portal_app.routes.api.deps import (
    DEFAULT_PAGE_SIZE,
    NOT_FOUND,
    Actor,
    Limit,
    Offset,
    ProjectId,
    RequestId,
    resource_router,
)
from portal_app.routes.api.types import RequestCreate, RequestList, RequestOut, RequestPatch
from services.core.errors import Invalid
from services.projects import work_requests

router = resource_router("requests")


def _request_out(card: work_requests.RequestCard) -> dict[str, Any]:
    return {
        "id": card.id,
        "project_id": card.project_id,
        "title": card.title,
        "description": card.description,
        "status": card.status,
        "position": card.position,
        "assignee_id": card.assignee_user_id,
        "requester_name": card.requester_name,
        "source": card.source,
        "created_at": card.created_at,
        "updated_at": card.updated_at,
    }


@router.post("/requests", status_code=status.HTTP_201_CREATED, response_model=RequestOut, responses=NOT_FOUND)
async def create_request(body: RequestCreate, actor: Actor) -> Any:
    """A new card at the bottom of the project's Backlog."""
    data = work_requests.RequestInput(title=body.title, description=body.description)
    return _request_out(await work_requests.create_request(actor, body.project_id, data))


@router.get("/requests/{request_id}", response_model=RequestOut, responses=NOT_FOUND)
async def get_request(request_id: RequestId, actor: Actor) -> Any:
    return _request_out(await work_requests.get_request(actor, request_id))


@router.patch("/requests/{request_id}", response_model=RequestOut, responses=NOT_FOUND)
async def update_request(request_id: RequestId, body: RequestPatch, actor: Actor) -> Any:
    """Edit, assign and move a card. All input is checked before the first change, so bad input changes nothing."""
    given = body.model_dump(exclude_unset=True)
    if "assignee_id" in given:
        given["assignee_user_id"] = given.pop("assignee_id")
    try:
        card = await work_requests.update_request(actor, request_id, work_requests.RequestChanges(**given))
    except Invalid as exc:
        if exc.field != "assignee_user_id":
            raise
        raise Invalid(exc.message, "assignee_id") from None  # the field as this API names it
    return _request_out(card)


@router.get("/projects/{project_id}/requests", response_model=RequestList, responses=NOT_FOUND)
async def list_requests(
    project_id: ProjectId, actor: Actor, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> Any:
    """The project's requests in board order: Backlog, In progress, Done, each from the top of its column."""
    page = await work_requests.list_project_requests(actor, project_id, limit=limit, offset=offset)
    return {"items": [_request_out(card) for card in page.items], "total": page.total}
