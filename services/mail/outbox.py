"""The mail outbox: rows queued with the change that caused them, sent by a worker, retried with backoff.

A row is claimed with a conditional UPDATE before it is sent, so two workers never send the same row;
it is marked sent after the SMTP server accepted it. Only a crash between those two moments can send
a mail twice, and then with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import event, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, selectinload

from models.base import utcnow
from models.mail import MailStatus, OutboxAttachment, OutboxMail, OutboxTemplate
from models.organizations import Organization
from services.adapters import mail_transport
from services.core import bulk, clock, events
from services.core.actors import Actor, SystemActor, require_staff
from services.core.common import one_line
from services.core.db import rows_affected, unit_of_work
from services.core.woken import WokenWorker

log = logging.getLogger("portico.outbox")

MAX_ATTEMPTS = 48
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
# A row claimed longer ago than this belongs to a worker that died; it is tried again.
CLAIM_TIMEOUT = timedelta(minutes=10)
BATCH = 50

# The running worker's wake-up event (None when no worker runs, as in tests and CLI jobs).
_worker = WokenWorker("outbox")
_QUEUED_KEY = "outbox_queued"


Attachment = tuple[str, str, bytes]  # file name, content type, content


def queue(
    session: AsyncSession,
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    org_id: uuid.UUID | None = None,
    attachments: Sequence[Attachment] = (),
    headers: dict[str, str] | None = None,
) -> None:
    """Queue a mail in the caller's transaction: it exists exactly when the change that caused it does."""
    session.add(
        OutboxMail(
            org_id=org_id,
            to_addr=to,
            subject=one_line(subject),  # names and titles end up here: never a header break
            body_text=text,
            body_html=html,
            headers=dict(headers or {}),
            next_attempt_at=clock.now(),
            attachments=[
                OutboxAttachment(filename=name, content_type=kind, data=data) for name, kind, data in attachments
            ],
        )
    )
    _queued(session)


class QueuedMail(NamedTuple):
    """A mail for `queue_many` (a tuple: a sweep makes thousands)."""

    to: str
    subject: str
    text: str
    org_id: uuid.UUID | None = None
    html: str = ""
    html_template: uuid.UUID | None = None  # a template from `add_template`, filled with `html_values` when sent
    html_values: dict[str, str] | None = None


_QUEUED_COLUMNS = (
    "id",
    "org_id",
    "to_addr",
    "subject",
    "body_text",
    "body_html",
    "html_template_id",
    "html_values",
    "headers",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
)


async def queue_many(session: AsyncSession, mails: Sequence[QueuedMail]) -> None:
    """Many mails (no attachments, no extra headers) in the caller's transaction in one bulk write (a reminder
    sweep queues thousands).

    Every column is given, as the model's defaults would give it, once for all rows rather than once per row.
    """
    if not mails:
        return
    now, created = clock.now(), utcnow()
    no_headers: dict[str, str] = {}
    no_values: dict[str, str] = {}
    rows = [
        (
            mail_id,
            m.org_id,
            m.to,
            _one_line(m.subject),
            m.text,
            m.html,
            m.html_template,
            m.html_values or no_values,
            no_headers,
            MailStatus.pending,
            0,
            now,
            "",
            created,
        )
        for mail_id, m in zip(bulk.new_ids(len(mails)), mails, strict=True)
    ]
    await bulk.insert_rows(session, OutboxMail.__table__, _QUEUED_COLUMNS, rows)
    _queued(session)


def add_template(session: AsyncSession, org_id: uuid.UUID | None, html: str) -> uuid.UUID:
    """An HTML body with `{field}`s that many mails of `queue_many` share (see `QueuedMail.html_template`)."""
    template = OutboxTemplate(id=uuid.uuid4(), org_id=org_id, html=html)
    session.add(template)
    return template.id


def _one_line(subject: str) -> str:
    """`one_line(subject)`, skipping its work for a subject it would return as it is: printable (no line break,
    control or separator but the plain space), single-spaced, trimmed and short enough; nearly every subject."""
    if subject.isprintable() and len(subject) <= 300 and "  " not in subject and subject.strip(" ") == subject:
        return subject
    return one_line(subject)


def _queued(session: AsyncSession) -> None:
    """Once per transaction: when it commits, the worker hears of it (`MailQueued`), in this process or another."""
    if not session.info.get(_QUEUED_KEY):
        session.info[_QUEUED_KEY] = True
        events.publish(session, events.MailQueued())


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_ended(session: Session) -> None:
    session.info.pop(_QUEUED_KEY, None)


def _on_event(item: object) -> None:
    if isinstance(item, events.MailQueued):
        wake()


events.subscribe(_on_event)


def wake() -> None:
    """Tell the worker that mail is waiting, so a sign-in mail leaves at once rather than at the next tick."""
    _worker.wake()


def backoff(attempts: int) -> timedelta:
    # The exponent is capped because 30 s * 2**42 no longer fits a timedelta; 2**16 is far past MAX_DELAY anyway.
    return min(BASE_DELAY * (2 ** min(max(attempts - 1, 0), 16)), MAX_DELAY)


async def send_due(limit: int = BATCH) -> int:
    """Send what is due now; returns how many were sent. This is the `outbox` job."""
    now = clock.now()
    actor = SystemActor(label="outbox")
    async with unit_of_work(actor) as session:
        due = list(
            await session.scalars(
                select(OutboxMail.id)
                .where(
                    or_(
                        (OutboxMail.status == MailStatus.pending) & (OutboxMail.next_attempt_at <= now),
                        (OutboxMail.status == MailStatus.sending) & (OutboxMail.claimed_at <= now - CLAIM_TIMEOUT),
                    )
                )
                .order_by(OutboxMail.next_attempt_at)
                .limit(limit)
            )
        )
    sent = 0
    for mail_id in due:
        try:
            claimed = await _claim(mail_id, now)
            if claimed is not None and await _deliver(claimed):
                sent += 1
        except Exception:  # one row that cannot even be claimed or recorded must not hold up the rest
            log.exception("mail %s could not be handled; it is tried again after the claim timeout", mail_id)
    return sent


async def html_part(session: AsyncSession, row: OutboxMail) -> str:
    """A queued mail's HTML part: its own, or its shared template filled with its (escaped) values."""
    if row.html_template_id is None:
        return row.body_html
    template = await session.scalar(select(OutboxTemplate.html).where(OutboxTemplate.id == row.html_template_id))
    return (template or "").format_map(row.html_values or {})


class Claimed(NamedTuple):
    row: OutboxMail
    sender_name: str  # its organization's, read now: a renamed organization's queued mail goes under the new name
    html: str  # the HTML part: the row's own, or its shared template filled with its values


async def _claim(mail_id: uuid.UUID, now) -> Claimed | None:
    """The row, now ours to send, with the name it is sent under and its HTML part."""
    async with unit_of_work(SystemActor(label="outbox")) as session:
        result = await session.execute(
            update(OutboxMail)
            .where(
                OutboxMail.id == mail_id,
                or_(
                    OutboxMail.status == MailStatus.pending,
                    (OutboxMail.status == MailStatus.sending) & (OutboxMail.claimed_at <= now - CLAIM_TIMEOUT),
                ),
            )
            .values(status=MailStatus.sending, claimed_at=clock.now())
            .execution_options(synchronize_session=False)
        )
        if rows_affected(result) != 1:
            return None  # another worker has it
        row = await session.get(OutboxMail, mail_id, options=[selectinload(OutboxMail.attachments)])
        if row is None:
            return None
        name = (
            await session.scalar(select(Organization.name).where(Organization.id == row.org_id)) if row.org_id else ""
        )
        return Claimed(row, name or "", await html_part(session, row))


async def _deliver(claimed: Claimed) -> bool:
    row = claimed.row
    try:
        msg = mail_transport.build_message(
            message_id=str(row.id),
            to=row.to_addr,
            subject=row.subject,
            text=row.body_text,
            html=claimed.html,
            attachments=[(a.filename, a.content_type, a.data) for a in row.attachments],
            headers=row.headers or {},
            sender_name=claimed.sender_name,
        )
    except Exception as exc:  # no retry can build it: give up on this one, visibly, and go on with the rest
        reason = f"The mail could not be built: {type(exc).__name__}: {exc}"
        await _record_failure(row.id, row.attempts + 1, reason, final=True)
        log.error("mail %s to %s dropped: %s", row.id, row.to_addr, reason)
        return False
    try:
        await asyncio.to_thread(mail_transport.deliver, msg, f"{row.created_at:%Y%m%dT%H%M%S}-{row.id}")
    except Exception as exc:  # any failure of the transport: retry later, never drop
        await _record_failure(row.id, row.attempts + 1, f"{type(exc).__name__}: {exc}")
        log.warning("mail %s to %s failed (attempt %s): %s", row.id, row.to_addr, row.attempts + 1, exc)
        return False
    async with unit_of_work(SystemActor(label="outbox")) as session:
        await session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == row.id)
            .values(status=MailStatus.sent, sent_at=clock.now(), attempts=row.attempts + 1, last_error="")
            .execution_options(synchronize_session=False)
        )
    return True


async def _record_failure(mail_id: uuid.UUID, attempts: int, error: str, *, final: bool = False) -> None:
    status = MailStatus.failed if final or attempts >= MAX_ATTEMPTS else MailStatus.pending
    async with unit_of_work(SystemActor(label="outbox")) as session:
        await session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail_id)
            .values(
                status=status,
                attempts=attempts,
                next_attempt_at=clock.now() + backoff(attempts),
                last_error=error[:1000],
            )
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True, slots=True)
class UndeliveredMail:
    """A mail Portico gave up on, for staff to act on by other means."""

    to: str
    subject: str
    reason: str
    queued_at: datetime
    attempts: int


UNDELIVERED_SHOWN = 20


async def undelivered_mail(actor: Actor, limit: int = UNDELIVERED_SHOWN) -> list[UndeliveredMail]:
    """The organization's most recent mail that could not be sent (given up after retries, or unbuildable)."""
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        rows = await session.execute(
            select(
                OutboxMail.to_addr,
                OutboxMail.subject,
                OutboxMail.last_error,
                OutboxMail.created_at,
                OutboxMail.attempts,
            )
            .where(OutboxMail.org_id == staff.org_id, OutboxMail.status == MailStatus.failed)
            .order_by(OutboxMail.created_at.desc())
            .limit(min(limit, UNDELIVERED_SHOWN))
        )
        return [UndeliveredMail(*row) for row in rows]


async def run_worker(stop: asyncio.Event, idle_seconds: float = 30.0) -> None:
    """Send at once when woken, and every `idle_seconds` anyway; runs inside `serve`."""
    await _worker.run(send_due, stop, idle_seconds)
