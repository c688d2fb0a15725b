"""The REST API's project work: milestones, updates, and requests on the kanban. Dates are ISO 8601."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field, StrictBool, StrictInt, field_validator

from models.collaboration import RequestStatus, Visibility
from portal_app.routes.api import (
    DEFAULT_PAGE_SIZE,
    MAX_OFFSET,
    NOT_FOUND,
    UNAUTHORIZED,
    Actor,
    Body,
    IsoDate,
    Limit,
    Offset,
    ProjectId,
    _not_null,
    bounded_text,
)
from services.core.common import LONG_TEXT_LINES, optional_text, required_text
from services.core.errors import Invalid
from services.projects import discussion, milestones, work_requests

# --- input ---------------------------------------------------------------------------------------------------------

MilestoneTitle = bounded_text(200)
RequestTitle = bounded_text(200)
RequestDescription = bounded_text(work_requests.MAX_DESCRIPTION)
UpdateBody = bounded_text(discussion.MAX_BODY)
Position = Annotated[StrictInt, Field(ge=0, le=MAX_OFFSET, description="0 is the top of the column")]


class MilestoneCreate(Body):
    title: MilestoneTitle
    due_date: IsoDate | None = Field(description="null for a milestone without a date")
    done: StrictBool = False


class UpdateCreate(Body):
    body: UpdateBody
    visibility: Visibility = Field(description="public: the client's contacts see it; internal: staff only")


class RequestCreate(Body):
    project_id: uuid.UUID
    title: RequestTitle
    description: RequestDescription = ""


class RequestPatch(Body):
    """Fields left out keep their value; assignee_id null unassigns. A status without a position puts the card at
    the bottom of that column; a position without a status moves it within its column."""

    status: RequestStatus | None = None
    position: Position | None = None
    title: RequestTitle | None = None
    description: RequestDescription | None = None
    assignee_id: uuid.UUID | None = None

    _present = field_validator("status", "position", "title", "description")(_not_null)


# --- output --------------------------------------------------------------------------------------------------------


class MilestoneOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    due_date: date | None
    done: bool
    done_at: datetime | None


class MilestoneList(BaseModel):
    items: list[MilestoneOut]
    total: int


class UpdateOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    body: str
    visibility: Visibility
    author_name: str
    created_at: datetime


class UpdateList(BaseModel):
    items: list[UpdateOut]
    total: int


class RequestOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    description: str
    status: RequestStatus
    position: int  # within its column, 0 first
    assignee_id: uuid.UUID | None
    requester_name: str
    source: str  # staff, api, portal or feedback
    created_at: datetime
    updated_at: datetime


class RequestList(BaseModel):
    items: list[RequestOut]
    total: int


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


# --- endpoints -----------------------------------------------------------------------------------------------------

RequestId = Annotated[str, Path(description="Request id (UUID)")]
router = APIRouter(prefix="/v1", responses=UNAUTHORIZED)


@router.post(
    "/projects/{project_id}/milestones",
    status_code=status.HTTP_201_CREATED,
    response_model=MilestoneOut,
    responses=NOT_FOUND,
    tags=["milestones"],
)
async def create_milestone(project_id: ProjectId, body: MilestoneCreate, actor: Actor) -> Any:
    data = milestones.MilestoneInput(title=body.title, due_date=body.due_date, done=body.done)
    return await milestones.add_milestone(actor, project_id, data)


@router.get("/projects/{project_id}/milestones", response_model=MilestoneList, responses=NOT_FOUND, tags=["milestones"])
async def list_milestones(
    project_id: ProjectId, actor: Actor, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> Any:
    """Dated milestones by due date, then undated ones in the order they were added."""
    # A project has at most a couple of hundred milestones: the service returns them all and the window is cut here.
    rows = await milestones.list_milestones(actor, project_id)
    return {"items": rows[offset : offset + limit], "total": len(rows)}


@router.post(
    "/projects/{project_id}/updates",
    status_code=status.HTTP_201_CREATED,
    response_model=UpdateOut,
    responses=NOT_FOUND,
    tags=["updates"],
)
async def create_update(project_id: ProjectId, body: UpdateCreate, actor: Actor) -> Any:
    """A public update is mailed to the client's contacts in their next digest; an internal one never leaves staff."""
    return await discussion.post_update(actor, project_id, body.body, body.visibility)


@router.get("/projects/{project_id}/updates", response_model=UpdateList, responses=NOT_FOUND, tags=["updates"])
async def list_updates(
    project_id: ProjectId, actor: Actor, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> Any:
    """The project's updates, public and internal, newest first."""
    page = await discussion.list_updates(actor, project_id, limit=limit, offset=offset)
    return {"items": page.items, "total": page.total}


@router.post(
    "/requests", status_code=status.HTTP_201_CREATED, response_model=RequestOut, responses=NOT_FOUND, tags=["requests"]
)
async def create_request(body: RequestCreate, actor: Actor) -> Any:
    """A new card at the bottom of the project's Backlog."""
    data = work_requests.RequestInput(title=body.title, description=body.description)
    return _request_out(await work_requests.create_request(actor, body.project_id, data))


@router.get("/requests/{request_id}", response_model=RequestOut, responses=NOT_FOUND, tags=["requests"])
async def get_request(request_id: RequestId, actor: Actor) -> Any:
    return _request_out(await work_requests.get_request(actor, request_id))


@router.patch("/requests/{request_id}", response_model=RequestOut, responses=NOT_FOUND, tags=["requests"])
async def update_request(request_id: RequestId, body: RequestPatch, actor: Actor) -> Any:
    """Edit, assign and move a card. All input is checked before the first change, so bad input changes nothing."""
    card = await work_requests.get_request(actor, request_id)
    given = body.model_fields_set
    title = required_text(body.title, "title", "Title", 200) if body.title is not None else card.title
    description = (
        optional_text(
            body.description,
            "description",
            "Description",
            work_requests.MAX_DESCRIPTION,
            max_lines=LONG_TEXT_LINES,
        )
        if body.description is not None
        else card.description
    )
    # The assignment goes first: it is the one change that can still be refused (someone not in the organization).
    if "assignee_id" in given and body.assignee_id != card.assignee_user_id:
        try:
            card = await work_requests.assign_request(actor, card.id, body.assignee_id)
        except Invalid as exc:
            raise Invalid(exc.message, "assignee_id") from None
    if (title, description) != (card.title, card.description):
        card = await work_requests.update_request(actor, card.id, work_requests.RequestInput(title, description))
    target = body.status or card.status
    if target != card.status or (body.position is not None and body.position != card.position):
        card = await work_requests.move_request(actor, card.id, target, body.position)
    return _request_out(card)


@router.get("/projects/{project_id}/requests", response_model=RequestList, responses=NOT_FOUND, tags=["requests"])
async def list_requests(
    project_id: ProjectId, actor: Actor, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> Any:
    """The project's requests in board order: Backlog, In progress, Done, each from the top of its column."""
    page = await work_requests.list_project_requests(actor, project_id, limit=limit, offset=offset)
    return {"items": [_request_out(card) for card in page.items], "total": page.total}
