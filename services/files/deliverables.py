"""Deliverables: a titled file on a project, reviewed by the client version by version until one is approved.

Staff upload version 1 (a draft the client does not see) and "Send for review": the project's portal contacts
are mailed and the portal shows it with "Approve" and "Request changes". A new version of a deliverable the
client has seen goes straight back to review; earlier versions stay readable. A decision names the version the
contact looked at, so nobody approves a version they have not seen. Approval keeps the evidence (contact, time,
IP, user agent, the version and its SHA-256), locks the deliverable, ticks its milestone and mails the lead.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Contact
from models.collaboration import Milestone
from models.files import Approval, Decision, Deliverable, DeliverableStatus, DeliverableVersion, File, FileKind
from models.inbox import InboxKind
from models.organizations import Organization
from models.projects import Project
from services.core import audit, clock, config, events
from services.core.actors import Actor, PortalActor, StaffActor, require_staff
from services.core.common import LONG_TEXT_LINES, optional_text, parse_id, required_text
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid, NotFound
from services.core.scoping import visible
from services.files import uploads
from services.files.files import limits_for
from services.mail import layout, outbox
from services.projects import discussion, inbox
from services.projects.discussion import author_of
from services.projects.projects import load_project

NOT_FOUND = "Deliverable not found"
MAX_COMMENT = 4000
STATUS_LABELS = {
    DeliverableStatus.draft: "Draft",
    DeliverableStatus.in_review: "In review",
    DeliverableStatus.changes_requested: "Changes requested",
    DeliverableStatus.approved: "Approved",
}


@dataclass(frozen=True, slots=True)
class VersionView:
    id: uuid.UUID
    number: int
    file_id: uuid.UUID
    file_name: str
    size: int
    content_type: str
    sha256: str
    created_by_name: str
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class DecisionView:
    """A contact's decision on a version, with its evidence."""

    id: uuid.UUID
    decision: Decision
    version_number: int
    comment: str
    contact_name: str
    contact_email: str
    decided_at: datetime
    ip: str
    user_agent: str
    file_name: str
    sha256: str


@dataclass(frozen=True, slots=True)
class DeliverableView:
    id: uuid.UUID
    org_id: uuid.UUID
    client_id: uuid.UUID
    project_id: uuid.UUID
    project_name: str
    title: str
    status: DeliverableStatus
    version: int  # the latest version this actor sees
    milestone_id: uuid.UUID | None
    milestone_title: str
    created_at: datetime
    updated_at: datetime
    versions: tuple[VersionView, ...]  # newest first, as this actor sees them (the portal: sent ones only)
    decisions: tuple[DecisionView, ...]  # newest first

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def latest(self) -> VersionView | None:
        return self.versions[0] if self.versions else None

    @property
    def approval(self) -> DecisionView | None:
        if self.status != DeliverableStatus.approved:
            return None
        return next((d for d in self.decisions if d.decision == Decision.approved), None)

    @property
    def awaiting_decision(self) -> bool:
        """The client can approve or ask for changes now: in review, on the latest version."""
        return self.status == DeliverableStatus.in_review


@dataclass(frozen=True, slots=True)
class DeliverableRow:
    """A line of a project's list of deliverables."""

    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    status: DeliverableStatus
    version: int
    updated_at: datetime

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


async def load_deliverable(
    session: AsyncSession, actor: Actor, deliverable_id: uuid.UUID | str, *, lock: bool = False
) -> Deliverable:
    statement = select(Deliverable).where(
        Deliverable.id == parse_id(deliverable_id, NOT_FOUND), *visible(actor, Deliverable)
    )
    found = await session.scalar(statement.with_for_update() if lock else statement)
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


async def _view(session: AsyncSession, actor: Actor, row: Deliverable) -> DeliverableView:
    [view] = await _views(session, actor, [row])
    return view


async def _views(session: AsyncSession, actor: Actor, rows: list[Deliverable]) -> list[DeliverableView]:
    """The deliverables with their versions (as this actor sees them) and decisions: four statements, any number."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    versions: dict[uuid.UUID, list[VersionView]] = {i: [] for i in ids}
    for v, f in await session.execute(
        select(DeliverableVersion, File)
        .join(File, File.id == DeliverableVersion.file_id)
        .where(DeliverableVersion.deliverable_id.in_(ids), *visible(actor, DeliverableVersion))
        .order_by(DeliverableVersion.number.desc())
    ):
        versions[v.deliverable_id].append(
            VersionView(
                v.id,
                v.number,
                f.id,
                f.name,
                f.size,
                f.content_type,
                f.sha256,
                v.created_by_name,
                v.created_at,
                v.sent_at,
            )
        )
    decisions: dict[uuid.UUID, list[DecisionView]] = {i: [] for i in ids}
    for a in await session.scalars(
        select(Approval)
        .where(Approval.deliverable_id.in_(ids), *visible(actor, Approval))
        .order_by(Approval.decided_at.desc())
    ):
        decisions[a.deliverable_id].append(
            DecisionView(
                a.id,
                a.decision,
                a.version_number,
                a.comment,
                a.contact_name,
                a.contact_email,
                a.decided_at,
                a.ip,
                a.user_agent,
                a.file_name,
                a.sha256,
            )
        )
    projects = dict(
        (
            await session.execute(select(Project.id, Project.name).where(Project.id.in_({r.project_id for r in rows})))
        ).all()
    )
    milestone_ids = {r.milestone_id for r in rows if r.milestone_id}
    milestones = (
        dict(
            (await session.execute(select(Milestone.id, Milestone.title).where(Milestone.id.in_(milestone_ids)))).all()
        )
        if milestone_ids
        else {}
    )
    return [
        DeliverableView(
            row.id,
            row.org_id,
            row.client_id,
            row.project_id,
            projects.get(row.project_id, ""),
            row.title,
            row.status,
            versions[row.id][0].number if versions[row.id] else row.version,
            row.milestone_id,
            milestones.get(row.milestone_id, "") if row.milestone_id else "",
            row.created_at,
            row.updated_at,
            tuple(versions[row.id]),
            tuple(decisions[row.id]),
        )
        for row in rows
    ]


async def get_deliverable(actor: Actor, deliverable_id: uuid.UUID | str) -> DeliverableView:
    async with unit_of_work(actor) as session:
        return await _view(session, actor, await load_deliverable(session, actor, deliverable_id))


async def list_deliverables(
    actor: Actor, project_id: uuid.UUID | str, *, project_seen: bool = False
) -> list[DeliverableRow]:
    """A project's deliverables, newest first (the portal: those sent for review). A project has tens, not
    thousands; the list is capped all the same. `project_seen`: the caller has just read the project through
    this actor (a page), so it is not read again (one statement; the actor's scoping applies all the same)."""
    async with unit_of_work(actor) as session:
        if project_seen:
            project_key = parse_id(project_id, "Project not found")
        else:
            project_key = (await load_project(session, actor, project_id)).id
        # the latest version each deliverable shows this actor (the portal: the latest sent)
        latest = (
            select(DeliverableVersion.deliverable_id, func.max(DeliverableVersion.number).label("number"))
            .join(Deliverable, Deliverable.id == DeliverableVersion.deliverable_id)
            .where(Deliverable.project_id == project_key, *visible(actor, DeliverableVersion))
            .group_by(DeliverableVersion.deliverable_id)
            .subquery()
        )
        rows = await session.execute(
            select(Deliverable, latest.c.number)
            .join(latest, latest.c.deliverable_id == Deliverable.id)
            .where(Deliverable.project_id == project_key, *visible(actor, Deliverable))
            .order_by(Deliverable.created_at.desc(), Deliverable.id)
            .limit(200)
        )
        return [DeliverableRow(r.id, r.project_id, r.title, r.status, number, r.updated_at) for r, number in rows]


async def project_deliverables(actor: Actor, project_id: uuid.UUID | str) -> list[DeliverableView]:
    """A project's deliverables with their versions and decisions, newest first, in a handful of statements
    however many there are (the staff project page's card). Capped like `list_deliverables`."""
    async with unit_of_work(actor) as session:
        project = await load_project(session, actor, project_id)
        rows = list(
            await session.scalars(
                select(Deliverable)
                .where(Deliverable.project_id == project.id, *visible(actor, Deliverable))
                .order_by(Deliverable.created_at.desc(), Deliverable.id)
                .limit(200)
            )
        )
        return await _views(session, actor, rows)


def _clean_title(title: str) -> str:
    return required_text(title, "title", "Title", 200)


async def _check_milestone(
    session: AsyncSession, project: Project, milestone_id: uuid.UUID | str | None
) -> uuid.UUID | None:
    if milestone_id in (None, ""):
        return None
    found = await session.scalar(
        select(Milestone.id).where(
            Milestone.id == parse_id(milestone_id, "Milestone not found"),
            Milestone.project_id == project.id,
            Milestone.org_id == project.org_id,
        )
    )
    if found is None:
        raise Invalid("Choose a milestone of this project.", "milestone_id")
    return found


async def _author_name(session: AsyncSession, actor: StaffActor) -> str:
    return str((await author_of(session, actor))["author_name"])


def _version_file(project: Project, received: uploads.Received, actor: StaffActor, name: str, *, shared: bool) -> File:
    return File(
        id=received.file_id,
        org_id=project.org_id,
        client_id=project.client_id,
        project_id=project.id,
        kind=FileKind.deliverable,
        name=received.name,
        size=received.size,
        content_type=received.content_type,
        sha256=received.sha256,
        storage_key=received.key,
        shared=shared,
        uploaded_by_user_id=actor.user_id,
        uploader_name=name,
        created_at=clock.now(),
    )


async def _add_version(
    session: AsyncSession,
    row: Deliverable,
    project: Project,
    received: uploads.Received,
    member: StaffActor,
    name: str,
    *,
    sent_at: datetime | None,
) -> None:
    """Version `row.version` of the deliverable: its file (shared with the client once sent) and its row."""
    session.add(_version_file(project, received, member, name, shared=sent_at is not None))
    await session.flush()
    session.add(
        DeliverableVersion(
            org_id=row.org_id,
            client_id=row.client_id,
            deliverable_id=row.id,
            number=row.version,
            file_id=received.file_id,
            created_by_user_id=member.user_id,
            created_by_name=name,
            created_at=clock.now(),
            sent_at=sent_at,
        )
    )


async def create(
    actor: Actor,
    project_id: uuid.UUID | str,
    title: str,
    file_name: str | None,
    chunks: AsyncIterable[bytes],
    *,
    milestone_id: uuid.UUID | str | None = None,
) -> DeliverableView:
    """A new deliverable with its version 1, as a draft the client does not see yet."""
    member = require_staff(actor)
    clean_title = _clean_title(title)
    async with unit_of_work(actor) as session:
        project = await load_project(session, actor, project_id)
        await _check_milestone(session, project, milestone_id)
        limits = await limits_for(session, member.org_id)
    received = await uploads.receive(member.org_id, project.client_id, file_name, chunks, limits)
    try:
        async with unit_of_work(actor) as session:
            project = await load_project(session, actor, project.id)
            milestone = await _check_milestone(session, project, milestone_id)
            name = await _author_name(session, member)
            now = clock.now()
            row = Deliverable(
                org_id=project.org_id,
                client_id=project.client_id,
                project_id=project.id,
                milestone_id=milestone,
                title=clean_title,
                status=DeliverableStatus.draft,
                version=1,
                created_by_user_id=member.user_id,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await _add_version(session, row, project, received, member, name, sent_at=None)
            audit.record(
                session,
                actor,
                "deliverable.created",
                target_type="deliverable",
                target_id=row.id,
                target_label=row.title,
                detail={"file": received.name, "sha256": received.sha256},
            )
            _changed(session, row)
            await session.flush()
            return await _view(session, actor, row)
    except BaseException:
        await uploads.discard(received.key)
        raise


async def add_version(
    actor: Actor, deliverable_id: uuid.UUID | str, file_name: str | None, chunks: AsyncIterable[bytes]
) -> DeliverableView:
    """The next version. A deliverable the client has seen goes back to review with it; an approved one is locked."""
    member = require_staff(actor)
    async with unit_of_work(actor) as session:
        row = await load_deliverable(session, actor, deliverable_id)
        _not_locked(row)
        limits = await limits_for(session, member.org_id)
    received = await uploads.receive(member.org_id, row.client_id, file_name, chunks, limits)
    try:
        async with unit_of_work(actor) as session:
            row = await load_deliverable(session, actor, row.id, lock=True)
            _not_locked(row)  # approved while the bytes streamed
            project = await session.get(Project, row.project_id)
            assert project is not None
            name = await _author_name(session, member)
            review = row.status != DeliverableStatus.draft
            now = clock.now()
            row.version += 1
            row.updated_at = now
            await _add_version(session, row, project, received, member, name, sent_at=now if review else None)
            audit.record(
                session,
                actor,
                "deliverable.version_added",
                target_type="deliverable",
                target_id=row.id,
                target_label=row.title,
                detail={"version": row.version, "file": received.name, "sha256": received.sha256},
            )
            if review:
                row.status = DeliverableStatus.in_review
                await _ask_for_review(session, row, project)
            _changed(session, row)
            await session.flush()
            return await _view(session, actor, row)
    except BaseException:
        await uploads.discard(received.key)
        raise


def _not_locked(row: Deliverable) -> None:
    if row.status == DeliverableStatus.approved:
        raise Conflict("This deliverable is approved, so it is locked: no new versions, no deletion.")


async def send_for_review(actor: Actor, deliverable_id: uuid.UUID | str) -> DeliverableView:
    """Show the latest version to the client and mail the project's portal contacts. Sending again what is in
    review changes nothing; after "Request changes", a new version goes to review by itself."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        row = await load_deliverable(session, actor, deliverable_id, lock=True)
        _not_locked(row)
        if row.status == DeliverableStatus.changes_requested:
            raise Conflict("The client asked for changes: upload a new version, and it goes back to review.")
        if row.status == DeliverableStatus.draft:
            version = await session.scalar(
                select(DeliverableVersion).where(
                    DeliverableVersion.deliverable_id == row.id, DeliverableVersion.number == row.version
                )
            )
            assert version is not None
            now = clock.now()
            version.sent_at = now
            file = await session.get(File, version.file_id)
            assert file is not None
            file.shared = True
            row.status, row.updated_at = DeliverableStatus.in_review, now
            project = await session.get(Project, row.project_id)
            assert project is not None
            audit.record(
                session,
                actor,
                "deliverable.sent",
                target_type="deliverable",
                target_id=row.id,
                target_label=row.title,
                detail={"version": row.version},
            )
            await _ask_for_review(session, row, project)
            _changed(session, row)
        await session.flush()
        return await _view(session, actor, row)


def page_url(org: Organization, deliverable_id: uuid.UUID) -> str:
    return f"{config.get().base_url}/portal/{org.slug}/deliverables/{deliverable_id}"


async def _ask_for_review(session: AsyncSession, row: Deliverable, project: Project) -> None:
    """Mail each active portal contact of the client: the deliverable and its version wait for their decision."""
    org = await session.get(Organization, row.org_id)
    assert org is not None
    contacts = await session.scalars(
        select(Contact).where(
            Contact.org_id == row.org_id,
            Contact.client_id == row.client_id,
            Contact.active.is_(True),
            Contact.portal_enabled.is_(True),
        )
    )
    for contact in contacts:
        mail = layout.compose(
            layout.Branding.of(org),
            contact.name,
            [
                f"{org.name} sent “{row.title}” (version {row.version}) on {project.name} for your review.",
                "Look it over, then approve it or ask for changes:",
                layout.Button("Review the deliverable", page_url(org, row.id)),
            ],
            footer=layout.sender_footer(org),
        )
        outbox.queue(
            session,
            to=contact.email,
            subject=f"Please review: {row.title} (version {row.version})",
            text=mail.text,
            html=mail.html,
            org_id=org.id,
        )


def _changed(session: AsyncSession, row: Deliverable) -> None:
    events.publish(
        session,
        events.ProjectActivity(
            row.org_id, row.client_id, row.project_id, internal=row.status == DeliverableStatus.draft
        ),
    )


def parse_decision(value: object) -> Decision:
    try:
        return Decision(str(value))
    except ValueError:
        raise Invalid('Decision must be "approved" or "changes_requested".', "decision") from None


async def decide(
    actor: Actor,
    deliverable_id: uuid.UUID | str,
    decision: Decision | str,
    *,
    version: int,
    comment: str = "",
    user_agent: str = "",
) -> DeliverableView:
    """A contact approves the version they looked at, or asks for changes (saying which)."""
    if not isinstance(actor, PortalActor):
        raise NotFound(NOT_FOUND)
    choice = parse_decision(decision)
    text = optional_text(comment, "comment", "Comment", MAX_COMMENT, max_lines=LONG_TEXT_LINES)
    if choice == Decision.changes_requested and not text:
        raise Invalid("Say what should change.", "comment")
    async with unit_of_work(actor) as session:
        row = await load_deliverable(session, actor, deliverable_id, lock=True)
        if row.status != DeliverableStatus.in_review:
            raise Conflict(
                f"This deliverable is not waiting for a decision: it is {STATUS_LABELS[row.status].lower()}."
            )
        if version != row.version:
            raise Conflict(f"A newer version was sent: please review version {row.version}.")
        current = await session.scalar(
            select(DeliverableVersion).where(
                DeliverableVersion.deliverable_id == row.id,
                DeliverableVersion.number == row.version,
                *visible(actor, DeliverableVersion),
            )
        )
        file = await session.get(File, current.file_id) if current else None
        contact = await session.get(Contact, actor.contact_id)
        if current is None or file is None or contact is None:
            raise NotFound(NOT_FOUND)
        now = clock.now()
        session.add(
            Approval(
                org_id=row.org_id,
                client_id=row.client_id,
                deliverable_id=row.id,
                version_id=current.id,
                version_number=current.number,
                decision=choice,
                comment=text,
                contact_id=contact.id,
                contact_name=contact.name,
                contact_email=contact.email,
                decided_at=now,
                ip=actor.ip[:45],
                user_agent=(user_agent or "")[:400],
                file_name=file.name,
                sha256=file.sha256,
            )
        )
        row.status = DeliverableStatus.approved if choice == Decision.approved else DeliverableStatus.changes_requested
        row.updated_at = now
        project = await session.get(Project, row.project_id)
        assert project is not None
        audit.record(
            session,
            actor,
            "deliverable.approved" if choice == Decision.approved else "deliverable.changes_requested",
            target_type="deliverable",
            target_id=row.id,
            target_label=row.title,
            detail={"version": current.number, "sha256": file.sha256, "comment": text[:500]},
        )
        if choice == Decision.approved:
            await _tick_milestone(session, actor, row, project)
        said = "approved" if choice == Decision.approved else "asked for changes to"
        inbox.record_in(
            session,
            project,
            InboxKind.decision,
            f"{said.capitalize()} “{row.title}” (version {current.number})" + (f": {text}" if text else ""),
            contact.name or contact.email,
        )
        line = f"{contact.name or contact.email} {said} “{row.title}” (version {current.number}) on {project.name}."
        await discussion.mail_lead(session, project, line, [line, text])
        _changed(session, row)
        await session.flush()
        return await _view(session, actor, row)


async def _tick_milestone(session: AsyncSession, actor: Actor, row: Deliverable, project: Project) -> None:
    if row.milestone_id is None:
        return
    milestone = await session.get(Milestone, row.milestone_id)
    if milestone is None or milestone.done:
        return
    milestone.done, milestone.done_at = True, clock.now()
    audit.record(
        session,
        actor,
        "milestone.done",
        target_type="project",
        target_id=project.id,
        target_label=project.name,
        detail={"title": milestone.title, "by": "deliverable approval"},
    )


async def rename(actor: Actor, deliverable_id: uuid.UUID | str, title: str) -> DeliverableView:
    require_staff(actor)
    clean_title = _clean_title(title)
    async with unit_of_work(actor) as session:
        row = await load_deliverable(session, actor, deliverable_id, lock=True)
        _not_locked(row)
        if row.title != clean_title:
            audit.record(
                session,
                actor,
                "deliverable.renamed",
                target_type="deliverable",
                target_id=row.id,
                target_label=clean_title,
                detail={"from": row.title},
            )
            row.title, row.updated_at = clean_title, clock.now()
            _changed(session, row)
        return await _view(session, actor, row)


async def set_milestone(
    actor: Actor, deliverable_id: uuid.UUID | str, milestone_id: uuid.UUID | str | None
) -> DeliverableView:
    require_staff(actor)
    async with unit_of_work(actor) as session:
        row = await load_deliverable(session, actor, deliverable_id, lock=True)
        _not_locked(row)
        project = await session.get(Project, row.project_id)
        assert project is not None
        row.milestone_id = await _check_milestone(session, project, milestone_id)
        _changed(session, row)
        return await _view(session, actor, row)


async def delete(actor: Actor, deliverable_id: uuid.UUID | str) -> None:
    """Remove a deliverable that is not approved, with every version's bytes; an approved one is the record."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        row = await load_deliverable(session, actor, deliverable_id, lock=True)
        _not_locked(row)
        files = list(
            await session.scalars(
                select(File)
                .join(DeliverableVersion, DeliverableVersion.file_id == File.id)
                .where(DeliverableVersion.deliverable_id == row.id)
            )
        )
        audit.record(
            session,
            actor,
            "deliverable.deleted",
            target_type="deliverable",
            target_id=row.id,
            target_label=row.title,
            detail={"versions": len(files)},
        )
        _changed(session, row)
        await session.delete(row)
        for file in files:
            await session.delete(file)
        await session.flush()
        for file in files:  # raises while the store is down, and the whole deletion is undone
            await uploads.remove(file.storage_key)
