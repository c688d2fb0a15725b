"""The events that owe a client a document (SPEC §17), recorded in the same transaction as the change itself.

A project that starts owes its welcome packet, a milestone done its progress report, a completed project its
certificate. Each is one `DocumentRequest`, unique per (project, kind, subject): an event that repeats (a
milestone reopened and done again, the same PATCH sent twice, two processes) finds the request there and owes
nothing more. The `documents` job (services.documents) makes what is owed; this module only records it, so the
domains below the documents one (projects, catalog) can owe documents without importing it.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from models.documents import DocumentKind, DocumentRequest
from models.projects import Project, ProjectStatus
from services.core import clock, events
from services.core.db import insert_or_skip


async def owe(
    session: AsyncSession, project: Project, kind: DocumentKind, milestone_id: uuid.UUID | None = None
) -> bool:
    """Record that `project` owes a document of `kind` (about `milestone_id` for a progress report); whether this
    call recorded it (False: it was owed or made already)."""
    if (kind == DocumentKind.progress) != (milestone_id is not None):
        raise ValueError("a progress report, and only a progress report, is about a milestone")
    now = clock.now()
    statement = insert_or_skip(
        session, DocumentRequest.__table__, ["project_id", "kind", "subject"], DocumentRequest.__table__.c.id
    ).values(
        id=uuid.uuid4(),
        org_id=project.org_id,
        client_id=project.client_id,
        project_id=project.id,
        kind=kind.value,
        subject=str(milestone_id) if milestone_id else "",
        milestone_id=milestone_id,
        status="pending",
        due_at=now,
        attempts=0,
        error="",
        announce=True,
        created_at=now,
    )
    recorded = (await session.execute(statement)).first() is not None
    if recorded:
        events.publish(session, events.DocumentsOwed())
    return recorded


async def project_status_set(session: AsyncSession, project: Project, before: ProjectStatus | None) -> None:
    """What a project's status owes, given the status it had (`before`, None for a project just made)."""
    if project.status == before:
        return
    if project.status == ProjectStatus.active:
        await owe(session, project, DocumentKind.welcome)
    elif project.status == ProjectStatus.completed:
        await owe(session, project, DocumentKind.completion)


async def milestone_done(session: AsyncSession, project: Project, milestone_id: uuid.UUID) -> None:
    await owe(session, project, DocumentKind.progress, milestone_id)
