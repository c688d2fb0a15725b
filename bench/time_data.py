"""Benchmark data for time: one organization with a million time entries, inserted in bulk with Core executemany.

Rows go straight into the tables (no services, no ORM objects). 20 staff log time over two years on 1,000
clients' projects (one each); about 85 % of the entries are approved, 10 % submitted and 5 % rejected; nine in
ten are billable, and most approved billable entries older than two months are billed on a (client, month)
invoice. Two clients stand out: the "big" one, with `big_client_entries` entries (the portal Hours page's worst
case), and the "billing" one, whose project holds exactly `unbilled_entries` approved, billable, unbilled entries
of the last 60 days and nothing else (an invoice from hours at its largest common size).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from bench.data import ensure_secret_key
from models import Base, Client, Invoice, InvoiceStatus, Organization
from models.organizations import Membership, Role
from models.projects import Project
from models.staff import StaffUser
from models.time import TimeEntry, TimeStatus
from services.billing import invoice_views
from services.core.actors import SystemActor
from services.core.db import unit_of_work

CHUNK = 10_000
STAFF = 20
DAYS = 730  # two years of dates
UNBILLED_DAYS = 60  # the billing project's entries are all in this many last days
RATE_MINOR = 9_000  # $90.00 an hour on every project
DESCRIPTIONS = ("Design review", "Frontend work", "Client call", "Copywriting", "QA pass", "Deploy", "Planning")


@dataclass(frozen=True)
class TimeDataset:
    org_id: uuid.UUID
    owner_id: uuid.UUID
    owner_email: str
    entries: int
    invoices: int
    big_client_id: uuid.UUID
    big_project_id: uuid.UUID
    billing_project_id: uuid.UUID
    today: date
    seconds: float


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


async def _insert(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        if not chunk:
            continue
        await session.execute(insert(model.__table__), chunk)


def _status(rng: random.Random) -> TimeStatus:
    roll = rng.random()
    return TimeStatus.approved if roll < 0.85 else TimeStatus.submitted if roll < 0.95 else TimeStatus.rejected


async def generate_time(
    *,
    entries: int = 1_000_000,
    clients: int = 1_000,
    big_client_entries: int = 50_000,
    unbilled_entries: int = 5_000,
    today: date | None = None,
    slug: str = "hours",
    seed: int = 1,
) -> TimeDataset:
    """Insert the organization, its staff, clients, projects, invoices and `entries` time entries."""
    ensure_secret_key()
    rng = random.Random(seed)
    started = datetime.now(UTC)
    today = today or started.date()
    first_day = today - timedelta(days=DAYS - 1)
    org_id = uuid.uuid4()
    staff = [(uuid.uuid4(), f"Person {n:02d}", f"person{n:02d}@{slug}.test") for n in range(STAFF)]
    owner_id, _, owner_email = staff[0]
    client_ids = [uuid.uuid4() for _ in range(clients)]
    project_ids = [uuid.uuid4() for _ in range(clients)]  # one project per client, same index
    big, billing = 0, 1  # the big client's and the billing client's index
    # the big client's entries, the billing project's, and the rest over the other clients
    rest = max(0, entries - big_client_entries - unbilled_entries)

    entry_rows: list[dict[str, Any]] = []
    invoice_of: dict[tuple[int, int, int], uuid.UUID] = {}  # (client index, year, month) -> invoice id
    new_invoices: list[dict[str, Any]] = []  # made since the last chunk went in: inserted before its entries

    def invoice(index: int, day: date) -> uuid.UUID:
        key = (index, day.year, day.month)
        if key not in invoice_of:
            invoice_id = invoice_of[key] = uuid.uuid4()
            issue = min(date(day.year, day.month, 28) + timedelta(days=5), today)
            new_invoices.append(
                {
                    "id": invoice_id,
                    "org_id": org_id,
                    "client_id": client_ids[index],
                    "project_id": project_ids[index],
                    "number": f"INV-{len(invoice_of):06d}",
                    "status": InvoiceStatus.paid,
                    "currency": "USD",
                    "issue_date": issue,
                    "due_date": issue + timedelta(days=30),
                    "subtotal_minor": 100_000,
                    "total_minor": 100_000,
                    "amount_paid_minor": 100_000,
                    "public_token_hash": invoice_views.public_token_hash(invoice_views.public_token(invoice_id)),
                    "sent_at": datetime.combine(issue, time(9), UTC),
                    "created_at": datetime.combine(issue, time(9), UTC),
                }
            )
        return invoice_of[key]

    def entry(index: int, day: date, status: TimeStatus, billable: bool, invoice_id: uuid.UUID | None) -> None:
        user_id, user_name, _ = staff[rng.randrange(STAFF)]
        at = datetime.combine(day, time(17), UTC) + timedelta(seconds=rng.randrange(3_600))
        decided = status != TimeStatus.submitted
        entry_rows.append(
            {
                "id": uuid.uuid4(),
                "org_id": org_id,
                "client_id": client_ids[index],
                "project_id": project_ids[index],
                "user_id": user_id,
                "user_name": user_name,
                "work_date": day,
                "minutes": rng.choice((15, 30, 45, 60, 90, 120, 180, 240)),
                "description": rng.choice(DESCRIPTIONS),
                "note": "",
                "billable": billable,
                "status": status,
                "decided_by_user_id": owner_id if decided else None,
                "decided_at": at + timedelta(days=1) if decided else None,
                "reject_reason": "Wrong project" if status == TimeStatus.rejected else "",
                "invoice_id": invoice_id,
                "questioned": False,
                "created_at": at,
            }
        )

    def history(index: int) -> None:
        """One entry of a client's ordinary history: any day, any status, older approved time mostly billed."""
        day = first_day + timedelta(days=rng.randrange(DAYS))
        status, billable = _status(rng), rng.random() < 0.9
        old = (today - day).days > UNBILLED_DAYS
        billed = status == TimeStatus.approved and billable and old and rng.random() < 0.8
        entry(index, day, status, billable, invoice(index, day) if billed else None)

    def batches() -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
        """(new invoices, entries) a chunk at a time: a million rows never sit in memory at once."""
        others = [n for n in range(clients) if n not in (big, billing)]
        plan = [big] * big_client_entries + [billing] * unbilled_entries
        for count, index in enumerate(plan + [-1] * rest, start=1):
            if index == billing:
                day = today - timedelta(days=rng.randrange(UNBILLED_DAYS))
                entry(billing, day, TimeStatus.approved, True, None)
            else:
                history(index if index >= 0 else rng.choice(others))
            if len(entry_rows) >= CHUNK or count == len(plan) + rest:
                yield list(new_invoices), list(entry_rows)
                new_invoices.clear()
                entry_rows.clear()

    async with unit_of_work(SystemActor(label="bench")) as session:
        await session.execute(
            insert(Organization.__table__).values(id=org_id, name=f"{slug.title()} Agency", slug=slug)
        )
        await _insert(session, StaffUser, [{"id": uid, "email": email, "name": name} for uid, name, email in staff])
        await _insert(
            session,
            Membership,
            [
                {
                    "id": uuid.uuid4(),
                    "org_id": org_id,
                    "user_id": uid,
                    "role": Role.owner if n == 0 else Role.member,
                    "default_rate_minor": 7_500,
                }
                for n, (uid, _, _) in enumerate(staff)
            ],
        )
        await _insert(
            session,
            Client,
            [
                {
                    "id": cid,
                    "org_id": org_id,
                    "name": f"Client {n:05d}",
                    "name_key": f"client {n:05d}",
                    "email": f"ap@client{n:05d}.test",
                    "created_at": started,
                }
                for n, cid in enumerate(client_ids)
            ],
        )
        await _insert(
            session,
            Project,
            [
                {
                    "id": pid,
                    "org_id": org_id,
                    "client_id": client_ids[n],
                    "name": f"Project {n:05d}",
                    "lead_user_id": staff[1 + n % (STAFF - 1)][0],
                    "hourly_rate_minor": RATE_MINOR,
                    "rate_currency": "USD",
                    "budget_minutes": 2_000 * 60 if n % 4 == 0 else None,  # every fourth has a budget
                    "created_at": started,
                }
                for n, pid in enumerate(project_ids)
            ],
        )
        inserted = 0
        for invoices, chunk in batches():
            await _insert(session, Invoice, invoices)
            await _insert(session, TimeEntry, chunk)
            inserted += len(chunk)
        await session.execute(
            update(Organization.__table__)
            .where(Organization.__table__.c.id == org_id)
            .values(next_invoice_number=len(invoice_of) + 1)
        )
    seconds = (datetime.now(UTC) - started).total_seconds()
    return TimeDataset(
        org_id,
        owner_id,
        owner_email,
        inserted,
        len(invoice_of),
        client_ids[big],
        project_ids[big],
        project_ids[billing],
        today,
        seconds,
    )
