"""Benchmark data: one organization with many clients and invoices, inserted in bulk with Core executemany.

Rows go straight into the tables (no services, no ORM objects), so 100,000 invoices take seconds. Each client
has one billing contact. Invoices are spread over the clients; by default they are all open (sent, some
partially paid) with due dates from `due_spread` days ago to 5 days ahead, so a reminders sweep has work for
nearly each of them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEvent, Base, Client, Contact, Invoice, InvoiceLine, InvoiceStatus, Organization, Payment
from models.organizations import Membership, Role
from models.staff import StaffUser
from services.billing import invoice_views, receivable_totals
from services.core import audit_actions, config
from services.core.actors import SystemActor
from services.core.db import unit_of_work

CHUNK = 5_000


@dataclass(frozen=True)
class Dataset:
    org_id: uuid.UUID
    clients: int
    invoices: int
    seconds: float


def _chunks(rows: list[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def ensure_secret_key() -> None:
    """Invoice rows carry the hash of their public token, an HMAC under the secret key."""
    if not config.get().secret_key:
        config.configure(config.ServiceConfig(base_url="http://bench.test", secret_key="bench-secret-key"))


def retainer_line(org_id: uuid.UUID, client_id: uuid.UUID, invoice_id: uuid.UUID, total: int) -> dict[str, Any]:
    """The one line of a generated invoice."""
    return {
        "id": uuid.uuid4(),
        "org_id": org_id,
        "client_id": client_id,
        "invoice_id": invoice_id,
        "position": 0,
        "description": "Retainer",
        "quantity": Decimal(1),
        "unit_price_minor": total,
        "net_minor": total,
        "tax_minor": 0,
    }


async def generate(
    *,
    clients: int = 1_000,
    invoices_count: int = 100_000,
    today: date | None = None,
    due_spread: int = 40,
    slug: str = "bench",
    seed: int = 1,
) -> Dataset:
    """Insert one organization with `clients` clients (one billing contact each) and `invoices_count` invoices."""
    ensure_secret_key()
    rng = random.Random(seed)
    started = datetime.now(UTC)
    today = today or started.date()
    org_id = uuid.uuid4()
    client_ids = [uuid.uuid4() for _ in range(clients)]
    async with unit_of_work(SystemActor(label="bench")) as session:
        await session.execute(
            insert(Organization.__table__).values(
                id=org_id,
                name=f"{slug.title()} Agency",
                slug=slug,
                payment_instructions="Bank transfer to IBAN XX00 0000 0000 0000",
                next_invoice_number=invoices_count + 1,
            )
        )
        client_rows = [
            {
                "id": cid,
                "org_id": org_id,
                "name": f"Client {n:05d}",
                "name_key": f"client {n:05d}",
                "email": f"ap@client{n:05d}.test",
                "created_at": started,
            }
            for n, cid in enumerate(client_ids)
        ]
        for chunk in _chunks(client_rows):
            await session.execute(insert(Client.__table__), chunk)
        contact_rows = [
            {
                "id": uuid.uuid4(),
                "org_id": org_id,
                "client_id": cid,
                "email": f"billing@client{n:05d}.test",
                "name": "Billing",
                "billing": True,
                "created_at": started,
            }
            for n, cid in enumerate(client_ids)
        ]
        for chunk in _chunks(contact_rows):
            await session.execute(insert(Contact.__table__), chunk)
        invoice_rows, line_rows = [], []
        for n in range(invoices_count):
            invoice_id = uuid.uuid4()
            client_id = client_ids[n % clients]
            due = today + timedelta(days=rng.randint(-due_spread, 5))
            total = rng.randint(1_000, 5_000_000)
            partly = n % 10 == 0
            invoice_rows.append(
                {
                    "id": invoice_id,
                    "org_id": org_id,
                    "client_id": client_id,
                    "number": f"INV-{n + 1:06d}",
                    "status": InvoiceStatus.partially_paid if partly else InvoiceStatus.sent,
                    "currency": "USD",
                    "issue_date": due - timedelta(days=30),
                    "due_date": due,
                    "subtotal_minor": total,
                    "total_minor": total,
                    "amount_paid_minor": total // 2 if partly else 0,
                    "public_token_hash": invoice_views.public_token_hash(invoice_views.public_token(invoice_id)),
                    "sent_at": datetime.combine(due - timedelta(days=30), datetime.min.time(), UTC),
                    "created_at": started,
                }
            )
            line_rows.append(retainer_line(org_id, client_id, invoice_id, total))
        for chunk in _chunks(invoice_rows):
            await session.execute(insert(Invoice.__table__), chunk)
        for chunk in _chunks(line_rows):
            await session.execute(insert(InvoiceLine.__table__), chunk)
    seconds = (datetime.now(UTC) - started).total_seconds()
    return Dataset(org_id, clients, invoices_count, seconds)


# --- the SPEC §9 scale: an organization with a history ----------------------------------------------------------

# Actions of the generated audit log with their weights: reminders and views dominate, as in a real log.
AUDIT_MIX = (
    ("invoice.reminder_sent", 30),
    ("invoice.viewed", 25),
    ("invoice.sent", 10),
    ("invoice.created", 10),
    ("invoice.payment_recorded", 6),
    ("invoice.payment_received", 4),
    ("portal.signed_in", 5),
    ("portal.link_requested", 3),
    ("staff.signed_in", 2),
    ("client.updated", 1),
    ("contact.updated", 1),
    ("request.moved", 1),
    ("invoice.voided", 1),
    ("api_token.revoked", 1),
)
CURRENCY_MIX = (("USD", 90), ("EUR", 7), ("GBP", 3))


@dataclass(frozen=True)
class ScaleDataset:
    """What `generate_history` made; `owner_id` is a staff user (owner) of the organization."""

    org_id: uuid.UUID
    owner_id: uuid.UUID
    owner_email: str
    clients: int
    contacts: int
    invoices: int
    payments: int
    audit_rows: int
    seconds: float


def _invoice_fate(rng: random.Random, age_days: int) -> InvoiceStatus:
    """What became of an invoice issued `age_days` ago (due 30 days after issue): old ones are mostly paid."""
    if age_days < 7 and rng.random() < 0.25:
        return InvoiceStatus.draft
    if rng.random() < 0.03:
        return InvoiceStatus.void
    paid_share = 0.3 if age_days < 30 else 0.75 if age_days < 90 else 0.95
    if rng.random() < paid_share:
        return InvoiceStatus.paid
    return InvoiceStatus.partially_paid if rng.random() < 0.2 else InvoiceStatus.sent


async def _insert(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        await session.execute(insert(model.__table__), chunk)


async def generate_history(
    *,
    clients: int = 1_000,
    contacts_per_client: int = 10,
    invoices_count: int = 100_000,
    audit_rows: int = 200_000,
    months: int = 15,
    today: date | None = None,
    slug: str = "scale",
    seed: int = 1,
) -> ScaleDataset:
    """One organization with `months` months of history, in bulk (no services): the SPEC §9 scale by default.

    Invoices are issued evenly over the period and numbered in issue order, due 30 days later, in USD mostly
    (some EUR and GBP); old ones are mostly paid (one payment each), recent ones open, a few partly paid,
    void or draft. The audit log holds `audit_rows` events of a realistic mix of actions over the same period.
    The receivables rollups and the audit actions are made from the rows at the end, as migration 0007 does.
    """
    ensure_secret_key()
    rng = random.Random(seed)
    started = datetime.now(UTC)
    today = today or started.date()
    first_day = today - timedelta(days=months * 365 // 12)
    org_id, owner_id = uuid.uuid4(), uuid.uuid4()
    owner_email = f"owner@{slug}.test"
    client_ids = [uuid.uuid4() for _ in range(clients)]
    contact_emails = [f"person{k}@client{n:05d}.test" for n in range(clients) for k in range(contacts_per_client)]
    async with unit_of_work(SystemActor(label="bench")) as session:
        await session.execute(
            insert(Organization.__table__).values(
                id=org_id, name=f"{slug.title()} Agency", slug=slug, next_invoice_number=invoices_count + 1
            )
        )
        await session.execute(insert(StaffUser.__table__).values(id=owner_id, email=owner_email, name="Owner"))
        await session.execute(
            insert(Membership.__table__).values(id=uuid.uuid4(), org_id=org_id, user_id=owner_id, role=Role.owner)
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
            Contact,
            [
                {
                    "id": uuid.uuid4(),
                    "org_id": org_id,
                    "client_id": client_ids[n // contacts_per_client],
                    "email": email,
                    "name": f"Person {n}",
                    "billing": n % contacts_per_client == 0,
                    "portal_enabled": n % 2 == 0,
                    "created_at": started,
                }
                for n, email in enumerate(contact_emails)
            ],
        )
        span = (today - first_day).days
        issued = sorted(first_day + timedelta(days=rng.randint(0, span)) for _ in range(invoices_count))
        currencies = rng.choices([c for c, _ in CURRENCY_MIX], [w for _, w in CURRENCY_MIX], k=invoices_count)
        invoice_rows, line_rows, payment_rows = [], [], []
        for n, issue in enumerate(issued):
            invoice_id, client_id = uuid.uuid4(), rng.choice(client_ids)
            status = _invoice_fate(rng, (today - issue).days)
            total = rng.randint(1_000, 2_500_000)
            paid = {InvoiceStatus.paid: total, InvoiceStatus.partially_paid: total * rng.randint(1, 9) // 10}
            paid_minor = paid.get(status, 0)
            paid_on = min(issue + timedelta(days=rng.randint(3, 50)), today)
            at = datetime.combine(issue, datetime.min.time(), UTC) + timedelta(hours=9)
            invoice_rows.append(
                {
                    "id": invoice_id,
                    "org_id": org_id,
                    "client_id": client_id,
                    "number": f"INV-{n + 1:06d}",
                    "status": status,
                    "currency": currencies[n],
                    "issue_date": issue,
                    "due_date": issue + timedelta(days=30),
                    "subtotal_minor": total,
                    "total_minor": total,
                    "amount_paid_minor": paid_minor,
                    "public_token_hash": invoice_views.public_token_hash(invoice_views.public_token(invoice_id)),
                    "sent_at": None if status == InvoiceStatus.draft else at,
                    "paid_at": at + timedelta(days=(paid_on - issue).days) if status == InvoiceStatus.paid else None,
                    "voided_at": at + timedelta(days=1) if status == InvoiceStatus.void else None,
                    "created_at": at,
                }
            )
            line_rows.append(retainer_line(org_id, client_id, invoice_id, total))
            if paid_minor:
                payment_rows.append(
                    {
                        "id": uuid.uuid4(),
                        "org_id": org_id,
                        "client_id": client_id,
                        "invoice_id": invoice_id,
                        "amount_minor": paid_minor,
                        "currency": currencies[n],
                        "paid_on": paid_on,
                        "method": "bank_transfer",
                        "created_at": at,
                    }
                )
        await _insert(session, Invoice, invoice_rows)
        await _insert(session, InvoiceLine, line_rows)
        await _insert(session, Payment, payment_rows)
        audit_history = _audit_history(rng, org_id, owner_email, first_day, span, audit_rows)
        await _insert(session, AuditEvent, audit_history)
        # What the services keep as they write, made once for the rows inserted behind their back.
        await audit_actions.remember_in(session, audit_history)
        await receivable_totals.rebuild_in(session, org_id)
    seconds = (datetime.now(UTC) - started).total_seconds()
    return ScaleDataset(
        org_id,
        owner_id,
        owner_email,
        clients,
        len(contact_emails),
        invoices_count,
        len(payment_rows),
        audit_rows,
        seconds,
    )


def _audit_history(
    rng: random.Random, org_id: uuid.UUID, owner_email: str, first_day: date, span_days: int, count: int
) -> list[dict[str, Any]]:
    actions = rng.choices([a for a, _ in AUDIT_MIX], [w for _, w in AUDIT_MIX], k=count)
    start = datetime.combine(first_day, datetime.min.time(), UTC)
    rows = []
    for n, action in enumerate(actions):
        by_portal = action.startswith("portal.") or action == "invoice.viewed"
        rows.append(
            {
                "id": uuid.uuid4(),
                "org_id": org_id,
                "at": start + timedelta(seconds=rng.randint(0, span_days * 86_400)),
                "actor_type": "portal" if by_portal else "system" if action.endswith("reminder_sent") else "staff",
                "actor_label": f"person{n % 10}@client{n % 1000:05d}.test" if by_portal else owner_email,
                "action": action,
                "target_type": action.split(".")[0],
                "target_label": f"INV-{rng.randint(1, 999_999):06d}",
                "ip": "203.0.113.7",
                "detail": {},
            }
        )
    return rows
