"""A draft invoice from a project's approved, unbilled, billable hours in a date range.

One line per entry, or grouped per person or per day, at the project's hourly rate (or, without one, each
person's default rate). The draft and the entries' link to it are written in one transaction, and the entries
are claimed with one conditional UPDATE (`invoice_id IS NULL`): two people drafting from the same hours at
once make one invoice with them and a clear refusal, never two invoices billing the same hour. Deleting the
draft or voiding the invoice releases them (`invoices.release_hours`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.organizations import Membership, Organization
from models.time import TimeEntry, TimeStatus
from services.billing import invoices, line_items
from services.billing.invoice_views import InvoiceDetail, build_detail
from services.core import audit, events, money
from services.core.actors import Actor, require_staff
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid
from services.core.scoping import visible
from services.projects.projects import load_project
from services.time.hours import check_range

GROUPINGS = {"entry": "One line per entry", "person": "One line per person", "day": "One line per day"}
MAX_ENTRIES = 10_000  # one invoice's hours; more is a sign the range is wrong


@dataclass(frozen=True, slots=True)
class _Billable:
    id: uuid.UUID
    work_date: date
    minutes: int
    description: str
    user_name: str
    rate_minor: int


def _hours(minutes: int) -> Decimal:
    """Minutes as hours with up to four decimals (what an invoice line's quantity holds): 20 min -> 0.3333."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.0001"))


def _lines(entries: list[_Billable], grouping: str, currency: str) -> list[invoices.LineInput]:
    def price(rate: int) -> str:
        return str(money.from_minor(rate, currency))

    if grouping == "entry":
        return [
            invoices.LineInput(
                f"{e.work_date.isoformat()} · {e.user_name}: {e.description}"[:500],
                _hours(e.minutes),
                price(e.rate_minor),
            )
            for e in entries
        ]
    groups: dict[tuple[str, int], list[_Billable]] = defaultdict(list)
    for e in entries:
        key = e.user_name if grouping == "person" else e.work_date.isoformat()
        groups[(key, e.rate_minor)].append(e)
    lines = []
    for (key, rate), members in sorted(groups.items()):
        first, last = min(m.work_date for m in members), max(m.work_date for m in members)
        span = first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"
        label = (
            f"{key}: {len(members)} entr{'y' if len(members) == 1 else 'ies'}, {span}"
            if grouping == "person"
            else (
                f"{key}: {len(members)} entr{'y' if len(members) == 1 else 'ies'} "
                f"({', '.join(sorted({m.user_name for m in members}))})"
            )
        )
        lines.append(invoices.LineInput(label[:500], _hours(sum(m.minutes for m in members)), price(rate)))
    return lines


async def invoice_from_hours(
    actor: Actor,
    project_id: uuid.UUID | str,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    grouping: str = "entry",
) -> InvoiceDetail:
    """A draft for the project's client with its approved, unbilled, billable hours of the range (this month by
    default), at the project's rate; the entries are billed by it from now on."""
    member = require_staff(actor)
    if grouping not in GROUPINGS:
        raise Invalid('Group the lines by "entry", "person" or "day".', "grouping")
    start, end = check_range(date_from, date_to)
    async with unit_of_work(actor) as session:
        project = await load_project(session, actor, project_id)
        org = await session.get(Organization, project.org_id)
        assert org is not None
        currency = project.rate_currency or org.default_currency
        rows = list(
            await session.execute(
                select(
                    TimeEntry.id,
                    TimeEntry.work_date,
                    TimeEntry.minutes,
                    TimeEntry.description,
                    TimeEntry.user_name,
                    TimeEntry.user_id,
                )
                .where(
                    *visible(actor, TimeEntry),
                    TimeEntry.project_id == project.id,
                    TimeEntry.status == TimeStatus.approved,
                    TimeEntry.billable.is_(True),
                    TimeEntry.invoice_id.is_(None),
                    TimeEntry.work_date >= start,
                    TimeEntry.work_date <= end,
                )
                .order_by(TimeEntry.work_date, TimeEntry.created_at, TimeEntry.id)
                .limit(MAX_ENTRIES + 1)
            )
        )
        if not rows:
            raise Invalid("There are no approved, unbilled hours on this project in that range.", "date_from")
        if len(rows) > MAX_ENTRIES:
            raise Invalid(f"More than {MAX_ENTRIES:,} entries: choose a shorter range.", "date_to")
        rates = await _rates(session, project.org_id, project.hourly_rate_minor, {r.user_id for r in rows})
        missing = sorted({r.user_name for r in rows if rates.get(r.user_id) is None})
        if missing:
            raise Invalid(
                "Set the project's hourly rate (or a default rate for " + ", ".join(missing) + ") first.",
                "hourly_rate",
            )
        if project.hourly_rate_minor is None and currency != org.default_currency:
            raise Invalid("Default rates are in the organization's currency: set the project's rate.", "hourly_rate")
        if grouping == "entry" and len(rows) > line_items.MAX_LINES:
            raise Invalid(
                f"{len(rows):,} entries make more lines than an invoice holds ({line_items.MAX_LINES}): "
                "group them per person or per day, or choose a shorter range.",
                "grouping",
            )
        billable = [
            _Billable(r.id, r.work_date, r.minutes, r.description, r.user_name, rates[r.user_id] or 0) for r in rows
        ]
        draft = await invoices.create_in(
            session,
            actor,
            invoices.InvoiceInput(
                client_id=project.client_id,
                project_id=project.id,
                currency=currency,
                lines=_lines(billable, grouping, currency),
                notes=f"Hours on {project.name}, {start.isoformat()} to {end.isoformat()}.",
            ),
        )
        await session.flush()
        claimed = await session.execute(
            update(TimeEntry)
            .where(
                # the project, status and range first: the (organization, project, status, date) index finds them
                TimeEntry.org_id == member.org_id,
                TimeEntry.project_id == project.id,
                TimeEntry.status == TimeStatus.approved,
                TimeEntry.work_date >= start,
                TimeEntry.work_date <= end,
                TimeEntry.invoice_id.is_(None),
                TimeEntry.id.in_([b.id for b in billable]),
            )
            .values(invoice_id=draft.id)
            .returning(TimeEntry.id)
            .execution_options(synchronize_session=False)
        )
        if len(claimed.all()) != len(billable):
            # another draft took some of these hours after they were read: this one is rolled back whole
            raise Conflict("Some of these hours were billed meanwhile. Try again to draft from what is left.")
        audit.record(
            session,
            actor,
            "invoice.drafted_from_hours",
            target_type="invoice",
            target_id=draft.id,
            target_label=draft.number,
            detail={
                "project": project.name,
                "entries": len(billable),
                "minutes": sum(b.minutes for b in billable),
                "grouping": grouping,
            },
        )
        events.publish(session, events.TimeChanged(project.org_id, project.client_id, project.id))
        return await build_detail(session, draft)


async def _rates(
    session: AsyncSession, org_id: uuid.UUID, project_rate: int | None, user_ids: set[uuid.UUID | None]
) -> dict[uuid.UUID | None, int | None]:
    """Each person's rate on this project: the project's, else their default."""
    if project_rate is not None:
        return dict.fromkeys(user_ids, project_rate)
    found: dict[uuid.UUID | None, int | None] = dict(
        (
            await session.execute(
                select(Membership.user_id, Membership.default_rate_minor).where(
                    Membership.org_id == org_id, Membership.user_id.in_([u for u in user_ids if u is not None])
                )
            )
        ).all()
    )
    return {user_id: found.get(user_id) for user_id in user_ids}
