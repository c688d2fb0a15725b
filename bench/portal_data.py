"""A client portal to serve in the serving benchmarks: one client with many invoices and one big project.

The database is migrated and filled in bulk (Core inserts, as bench/data.py does) before the server starts;
the contact is signed in as the mailed link would sign it in (`portal_sessions.start`, as
tests/support/browser.py does), and the benchmark sends that session's cookie as a browser would.
"""

from __future__ import annotations

import argparse
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from bench.data import generate
from bench.servers import SECRET_KEY
from models import Contact, Milestone, Project, RequestStatus, Update, WorkRequest
from services.clients import portal_sessions
from services.core import config, db
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.migrations import upgrade

SLUG = "bench"


@dataclass(frozen=True)
class Sizes:
    invoices: int = 200
    requests: int = 200
    milestones: int = 200
    updates: int = 200


@dataclass(frozen=True)
class PortalSite:
    contact_id: uuid.UUID
    project_id: uuid.UUID

    @property
    def invoices_path(self) -> str:
        return f"/portal/{SLUG}/invoices"

    @property
    def project_path(self) -> str:
        return f"/portal/{SLUG}/projects/{self.project_id}"

    @property
    def cookie_path(self) -> str:
        return f"/portal/{SLUG}"


def add_size_arguments(parser: argparse.ArgumentParser) -> None:
    """The sizes of the portal pages measured and of their bare baselines, shared by bench.pages and bench.tabs."""
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--milestones", type=int, default=200)
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--bare-rows", type=int, default=200, help="rows of the baseline's table")
    parser.add_argument("--bare-cards", type=int, help="cards of the baseline's page (default: as Portico's shows)")


def _now() -> datetime:
    return datetime.now(UTC)


async def _project(org_id: uuid.UUID, client_id: uuid.UUID, contact_id: uuid.UUID, sizes: Sizes) -> uuid.UUID:
    project_id, now = uuid.uuid4(), _now()
    owned = {"org_id": org_id, "client_id": client_id, "project_id": project_id}
    columns = list(RequestStatus)
    async with unit_of_work(SystemActor(label="bench")) as session:
        await session.execute(
            insert(Project.__table__).values(
                id=project_id, org_id=org_id, client_id=client_id, name="Website relaunch", created_at=now
            )
        )
        requests = [
            {
                **owned,
                "id": uuid.uuid4(),
                "title": f"Request {n}",
                "description": "Please change the thing. " * 4,
                "status": columns[n % len(columns)],
                "position": n // len(columns),
                "requester_contact_id": contact_id,
                "source": "portal",
                "created_at": now,
                "updated_at": now,
            }
            for n in range(sizes.requests)
        ]
        milestones = [
            {
                **owned,
                "id": uuid.uuid4(),
                "title": f"Milestone {n}",
                "due_date": now.date() + timedelta(days=n),
                "done": n % 3 == 0,
                "created_at": now,
            }
            for n in range(sizes.milestones)
        ]
        updates = [
            {
                **owned,
                "id": uuid.uuid4(),
                "body": f"Update {n}: what we did this week.",
                "visibility": "public",
                "author_name": "Lead",
                "created_at": now - timedelta(minutes=n),
            }
            for n in range(sizes.updates)
        ]
        for model, rows in ((WorkRequest, requests), (Milestone, milestones), (Update, updates)):
            if rows:
                await session.execute(insert(model.__table__), rows)
    return project_id


async def seed(database_url: str, sizes: Sizes) -> PortalSite:
    """Migrate the database at `database_url` and fill it: one organization, one client, its portal contact."""
    config.configure(config.ServiceConfig(base_url="http://bench.test", secret_key=SECRET_KEY))
    await upgrade(database_url)
    db.configure(database_url)
    try:
        data = await generate(clients=1, invoices_count=sizes.invoices, slug=SLUG)
        async with unit_of_work(SystemActor(label="bench")) as session:
            contact = (await session.scalars(select(Contact).where(Contact.org_id == data.org_id))).one()
            await session.execute(update(Contact).where(Contact.id == contact.id).values(portal_enabled=True))
            contact_id, client_id = contact.id, contact.client_id
        project_id = await _project(data.org_id, client_id, contact_id, sizes)
    finally:
        await db.close()
    return PortalSite(contact_id, project_id)


async def sign_in(database_url: str, site: PortalSite, count: int = 1) -> list[str]:
    """`count` portal sessions of the site's contact, as the mailed link starts them; their cookie values."""
    db.configure(database_url)
    try:
        async with unit_of_work(SystemActor(label="bench")) as session:
            contact = await session.get(Contact, site.contact_id)
            assert contact is not None
            return [
                await portal_sessions.start(session, contact, ip="127.0.0.1", user_agent="bench") for _ in range(count)
            ]
    finally:
        await db.close()
