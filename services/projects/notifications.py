"""Mail to contacts about their projects: new public updates, and staff replies on their requests.

Items are queued in the transaction that made them (public ones only) and mailed by the `notifications`
job as one digest per contact and project, at most one every ten minutes. A digest's rows are claimed by
deleting them (DELETE … RETURNING), so two runs at once never mail the same item. Every digest carries a
signed opt-out link, also as a one-click List-Unsubscribe header (RFC 8058).
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Contact
from models.collaboration import (
    Comment,
    NotificationPreference,
    NotificationSent,
    PendingNotification,
    Update,
    WorkRequest,
)
from models.organizations import Organization
from models.projects import Project
from services.core import audit, clock, config
from services.core.actors import Actor, PortalActor, SystemActor
from services.core.db import unit_of_work
from services.core.errors import NotFound
from services.mail import layout, outbox

DIGEST_INTERVAL = timedelta(minutes=10)
BATCH = 200  # contact-and-project pairs per run
EXCERPT = 280
DIGESTER = SystemActor(label="notifications")


@dataclass(frozen=True, slots=True)
class Preferences:
    project_updates: bool
    request_replies: bool


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1].rstrip() + "…"


async def _preferences(session: AsyncSession, contact_ids: list[uuid.UUID]) -> dict[uuid.UUID, Preferences]:
    rows = await session.scalars(
        select(NotificationPreference).where(NotificationPreference.contact_id.in_(contact_ids))
    )
    found = {r.contact_id: Preferences(r.project_updates, r.request_replies) for r in rows}
    return {cid: found.get(cid, Preferences(True, True)) for cid in contact_ids}


def _pending(project: Project, contact_id: uuid.UUID, kind: str, line: str) -> PendingNotification:
    return PendingNotification(
        org_id=project.org_id,
        client_id=project.client_id,
        contact_id=contact_id,
        project_id=project.id,
        kind=kind,
        line=line[:600],
        created_at=clock.now(),
    )


async def wanting_project_news(session: AsyncSession, project: Project) -> list[Contact]:
    """The client's active portal contacts who have not turned project news off."""
    contacts = list(
        await session.scalars(
            select(Contact)
            .where(
                Contact.client_id == project.client_id,
                Contact.org_id == project.org_id,
                Contact.active.is_(True),
                Contact.portal_enabled.is_(True),
            )
            .order_by(Contact.created_at, Contact.id)
        )
    )
    wanted = await _preferences(session, [c.id for c in contacts])
    return [c for c in contacts if wanted[c.id].project_updates]


async def queue_update(session: AsyncSession, project: Project, update: Update) -> None:
    """A public update: every active portal contact of the client who wants project news hears of it."""
    line = f"{update.author_name or 'The team'} posted an update: {_excerpt(update.body)}"
    for contact in await wanting_project_news(session, project):
        session.add(_pending(project, contact.id, "update", line))


async def queue_reply(session: AsyncSession, project: Project, item: WorkRequest, comment: Comment) -> None:
    """A public staff reply on a request: the contact who asked hears of it."""
    if item.requester_contact_id is None:
        return
    contact = await session.get(Contact, item.requester_contact_id)
    if contact is None or not contact.active or not contact.portal_enabled:
        return
    if not (await _preferences(session, [contact.id]))[contact.id].request_replies:
        return
    line = f"{comment.author_name or 'The team'} replied to your request “{item.title}”: {_excerpt(comment.body)}"
    session.add(_pending(project, contact.id, "reply", line))


# --- the digest ----------------------------------------------------------------------------------------------------


def opt_out_token(contact_id: uuid.UUID) -> str:
    return config.keyed_hash("notifications-opt-out", str(contact_id))


def opt_out_url(slug: str, contact_id: uuid.UUID) -> str:
    return f"{config.get().base_url}/portal/{slug}/notifications/off?c={contact_id}&t={opt_out_token(contact_id)}"


async def send_digests(now: datetime | None = None) -> int:
    """Mail what waits for every contact and project whose last digest is ten minutes old; returns mails queued."""
    now = now or clock.now()
    async with unit_of_work(DIGESTER) as session:
        pairs = list(
            await session.execute(
                select(PendingNotification.contact_id, PendingNotification.project_id)
                .outerjoin(
                    NotificationSent,
                    and_(
                        NotificationSent.contact_id == PendingNotification.contact_id,
                        NotificationSent.project_id == PendingNotification.project_id,
                    ),
                )
                .where(or_(NotificationSent.sent_at.is_(None), NotificationSent.sent_at <= now - DIGEST_INTERVAL))
                .group_by(PendingNotification.contact_id, PendingNotification.project_id)
                .order_by(func.min(PendingNotification.created_at))
                .limit(BATCH)
            )
        )
    sent = 0
    for contact_id, project_id in pairs:
        sent += await _send_one(contact_id, project_id, now)
    return sent


async def _send_one(contact_id: uuid.UUID, project_id: uuid.UUID, now: datetime) -> int:
    async with unit_of_work(DIGESTER) as session:
        claimed = list(
            await session.execute(
                delete(PendingNotification)
                .where(PendingNotification.contact_id == contact_id, PendingNotification.project_id == project_id)
                .returning(PendingNotification.kind, PendingNotification.line, PendingNotification.created_at)
            )
        )
        if not claimed:
            return 0  # another run took them
        contact = await session.get(Contact, contact_id)
        project = await session.get(Project, project_id)
        if contact is None or project is None or not contact.active or not contact.portal_enabled:
            return 0
        wanted = (await _preferences(session, [contact.id]))[contact.id]
        lines = [
            line
            for kind, line, _ in sorted(claimed, key=lambda row: row[2])
            if (kind == "update" and wanted.project_updates) or (kind == "reply" and wanted.request_replies)
        ]
        if not lines:
            return 0
        org = await session.get(Organization, project.org_id)
        assert org is not None
        page = f"{config.get().base_url}/portal/{org.slug}/projects/{project.id}"
        blocks: list[layout.Block] = [
            f"News on {project.name} from {org.name}:",
            *(f"- {line}" for line in lines),
            "See the project:",
            layout.Button("Open the project", page),
        ]
        subject = f"{project.name}: {len(lines)} new item{'s' if len(lines) != 1 else ''} from {org.name}"
        queue_news_mail(session, org, contact, subject, blocks)
        last = await session.scalar(
            select(NotificationSent).where(
                NotificationSent.contact_id == contact.id, NotificationSent.project_id == project.id
            )
        )
        if last is None:
            session.add(
                NotificationSent(
                    org_id=project.org_id,
                    client_id=project.client_id,
                    contact_id=contact.id,
                    project_id=project.id,
                    sent_at=now,
                )
            )
        else:
            last.sent_at = now
        return 1


def queue_news_mail(
    session: AsyncSession, org: Organization, contact: Contact, subject: str, blocks: list[layout.Block]
) -> None:
    """Project news by mail, in the organization's branding, with the signed opt-out link in its footer and as the
    one-click List-Unsubscribe headers (RFC 8058): digests, and the documents Portico makes."""
    off = opt_out_url(org.slug, contact.id)
    mail = layout.compose(
        layout.Branding.of(org),
        contact.name,
        blocks,
        footer=[*layout.sender_footer(org), f"To stop these emails: {off}"],
    )
    outbox.queue(
        session,
        to=contact.email,
        subject=subject[:300],
        text=mail.text,
        html=mail.html,
        org_id=org.id,
        headers={"List-Unsubscribe": f"<{off}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


# --- preferences ---------------------------------------------------------------------------------------------------


async def get_preferences(actor: Actor) -> Preferences:
    """The signed-in contact's own choices."""
    if not isinstance(actor, PortalActor):
        raise NotFound()
    async with unit_of_work(actor) as session:
        return (await _preferences(session, [actor.contact_id]))[actor.contact_id]


async def _store(session: AsyncSession, contact: Contact, wanted: Preferences) -> None:
    row = await session.scalar(select(NotificationPreference).where(NotificationPreference.contact_id == contact.id))
    if row is None:
        row = NotificationPreference(org_id=contact.org_id, client_id=contact.client_id, contact_id=contact.id)
        session.add(row)
    row.project_updates, row.request_replies, row.updated_at = (
        wanted.project_updates,
        wanted.request_replies,
        clock.now(),
    )


async def set_preferences(actor: Actor, project_updates: bool, request_replies: bool) -> Preferences:
    if not isinstance(actor, PortalActor):
        raise NotFound()
    wanted = Preferences(bool(project_updates), bool(request_replies))
    async with unit_of_work(actor) as session:
        contact = await session.get(Contact, actor.contact_id)
        if contact is None:
            raise NotFound()
        await _store(session, contact, wanted)
        audit.record(
            session,
            actor,
            "notifications.preferences",
            target_type="contact",
            target_id=contact.id,
            target_label=contact.email,
            detail={"project_updates": wanted.project_updates, "request_replies": wanted.request_replies},
        )
    return wanted


def signed_contact(contact_id: str, token: str) -> uuid.UUID | None:
    """The contact an opt-out link was signed for, or None. Reads nothing: the link's page checks it on GET."""
    try:
        contact_uuid = uuid.UUID(contact_id)
    except (TypeError, ValueError):
        return None
    # as bytes: compare_digest refuses str with non-ASCII characters, and the token comes from anyone's URL
    return contact_uuid if hmac.compare_digest(opt_out_token(contact_uuid).encode(), (token or "").encode()) else None


async def opt_out(org_id: uuid.UUID, contact_id: str, token: str, *, ip: str = "") -> bool:
    """The signed link (or the one-click header): both kinds of mail off. False for a bad or foreign link."""
    contact_uuid = signed_contact(contact_id, token)
    if contact_uuid is None:
        return False
    async with unit_of_work(SystemActor(org_id=org_id, label="opt-out link", ip=ip)) as session:
        contact = await session.scalar(select(Contact).where(Contact.id == contact_uuid, Contact.org_id == org_id))
        if contact is None:
            return False
        await _store(session, contact, Preferences(False, False))
        await session.execute(delete(PendingNotification).where(PendingNotification.contact_id == contact.id))
        audit.record(
            session,
            SystemActor(org_id=org_id, label="opt-out link", ip=ip),
            "notifications.opted_out",
            target_type="contact",
            target_id=contact.id,
            target_label=contact.email,
        )
    return True
