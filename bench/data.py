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

from sqlalchemy import insert

from models import Client, Contact, Invoice, InvoiceLine, InvoiceStatus, Organization
from services.billing import invoice_views
from services.core import config
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
            line_rows.append(
                {
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
            )
        for chunk in _chunks(invoice_rows):
            await session.execute(insert(Invoice.__table__), chunk)
        for chunk in _chunks(line_rows):
            await session.execute(insert(InvoiceLine.__table__), chunk)
    seconds = (datetime.now(UTC) - started).total_seconds()
    return Dataset(org_id, clients, invoices_count, seconds)
