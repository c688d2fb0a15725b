"""The staff inbox: new client requests, feedback, and contacts' comments and replies, unread per staff user.

Items are written by the services that made what they report (`record_in`, in the same transaction), so an inbox
item exists exactly when its request or comment does. Every staff user of the organization sees every item; each
is unread for a user until that user opens it or marks all read. Staff only: a portal actor gets "not found", and
the rows are StaffOnly, so no portal query can reach them either.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Client
from models.inbox import InboxItem, InboxKind, InboxRead
from models.organizations import Membership
from models.projects import Project
from services.core import clock, events
from services.core.actors import Actor, StaffActor, require_staff
from services.core.common import Page, one_line, page_window, parse_id
from services.core.db import dialect_insert, unit_of_work
from services.core.errors import NotFound
from services.core.scoping import visible

KIND_LABELS = {
    InboxKind.request: "Request",
    InboxKind.feedback: "Feedback",
    InboxKind.comment: "Comment",
    InboxKind.reply: "Reply",
    InboxKind.file: "File",
    InboxKind.decision: "Review",
    InboxKind.questioned: "Hours questioned",
}
SUMMARY_LENGTH = 300
# The navigation shows "99+" beyond this: the count stops there however much is unread, so it stays cheap.
UNREAD_CAP = 99


@dataclass(frozen=True, slots=True)
class InboxItemView:
    id: uuid.UUID
    kind: InboxKind
    summary: str
    author_name: str
    client_id: uuid.UUID
    client_name: str
    project_id: uuid.UUID
    project_name: str
    request_id: uuid.UUID | None  # the request it is about, if any: opening it shows that request
    created_at: datetime
    read: bool  # by the user who asked

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.value.title())


def record_in(
    session: AsyncSession,
    project: Project,
    kind: InboxKind,
    summary: str,
    author_name: str,
    *,
    request_id: uuid.UUID | None = None,
    comment_id: uuid.UUID | None = None,
    update_id: uuid.UUID | None = None,
) -> None:
    """An inbox item for every staff user of the project's organization, in the caller's transaction."""
    session.add(
        InboxItem(
            org_id=project.org_id,
            client_id=project.client_id,
            project_id=project.id,
            kind=kind,
            request_id=request_id,
            comment_id=comment_id,
            update_id=update_id,
            summary=one_line(summary, SUMMARY_LENGTH),
            author_name=one_line(author_name, 200),
            created_at=clock.now(),
        )
    )
    events.publish(session, events.InboxChanged(project.org_id))


def _read(member: StaffActor) -> ColumnElement[bool]:
    """Read by `member`: opened, or older than their membership (a new colleague does not start with the whole
    history unread)."""
    joined = (
        select(Membership.created_at)
        .where(Membership.org_id == member.org_id, Membership.user_id == member.user_id)
        .scalar_subquery()
    )
    opened = exists().where(InboxRead.item_id == InboxItem.id, InboxRead.user_id == member.user_id)
    return or_(opened, InboxItem.created_at < joined)


def _unread(member: StaffActor) -> ColumnElement[bool]:
    return ~_read(member)


async def unread_count(actor: Actor) -> int:
    """How many items the signed-in staff user has not opened, counted up to UNREAD_CAP + 1 ("99+")."""
    member = require_staff(actor)
    async with unit_of_work(actor) as session:
        # newest first through the (org_id, created_at, id) index, stopping at the cap
        first = (
            select(InboxItem.id)
            .where(*visible(member, InboxItem), _unread(member))
            .order_by(InboxItem.created_at.desc(), InboxItem.id.desc())
            .limit(UNREAD_CAP + 1)
            .subquery()
        )
        return await session.scalar(select(func.count()).select_from(first)) or 0


def _views(member: StaffActor):
    return (
        select(InboxItem, Client.name, Project.name, _read(member))
        .join(Client, Client.id == InboxItem.client_id)
        .join(Project, Project.id == InboxItem.project_id)
    )


def _view(item: InboxItem, client_name: str, project_name: str, read: bool) -> InboxItemView:
    return InboxItemView(
        item.id,
        item.kind,
        item.summary,
        item.author_name,
        item.client_id,
        client_name,
        item.project_id,
        project_name,
        item.request_id,
        item.created_at,
        bool(read),
    )


async def list_items(
    actor: Actor, *, unread_only: bool = False, limit: int = 25, offset: int = 0
) -> Page[InboxItemView]:
    """The organization's inbox, newest first, each marked read or unread for the signed-in user."""
    member = require_staff(actor)
    limit, offset = page_window(limit, offset)
    conditions = visible(member, InboxItem)
    if unread_only:
        conditions.append(_unread(member))
    async with unit_of_work(actor) as session:
        total = await session.scalar(select(func.count()).select_from(InboxItem).where(*conditions))
        rows = await session.execute(
            _views(member)
            .where(*conditions)
            .order_by(InboxItem.created_at.desc(), InboxItem.id.desc())
            .limit(limit)
            .offset(offset)
        )
        items = [_view(*row) for row in rows]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


async def open_item(actor: Actor, item_id: uuid.UUID | str) -> InboxItemView:
    """The item, now read for the signed-in user (for that user only); the page then goes where it points."""
    member = require_staff(actor)
    async with unit_of_work(actor) as session:
        row = (
            await session.execute(
                _views(member).where(InboxItem.id == parse_id(item_id, "Item not found"), *visible(member, InboxItem))
            )
        ).first()
        if row is None:
            raise NotFound("Item not found")
        item, client_name, project_name, read = row
        if not read:
            await _mark(session, member, [item.id])
        return _view(item, client_name, project_name, True)


async def _mark(session: AsyncSession, member: StaffActor, item_ids: list[uuid.UUID]) -> None:
    """Read rows for `member`. Two tabs (or an open and a "Mark all read") racing for one item: the unique
    (user, item) keeps the first row and the other insert does nothing, instead of failing."""
    now = clock.now()
    rows = [
        {"id": uuid.uuid4(), "org_id": member.org_id, "item_id": i, "user_id": member.user_id, "read_at": now}
        for i in item_ids
    ]
    statement = dialect_insert(session.get_bind().dialect.name, InboxRead.__table__)
    await session.execute(statement.on_conflict_do_nothing(index_elements=["user_id", "item_id"]), rows)
    events.publish(session, events.InboxChanged(member.org_id, member.user_id))


async def mark_all_read(actor: Actor) -> int:
    """Every item unread for the signed-in user becomes read (for that user only); returns how many."""
    member = require_staff(actor)
    async with unit_of_work(actor) as session:
        unread = list(await session.scalars(select(InboxItem.id).where(*visible(member, InboxItem), _unread(member))))
        if unread:
            await _mark(session, member, unread)
        return len(unread)
