"""The API's files: uploaded to a project (shared with the client or not), listed, shared or hidden, downloaded.

`GET /files/{id}/content` always streams the bytes through the app, whatever the store: an API client (curl, a
script) gets the file itself, not a redirect it would have to follow to a presigned S3 URL.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request, status
from fastapi.responses import Response

from models.files import FileKind
from portal_app import file_responses
from portal_app.routes.api import multipart
from portal_app.routes.api.deps import (
    DEFAULT_PAGE_SIZE,
    NOT_FOUND,
    Actor,
    Limit,
    Offset,
    ProjectId,
    Responses,
    resource_router,
)
from portal_app.routes.api.file_shapes import FileList, FileOut, FilePatch, file_out
from portal_app.routes.api.types import ErrorOut
from services.files import files
from services.projects import projects

router = resource_router("files")

FileId = Annotated[str, Path(description="File id (UUID)")]
# Deliverables' versions are files too, listed on their deliverable; every other kind (uploads, and the generated
# documents of §17 as they come) is a file of the project.
PROJECT_KINDS = tuple(kind for kind in FileKind if kind != FileKind.deliverable)
UPLOAD_ERRORS: Responses = {
    **NOT_FOUND,
    413: {"model": ErrorOut, "description": "Larger than the largest file any organization may allow"},
    422: {"model": ErrorOut, "description": "No file, an empty file, a refused type or size, or a bad field"},
    503: {"model": ErrorOut, "description": "The file store is down: nothing was stored"},
}


@router.post(
    "/projects/{project_id}/files",
    status_code=status.HTTP_201_CREATED,
    response_model=FileOut,
    responses=UPLOAD_ERRORS,
    openapi_extra=multipart.form_body(
        ["file"],
        file=multipart.FILE_FIELD,
        shared={"type": "string", "enum": ["true", "false"], "default": "false"},
    ),
)
async def upload_file(project_id: ProjectId, actor: Actor, request: Request) -> Any:
    """Upload a file to the project (multipart: `file`, and `shared` "true" or "false", default "false").

    Its type and size are judged on the bytes, by the organization's limits."""
    # The form is read only now, after the token was checked (FastAPI would parse a declared form before that).
    async with multipart.upload_form(request) as form:
        shared = multipart.flag(form, "shared")
        upload = multipart.the_file(form)
        view = await files.upload(
            actor, upload.filename, multipart.chunks(upload), project_id=project_id, shared=shared
        )
    return file_out(view)


@router.get("/projects/{project_id}/files", response_model=FileList, responses=NOT_FOUND)
async def list_files(project_id: ProjectId, actor: Actor, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0) -> Any:
    """The project's files, newest first, each with its `kind`."""
    await projects.get_project(actor, project_id)  # another organization's project is a 404, not an empty list
    page = await files.list_files(actor, project_id=project_id, kinds=PROJECT_KINDS, limit=limit, offset=offset)
    return {"items": [file_out(f) for f in page.items], "total": page.total}


@router.get("/files/{file_id}", response_model=FileOut, responses=NOT_FOUND)
async def get_file(file_id: FileId, actor: Actor) -> Any:
    return file_out(await files.get_file(actor, file_id))


@router.patch("/files/{file_id}", response_model=FileOut, responses=NOT_FOUND)
async def update_file(file_id: FileId, body: FilePatch, actor: Actor) -> Any:
    """Share the file with the client, or hide it again (a file the client uploaded stays theirs to see)."""
    return file_out(await files.set_shared(actor, file_id, body.shared))


@router.get(
    "/files/{file_id}/content",
    response_class=Response,
    responses={
        **NOT_FOUND,
        200: {"content": {"application/octet-stream": {}}, "description": "The file's bytes"},
        503: {"model": ErrorOut, "description": "The file store is down"},
    },
)
async def file_content(file_id: FileId, actor: Actor) -> Response:
    """The file's bytes, as an attachment (typed as stored if previewable, else application/octet-stream)."""
    return await file_responses.stream(await files.open_download(actor, file_id))
