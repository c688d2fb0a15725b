"""The API's milestones: a project's dated (or undated) goals."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, status

from portal_app.routes.api.deps import DEFAULT_PAGE_SIZE, NOT_FOUND, Actor, Limit, Offset, ProjectId, resource_router
from portal_app.routes.api.types import MilestoneCreate, MilestoneList, MilestoneOut, MilestonePatch
from services.core.errors import Invalid
from services.projects import milestones

router = resource_router("milestones")

MilestoneId = Annotated[str, Path(description="Milestone id (UUID)")]


@router.post(
    "/projects/{project_id}/milestones",
    status_code=status.HTTP_201_CREATED,
    response_model=MilestoneOut,
    responses=NOT_FOUND,
)
async def create_milestone(project_id: ProjectId, body: MilestoneCreate, actor: Actor) -> Any:
    data = milestones.MilestoneInput(title=body.title, due_date=body.due_date, done=body.done)
    return await milestones.add_milestone(actor, project_id, data)


@router.get("/projects/{project_id}/milestones", response_model=MilestoneList, responses=NOT_FOUND)
async def list_milestones(
    project_id: ProjectId, actor: Actor, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> Any:
    """Dated milestones by due date, then undated ones in the order they were added."""
    # A project has at most a couple of hundred milestones: the service returns them all and the window is cut here.
    rows = await milestones.list_milestones(actor, project_id)
    return {"items": rows[offset : offset + limit], "total": len(rows)}


@router.patch("/milestones/{milestone_id}", response_model=MilestoneOut, responses=NOT_FOUND)
async def update_milestone(milestone_id: MilestoneId, body: MilestonePatch, actor: Actor) -> Any:
    """Change a milestone's title, due date or done; fields left out keep their value. Marking it done owes the
    client a progress report, made by the `documents` job within seconds (once, however often it is sent)."""
    sent = body.model_dump(exclude_unset=True)
    for field in ("title", "done"):
        if field in sent and sent[field] is None:
            raise Invalid(f"{field} cannot be null: leave it out to keep it.", field)
    return await milestones.update_milestone(actor, milestone_id, milestones.MilestoneChanges(**sent))
