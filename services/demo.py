"""A realistic demo agency: a few clients with contacts and projects, for `make run` and screenshots."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from models.organizations import Organization
from services.clients import clients, contacts
from services.core import clock
from services.core.actors import StaffActor, SystemActor
from services.core.db import unit_of_work
from services.organizations import organizations
from services.projects import discussion, milestones, projects, work_requests
from services.staff import staff

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


# Milestones (title, days from today, done), requests (title, column) and updates (text, visibility) per active project
MILESTONES = [("Kick-off", -25, True), ("Designs approved", -5, True), ("First build", 7, False), ("Launch", 0, False)]
REQUESTS = [
    ("Add the new logo to the header", "done"),
    ("Newsletter sign-up in the footer", "in_progress"),
    ("Check the contact form on mobile", "backlog"),
]
UPDATES = [
    ("Designs are signed off: thank you for the quick feedback! The build starts Monday.", "public"),
    ("Client prefers calls before 11 am; keep estimates conservative on the booking work.", "internal"),
]


async def _project_work(actor: StaffActor, project_id: uuid.UUID, due_in: int) -> None:
    for title, days, done in MILESTONES:
        when = clock.now().date() + timedelta(days=days if days else due_in)
        await milestones.add_milestone(actor, project_id, milestones.MilestoneInput(title, when, done))
    for title, column in REQUESTS:
        card = await work_requests.create_request(actor, project_id, work_requests.RequestInput(title))
        if column != "backlog":
            await work_requests.move_request(actor, card.id, column)
    for text, visibility in UPDATES:
        await discussion.post_update(actor, project_id, text, visibility)


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
            project = await projects.create_project(
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
            if status == "active":
                await _project_work(actor, project.id, due_in)
    return DemoLogin(email=DEMO_OWNER, password=password, slug=DEMO_SLUG, created=True)
