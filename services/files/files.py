"""Files of a client: uploaded by staff (shared with the client or not) or by the client's contacts (always seen by
their own client and the agency), on the client, one of its projects, or a request and its discussion.

Contacts upload to their own client's projects and requests only; staff choose per file whether the client sees
it, rename and delete. A deliverable's versions are files too (`FileKind.deliverable`), managed through
`services.files.deliverables`: they are not renamed, unshared or deleted here.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.collaboration import Comment, Visibility, WorkRequest
from models.files import File, FileKind
from models.inbox import InboxKind
from models.organizations import Organization
from models.projects import Project
from services.adapters import file_types
from services.clients.clients import load_client
from services.core import audit, clock, events
from services.core.actors import Actor, PortalActor, StaffActor, require_staff
from services.core.common import Page, page_window, parse_id
from services.core.db import unit_of_work
from services.core.errors import Invalid, NotFound
from services.core.scoping import visible
from services.files import uploads
from services.projects import inbox
from services.projects.discussion import author_of
from services.projects.projects import load_project
from services.projects.work_requests import load_request

NOT_FOUND = "File not found"
# Documents Portico wrote (services.documents): listed with the uploads, shared or unshared like them, but made
# and remade by the `documents` job, never renamed or deleted by hand.
DOCUMENT_KINDS = (FileKind.welcome, FileKind.progress, FileKind.completion)
LISTED_KINDS = (FileKind.upload, *DOCUMENT_KINDS)


@dataclass(frozen=True, slots=True)
class FileView:
    id: uuid.UUID
    client_id: uuid.UUID
    project_id: uuid.UUID | None
    project_name: str  # "" for a client-level file
    request_id: uuid.UUID | None
    comment_id: uuid.UUID | None
    kind: FileKind
    name: str
    size: int
    content_type: str
    sha256: str
    shared: bool
    by_client: bool  # uploaded by one of the client's contacts
    uploader_name: str
    created_at: datetime
    uploader_contact_id: uuid.UUID | None = None  # the contact who uploaded it (the portal says "You" for its own)

    @property
    def previewable(self) -> bool:
        """Shown inline (images, PDF, video); anything else, markup above all, is only ever downloaded."""
        return self.content_type in file_types.INLINE


@dataclass(frozen=True, slots=True)
class Target:
    """Where an upload goes: a client, and optionally one of its projects, a request and a comment on it."""

    client_id: uuid.UUID
    project: Project | None = None
    request: WorkRequest | None = None
    comment: Comment | None = None


def view_of(row: File, project_name: str = "") -> FileView:
    return FileView(
        row.id,
        row.client_id,
        row.project_id,
        project_name,
        row.request_id,
        row.comment_id,
        row.kind,
        row.name,
        row.size,
        row.content_type,
        row.sha256,
        row.shared,
        row.uploaded_by_contact_id is not None,
        row.uploader_name,
        row.created_at,
        row.uploaded_by_contact_id,
    )


async def limits_for(session: AsyncSession, org_id: uuid.UUID) -> uploads.Limits:
    org = await session.get(Organization, org_id)
    if org is None:
        raise NotFound()
    return uploads.Limits.of(org)


async def _target(
    session: AsyncSession,
    actor: Actor,
    client_id: uuid.UUID | str | None,
    project_id: uuid.UUID | str | None,
    request_id: uuid.UUID | str | None,
    comment_id: uuid.UUID | str | None,
) -> Target:
    """The place an upload goes, each part checked through the actor: a contact never names another client's."""
    if comment_id is not None and request_id is None:
        raise Invalid("A file attached to a comment needs the comment's request.", "comment_id")
    if request_id is not None:
        item = await load_request(session, actor, request_id)
        comment = None
        if comment_id is not None:
            comment = await session.scalar(
                select(Comment).where(
                    Comment.id == parse_id(comment_id, "Comment not found"),
                    Comment.request_id == item.id,
                    *visible(actor, Comment),
                )
            )
            if comment is None:
                raise NotFound("Comment not found")
        project = await session.get(Project, item.project_id)
        return Target(item.client_id, project, item, comment)
    if project_id is not None:
        project = await load_project(session, actor, project_id)
        return Target(project.client_id, project)
    if client_id is None:
        raise Invalid("Choose a project to upload to.", "project_id")
    client = await load_client(session, actor, client_id)
    if isinstance(actor, PortalActor):  # contacts share files on their projects and requests, not loose
        raise Invalid("Choose a project to upload to.", "project_id")
    return Target(client.id)


def _shared_for(actor: Actor, target: Target, wanted: bool) -> bool:
    """A contact's upload is always seen by their client; a staff file on an internal comment never is."""
    if isinstance(actor, PortalActor):
        return True
    if target.comment is not None and target.comment.visibility == Visibility.internal:
        return False
    return wanted


async def upload(
    actor: Actor,
    name: str | None,
    chunks: AsyncIterable[bytes],
    *,
    client_id: uuid.UUID | str | None = None,
    project_id: uuid.UUID | str | None = None,
    request_id: uuid.UUID | str | None = None,
    comment_id: uuid.UUID | str | None = None,
    shared: bool = False,
) -> FileView:
    """Store a file and record it; a refused or failed upload says why and leaves neither object nor row."""
    if not isinstance(actor, StaffActor | PortalActor):
        raise NotFound()
    async with unit_of_work(actor) as session:
        target = await _target(session, actor, client_id, project_id, request_id, comment_id)
        limits = await limits_for(session, actor.org_id)
    # The bytes stream outside any transaction: a slow upload holds no database connection.
    received = await uploads.receive(actor.org_id, target.client_id, name, chunks, limits)
    try:
        return await _record(actor, target, received, shared=_shared_for(actor, target, shared))
    except BaseException:
        await uploads.discard(received.key)
        raise


async def _record(
    actor: StaffActor | PortalActor, target: Target, received: uploads.Received, *, shared: bool
) -> FileView:
    async with unit_of_work(actor) as session:
        # The target may have gone while the bytes streamed (a project deleted, access removed): check again.
        target = await _target(
            session,
            actor,
            target.client_id,
            target.project.id if target.project else None,
            target.request.id if target.request else None,
            target.comment.id if target.comment else None,
        )
        author = await author_of(session, actor)
        row = File(
            id=received.file_id,
            org_id=actor.org_id,
            client_id=target.client_id,
            project_id=target.project.id if target.project else None,
            request_id=target.request.id if target.request else None,
            comment_id=target.comment.id if target.comment else None,
            kind=FileKind.upload,
            name=received.name,
            size=received.size,
            content_type=received.content_type,
            sha256=received.sha256,
            storage_key=received.key,
            shared=shared,
            uploaded_by_user_id=author.get("author_user_id"),
            uploaded_by_contact_id=author.get("author_contact_id"),
            uploader_name=str(author["author_name"]),
            created_at=clock.now(),
        )
        session.add(row)
        await session.flush()
        audit.record(
            session,
            actor,
            "file.uploaded",
            target_type="file",
            target_id=row.id,
            target_label=row.name,
            detail={"size": row.size, "content_type": row.content_type, "sha256": row.sha256, "shared": shared},
        )
        if isinstance(actor, PortalActor) and target.project is not None:
            where = f"“{target.request.title}”" if target.request else target.project.name
            inbox.record_in(
                session,
                target.project,
                InboxKind.file,
                f"Uploaded {row.name} to {where}",
                row.uploader_name,
                request_id=target.request.id if target.request else None,
                comment_id=target.comment.id if target.comment else None,
            )
        _changed(session, row)
        return view_of(row, target.project.name if target.project else "")


def _changed(session: AsyncSession, row: File) -> None:
    events.publish(session, events.FilesChanged(row.org_id, row.client_id, row.project_id, internal=not row.shared))


async def load_file(session: AsyncSession, actor: Actor, file_id: uuid.UUID | str, *, for_update: bool = False) -> File:
    statement = select(File).where(File.id == parse_id(file_id, NOT_FOUND), *visible(actor, File))
    found = await session.scalar(statement.with_for_update() if for_update else statement)
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


async def get_file(actor: Actor, file_id: uuid.UUID | str) -> FileView:
    async with unit_of_work(actor) as session:
        row = await load_file(session, actor, file_id)
        project = await session.get(Project, row.project_id) if row.project_id else None
        return view_of(row, project.name if project else "")


def _upload_only(row: File) -> None:
    if row.kind in DOCUMENT_KINDS:
        raise Invalid("This is a document Portico made: share, unshare or regenerate it under Documents.", "file")
    if row.kind != FileKind.upload:
        raise Invalid("This file is a version of a deliverable: manage it on the deliverable.", "file")


def _shareable(row: File) -> None:
    if row.kind not in LISTED_KINDS:
        raise Invalid("This file is a version of a deliverable: manage it on the deliverable.", "file")


async def set_shared(actor: Actor, file_id: uuid.UUID | str, shared: bool) -> FileView:
    """Show a staff upload to the client, or hide it again. A contact's own upload stays visible to its client."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        row = await load_file(session, actor, file_id, for_update=True)
        _shareable(row)
        if row.uploaded_by_contact_id is not None and not shared:
            raise Invalid("The client uploaded this file, so it stays visible to them.", "shared")
        if row.shared != shared:
            row.shared = shared
            audit.record(
                session,
                actor,
                "file.shared" if shared else "file.unshared",
                target_type="file",
                target_id=row.id,
                target_label=row.name,
            )
            # the portal hears of it: a file appears in its list, or goes from it
            events.publish(session, events.FilesChanged(row.org_id, row.client_id, row.project_id))
        project = await session.get(Project, row.project_id) if row.project_id else None
        return view_of(row, project.name if project else "")


async def rename(actor: Actor, file_id: uuid.UUID | str, name: str) -> FileView:
    require_staff(actor)
    if not (name or "").strip():
        raise Invalid("Enter a file name.", "name")
    new_name = uploads.clean_name(name)
    async with unit_of_work(actor) as session:
        row = await load_file(session, actor, file_id, for_update=True)
        _upload_only(row)
        if row.name != new_name:
            audit.record(
                session,
                actor,
                "file.renamed",
                target_type="file",
                target_id=row.id,
                target_label=new_name,
                detail={"from": row.name},
            )
            row.name = new_name
            _changed(session, row)
        project = await session.get(Project, row.project_id) if row.project_id else None
        return view_of(row, project.name if project else "")


async def delete(actor: Actor, file_id: uuid.UUID | str) -> None:
    """Remove the row and its bytes together: if the store cannot delete, the row stays and the user is told."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        row = await load_file(session, actor, file_id, for_update=True)
        _upload_only(row)
        audit.record(
            session,
            actor,
            "file.deleted",
            target_type="file",
            target_id=row.id,
            target_label=row.name,
            detail={"sha256": row.sha256, "size": row.size},
        )
        _changed(session, row)
        await session.delete(row)
        await session.flush()
        await uploads.remove(row.storage_key)  # raises (and the row stays) while the store is down


@dataclass(frozen=True, slots=True)
class Download:
    """What a download route needs to send a file: the bytes' key and how to present them."""

    name: str
    content_type: str
    size: int
    key: str

    @property
    def previewable(self) -> bool:
        return self.content_type in file_types.INLINE


async def open_download(actor: Actor, file_id: uuid.UUID | str) -> Download:
    """The file if the actor may see it (the same check as the pages), else NotFound: unseen files do not exist."""
    async with unit_of_work(actor) as session:
        row = await load_file(session, actor, file_id)
        return Download(row.name, row.content_type, row.size, row.storage_key)


def _where(actor: Actor, *conditions: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    return [*visible(actor, File), *conditions]


async def list_files(
    actor: Actor,
    *,
    client_id: uuid.UUID | str | None = None,
    project_id: uuid.UUID | str | None = None,
    request_id: uuid.UUID | str | None = None,
    kinds: tuple[FileKind, ...] = LISTED_KINDS,
    limit: int = 50,
    offset: int = 0,
) -> Page[FileView]:
    """Files newest first, of a client (the portal: its own), a project or a request; a page of them and the total.

    The portal sees only what is shared with it (its contacts' uploads included), by the scoping hook and here."""
    limit, offset = page_window(limit, offset)
    conditions: list[ColumnElement[bool]] = [File.kind.in_(kinds)]
    if request_id is not None:
        conditions.append(File.request_id == parse_id(request_id, "Request not found"))
    elif project_id is not None:
        conditions.append(File.project_id == parse_id(project_id, "Project not found"))
    elif client_id is not None:
        conditions.append(File.client_id == parse_id(client_id, "Client not found"))
    elif not isinstance(actor, PortalActor):
        raise Invalid("Name a client, a project or a request.", "client_id")
    where = _where(actor, *conditions)
    async with unit_of_work(actor) as session:
        total = await session.scalar(select(func.count()).select_from(File).where(*where)) or 0
        rows = await session.execute(
            select(File, Project.name)
            .outerjoin(Project, Project.id == File.project_id)
            .where(*where)
            .order_by(File.created_at.desc(), File.id)
            .limit(limit)
            .offset(offset)
        )
        return Page([view_of(f, name or "") for f, name in rows], total, limit, offset)


async def files_of_comments(
    session: AsyncSession, actor: Actor, comment_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[FileView]]:
    """The files attached to each of these comments (one query), for a discussion to list under each comment."""
    if not comment_ids:
        return {}
    rows = await session.scalars(
        select(File).where(*_where(actor, File.comment_id.in_(comment_ids))).order_by(File.created_at, File.id)
    )
    attached: dict[uuid.UUID, list[FileView]] = {}
    for row in rows:
        attached.setdefault(row.comment_id, []).append(view_of(row))  # type: ignore[arg-type]
    return attached
