"""Requests: cards on a project's kanban (Backlog, In progress, Done).

Contacts add them from the portal (and through the feedback form, which lands in the project lead's
backlog); staff add, edit, move and assign them. Each new client request mails staff. A card's place is
its column and its position in it; a move renumbers only the two columns it touches, in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Row, Select, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models.clients import Client, Contact
from models.collaboration import Comment, RequestStatus, WorkRequest
from models.inbox import InboxKind
from models.organizations import Organization
from models.projects import Project
from models.staff import StaffUser
from services.clients.clients import load_client
from services.core import audit, clock, config, events
from services.core.actors import Actor, PortalActor, StaffActor, SystemActor, require_staff
from services.core.common import (
    LONG_TEXT_LINES,
    MAX_PAGE_SIZE,
    Page,
    optional_text,
    page_window,
    parse_id,
    required_text,
)
from services.core.db import unit_of_work
from services.core.errors import Invalid, NotFound
from services.core.scoping import visible
from services.mail import layout, outbox
from services.projects import inbox, projects
from services.projects.projects import KEEP, Keep
from services.staff import staff

STATUS_LABELS = {RequestStatus.backlog: "Backlog", RequestStatus.in_progress: "In progress", RequestStatus.done: "Done"}
# the board's order (Backlog, In progress, Done), not the alphabet's
COLUMN_ORDER = case({status: n for n, status in enumerate(RequestStatus)}, value=WorkRequest.status)
MAX_DESCRIPTION = 10_000
BOARD_PAGE = 10  # cards a board column shows at first; "Show more" adds as many again
MAX_BOARD_COLUMN = MAX_PAGE_SIZE  # the most one column shows; the API's pages list them all


@dataclass(frozen=True, slots=True)
class RequestInput:
    title: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class RequestChanges:
    """A partial update: KEEP leaves a field as it is; assignee_user_id None unassigns. A status without a position
    puts the card at the bottom of that column; a position without a status moves it within its column."""

    title: str | Keep = KEEP
    description: str | Keep = KEEP
    status: str | Keep = KEEP
    position: int | Keep = KEEP
    assignee_user_id: uuid.UUID | Keep | None = KEEP


@dataclass(frozen=True, slots=True)
class RequestCard:
    """A card as both sides may see it: no internal discussion, no rates. Staff-only names are blank for the portal."""

    id: uuid.UUID
    project_id: uuid.UUID
    project_name: str
    client_id: uuid.UUID
    title: str
    description: str
    status: RequestStatus
    position: int
    assignee_user_id: uuid.UUID | None
    assignee_name: str
    requester_name: str
    source: str
    comment_count: int  # for the portal: public comments only
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Board:
    """The first cards of each column (`columns`) and how many each column holds in all (`totals`)."""

    columns: dict[RequestStatus, list[RequestCard]]
    totals: dict[RequestStatus, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    def hidden(self, status: RequestStatus) -> int:
        """How many cards of the column are not among the ones shown."""
        return max(self.totals.get(status, 0) - len(self.columns.get(status, [])), 0)


ColumnLimits = Mapping[RequestStatus, int]  # cards to show per column; a column not named shows BOARD_PAGE


def one_more_page(limits: ColumnLimits, column: str) -> dict[RequestStatus, int]:
    """`limits` with the column named `column` (a status value) showing BOARD_PAGE more cards: "Show more"."""
    status = parse_status(column)
    return {**limits, status: limits.get(status, BOARD_PAGE) + BOARD_PAGE}


def column_limits(wanted: ColumnLimits | None = None) -> dict[RequestStatus, int]:
    """Every column's limit, each clamped to 1..MAX_BOARD_COLUMN."""
    wanted = wanted or {}
    return {status: min(max(int(wanted.get(status, BOARD_PAGE)), 1), MAX_BOARD_COLUMN) for status in RequestStatus}


def parse_status(value: object) -> RequestStatus:
    try:
        return RequestStatus(str(value))
    except ValueError:
        raise Invalid("Status must be one of: backlog, in_progress, done.", "status") from None


async def load_request(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID | str, *, for_update: bool = False
) -> WorkRequest:
    """The request row if the actor may see it, else NotFound; `for_update` locks it until the transaction ends."""
    statement = select(WorkRequest).where(
        WorkRequest.id == parse_id(request_id, "Request not found"), *visible(actor, WorkRequest)
    )
    found = await session.scalar(statement.with_for_update() if for_update else statement)
    if found is None:
        raise NotFound("Request not found")
    return found


CARD_ORDER = (WorkRequest.position, WorkRequest.created_at, WorkRequest.id)  # within a column


def _card_query(actor: Actor, *conditions: ColumnElement[bool]) -> Select:
    """Cards in board order, with their names and comment counts, in one query. Staff names only for staff:
    a portal actor's query does not even join the staff table."""
    comments = (
        select(func.count())
        .where(Comment.request_id == WorkRequest.id, *visible(actor, Comment))
        .correlate(WorkRequest)
        .scalar_subquery()
    )
    statement = (
        select(WorkRequest, Project.name, Contact.name, comments)
        .join(Project, Project.id == WorkRequest.project_id)
        .outerjoin(Contact, Contact.id == WorkRequest.requester_contact_id)
        .where(*visible(actor, WorkRequest), *conditions)
        .order_by(COLUMN_ORDER, *CARD_ORDER)
    )
    if isinstance(actor, StaffActor):
        assignee, requester = aliased(StaffUser), aliased(StaffUser)
        statement = (
            statement.add_columns(assignee.name, requester.name)
            .outerjoin(assignee, assignee.id == WorkRequest.assignee_user_id)
            .outerjoin(requester, requester.id == WorkRequest.requester_user_id)
        )
    return statement


def _card(row: Row, staff_view: bool) -> RequestCard:
    item, project_name, contact_name, comment_count = row[0], row[1], row[2], row[3]
    assignee_name, staff_requester = (row[4], row[5]) if staff_view else ("", "")
    return RequestCard(
        id=item.id,
        project_id=item.project_id,
        project_name=project_name,
        client_id=item.client_id,
        title=item.title,
        description=item.description,
        status=item.status,
        position=item.position,
        assignee_user_id=item.assignee_user_id if staff_view else None,
        assignee_name=assignee_name or "",
        requester_name=contact_name or staff_requester or ("The team" if item.requester_user_id else ""),
        source=item.source,
        comment_count=comment_count or 0,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


async def _cards(
    session: AsyncSession, actor: Actor, *conditions: ColumnElement[bool], limit: int, offset: int = 0
) -> list[RequestCard]:
    statement = _card_query(actor, *conditions).limit(limit).offset(offset)
    staff_view = isinstance(actor, StaffActor)
    return [_card(row, staff_view) for row in await session.execute(statement)]


async def board_of(
    session: AsyncSession, actor: Actor, condition: ColumnElement[bool], limits: ColumnLimits | None = None
) -> Board:
    """The first cards of each column and each column's count, in one query: a window numbers the cards of each
    column in board order and counts them, and only those numbered within their column's limit are loaded."""
    shown = column_limits(limits)
    ranked = (
        select(
            WorkRequest.id.label("id"),
            func.row_number().over(partition_by=WorkRequest.status, order_by=CARD_ORDER).label("place"),
            func.count().over(partition_by=WorkRequest.status).label("in_column"),
        )
        .where(*visible(actor, WorkRequest), condition)
        .subquery()
    )
    statement = (
        _card_query(actor)
        .join(ranked, ranked.c.id == WorkRequest.id)
        .where(ranked.c.place <= case(shown, value=WorkRequest.status))
        .add_columns(ranked.c.in_column)
    )
    staff_view = isinstance(actor, StaffActor)
    columns: dict[RequestStatus, list[RequestCard]] = {status: [] for status in RequestStatus}
    totals = dict.fromkeys(RequestStatus, 0)
    for row in await session.execute(statement):
        card = _card(row, staff_view)
        columns[card.status].append(card)
        totals[card.status] = row[-1]
    return Board(columns, totals)


def in_project(project_id: uuid.UUID) -> ColumnElement[bool]:
    return WorkRequest.project_id == project_id


async def project_board(actor: Actor, project_id: uuid.UUID | str, limits: ColumnLimits | None = None) -> Board:
    async with unit_of_work(actor) as session:
        project = await projects.load_project(session, actor, project_id)
        return await board_of(session, actor, in_project(project.id), limits)


async def client_board(actor: Actor, client_id: uuid.UUID | str, limits: ColumnLimits | None = None) -> Board:
    """Every request of one client, across its projects (staff)."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        client = await load_client(session, actor, client_id)
        return await board_of(session, actor, WorkRequest.client_id == client.id, limits)


async def list_project_requests(
    actor: Actor, project_id: uuid.UUID | str, limit: int = 50, offset: int = 0
) -> Page[RequestCard]:
    limit, offset = page_window(limit, offset)
    async with unit_of_work(actor) as session:
        project = await projects.load_project(session, actor, project_id)
        condition = WorkRequest.project_id == project.id
        total = await session.scalar(
            select(func.count()).select_from(WorkRequest).where(condition, *visible(actor, WorkRequest))
        )
        items = await _cards(session, actor, condition, limit=limit, offset=offset)
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


async def get_request(actor: Actor, request_id: uuid.UUID | str) -> RequestCard:
    async with unit_of_work(actor) as session:
        found = await load_request(session, actor, request_id)
        [card] = await _cards(session, actor, WorkRequest.id == found.id, limit=1)
        return card


# --- changes -------------------------------------------------------------------------------------------------------


async def _end_of(session: AsyncSession, project_id: uuid.UUID, status: RequestStatus) -> int:
    last = await session.scalar(
        select(func.max(WorkRequest.position)).where(WorkRequest.project_id == project_id, WorkRequest.status == status)
    )
    return 0 if last is None else last + 1


def _activity(session: AsyncSession, item: WorkRequest, *, internal: bool = False) -> None:
    events.publish(session, events.ProjectActivity(item.org_id, item.client_id, item.project_id, internal=internal))


async def create_request(
    actor: Actor, project_id: uuid.UUID | str, data: RequestInput, *, source: str | None = None
) -> RequestCard:
    """A new card at the end of the backlog. From the portal it is the contact's, and staff hear of it."""
    title, description = _title(data.title), _description(data.description)
    if not isinstance(actor, PortalActor | StaffActor):
        raise NotFound("Project not found")
    async with unit_of_work(actor) as session:
        project = await projects.load_project(session, actor, project_id)
        now = clock.now()
        item = WorkRequest(
            org_id=project.org_id,
            client_id=project.client_id,
            project_id=project.id,
            title=title,
            description=description,
            status=RequestStatus.backlog,
            position=await _end_of(session, project.id, RequestStatus.backlog),
            created_at=now,
            updated_at=now,
        )
        if isinstance(actor, PortalActor):
            item.requester_contact_id = actor.contact_id
            item.source = "feedback" if source == "feedback" else "portal"
            if item.source == "feedback":
                item.assignee_user_id = project.lead_user_id
        else:
            item.requester_user_id = actor.user_id
            item.source = "api" if actor.via == "api" else "staff"
        session.add(item)
        await session.flush()
        audit.record(
            session,
            actor,
            "request.created",
            target_type="request",
            target_id=item.id,
            target_label=item.title,
            detail={"project": project.name, "source": item.source},
        )
        if isinstance(actor, PortalActor):
            await _mail_staff_of_new_request(session, actor, project, item)
            await _to_inbox(session, actor, project, item)
        _activity(session, item)
        [card] = await _cards(session, actor, WorkRequest.id == item.id, limit=1)
        return card


async def send_feedback(actor: Actor, project_id: uuid.UUID | str, text: str) -> RequestCard:
    """The portal's feedback form: a request in the project lead's backlog, titled from its first line."""
    if not isinstance(actor, PortalActor):
        raise NotFound("Project not found")
    body = required_text(text, "feedback", "Feedback", MAX_DESCRIPTION, max_lines=LONG_TEXT_LINES)
    first_line = body.strip().splitlines()[0].strip()
    title = first_line if len(first_line) <= 80 else first_line[:79].rstrip() + "…"
    return await create_request(actor, project_id, RequestInput(f"Feedback: {title}", body), source="feedback")


async def _mail_staff_of_new_request(
    session: AsyncSession, actor: PortalActor, project: Project, item: WorkRequest
) -> None:
    # Staff rows are hidden from the contact's own session: the platform reads the addresses.
    async with unit_of_work(SystemActor(org_id=project.org_id, label="request mail")) as lookup:
        lead = await staff.member_recipient(lookup, project.org_id, item.assignee_user_id or project.lead_user_id)
        to = [lead] if lead else await staff.admin_recipients(lookup, project.org_id)
    client = await session.get(Client, project.client_id)
    contact = await session.get(Contact, actor.contact_id)
    org = await session.get(Organization, project.org_id)
    assert client is not None and contact is not None and org is not None
    kind = "feedback" if item.source == "feedback" else "request"
    blocks: list[layout.Block] = [
        f"{contact.name} ({contact.email}) at {client.name} sent new {kind} on {project.name}:",
        item.title,
        item.description,
        layout.Button("Open the project", f"{config.get().base_url}/projects/{project.id}"),
    ]
    for recipient in to:
        mail = layout.compose(layout.Branding.of(org), recipient.name, blocks)
        outbox.queue(
            session,
            to=recipient.email,
            subject=f"New {kind} from {client.name}: {item.title}"[:300],
            text=mail.text,
            html=mail.html,
            org_id=org.id,
        )


async def _to_inbox(session: AsyncSession, actor: PortalActor, project: Project, item: WorkRequest) -> None:
    contact = await session.get(Contact, actor.contact_id)  # in the session already, for the mail to staff
    author = contact.name if contact else actor.email
    if item.source == "feedback":  # its title says "Feedback: …" already
        inbox.record_in(session, project, InboxKind.feedback, item.title, author, request_id=item.id)
    else:
        inbox.record_in(session, project, InboxKind.request, f"New request: {item.title}", author, request_id=item.id)


def _title(value: str) -> str:
    return required_text(value, "title", "Title", 200)


def _description(value: str) -> str:
    return optional_text(value, "description", "Description", MAX_DESCRIPTION, max_lines=LONG_TEXT_LINES)


def _position(value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise Invalid("Position is a whole number from 0.", "position")
    return value


async def _check_assignee(session: AsyncSession, org_id: uuid.UUID, assignee: uuid.UUID | None) -> None:
    if assignee is not None and not await staff.member_email(session, org_id, assignee):
        raise Invalid("Assign the request to an active member of this organization.", "assignee_user_id")


def _edit(session: AsyncSession, actor: Actor, item: WorkRequest, title: str, description: str) -> None:
    if (item.title, item.description) != (title, description):
        item.title, item.description, item.updated_at = title, description, clock.now()
        audit.record(session, actor, "request.updated", target_type="request", target_id=item.id, target_label=title)
        _activity(session, item)


def _assign(session: AsyncSession, actor: Actor, item: WorkRequest, assignee: uuid.UUID | None) -> None:
    if item.assignee_user_id != assignee:
        item.assignee_user_id, item.updated_at = assignee, clock.now()
        audit.record(
            session,
            actor,
            "request.assigned",
            target_type="request",
            target_id=item.id,
            target_label=item.title,
            detail={"assignee": str(assignee or "")},
        )
        _activity(session, item, internal=True)


async def _move(
    session: AsyncSession, actor: Actor, item: WorkRequest, target: RequestStatus, position: int | None
) -> None:
    """`item` (locked) to `target` at `position`: renumbers only the two columns it touches."""
    source = item.status
    # take the card out of its column, close the gap, then open one where it goes
    await session.execute(
        update(WorkRequest)
        .where(
            WorkRequest.project_id == item.project_id,
            WorkRequest.status == source,
            WorkRequest.position > item.position,
        )
        .values(position=WorkRequest.position - 1)
    )
    item.position = -1
    await session.flush()
    end = await _end_of(session, item.project_id, target)
    place = end if position is None else min(position, end)
    await session.execute(
        update(WorkRequest)
        .where(
            WorkRequest.project_id == item.project_id,
            WorkRequest.status == target,
            WorkRequest.position >= place,
            WorkRequest.id != item.id,
        )
        .values(position=WorkRequest.position + 1)
    )
    await session.refresh(item)
    item.status, item.position, item.updated_at = target, place, clock.now()
    if source != target:
        audit.record(
            session,
            actor,
            "request.moved",
            target_type="request",
            target_id=item.id,
            target_label=item.title,
            detail={"from": source.value, "to": target.value},
        )
    _activity(session, item)
    await session.flush()


async def update_request(actor: Actor, request_id: uuid.UUID | str, data: RequestInput | RequestChanges) -> RequestCard:
    """Sets what `data` gives, in one unit of work: title and description of a RequestInput (the staff dialog), the
    fields a RequestChanges does not KEEP (the API's PATCH: edit, assign and move). All of it is checked before the
    first change, so bad input changes nothing."""
    member = require_staff(actor)
    changes = data if isinstance(data, RequestChanges) else RequestChanges(data.title, data.description)
    async with unit_of_work(actor) as session:
        item = await load_request(session, actor, request_id, for_update=True)
        title = item.title if changes.title is KEEP else _title(changes.title)
        description = item.description if changes.description is KEEP else _description(changes.description)
        target = item.status if changes.status is KEEP else parse_status(changes.status)
        position = None if changes.position is KEEP else _position(changes.position)
        if changes.assignee_user_id is not KEEP and changes.assignee_user_id != item.assignee_user_id:
            await _check_assignee(session, member.org_id, changes.assignee_user_id)
            _assign(session, actor, item, changes.assignee_user_id)
        _edit(session, actor, item, title, description)
        if target != item.status or (position is not None and position != item.position):
            await _move(session, actor, item, target, position)
        [card] = await _cards(session, actor, WorkRequest.id == item.id, limit=1)
        return card


async def move_request(
    actor: Actor, request_id: uuid.UUID | str, status: str | RequestStatus, position: int | None = None
) -> RequestCard:
    """Put a card in `status` at `position` (0 is the top; None or past the end is the bottom)."""
    require_staff(actor)
    target = parse_status(status)
    _position(position)
    async with unit_of_work(actor) as session:
        item = await load_request(session, actor, request_id, for_update=True)
        await _move(session, actor, item, target, position)
        [card] = await _cards(session, actor, WorkRequest.id == item.id, limit=1)
        return card


async def assign_request(actor: Actor, request_id: uuid.UUID | str, user_id: uuid.UUID | str | None) -> RequestCard:
    member = require_staff(actor)
    assignee = parse_id(user_id, "Staff member not found") if user_id else None
    async with unit_of_work(actor) as session:
        item = await load_request(session, actor, request_id)
        await _check_assignee(session, member.org_id, assignee)
        _assign(session, actor, item, assignee)
        [card] = await _cards(session, actor, WorkRequest.id == item.id, limit=1)
        return card
