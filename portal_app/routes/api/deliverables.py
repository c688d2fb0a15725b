"""The API's deliverables: a titled file on a project, sent to the client for review version by version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request, status

from portal_app.routes.api import multipart
from portal_app.routes.api.deps import NOT_FOUND, Actor, ProjectId, Responses, resource_router
from portal_app.routes.api.file_shapes import DeliverableOut, deliverable_out
from portal_app.routes.api.files import UPLOAD_ERRORS
from portal_app.routes.api.types import ErrorOut
from services.files import deliverables

router = resource_router("deliverables")

DeliverableId = Annotated[str, Path(description="Deliverable id (UUID)")]
LOCKED: Responses = {409: {"model": ErrorOut, "description": "Approved (locked), or waiting for a new version"}}


@router.post(
    "/projects/{project_id}/deliverables",
    status_code=status.HTTP_201_CREATED,
    response_model=DeliverableOut,
    responses=UPLOAD_ERRORS,
    openapi_extra=multipart.form_body(
        ["file", "title"], file=multipart.FILE_FIELD, title={"type": "string", "maxLength": 200}
    ),
)
async def create_deliverable(project_id: ProjectId, actor: Actor, request: Request) -> Any:
    """A new deliverable with its version 1 (multipart: `file`, `title`), a draft the client does not see yet."""
    async with multipart.upload_form(request) as form:
        title = multipart.text_field(form, "title")
        upload = multipart.the_file(form)
        view = await deliverables.create(actor, project_id, title, upload.filename, multipart.chunks(upload))
    return deliverable_out(view)


@router.post(
    "/deliverables/{deliverable_id}/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=DeliverableOut,
    responses={**UPLOAD_ERRORS, **LOCKED},
    openapi_extra=multipart.form_body(["file"], file=multipart.FILE_FIELD),
)
async def add_version(deliverable_id: DeliverableId, actor: Actor, request: Request) -> Any:
    """The next version (multipart `file`). One the client has seen goes straight back to review."""
    async with multipart.upload_form(request) as form:
        upload = multipart.the_file(form)
        view = await deliverables.add_version(actor, deliverable_id, upload.filename, multipart.chunks(upload))
    return deliverable_out(view)


@router.post("/deliverables/{deliverable_id}/review", response_model=DeliverableOut, responses={**NOT_FOUND, **LOCKED})
async def send_for_review(deliverable_id: DeliverableId, actor: Actor) -> Any:
    """Send the latest version to the client: the project's portal contacts are mailed."""
    return deliverable_out(await deliverables.send_for_review(actor, deliverable_id))


@router.get("/deliverables/{deliverable_id}", response_model=DeliverableOut, responses=NOT_FOUND)
async def get_deliverable(deliverable_id: DeliverableId, actor: Actor) -> Any:
    return deliverable_out(await deliverables.get_deliverable(actor, deliverable_id))
