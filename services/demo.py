"""A realistic demo agency for `make run` and screenshots: clients with contacts, projects with their own
milestones, requests and updates, invoices in every state in two currencies, and quotes. Seeding sends no mail: the
contacts are made up, so what the services queued for them is dropped once the demo is in place."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select

from models.collaboration import PendingNotification
from models.mail import OutboxMail
from models.organizations import Organization
from services import demo_files
from services.billing import invoices, manual_payments
from services.billing.invoices import InvoiceInput
from services.billing.line_items import LineInput
from services.clients import clients, contacts
from services.core import clock, money
from services.core.actors import StaffActor, SystemActor
from services.core.db import unit_of_work
from services.organizations import organizations
from services.projects import discussion, milestones, projects, work_requests
from services.quotes import quotes
from services.staff import staff
from services.time import entries, rates

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
        "Rua do Alecrim 12\n1200-017 Lisboa, Portugal",
        [("Lena Novak", "lena@driftwood-hotels.test", "Digital director", True)],
        [("Booking engine integration", "active", "QA", 10)],
    ),
]


# Milestones (title, days from today, done) per active project; the last one's day is the project's due date.
MILESTONES = [("Kick-off", -25, True), ("Designs approved", -5, True), ("First build", 7, False), ("Launch", 0, False)]

# Each active project's own requests (title, column) and updates (text, visibility).
WORK: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    "Spring campaign site": (
        [
            ("Add the new logo to the header", "done"),
            ("Newsletter sign-up in the footer", "in_progress"),
            ("Check the contact form on mobile", "backlog"),
        ],
        [
            ("Designs are signed off: thank you for the quick feedback! The build starts Monday.", "public"),
            ("Client prefers calls before 11 am; keep estimates conservative.", "internal"),
        ],
    ),
    "Online ordering": (
        [
            ("Show sold-out pastries as unavailable", "in_progress"),
            ("Pickup times from 7 am", "backlog"),
            ("Card payments at checkout", "done"),
        ],
        [
            ("The menu import is done: 48 products with photos are in the shop. Please check the prices.", "public"),
            ("Their POS export has duplicate SKUs; clean-up script in the repo.", "internal"),
        ],
    ),
    "Booking engine integration": (
        [
            ("Room photos in the booking widget", "backlog"),
            ("Test the Portuguese translation", "in_progress"),
            ("Connect the channel manager", "done"),
        ],
        [
            ("QA has started: bookings now reach the channel manager within a minute in the test hotel.", "public"),
            ("Vendor API rate limit is 10/s; batch the availability sync.", "internal"),
        ],
    ),
}

# Invoices: (client, currency, lines, days from today to the issue date, days of terms, what happens to it).
# "paid" and "partial" record bank transfers; "sent" invoices whose due date has passed are overdue.
INVOICES = [
    ("Acme Outdoor Co.", "USD", [("Discovery workshop", "1", "2400.00")], -150, 30, "paid"),
    (
        "Acme Outdoor Co.",
        "USD",
        [("Campaign site design", "1", "6500.00"), ("Stock photography", "3", "215.00")],
        -95,
        30,
        "paid",
    ),
    ("Acme Outdoor Co.", "USD", [("Campaign site build, first half", "1", "4145.00")], -12, 30, "sent"),
    ("Acme Outdoor Co.", "USD", [("Campaign site build, second half", "1", "4145.00")], 0, 30, "draft"),
    (
        "Bluebird Bakery",
        "USD",
        [("Online ordering: set-up", "1", "1800.00"), ("Hosting, 12 months", "12", "29.00")],
        -45,
        14,
        "overdue",
    ),
    ("Bluebird Bakery", "USD", [("Menu photography", "1", "650.00")], -70, 14, "paid"),
    ("Cobalt Legal LLP", "USD", [("Brand refresh", "1", "9800.00")], -120, 30, "paid"),
    ("Driftwood Hotels", "EUR", [("Booking engine integration, phase 1", "1", "7200.00")], -20, 30, "partial"),
    ("Driftwood Hotels", "EUR", [("Support retainer, November", "10", "95.00")], -5, 30, "sent"),
]


async def _project_work(actor: StaffActor, project_id: uuid.UUID, project_name: str, due_in: int) -> None:
    for title, days, done in MILESTONES:
        when = clock.now().date() + timedelta(days=days if days else due_in)
        await milestones.add_milestone(actor, project_id, milestones.MilestoneInput(title, when, done))
    requests, updates = WORK[project_name]
    for title, column in requests:
        card = await work_requests.create_request(actor, project_id, work_requests.RequestInput(title))
        if column != "backlog":
            await work_requests.move_request(actor, card.id, column)
    for text, visibility in updates:
        await discussion.post_update(actor, project_id, text, visibility)


# Time on the first active project: (days ago, hours, what, approved). Approved time shows on the client's Hours page.
TIME = [
    (18, "3", "Discovery workshop follow-up", True),
    (16, "2.5", "Sitemap and content model", True),
    (13, "4", "Homepage wireframes", True),
    (11, "1.5", "Client call: wireframe review", True),
    (9, "5", "Homepage visual design", True),
    (6, "3.5", "Product story template", True),
    (3, "2", "Store finder prototype", False),
    (1, "1", "Design QA", False),
]


async def _project_time(actor: StaffActor, project_id: uuid.UUID) -> None:
    await rates.set_project_rates(actor, project_id, hourly_rate="120.00", budget_hours="60")
    today = clock.now().date()
    approved = []
    for days_ago, hours, what, approve in TIME:
        entry = await entries.log_entry(
            actor, entries.EntryInput(project_id, today - timedelta(days=days_ago), hours, what)
        )
        if approve:
            approved.append(entry.id)
    await entries.approve(actor, approved)


async def _invoices(actor: StaffActor, client_ids: dict[str, uuid.UUID]) -> None:
    today = clock.now().date()
    for client_name, currency, lines, issued_in, terms, fate in INVOICES:
        issue_date = today + timedelta(days=issued_in)
        draft = await invoices.create_invoice(
            actor,
            InvoiceInput(
                client_id=client_ids[client_name],
                currency=currency,
                lines=[LineInput(text, quantity, price) for text, quantity, price in lines],
                issue_date=issue_date,
                due_date=issue_date + timedelta(days=terms),
                notes="Thank you for your business!",
            ),
        )
        if fate == "draft":
            continue
        sent = await invoices.send_invoice(actor, draft.id)
        paid_on = min(issue_date + timedelta(days=terms // 2), today)
        if fate == "paid":
            amount = str(money.from_minor(sent.amount_due_minor, currency))
        elif fate == "partial":
            amount = str(money.from_minor(sent.amount_due_minor // 2, currency))
        else:
            continue
        await manual_payments.record_payment(
            actor, draft.id, manual_payments.PaymentInput(amount=amount, paid_on=paid_on, reference="Bank transfer")
        )


QUOTE_TERMS = (
    "Prices are valid until the date above. Work starts within two weeks of acceptance; the deposit is due on "
    "acceptance and the balance is invoiced at launch. Two rounds of revisions are included."
)


async def _quotes(actor: StaffActor, client_ids: dict[str, uuid.UUID]) -> None:
    """A quote waiting for Acme's answer (with a deposit), and one still being drafted for Bluebird."""
    waiting = await quotes.create_quote(
        actor,
        quotes.QuoteInput(
            client_id=client_ids["Acme Outdoor Co."],
            title="Spring campaign landing pages",
            currency="USD",
            deposit_percent="30",
            terms=QUOTE_TERMS,
            start_project=True,
            lines=[
                LineInput("Landing page design, 3 variants", "3", "1200.00"),
                LineInput("Build and A/B test set-up", "1", "2800.00"),
                LineInput("Copywriting, per page", "3", "350.00"),
            ],
        ),
    )
    await quotes.send_quote(actor, waiting.id)
    await quotes.create_quote(
        actor,
        quotes.QuoteInput(
            client_id=client_ids["Bluebird Bakery"],
            title="Loyalty card app",
            currency="USD",
            terms=QUOTE_TERMS,
            lines=[LineInput("Discovery and prototype", "1", "3200.00"), LineInput("App build", "1", "9400.00")],
        ),
    )


async def _drop_queued_mail(org_id: uuid.UUID) -> None:
    """The demo's contacts are made up: nothing the seeding queued for them (invoices, digests) goes out."""
    async with unit_of_work(SystemActor(org_id=org_id, label="demo")) as session:
        await session.execute(delete(OutboxMail).where(OutboxMail.org_id == org_id))
        await session.execute(delete(PendingNotification).where(PendingNotification.org_id == org_id))


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
    client_ids: dict[str, uuid.UUID] = {}
    client_ids_with_files: set[uuid.UUID] = set()
    for name, email, address, people, work in CLIENTS:
        client = await clients.create_client(actor, clients.ClientInput(name=name, email=email, address=address))
        client_ids[name] = client.id
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
                await _project_work(actor, project.id, project_name, due_in)
                if not client_ids_with_files:  # the first active project gets a brief and a design to review
                    await demo_files.seed_files(actor, project.id, name)
                    await _project_time(actor, project.id)
                    client_ids_with_files.add(client.id)
    await _invoices(actor, client_ids)
    await _quotes(actor, client_ids)
    await _drop_queued_mail(who.org_id)
    return DemoLogin(email=DEMO_OWNER, password=password, slug=DEMO_SLUG, created=True)
