"""What a client's contact sees first on the portal's Home: what they owe, what is due next, what is open, what is new.

One unit of work, a fixed number of small indexed statements whatever the client holds: the balances per
currency, the next invoice to pay, the open requests (a few and their count), the latest public updates, and in
one statement the deliverables waiting for the client's decision and the latest files shared with it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from models.collaboration import RequestStatus, Update, WorkRequest
from models.files import Deliverable, DeliverableStatus, File
from models.invoices import Invoice
from models.projects import Project
from services.billing.invoice_listing import Balance, balances_in
from services.billing.invoice_views import OPEN_STATUSES
from services.billing.invoices import visible_invoices
from services.core import clock
from services.core.actors import PortalActor
from services.core.db import unit_of_work
from services.core.errors import NotFound
from services.core.scoping import visible
from services.files.files import LISTED_KINDS

OPEN_REQUESTS_SHOWN = 5
UPDATES_SHOWN = 3
REVIEWS_SHOWN = 5
FILES_SHOWN = 3


@dataclass(frozen=True, slots=True)
class DueInvoice:
    id: uuid.UUID
    number: str
    due_date: date
    currency: str
    amount_due_minor: int
    overdue: bool


@dataclass(frozen=True, slots=True)
class OpenRequest:
    id: uuid.UUID
    project_id: uuid.UUID
    project_name: str
    title: str
    status: RequestStatus


@dataclass(frozen=True, slots=True)
class RecentUpdate:
    project_id: uuid.UUID
    project_name: str
    author_name: str
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AwaitingReview:
    """A deliverable sent for review that waits for the client's decision."""

    id: uuid.UUID
    title: str
    version: int
    project_id: uuid.UUID
    project_name: str
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class RecentFile:
    id: uuid.UUID
    name: str
    size: int
    project_id: uuid.UUID | None
    project_name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ClientOverview:
    balances: list[Balance]
    next_due: DueInvoice | None
    open_requests: list[OpenRequest]
    open_request_count: int
    updates: list[RecentUpdate]
    reviews: list[AwaitingReview]
    files: list[RecentFile]
    any_invoices: bool  # so a client who paid everything reads "all paid up", one who never had one nothing

    @property
    def owes(self) -> bool:
        return any(b.outstanding_minor for b in self.balances)


async def overview(actor: PortalActor) -> ClientOverview:
    """The Home page's figures and lists for the signed-in contact's client; another client's rows never match."""
    if not isinstance(actor, PortalActor):
        raise NotFound()  # a portal page's summary: staff have their own Home
    today = clock.now().date()
    due = Invoice.total_minor - Invoice.amount_paid_minor
    async with unit_of_work(actor) as session:
        balances = await balances_in(session, actor)
        any_invoices = bool(balances) or (
            await session.scalar(select(Invoice.id).where(*visible_invoices(actor)).limit(1)) is not None
        )
        next_row = (
            await session.execute(
                select(Invoice.id, Invoice.number, Invoice.due_date, Invoice.currency, due)
                .where(*visible_invoices(actor), Invoice.status.in_(OPEN_STATUSES), due > 0)
                .order_by(Invoice.due_date, Invoice.number)
                .limit(1)
            )
        ).first()
        count = func.count().over()
        requests = (
            await session.execute(
                select(
                    WorkRequest.id, WorkRequest.project_id, Project.name, WorkRequest.title, WorkRequest.status, count
                )
                .join(Project, Project.id == WorkRequest.project_id)
                .where(*visible(actor, WorkRequest), WorkRequest.status != RequestStatus.done)
                .order_by(WorkRequest.updated_at.desc(), WorkRequest.id)
                .limit(OPEN_REQUESTS_SHOWN)
            )
        ).all()
        updates = await session.execute(
            select(Update.project_id, Project.name, Update.author_name, Update.body, Update.created_at)
            .join(Project, Project.id == Update.project_id)
            .where(*visible(actor, Update), Update.request_id.is_(None))
            .order_by(Update.created_at.desc(), Update.id)
            .limit(UPDATES_SHOWN)
        )
        recent = [RecentUpdate(*row) for row in updates]
        reviews, files = await _reviews_and_files(session, actor)
    next_due = None
    if next_row is not None:
        invoice_id, number, due_date, currency, amount = next_row
        next_due = DueInvoice(invoice_id, number, due_date, currency, int(amount), due_date < today)
    return ClientOverview(
        balances=balances,
        next_due=next_due,
        open_requests=[OpenRequest(*row[:5]) for row in requests],
        open_request_count=int(requests[0][5]) if requests else 0,
        updates=recent,
        reviews=reviews,
        files=files,
        any_invoices=any_invoices,
    )


async def _reviews_and_files(
    session: AsyncSession, actor: PortalActor
) -> tuple[list[AwaitingReview], list[RecentFile]]:
    """Deliverables in review and the latest shared files, in one statement (Home stays within its budget)."""
    waiting = (
        select(
            literal("review").label("kind"),
            Deliverable.id,
            Deliverable.title.label("name"),
            Deliverable.version.label("number"),
            Deliverable.project_id,
            Project.name.label("project_name"),
            Deliverable.updated_at.label("at"),
        )
        .join(Project, Project.id == Deliverable.project_id)
        .where(*visible(actor, Deliverable), Deliverable.status == DeliverableStatus.in_review)
        .order_by(Deliverable.updated_at.desc(), Deliverable.id)
        .limit(REVIEWS_SHOWN)
        .subquery()
    )
    shared = (
        select(
            literal("file").label("kind"),
            File.id,
            File.name,
            File.size.label("number"),
            File.project_id,
            func.coalesce(Project.name, "").label("project_name"),
            File.created_at.label("at"),
        )
        .outerjoin(Project, Project.id == File.project_id)
        .where(*visible(actor, File), File.kind.in_(LISTED_KINDS))
        .order_by(File.created_at.desc(), File.id)
        .limit(FILES_SHOWN)
        .subquery()
    )
    rows = await session.execute(union_all(select(waiting), select(shared)))
    reviews: list[AwaitingReview] = []
    files: list[RecentFile] = []
    for kind, key, name, number, project_id, project_name, at in rows:
        if kind == "review":
            reviews.append(AwaitingReview(key, name, int(number), project_id, project_name, at))
        else:
            files.append(RecentFile(key, name, int(number), project_id, project_name, at))
    reviews.sort(key=lambda r: r.sent_at, reverse=True)
    files.sort(key=lambda f: f.created_at, reverse=True)
    return reviews, files
