"""The `documents` job: makes each owed document once, stores it as a file of the project, and tells the client.

A request is claimed by a conditional UPDATE (pending and due, or working with its claim run out), so two runs
at once, in one process or two, never make the same document twice. The PDF is drawn and stored outside any
transaction; the file row, the request marked done and the announcement (a public update in the project's feed
and a mail to each contact who wants project news) are one transaction, which only the run still holding the
claim may commit. A run cut short leaves the request to be claimed again once its claim runs out; the object it
may have stored is named after the attempt, and the next attempt removes it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.collaboration import Update, Visibility
from models.documents import DocumentKind, DocumentRequest, DocumentStatus
from models.files import File, FileKind
from models.organizations import Organization
from models.projects import Project
from services.adapters import storage
from services.core import audit, clock, config, events
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import NotFound
from services.core.woken import WokenWorker
from services.documents import content, wording
from services.mail import layout
from services.projects import notifications

log = logging.getLogger("portico.documents")

MAKER = SystemActor(label="documents")
BATCH = 20
CLAIM = timedelta(minutes=5)  # far longer than drawing and storing one document takes
MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=1)
MAX_DOCUMENT = 64 * 1024 * 1024  # a document's bytes at most: a guard, never reached by honest content
_worker = WokenWorker("documents")


@dataclass(frozen=True, slots=True)
class Claim:
    request_id: uuid.UUID
    org_id: uuid.UUID
    client_id: uuid.UUID
    project_id: uuid.UUID
    kind: DocumentKind
    milestone_id: uuid.UUID | None
    file_id: uuid.UUID
    attempt: int
    announce: bool

    def key(self, attempt: int | None = None) -> str:
        """Where this attempt's bytes go: a retried attempt never overwrites bytes a committed row points at."""
        return f"{storage.object_key(self.org_id, self.client_id, self.file_id)}.{attempt or self.attempt}"


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(DocumentRequest.status == DocumentStatus.pending, DocumentRequest.due_at <= now),
        and_(DocumentRequest.status == DocumentStatus.working, DocumentRequest.claimed_until < now),
    )


async def make_due(limit: int = BATCH, now: datetime | None = None) -> int:
    """Make what is owed and due; how many documents were made."""
    now = now or clock.now()
    async with unit_of_work(MAKER) as session:
        ids = list(
            await session.scalars(
                select(DocumentRequest.id).where(_claimable(now)).order_by(DocumentRequest.due_at).limit(limit)
            )
        )
    made = 0
    for request_id in ids:
        claim = await _claim(request_id, now)
        if claim is not None:
            made += await _make(claim)
    return made


async def _claim(request_id: uuid.UUID, now: datetime) -> Claim | None:
    async with unit_of_work(MAKER) as session:
        row = (
            await session.execute(
                update(DocumentRequest)
                .where(DocumentRequest.id == request_id, _claimable(now))
                .values(
                    status=DocumentStatus.working,
                    claimed_until=now + CLAIM,
                    attempts=DocumentRequest.attempts + 1,
                    file_id=func.coalesce(DocumentRequest.file_id, literal(uuid.uuid4(), File.__table__.c.id.type)),
                )
                .returning(
                    DocumentRequest.org_id,
                    DocumentRequest.client_id,
                    DocumentRequest.project_id,
                    DocumentRequest.kind,
                    DocumentRequest.milestone_id,
                    DocumentRequest.file_id,
                    DocumentRequest.attempts,
                    DocumentRequest.announce,
                    DocumentRequest.requested_by_user_id,
                )
                .execution_options(synchronize_session=False)
            )
        ).first()
        if row is None:
            return None  # another run has it, or made it
        org_id, client_id, project_id, kind, milestone_id, file_id, attempt, announce, asked_by = row
        assert file_id is not None  # set by this very statement
        claim = Claim(request_id, org_id, client_id, project_id, kind, milestone_id, file_id, attempt, announce)
        # A kind turned off is not made on its events; staff asking for one by hand still get it.
        if asked_by is None and not (await wording.wording_in(session, claim.org_id, claim.kind)).enabled:
            await session.execute(
                update(DocumentRequest)
                .where(DocumentRequest.id == request_id)
                .values(status=DocumentStatus.skipped, claimed_until=None, done_at=now)
                .execution_options(synchronize_session=False)
            )
            return None
        return claim


async def _make(claim: Claim) -> int:
    if claim.attempt > 1:  # what an attempt cut short may have stored (not the bytes a committed row points at)
        await _discard(claim, claim.key(claim.attempt - 1))
    try:
        async with unit_of_work(SystemActor(org_id=claim.org_id, label="documents")) as session:
            gathered = await content.gather(session, claim.project_id, claim.kind, claim.milestone_id)
        # Imported when a document is drawn: reportlab costs every start of `serve` otherwise.
        from services.documents.document_pdf import render_document

        data = await asyncio.to_thread(render_document, gathered)
        stored = await storage.get().write(claim.key(), _one_chunk(data), max_size=MAX_DOCUMENT)
    except NotFound:  # the project or the milestone went meanwhile: nothing is owed any more
        await _give_up(claim, "Its project or milestone was deleted.", final=True)
        return 0
    except Exception as exc:
        log.exception("making the %s document of project %s failed", claim.kind, claim.project_id)
        await _discard(claim, claim.key())
        await _give_up(claim, f"{type(exc).__name__}: {exc}"[:400], final=claim.attempt >= MAX_ATTEMPTS)
        return 0
    name = content.file_name(claim.kind, gathered.project_name, gathered.milestone.title if gathered.milestone else "")
    replaced = await _record(claim, name, stored, gathered)
    if replaced is None:
        await _discard(claim, claim.key())  # the claim ran out and another run took over: its bytes stand
        return 0
    if replaced and replaced != claim.key():
        await _discard(claim, replaced)
    return 1


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _discard(claim: Claim, key: str) -> None:
    try:
        await storage.get().delete(key)
    except Exception:  # left behind; logged with its key so it can be found
        log.warning("could not remove %s", key, exc_info=True)


async def _give_up(claim: Claim, problem: str, *, final: bool) -> None:
    async with unit_of_work(MAKER) as session:
        await session.execute(
            update(DocumentRequest)
            .where(DocumentRequest.id == claim.request_id, DocumentRequest.attempts == claim.attempt)
            .values(
                status=DocumentStatus.failed if final else DocumentStatus.pending,
                due_at=clock.now() + RETRY_AFTER * claim.attempt,
                claimed_until=None,
                error=problem,
            )
            .execution_options(synchronize_session=False)
        )


async def _record(claim: Claim, name: str, stored: storage.Stored, gathered: content.DocumentContent) -> str | None:
    """The file row and the request done, in one transaction, if this run still holds the claim. Returns the key
    of the bytes the file pointed at before ("" for a new file), or None when the claim was lost."""
    now = clock.now()
    async with unit_of_work(SystemActor(org_id=claim.org_id, label="documents")) as session:
        finished = await session.execute(
            update(DocumentRequest)
            .where(
                DocumentRequest.id == claim.request_id,
                DocumentRequest.status == DocumentStatus.working,
                DocumentRequest.attempts == claim.attempt,
            )
            .values(status=DocumentStatus.done, done_at=now, claimed_until=None, error="", announce=False)
            .execution_options(synchronize_session=False)
        )
        if finished.rowcount != 1:  # type: ignore[attr-defined]
            return None
        project = await session.get(Project, claim.project_id)
        org = await session.get(Organization, claim.org_id)
        if project is None or org is None:
            return None
        row = await session.get(File, claim.file_id)
        before = ""
        if row is None:
            row = File(
                id=claim.file_id,
                org_id=claim.org_id,
                client_id=claim.client_id,
                project_id=claim.project_id,
                kind=FileKind(claim.kind.value),
                shared=True,
                uploader_name=org.name,
                created_at=now,
            )
            session.add(row)
        else:
            before = row.storage_key
        row.name, row.size, row.sha256 = name, stored.size, stored.sha256
        row.content_type, row.storage_key = "application/pdf", claim.key()
        await session.flush()
        audit.record(
            session,
            MAKER,
            "document.made" if not before else "document.remade",
            org_id=claim.org_id,
            target_type="file",
            target_id=row.id,
            target_label=name,
            detail={"kind": claim.kind.value, "project": project.name, "sha256": stored.sha256},
        )
        if claim.announce and row.shared:
            await _announce(session, org, project, row, gathered)
        events.publish(session, events.FilesChanged(claim.org_id, claim.client_id, claim.project_id))
        events.publish(session, events.DocumentsChanged(claim.org_id, claim.project_id))
        return before


def _news(gathered: content.DocumentContent, name: str) -> str:
    if gathered.kind == DocumentKind.progress and gathered.milestone is not None:
        return f"Milestone “{gathered.milestone.title}” is done. Your progress report is in Files: {name}"
    if gathered.kind == DocumentKind.completion:
        return f"{gathered.project_name} is complete. Your certificate of completion is in Files: {name}"
    return f"Welcome to {gathered.project_name}! Your welcome packet is in Files: {name}"


async def _announce(
    session: AsyncSession, org: Organization, project: Project, row: File, gathered: content.DocumentContent
) -> None:
    """A public update in the project's feed, and a mail to each contact who wants project news. (The update is
    not also queued for the digest: the mail already says it.)"""
    news = _news(gathered, row.name)
    session.add(
        Update(
            org_id=org.id,
            client_id=project.client_id,
            project_id=project.id,
            body=news,
            visibility=Visibility.public,
            author_name=org.name,
            created_at=clock.now(),
        )
    )
    events.publish(session, events.ProjectActivity(org.id, project.client_id, project.id, internal=False))
    if not org.portal_enabled:
        return
    files_page = f"{config.get().base_url}/portal/{org.slug}/files"
    blocks: list[layout.Block] = [news, "Sign in to your portal to open it:", layout.Button("Open Files", files_page)]
    subject = f"{project.name}: {gathered.label.lower()} from {org.name}"
    for contact in await notifications.wanting_project_news(session, project):
        notifications.queue_news_mail(session, org, contact, subject, blocks)


# --- the worker inside `serve` -------------------------------------------------------------------------------------


def _on_event(item: object) -> None:
    if isinstance(item, events.DocumentsOwed):
        _worker.wake()


events.subscribe(_on_event)


async def make_all_due() -> int:
    """Every document due, a batch at a time (`run-job documents`, and each pass of the worker)."""
    made = 0
    while (batch := await make_due()) == BATCH:
        made += batch
    return made + batch


async def run_worker(stop: asyncio.Event, idle_seconds: float = 30.0) -> None:
    """Make documents at once when one is owed (in this process or another), and every `idle_seconds` anyway."""
    await _worker.run(make_all_due, stop, idle_seconds)
