"""What a document says, gathered from the database as plain values before any drawing starts.

Everything here is what the client may see in the portal: milestones, requests, approved hours and the budget
in hours, the project lead and the organization's support address. No rate, no cost, no internal update or
comment, no hours waiting for approval: the dataclasses have no field for them, and the queries read approved
time only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Client
from models.collaboration import Milestone, RequestStatus, WorkRequest
from models.documents import DocumentKind, DocumentRequest, DocumentStatus
from models.organizations import Organization
from models.projects import Project
from models.staff import StaffUser
from models.time import TimeEntry, TimeStatus
from services.core import clock, config
from services.core.errors import NotFound
from services.core.formatting import Formats
from services.documents import wording
from services.documents.wording import Wording

LISTED = 30  # milestones or requests a document lists at most; the portal has them all


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    accent: str
    address: str
    support_email: str
    page_size: str
    portal_url: str
    logo: bytes | None


@dataclass(frozen=True, slots=True)
class MilestoneLine:
    title: str
    due: date | None
    done_on: date | None


@dataclass(frozen=True, slots=True)
class RequestLine:
    title: str
    status: RequestStatus


@dataclass(frozen=True, slots=True)
class Hours:
    used_minutes: int  # approved, all time
    budget_minutes: int | None


@dataclass(frozen=True, slots=True)
class DocumentContent:
    kind: DocumentKind
    wording: Wording  # filled in with the project's, client's and organization's names
    brand: Brand
    formats: Formats
    client_name: str
    project_name: str
    lead_name: str
    lead_email: str
    start_date: date | None
    due_date: date | None
    made_on: date
    milestones: tuple[MilestoneLine, ...]  # all of the project's, in order (at most LISTED)
    milestone: MilestoneLine | None  # a progress report's own milestone
    done_since: tuple[RequestLine, ...]  # requests done since the last report (a progress report)
    open_requests: tuple[RequestLine, ...]
    hours: Hours | None  # when the project tracks time or has a budget
    completed_milestones: int
    total_milestones: int

    @property
    def label(self) -> str:
        return wording.LABELS[self.kind]


def file_name(kind: DocumentKind, project_name: str, milestone_title: str = "") -> str:
    """The document's name in Files: what it is and what it is about, safe as a file name."""
    about = f"{project_name} – {milestone_title}" if milestone_title else project_name
    cleaned = "".join(c if c.isprintable() and c not in '\\/:*?"<>|' else " " for c in about)
    return f"{wording.LABELS[kind]} – {' '.join(cleaned.split())[:150]}.pdf"


async def gather(
    session: AsyncSession, project_id: uuid.UUID, kind: DocumentKind, milestone_id: uuid.UUID | None
) -> DocumentContent:
    """The document of `kind` for the project as it stands now (the session may be staff's or the system's)."""
    project = await session.get(Project, project_id)
    if project is None:
        raise NotFound("Project not found")
    org = await session.get(Organization, project.org_id)
    client = await session.get(Client, project.client_id)
    assert org is not None and client is not None
    logo = await session.scalar(select(Organization.logo).where(Organization.id == org.id))
    formats = Formats(org.locale, org.timezone)
    lead = await session.get(StaffUser, project.lead_user_id) if project.lead_user_id else None
    milestones = list(
        await session.scalars(
            select(Milestone)
            .where(Milestone.project_id == project.id)
            .order_by(Milestone.due_date.is_(None), Milestone.due_date, Milestone.created_at, Milestone.id)
        )
    )
    own = next((m for m in milestones if m.id == milestone_id), None) if milestone_id else None
    if kind == DocumentKind.progress and own is None:
        raise NotFound("Milestone not found")
    requests = list(
        await session.execute(
            select(WorkRequest.title, WorkRequest.status, WorkRequest.updated_at)
            .where(WorkRequest.project_id == project.id)
            .order_by(WorkRequest.status, WorkRequest.position, WorkRequest.created_at)
        )
    )
    since = await _last_report_at(session, project, milestone_id) if kind == DocumentKind.progress else None
    done_since = [
        RequestLine(title, status)
        for title, status, updated in requests
        if status == RequestStatus.done and (since is None or updated >= since)
    ]
    open_requests = [RequestLine(title, status) for title, status, _ in requests if status != RequestStatus.done]
    used = await session.scalar(
        select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
            TimeEntry.project_id == project.id, TimeEntry.status == TimeStatus.approved
        )
    )
    hours = Hours(int(used or 0), project.budget_minutes) if used or project.budget_minutes else None
    words = await wording.wording_in(session, org.id, kind)
    return DocumentContent(
        kind=kind,
        wording=words.filled(project=project.name, client=client.name, organization=org.name),
        brand=Brand(
            org.name,
            org.accent_color,
            org.address,
            org.support_email,
            org.page_size,
            f"{config.get().base_url}/portal/{org.slug}/",
            logo,
        ),
        formats=formats,
        client_name=client.name,
        project_name=project.name,
        lead_name=lead.name if lead else "",
        lead_email=lead.email if lead else "",
        start_date=project.start_date,
        due_date=project.due_date,
        made_on=formats.local(clock.now()).date(),
        milestones=tuple(_line(m, formats) for m in milestones[:LISTED]),
        milestone=_line(own, formats) if own else None,
        done_since=tuple(done_since[:LISTED]),
        open_requests=tuple(open_requests[:LISTED]),
        hours=hours,
        completed_milestones=sum(1 for m in milestones if m.done),
        total_milestones=len(milestones),
    )


def _line(m: Milestone, formats: Formats) -> MilestoneLine:
    return MilestoneLine(m.title, m.due_date, formats.local(m.done_at).date() if m.done and m.done_at else None)


async def _last_report_at(session: AsyncSession, project: Project, milestone_id: uuid.UUID | None) -> datetime:
    """Since when a progress report tells what was done: the previous report's making, else the project's start."""
    previous = await session.scalar(
        select(func.max(DocumentRequest.done_at)).where(
            DocumentRequest.project_id == project.id,
            DocumentRequest.kind == DocumentKind.progress,
            DocumentRequest.status == DocumentStatus.done,
            DocumentRequest.milestone_id.is_distinct_from(milestone_id),
        )
    )
    return previous or project.created_at
