"""Staff's view of a project's generated documents: what is owed or made, a preview, and regenerating.

Sharing and unsharing a made document is `services.files.files.set_shared`, as for any file of the project.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.collaboration import Milestone
from models.documents import DocumentKind, DocumentRequest, DocumentStatus
from models.files import File
from services.core import audit, clock, events
from services.core.actors import Actor, require_staff
from services.core.common import parse_id
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid, NotFound
from services.core.scoping import visible
from services.documents import content, wording
from services.projects import document_events
from services.projects.projects import load_project


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: uuid.UUID
    kind: DocumentKind
    label: str  # "Progress report"
    about: str  # the milestone's title for a progress report, else ""
    milestone_id: uuid.UUID | None
    status: DocumentStatus
    error: str
    requested_at: datetime
    made_at: datetime | None
    file_id: uuid.UUID | None  # the file it was written to, while that file exists
    file_name: str
    shared: bool


async def list_documents(actor: Actor, project_id: uuid.UUID | str) -> list[DocumentView]:
    """The project's documents, in the order they were owed."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        project = await load_project(session, actor, project_id)
        rows = await session.execute(
            select(DocumentRequest, Milestone.title, File.id, File.name, File.shared)
            .outerjoin(Milestone, Milestone.id == DocumentRequest.milestone_id)
            .outerjoin(File, File.id == DocumentRequest.file_id)
            .where(DocumentRequest.project_id == project.id, *visible(actor, DocumentRequest))
            .order_by(DocumentRequest.created_at, DocumentRequest.id)
        )
        return [
            DocumentView(
                r.id,
                r.kind,
                wording.LABELS[r.kind],
                title or "",
                r.milestone_id,
                r.status,
                r.error,
                r.created_at,
                r.done_at if r.status == DocumentStatus.done else None,
                file_id,
                name or "",
                bool(shared),
            )
            for r, title, file_id, name, shared in rows
        ]


async def _milestone_of(
    session: AsyncSession, actor: Actor, project_id: uuid.UUID, milestone_id: uuid.UUID | str | None
) -> Milestone | None:
    if milestone_id is None:
        return None
    found = await session.scalar(
        select(Milestone).where(
            Milestone.id == parse_id(milestone_id, "Milestone not found"),
            Milestone.project_id == project_id,
            *visible(actor, Milestone),
        )
    )
    if found is None:
        raise NotFound("Milestone not found")
    return found


def _check_subject(kind: DocumentKind, milestone_id: object) -> None:
    if kind == DocumentKind.progress and milestone_id is None:
        raise Invalid("A progress report is about a milestone: choose one.", "milestone_id")
    if kind != DocumentKind.progress and milestone_id is not None:
        raise Invalid("Only a progress report is about a milestone.", "milestone_id")


async def preview(
    actor: Actor, project_id: uuid.UUID | str, kind: DocumentKind | str, milestone_id: uuid.UUID | str | None = None
) -> bytes:
    """The document as it would be made now, as PDF bytes; nothing is stored or sent."""
    require_staff(actor)
    kind = wording.parse_kind(kind)
    _check_subject(kind, milestone_id)
    async with unit_of_work(actor) as session:
        project = await load_project(session, actor, project_id)
        milestone = await _milestone_of(session, actor, project.id, milestone_id)
        gathered = await content.gather(session, project.id, kind, milestone.id if milestone else None)
    from services.documents.document_pdf import render_document  # reportlab, on first use rather than at start

    return await asyncio.to_thread(render_document, gathered)


async def regenerate(
    actor: Actor, project_id: uuid.UUID | str, kind: DocumentKind | str, milestone_id: uuid.UUID | str | None = None
) -> DocumentView:
    """Make the document again from the project as it stands (the same file, new bytes; the client is not told
    again), or make it now if it was never owed (a project from before documents, a kind that was off)."""
    staff = require_staff(actor)
    kind = wording.parse_kind(kind)
    _check_subject(kind, milestone_id)
    async with unit_of_work(actor) as session:
        project = await load_project(session, actor, project_id)
        milestone = await _milestone_of(session, actor, project.id, milestone_id)
        subject = str(milestone.id) if milestone else ""
        row = await session.scalar(
            select(DocumentRequest)
            .where(
                DocumentRequest.project_id == project.id,
                DocumentRequest.kind == kind,
                DocumentRequest.subject == subject,
            )
            .with_for_update()
        )
        if row is None:
            await document_events.owe(session, project, kind, milestone.id if milestone else None)
        else:
            if row.status in (DocumentStatus.pending, DocumentStatus.working):
                raise Conflict("This document is being made already.")
            row.status, row.due_at, row.error = DocumentStatus.pending, clock.now(), ""
            row.claimed_until, row.requested_by_user_id = None, staff.user_id
            # Told once: a document the client never heard of (off, failed) is announced when it is made.
            made_before = await session.get(File, row.file_id) if row.file_id else None
            row.announce = made_before is None
            events.publish(session, events.DocumentsOwed())
        audit.record(
            session,
            actor,
            "document.regenerate_requested",
            target_type="project",
            target_id=project.id,
            target_label=project.name,
            detail={"kind": kind.value, "milestone": milestone.title if milestone else ""},
        )
        events.publish(session, events.DocumentsChanged(project.org_id, project.id))
        project_id = project.id
    views = await list_documents(actor, project_id)
    return next(v for v in views if v.kind == kind and v.milestone_id == (milestone.id if milestone else None))
