"""A realistic demo agency: a few clients with contacts and projects, for `make run` and screenshots."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from models.organizations import Organization
from services import clients, clock, contacts, organizations, projects, staff
from services.actors import SystemActor
from services.db import unit_of_work

DEMO_SLUG = "northwind-studio"
DEMO_OWNER = "owner@northwind-studio.test"

CLIENTS = [
    (
        "Acme Outdoor Co.",
        "accounts@acme-outdoor.test",
        "12 Ridge Road\nBoulder, CO 80302",
        [
            ("Jane Cooper", "jane@acme-outdoor.test", "Marketing lead", True),
            ("Tom Reyes", "tom@acme-outdoor.test", "CFO", True),
        ],
        [("Spring campaign site", "active", "Design", 21), ("Product photography", "planned", "Discovery", 60)],
    ),
    (
        "Bluebird Bakery",
        "hello@bluebird-bakery.test",
        "4 Market Street\nPortland, OR 97205",
        [("Maya Patel", "maya@bluebird-bakery.test", "Owner", True)],
        [("Online ordering", "active", "Build", 35)],
    ),
    (
        "Cobalt Legal LLP",
        "office@cobalt-legal.test",
        "900 Main Street, Suite 12\nAustin, TX 78701",
        [
            ("Daniel Kim", "daniel@cobalt-legal.test", "Managing partner", True),
            ("Priya Shah", "priya@cobalt-legal.test", "Office manager", False),
        ],
        [("Brand refresh", "completed", "Handover", -14), ("Intranet", "on_hold", "Scoping", 90)],
    ),
    (
        "Driftwood Hotels",
        "it@driftwood-hotels.test",
        "1 Harbour Way\nSan Diego, CA 92101",
        [("Lena Novak", "lena@driftwood-hotels.test", "Digital director", True)],
        [("Booking engine integration", "active", "QA", 10)],
    ),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    slug: str
    created: bool


async def has_any_organization() -> bool:
    async with unit_of_work(SystemActor(label="demo")) as session:
        return bool(await session.scalar(select(func.count()).select_from(Organization)))


async def seed(password: str | None = None) -> DemoLogin:
    """Create the demo agency. The owner's password is random unless given, and is returned to print once."""
    password = password or secrets.token_urlsafe(12)
    await organizations.create_organization(
        SystemActor(label="demo"),
        name="Northwind Studio",
        slug=DEMO_SLUG,
        owner_email=DEMO_OWNER,
        owner_password=password,
        owner_name="Alex Morgan",
    )
    who = await staff.check_password(DEMO_OWNER, password)
    assert who is not None
    actor = await staff.actor_for(who.user_id, who.org_id, via="demo")
    assert actor is not None
    await organizations.update_organization(
        actor,
        organizations.OrganizationChanges(
            name="Northwind Studio",
            slug=DEMO_SLUG,
            welcome_message="Welcome to your Northwind Studio portal: projects, files and invoices in one place.",
            support_email="support@northwind-studio.test",
        ),
    )
    today = clock.now().date()
    for name, email, address, people, work in CLIENTS:
        client = await clients.create_client(actor, clients.ClientInput(name=name, email=email, address=address))
        for person, person_email, title, portal in people:
            await contacts.create_contact(
                actor,
                client.id,
                contacts.ContactInput(email=person_email, name=person, title=title, portal_enabled=portal),
            )
        for project_name, status, phase, due_in in work:
            await projects.create_project(
                actor,
                client.id,
                projects.ProjectInput(
                    name=project_name,
                    status=status,
                    phase=phase,
                    lead_user_id=who.user_id,
                    start_date=today - timedelta(days=30),
                    due_date=today + timedelta(days=due_in),
                ),
            )
    return DemoLogin(email=DEMO_OWNER, password=password, slug=DEMO_SLUG, created=True)
