"""Updates on projects (and on requests) and the comments under them, each public or internal.

Staff post updates and choose who sees them; contacts reply in public only, under public updates and on
their client's requests. Internal items are invisible to portal actors in the data layer itself
(services/core/scoping.py), and notifications are queued for public items only. What a contact writes lands in
the staff inbox (services/projects/inbox.py); a reply under an update also mails the project's lead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Client, Contact
from models.collaboration import Comment, Update, Visibility, WorkRequest
from models.inbox import InboxKind
from models.organizations import Organization
from models.projects import Project
from models.staff import StaffUser
from services.core import audit, clock, config, events
from services.core.actors import Actor, PortalActor, StaffActor, SystemActor, require_staff
from services.core.common import LONG_TEXT_LINES, Page, page_window, parse_id, required_text
from services.core.db import unit_of_work
from services.core.errors import Invalid, NotFound
from services.core.scoping import visible
from services.mail import layout, outbox
from services.projects import inbox, notifications, projects
from services.projects.work_requests import load_request
from services.staff import staff

MAX_BODY = 20_000
MAX_BODY_LINES = 2 * LONG_TEXT_LINES
COMMENTS_PER_ITEM = 200


@dataclass(frozen=True, slots=True)
class CommentView:
    id: uuid.UUID
    body: str
    visibility: Visibility
    author_name: str
    by_contact: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UpdateView:
    id: uuid.UUID
    project_id: uuid.UUID
    request_id: uuid.UUID | None
    body: str
    visibility: Visibility
    author_name: str
    by_contact: bool
    created_at: datetime
    comments: tuple[CommentView, ...] = ()


def parse_visibility(value: object) -> Visibility:
    try:
        return Visibility(str(value))
    except ValueError:
        raise Invalid('Visibility must be "public" or "internal".', "visibility") from None


async def author_of(session: AsyncSession, actor: Actor) -> dict[str, object]:
    """Who is writing, as the row keeps it: `author_user_id` or `author_contact_id`, and `author_name`."""
    if isinstance(actor, StaffActor):
        user = await session.get(StaffUser, actor.user_id)
        return {"author_user_id": actor.user_id, "author_name": user.name if user else actor.email}
    if isinstance(actor, PortalActor):
        contact = await session.get(Contact, actor.contact_id)
        return {"author_contact_id": actor.contact_id, "author_name": contact.name if contact else actor.email}
    raise NotFound()


def _comment_view(c: Comment) -> CommentView:
    return CommentView(c.id, c.body, c.visibility, c.author_name, c.author_contact_id is not None, c.created_at)


def _update_view(u: Update, comments: list[Comment]) -> UpdateView:
    return UpdateView(
        u.id,
        u.project_id,
        u.request_id,
        u.body,
        u.visibility,
        u.author_name,
        u.author_contact_id is not None,
        u.created_at,
        tuple(_comment_view(c) for c in comments),
    )


async def post_update(
    actor: Actor,
    project_id: uuid.UUID | str,
    body: str,
    visibility: str | Visibility,
    *,
    request_id: uuid.UUID | str | None = None,
) -> UpdateView:
    """News on a project (or one of its requests). A public one goes to the client's contacts in their digest."""
    require_staff(actor)
    text = required_text(body, "body", "Update", MAX_BODY, max_lines=MAX_BODY_LINES)
    seen_by = parse_visibility(visibility)
    async with unit_of_work(actor) as session:
        project = await projects.load_project(session, actor, project_id)
        item = None
        if request_id is not None:
            item = await load_request(session, actor, request_id)
            if item.project_id != project.id:
                raise NotFound("Request not found")
        update = Update(
            org_id=project.org_id,
            client_id=project.client_id,
            project_id=project.id,
            request_id=item.id if item else None,
            body=text,
            visibility=seen_by,
            created_at=clock.now(),
            **await author_of(session, actor),
        )
        session.add(update)
        await session.flush()
        audit.record(
            session,
            actor,
            "update.posted",
            target_type="project",
            target_id=project.id,
            target_label=project.name,
            detail={"visibility": seen_by.value},
        )
        if seen_by == Visibility.public:
            await notifications.queue_update(session, project, update)
        _activity(session, project, internal=seen_by == Visibility.internal)
        return _update_view(update, [])


def _activity(session: AsyncSession, project: Project, *, internal: bool) -> None:
    events.publish(session, events.ProjectActivity(project.org_id, project.client_id, project.id, internal=internal))


async def list_updates(actor: Actor, project_id: uuid.UUID | str, limit: int = 20, offset: int = 0) -> Page[UpdateView]:
    """The project's feed, newest first, each with its discussion (oldest first). Three queries per page."""
    limit, offset = page_window(limit, offset)
    async with unit_of_work(actor) as session:
        project = await projects.load_project(session, actor, project_id)
        conditions = _feed(actor, project.id)
        total = await session.scalar(select(func.count()).select_from(Update).where(*conditions))
        updates = list(
            await session.scalars(select(Update).where(*conditions).order_by(*FEED_ORDER).limit(limit).offset(offset))
        )
        items = await _with_comments(session, actor, updates)
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


async def first_updates(session: AsyncSession, actor: Actor, project_id: uuid.UUID, limit: int) -> Page[UpdateView]:
    """The feed's first `limit` updates with their discussion, for a page: two queries, the total counted by a
    window function in the first (the page starts at the top, so an empty page means an empty feed)."""
    limit, _ = page_window(limit, 0)
    rows = (
        await session.execute(
            select(Update, func.count().over()).where(*_feed(actor, project_id)).order_by(*FEED_ORDER).limit(limit)
        )
    ).all()
    items = await _with_comments(session, actor, [row[0] for row in rows])
    return Page(items=items, total=rows[0][1] if rows else 0, limit=limit, offset=0)


FEED_ORDER = (Update.created_at.desc(), Update.id)


def _feed(actor: Actor, project_id: uuid.UUID) -> list[ColumnElement[bool]]:
    """The project's own updates (not those posted on one of its requests) that the actor sees."""
    return [Update.project_id == project_id, Update.request_id.is_(None), *visible(actor, Update)]


async def _with_comments(session: AsyncSession, actor: Actor, updates: list[Update]) -> list[UpdateView]:
    """Views of `updates` with the first COMMENTS_PER_ITEM comments of each (oldest first), in one query."""
    if not updates:
        return []
    place = func.row_number().over(partition_by=Comment.update_id, order_by=(Comment.created_at, Comment.id))
    ranked = (
        select(Comment.id.label("id"), place.label("place"))
        .where(Comment.update_id.in_([u.id for u in updates]), *visible(actor, Comment))
        .subquery()
    )
    comments: dict[uuid.UUID, list[Comment]] = {u.id: [] for u in updates}
    rows = await session.scalars(
        select(Comment)
        .join(ranked, ranked.c.id == Comment.id)
        .where(ranked.c.place <= COMMENTS_PER_ITEM)
        .order_by(Comment.created_at, Comment.id)
    )
    for comment in rows:
        comments[comment.update_id].append(comment)  # type: ignore[index]
    return [_update_view(u, comments[u.id]) for u in updates]


async def request_updates(actor: Actor, request_id: uuid.UUID | str) -> list[UpdateView]:
    """Updates posted on one request, newest first (the portal sees the public ones)."""
    async with unit_of_work(actor) as session:
        item = await load_request(session, actor, request_id)
        rows = await session.scalars(
            select(Update)
            .where(Update.request_id == item.id, *visible(actor, Update))
            .order_by(Update.created_at.desc(), Update.id)
            .limit(COMMENTS_PER_ITEM)
        )
        return [_update_view(u, []) for u in rows]


async def request_discussion(actor: Actor, request_id: uuid.UUID | str) -> list[CommentView]:
    async with unit_of_work(actor) as session:
        item = await load_request(session, actor, request_id)
        rows = await session.scalars(
            select(Comment)
            .where(Comment.request_id == item.id, *visible(actor, Comment))
            .order_by(Comment.created_at, Comment.id)
            .limit(COMMENTS_PER_ITEM)
        )
        return [_comment_view(c) for c in rows]


async def add_comment(
    actor: Actor,
    body: str,
    *,
    update_id: uuid.UUID | str | None = None,
    request_id: uuid.UUID | str | None = None,
    visibility: str | Visibility = Visibility.public,
) -> CommentView:
    """A reply under an update or on a request. Contacts always reply in public; under an internal update
    every comment is internal."""
    if (update_id is None) == (request_id is None):
        raise Invalid("Reply to one update or one request.", "body")
    text = required_text(body, "body", "Reply", MAX_BODY, max_lines=MAX_BODY_LINES)
    seen_by = Visibility.public if isinstance(actor, PortalActor) else parse_visibility(visibility)
    async with unit_of_work(actor) as session:
        update: Update | None = None
        item: WorkRequest | None = None
        if update_id is not None:
            update = await session.scalar(
                select(Update).where(Update.id == parse_id(update_id, "Update not found"), *visible(actor, Update))
            )
            if update is None:
                raise NotFound("Update not found")
            if update.visibility == Visibility.internal:
                seen_by = Visibility.internal
            project_id = update.project_id
        else:
            item = await load_request(session, actor, request_id)  # type: ignore[arg-type]
            project_id = item.project_id
        project = await session.get(Project, project_id)
        assert project is not None
        comment = Comment(
            org_id=project.org_id,
            client_id=project.client_id,
            project_id=project.id,
            update_id=update.id if update else None,
            request_id=item.id if item else None,
            body=text,
            visibility=seen_by,
            created_at=clock.now(),
            **await author_of(session, actor),
        )
        session.add(comment)
        await session.flush()
        audit.record(
            session,
            actor,
            "comment.added",
            target_type="request" if item else "update",
            target_id=item.id if item else update.id,  # type: ignore[union-attr]
            target_label=item.title if item else project.name,
            detail={"visibility": seen_by.value},
        )
        if item is not None and seen_by == Visibility.public and isinstance(actor, StaffActor):
            await notifications.queue_reply(session, project, item, comment)
        if isinstance(actor, PortalActor):
            await _from_client(session, project, comment, item)
        _activity(session, project, internal=seen_by == Visibility.internal)
        return _comment_view(comment)


async def _from_client(session: AsyncSession, project: Project, comment: Comment, item: WorkRequest | None) -> None:
    """A contact wrote: staff see it in their inbox, and a reply to an update also mails the project's lead."""
    if item is not None:
        summary = f"Comment on “{item.title}”: {comment.body}"
        inbox.record_in(
            session, project, InboxKind.comment, summary, comment.author_name, request_id=item.id, comment_id=comment.id
        )
        return
    summary = f"Reply to an update: {comment.body}"
    inbox.record_in(
        session,
        project,
        InboxKind.reply,
        summary,
        comment.author_name,
        comment_id=comment.id,
        update_id=comment.update_id,
    )
    await _mail_lead_of_reply(session, project, comment)


async def _mail_lead_of_reply(session: AsyncSession, project: Project, comment: Comment) -> None:
    client = await session.get(Client, project.client_id)
    assert client is not None
    await mail_lead(
        session,
        project,
        f"{comment.author_name} replied on {project.name}",
        [f"{comment.author_name} at {client.name} replied to an update on {project.name}:", comment.body],
    )


async def mail_lead(session: AsyncSession, project: Project, subject: str, lines: list[str]) -> None:
    """Mail the project's lead (if it has an active one) `lines` and a button to the project, in the caller's
    transaction. The caller may be a contact, whose session cannot see staff rows: the platform reads the address."""
    if project.lead_user_id is None:
        return
    async with unit_of_work(SystemActor(org_id=project.org_id, label="mail to the lead")) as lookup:
        lead = await staff.member_recipient(lookup, project.org_id, project.lead_user_id)
    if lead is None:
        return
    org = await session.get(Organization, project.org_id)
    assert org is not None
    button = layout.Button("Open the project", f"{config.get().base_url}/projects/{project.id}")
    mail = layout.compose(layout.Branding.of(org), lead.name, [*lines, button])
    outbox.queue(session, to=lead.email, subject=subject[:300], text=mail.text, html=mail.html, org_id=project.org_id)
