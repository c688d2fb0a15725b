"""The API's answers about files and deliverables (kept beside `types`, which holds the other resources')."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, StrictBool

from models.files import DeliverableStatus
from portal_app.routes.api.types import Body
from services.files import deliverables, files


class FileOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    project_id: uuid.UUID | None
    request_id: uuid.UUID | None
    kind: str  # "upload", or the generated document it is (§17): "welcome", "progress", "completion"
    name: str
    size: int
    content_type: str  # sniffed from the bytes
    sha256: str
    shared: bool
    by_client: bool
    uploader_name: str
    created_at: datetime


class FileList(BaseModel):
    items: list[FileOut]
    total: int


class FilePatch(Body):
    shared: StrictBool = Field(description="true: the client's contacts see the file")


class VersionOut(BaseModel):
    number: int
    file_id: uuid.UUID
    file_name: str
    size: int
    content_type: str
    sha256: str
    created_at: datetime
    sent_at: datetime | None


class ApprovalOut(BaseModel):
    contact_email: str
    contact_name: str
    approved_at: datetime
    version: int
    sha256: str


class DeliverableOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    client_id: uuid.UUID
    title: str
    status: DeliverableStatus
    version: int
    approval: ApprovalOut | None
    versions: list[VersionOut]  # newest first
    created_at: datetime
    updated_at: datetime


def file_out(view: files.FileView) -> dict[str, Any]:
    return {
        "id": view.id,
        "client_id": view.client_id,
        "project_id": view.project_id,
        "request_id": view.request_id,
        "kind": view.kind.value,
        "name": view.name,
        "size": view.size,
        "content_type": view.content_type,
        "sha256": view.sha256,
        "shared": view.shared,
        "by_client": view.by_client,
        "uploader_name": view.uploader_name,
        "created_at": view.created_at,
    }


def deliverable_out(view: deliverables.DeliverableView) -> dict[str, Any]:
    approval = view.approval
    return {
        "id": view.id,
        "project_id": view.project_id,
        "client_id": view.client_id,
        "title": view.title,
        "status": view.status,
        "version": view.version,
        "approval": None
        if approval is None
        else {
            "contact_email": approval.contact_email,
            "contact_name": approval.contact_name,
            "approved_at": approval.decided_at,
            "version": approval.version_number,
            "sha256": approval.sha256,
        },
        "versions": [
            {
                "number": v.number,
                "file_id": v.file_id,
                "file_name": v.file_name,
                "size": v.size,
                "content_type": v.content_type,
                "sha256": v.sha256,
                "created_at": v.created_at,
                "sent_at": v.sent_at,
            }
            for v in view.versions
        ],
        "created_at": view.created_at,
        "updated_at": view.updated_at,
    }
