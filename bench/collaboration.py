"""Project work at size, on SQLite and on PostgreSQL: a big board, card moves, a long feed, notification digests.

One project with --requests cards (spread over the three columns) and --updates public updates with two
comments each, in an organization whose other 999 clients have a project each; 50 portal contacts on the
client. Prints the median time of each service call as a page would make it.

.venv/bin/python -m bench.collaboration [--requests 500] [--updates 2000] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bench.data import ensure_secret_key, generate
from models import Client, Comment, Contact, Project, RequestStatus, Update, WorkRequest
from models.organizations import Membership, Role
from models.staff import StaffUser
from services.core import clock, db
from services.core.actors import PortalActor, StaffActor, SystemActor
from services.core.db import unit_of_work
from services.core.migrations import upgrade
from services.projects import discussion, milestones, notifications, work_requests


async def _median(label: str, call: Callable[[], Awaitable[object]], repeat: int = 15) -> None:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - began)
    print(f"  {label}: median {statistics.median(samples) * 1000:.1f} ms")


async def _seed(requests: int, updates: int) -> tuple[StaffActor, PortalActor, uuid.UUID]:
    data = await generate(clients=1_000, invoices_count=0)
    now = datetime.now(UTC)
    async with unit_of_work(SystemActor(label="bench")) as session:
        client_ids = list(await session.scalars(select(Client.id).where(Client.org_id == data.org_id)))
        projects = [
            {"id": uuid.uuid4(), "org_id": data.org_id, "client_id": cid, "name": f"Project {n}", "created_at": now}
            for n, cid in enumerate(client_ids)
        ]
        await session.execute(insert(Project.__table__), projects)
        project_id, client_id = projects[0]["id"], client_ids[0]
        user_id = uuid.uuid4()
        await session.execute(insert(StaffUser.__table__).values(id=user_id, email="lead@bench.test", name="Lead"))
        await session.execute(
            insert(Membership.__table__).values(id=uuid.uuid4(), org_id=data.org_id, user_id=user_id, role=Role.owner)
        )
        contacts = [
            {
                "id": uuid.uuid4(),
                "org_id": data.org_id,
                "client_id": client_id,
                "email": f"person{n}@client00000.test",
                "name": f"Person {n}",
                "portal_enabled": True,
                "created_at": now,
            }
            for n in range(50)
        ]
        await session.execute(insert(Contact.__table__), contacts)
        columns = list(RequestStatus)
        cards = [
            {
                "id": uuid.uuid4(),
                "org_id": data.org_id,
                "client_id": client_id,
                "project_id": project_id,
                "title": f"Request {n}",
                "description": "Please change the thing." * 4,
                "status": columns[n % 3],
                "position": n // 3,
                "requester_contact_id": contacts[n % 50]["id"],
                "source": "portal",
                "created_at": now,
                "updated_at": now,
            }
            for n in range(requests)
        ]
        await session.execute(insert(WorkRequest.__table__), cards)
        news, replies = [], []
        for n in range(updates):
            update_id = uuid.uuid4()
            at = now - timedelta(minutes=n)
            base = {"org_id": data.org_id, "client_id": client_id, "project_id": project_id, "created_at": at}
            news.append({"id": update_id, **base, "body": f"Update {n}", "visibility": "public", "author_name": "Lead"})
            for k, seen in enumerate(("public", "internal")):
                replies.append(
                    {"id": uuid.uuid4(), **base, "update_id": update_id, "body": f"Reply {k}", "visibility": seen}
                )
        await session.execute(insert(Update.__table__), news)
        await session.execute(insert(Comment.__table__), replies)
    staff = StaffActor(org_id=data.org_id, user_id=user_id, role=Role.owner, email="lead@bench.test")
    first_contact = contacts[0]["id"]
    assert isinstance(first_contact, uuid.UUID)
    contact = PortalActor(org_id=data.org_id, client_id=client_id, contact_id=first_contact, email="p@x.test")
    assert isinstance(project_id, uuid.UUID)
    return staff, contact, project_id


async def run(url: str, label: str, requests: int, updates: int) -> None:
    await upgrade(url)
    db.configure(url)
    try:
        staff, contact, project_id = await _seed(requests, updates)
        print(f"[{label}] one project with {requests} requests and {updates} updates (1,000 projects in the org)")
        await _median("staff board (project_board)", lambda: work_requests.project_board(staff, project_id))
        await _median("portal board", lambda: work_requests.project_board(contact, project_id))
        board = await work_requests.project_board(staff, project_id)
        card = board.columns[RequestStatus.backlog][-1]
        targets = iter([("in_progress", 0), ("backlog", 0)] * 20)
        await _median(
            "move a card to the top of another column",
            lambda: work_requests.move_request(staff, card.id, *next(targets)),
        )
        await _median("staff feed, first page of 20", lambda: discussion.list_updates(staff, project_id))
        await _median("portal feed, first page of 20", lambda: discussion.list_updates(contact, project_id))
        await _median(
            "portal overview (progress, milestones)", lambda: milestones.project_overview(contact, project_id)
        )
        await _median(
            "post a public update (50 contacts queued)",
            lambda: discussion.post_update(staff, project_id, "News for everyone", "public"),
            repeat=10,
        )
        began = time.perf_counter()
        sent = await notifications.send_digests(now=clock.now() + timedelta(hours=1))
        print(f"  digests for 50 contacts x 10 updates: {sent} mails in {time.perf_counter() - began:.2f} s")
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--updates", type=int, default=2_000)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    ensure_secret_key()
    if args.only != "postgres":
        with tempfile.TemporaryDirectory(prefix="portico-bench-") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            asyncio.run(run(url, "sqlite", args.requests, args.updates))
    if args.only != "sqlite":
        from tests.support.postgres import start_cluster

        cluster = start_cluster()
        try:
            cluster.run_sql("CREATE DATABASE bench")
            asyncio.run(run(cluster.url("bench"), "postgres", args.requests, args.updates))
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
