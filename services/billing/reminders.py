"""Payment reminders: the `reminders` job mails each open invoice's billing contacts on the org's schedule.

A schedule is a list of day offsets from the due date (-3 is three days before, 7 a week after). Each sweep
takes, per invoice, only the most recent step that is due: after downtime the latest one goes out and the
older ones are skipped for good. A step is never sent twice: the row in `reminders_sent` is inserted with
ON CONFLICT DO NOTHING on its unique (invoice_id, step), and only the rows this sweep actually inserted get
their mail, in the same transaction. Two sweeps at once therefore send each reminder once; on PostgreSQL the
second waits on the first's uncommitted rows and then inserts none of them.

Steps whose day is not after the day the invoice was sent are skipped: the invoice mail itself was that
notice. The work goes in batches keyed by invoice id, with a constant number of queries per batch.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.invoices import Invoice, ReminderSent
from models.organizations import Organization
from services.billing import invoices
from services.billing.invoice_views import OPEN_STATUSES, public_url
from services.core import audit, clock, money
from services.core.actors import SystemActor
from services.core.db import insert_or_skip, unit_of_work
from services.mail import outbox

SWEEPER = SystemActor(label="reminders")
MAX_OFFSET_DAYS = 365


@dataclass(frozen=True, slots=True)
class _Org:
    name: str
    steps: tuple[int, ...]  # ascending
    payment_instructions: str


@dataclass(frozen=True, slots=True)
class _Due:
    """An invoice that gets a reminder in this sweep, and at which step."""

    id: uuid.UUID
    org_id: uuid.UUID
    client_id: uuid.UUID
    number: str
    currency: str
    due_date: date
    amount_due_minor: int
    step: int


def schedule_steps(raw: object) -> tuple[int, ...]:
    """The usable steps of a stored schedule: whole days within a year of the due date, each once, ascending."""
    if not isinstance(raw, list):
        return ()
    return tuple(
        sorted({s for s in raw if isinstance(s, int) and not isinstance(s, bool) and abs(s) <= MAX_OFFSET_DAYS})
    )


def step_to_send(
    steps: tuple[int, ...], due_date: date, sent_on: date | None, today: date, latest_sent: int | None
) -> int | None:
    """The most recent due step, unless it (or a later one) went out already; older due steps are skipped."""
    due_steps = [
        s
        for s in steps
        if due_date + timedelta(days=s) <= today and (sent_on is None or due_date + timedelta(days=s) > sent_on)
    ]
    if not due_steps:
        return None
    latest = due_steps[-1]
    if latest_sent is not None and latest_sent >= latest:
        return None
    return latest


async def sweep(now: datetime | None = None, batch: int = 1000) -> int:
    """Queue the reminders that are due now; returns how many invoices were reminded. This is the `reminders` job."""
    now = now or clock.now()
    today = now.date()
    async with unit_of_work(SWEEPER) as session:
        orgs = await _organizations(session)
    earliest_step = min((org.steps[0] for org in orgs.values() if org.steps), default=None)
    if earliest_step is None:
        return 0
    window_end = today - timedelta(days=earliest_step)  # no invoice due after this has a step due yet
    reminded = 0
    after: uuid.UUID | None = None
    while True:
        async with unit_of_work(SWEEPER) as session:
            rows = await _candidates(session, window_end, after, batch)
            if not rows:
                return reminded
            after = rows[-1].id
            due = _due_now(rows, orgs, today)
            if due:
                reminded += await _send(session, due, orgs, now)
        if len(rows) < batch:
            return reminded


def _due_now(rows: list, orgs: dict[uuid.UUID, _Org], today: date) -> list[_Due]:
    due = []
    for row in rows:
        org = orgs.get(row.org_id)
        sent_on = row.sent_at.date() if row.sent_at else None
        step = step_to_send(org.steps, row.due_date, sent_on, today, row.latest_step) if org else None
        if step is not None:
            amount_due = row.total_minor - row.amount_paid_minor
            due.append(
                _Due(row.id, row.org_id, row.client_id, row.number, row.currency, row.due_date, amount_due, step)
            )
    return due


async def _organizations(session: AsyncSession) -> dict[uuid.UUID, _Org]:
    rows = await session.execute(
        select(Organization.id, Organization.name, Organization.reminder_schedule, Organization.payment_instructions)
    )
    return {org_id: _Org(name, schedule_steps(schedule), instructions) for org_id, name, schedule, instructions in rows}


async def _candidates(session: AsyncSession, window_end: date, after: uuid.UUID | None, batch: int) -> list:
    """Open invoices with money due by `window_end`, the next `batch` of them by id, with their latest step sent."""
    latest_step = (
        select(func.max(ReminderSent.step)).where(ReminderSent.invoice_id == Invoice.id).scalar_subquery()
    ).label("latest_step")
    conditions = [
        Invoice.status.in_(OPEN_STATUSES),
        Invoice.due_date <= window_end,
        Invoice.total_minor > Invoice.amount_paid_minor,
    ]
    if after is not None:
        conditions.append(Invoice.id > after)
    result = await session.execute(
        select(
            Invoice.id,
            Invoice.org_id,
            Invoice.client_id,
            Invoice.number,
            Invoice.currency,
            Invoice.due_date,
            Invoice.total_minor,
            Invoice.amount_paid_minor,
            Invoice.sent_at,
            latest_step,
        )
        .where(*conditions)
        .order_by(Invoice.id)
        .limit(batch)
    )
    return list(result)


async def _send(session: AsyncSession, due: list[_Due], orgs: dict[uuid.UUID, _Org], now: datetime) -> int:
    to = await invoices.recipients_by_client(session, {d.client_id for d in due})
    due = [d for d in due if to.get(d.client_id)]  # no one to remind: the step stays unsent, for a later contact
    if not due:
        return 0
    claimed = set(
        await session.scalars(
            insert_or_skip(
                session, ReminderSent.__table__, ["invoice_id", "step"], ReminderSent.__table__.c.invoice_id
            ),
            [{"id": uuid.uuid4(), "org_id": d.org_id, "invoice_id": d.id, "step": d.step, "sent_at": now} for d in due],
        )
    )
    today = now.date()
    mails: list[outbox.QueuedMail] = []
    audit_rows = []
    for d in due:
        if d.id not in claimed:
            continue  # another sweep got there first
        subject, text = reminder_mail(d, orgs[d.org_id], today)
        mails += [outbox.QueuedMail(address, subject, text, d.org_id) for address in to[d.client_id]]
        audit_rows.append(
            audit.row(
                SystemActor(org_id=d.org_id, label="reminders"),
                "invoice.reminder_sent",
                target_type="invoice",
                target_id=d.id,
                target_label=d.number,
                detail={"step": d.step, "to": to[d.client_id]},
            )
        )
    # Set-based: one batched INSERT each for the mails and the audit rows of this batch of invoices.
    await outbox.queue_many(session, mails)
    await audit.record_many(session, audit_rows)
    return len(claimed)


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def reminder_mail(d: _Due, org: _Org, today: date) -> tuple[str, str]:
    """Subject and text: the wording depends on whether the invoice is due soon, today, or overdue."""
    amount = f"{money.format_decimal(d.amount_due_minor, d.currency)} {d.currency}"
    due_on = f"{d.due_date:%d %B %Y}"
    late = (today - d.due_date).days
    if late < 0:
        subject = f"Reminder: invoice {d.number} is due on {due_on}"
        opening = f"a friendly reminder that invoice {d.number} for {amount} is due on {due_on}, in {_days(-late)}."
    elif late == 0:
        subject = f"Invoice {d.number} is due today"
        opening = f"invoice {d.number} for {amount} is due today, {due_on}."
    else:
        subject = f"Overdue: invoice {d.number} was due on {due_on}"
        opening = f"invoice {d.number} was due on {due_on}, {_days(late)} ago, and {amount} is still outstanding."
    parts = [
        f"Hello,\n\nThis is {org.name}: {opening}",
        f"View, download or pay it here:\n\n{public_url(d.id)}",
    ]
    if org.payment_instructions.strip():
        parts.append(f"How to pay:\n\n{org.payment_instructions.strip()}")
    parts.append("If you have paid already, thank you, and please ignore this reminder.")
    return subject, "\n\n".join(parts) + "\n"
