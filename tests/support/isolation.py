"""The two organizations the isolation tests attack, and how to snapshot what an intruder must not change."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

from sqlalchemy import (
    ColumnElement,
    Dialect,
    LargeBinary,
    Select,
    Table,
    Text,
    TextClause,
    and_,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)

from models import (
    ApiToken,
    Approval,
    AuditAction,
    AuditEvent,
    Client,
    Comment,
    Contact,
    Deliverable,
    DeliverableVersion,
    DocumentRequest,
    DocumentSettings,
    File,
    InboxItem,
    InboxRead,
    Interval,
    Invoice,
    InvoiceLine,
    InvoiceView,
    MagicLink,
    Membership,
    Milestone,
    NotificationPreference,
    NotificationSent,
    Organization,
    OutboxMail,
    Payment,
    PendingNotification,
    PortalSession,
    Project,
    Purchase,
    PurchaseStatus,
    Quote,
    QuoteAcceptance,
    QuoteLine,
    QuoteView,
    ReceivableDueDate,
    ReceivableMonth,
    ReminderSent,
    Service,
    StaffInvitation,
    StaffSession,
    StaffUser,
    Subscription,
    TimeEntry,
    Update,
    WorkRequest,
)
from models.base import Base
from services.billing import invoice_views, invoices, manual_payments
from services.billing.line_items import LineInput
from services.catalog import catalog
from services.clients import clients, contacts, magic_links, portal_sessions
from services.core.actors import PortalActor, StaffActor, SystemActor
from services.core.common import hash_secret
from services.core.db import unit_of_work
from services.files import deliverables, files
from services.mail import outbox
from services.projects import discussion, milestones, notifications, projects, work_requests
from services.quotes import acceptance, quote_views, quotes
from services.staff import api_tokens, staff, staff_sessions, team
from services.time import entries, rates
from tests.support.client_quotes import mark_quote_sent
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import mark_sent

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


INVOICING = (Invoice, InvoiceLine, Payment, InvoiceView, ReminderSent)
COLLABORATION = (
    Milestone,
    WorkRequest,
    Update,
    Comment,
    NotificationPreference,
    PendingNotification,
    NotificationSent,
    InboxItem,
    File,
    Deliverable,
    DeliverableVersion,
    Approval,
    TimeEntry,
    DocumentRequest,
)
PDF_HEAD = b"%PDF-1.4\n"
CATALOG = (Service, Purchase, Subscription)
QUOTING = (Quote, QuoteLine, QuoteAcceptance, QuoteView)


@dataclass(frozen=True)
class Reach:
    """The rows an intruder must not reach, and the strings that must not appear in anything it gets back."""

    org_id: uuid.UUID
    client_id: uuid.UUID
    contact_id: uuid.UUID
    project_id: uuid.UUID
    token_id: uuid.UUID
    user_id: uuid.UUID
    portal_session_id: uuid.UUID
    markers: frozenset[str]
    whole_org: bool  # False: one client of the intruder's own organization

    def scope(self) -> list[tuple[type[Base], ColumnElement[bool]]]:
        if not self.whole_org:
            # Another client's contact writes to the shared log about its own things (its mail choices, say):
            # those rows are not the target's, everything else in the organization's log is.
            others = select(Contact.id).where(Contact.org_id == self.org_id, Contact.client_id != self.client_id)
            audit = and_(
                AuditEvent.org_id == self.org_id,
                or_(AuditEvent.actor_type != "portal", AuditEvent.actor_id.not_in(others)),
            )
            return [
                (Client, Client.id == self.client_id),
                (Contact, Contact.client_id == self.client_id),
                (Project, Project.client_id == self.client_id),
                (MagicLink, MagicLink.client_id == self.client_id),
                (PortalSession, PortalSession.client_id == self.client_id),
                *((m, m.client_id == self.client_id) for m in (Invoice, InvoiceLine, Payment, InvoiceView)),
                *((m, m.client_id == self.client_id) for m in COLLABORATION),
                *((m, m.client_id == self.client_id) for m in (Purchase, Subscription)),
                *((m, m.client_id == self.client_id) for m in QUOTING),
                # the catalog is the organization's: no portal actor, of whichever client, may change it
                (Service, Service.org_id == self.org_id),
                (AuditEvent, audit),
            ]
        owned = (
            Client,
            Contact,
            Project,
            ApiToken,
            StaffSession,
            Membership,
            AuditEvent,
            OutboxMail,
            MagicLink,
            InboxRead,
            StaffInvitation,
            DocumentSettings,
        )
        kept = (AuditAction, ReceivableMonth, ReceivableDueDate)  # what the services keep beside the rows
        return [(Organization, Organization.id == self.org_id), (StaffUser, StaffUser.id == self.user_id)] + [
            (m, m.org_id == self.org_id)
            for m in (*owned, *kept, PortalSession, *INVOICING, *COLLABORATION, *CATALOG, *QUOTING)
        ]


@dataclass(frozen=True)
class Target(Reach):
    """A reach with what the probes aim at: the target client's invoice and project work (see `aim`)."""

    invoice_id: uuid.UUID  # sent and partly paid
    # the project work (see `collaborate`)
    milestone_id: uuid.UUID
    request_id: uuid.UUID
    update_id: uuid.UUID  # public, with a public and an internal comment
    internal_update_id: uuid.UUID
    invitation_id: uuid.UUID  # org A's pending staff invitation (org B's outbox stays empty)
    # files and deliverables (see `share_files`)
    file_id: uuid.UUID  # shared with the client
    unshared_file_id: uuid.UUID
    deliverable_id: uuid.UUID  # approved by the client's contact (org B's: a draft, so its outbox stays empty)
    draft_deliverable_id: uuid.UUID
    # time (see `log_time`)
    approved_entry_id: uuid.UUID
    submitted_entry_id: uuid.UUID
    # the catalog (see `offer_services` and `buy`): the organization's services, the target client's purchase
    service_id: uuid.UUID  # public: on offer to the organization's own portal
    hidden_service_id: uuid.UUID  # not public
    archived_service_id: uuid.UUID  # public, but archived
    subscription_id: uuid.UUID  # the target client's, active
    purchase_id: uuid.UUID  # the target client's, paid (it made the subscription)
    # quotes (see `quoted`): the target client's sent quote (opened once in the portal) and a draft
    quote_id: uuid.UUID
    draft_quote_id: uuid.UUID
    quote_sha256: str  # the sent quote's content hash: what a signature on it must name


@dataclass(frozen=True)
class Invited:
    """Org A's pending staff invitation: what the team probes aim at."""

    org_id: uuid.UUID
    row: team.InvitationRow


@dataclass(frozen=True)
class Intruder:
    label: str
    actor: StaffActor | PortalActor
    target: Target
    own_slug: str


@dataclass(frozen=True)
class SecondClient:
    """Org A's second client (A2): its contact and project."""

    client: clients.ClientView
    contact: contacts.ContactView
    project: projects.ProjectView


@dataclass(frozen=True)
class Worlds:
    intruders: list[Intruder]
    portal: PortalActor
    portal_session_id: uuid.UUID  # A1's own
    a: OrgWorld
    a2: SecondClient
    b: OrgWorld
    a1_invoice_id: uuid.UUID
    a1_work: Worked  # the portal contact's own client's project work
    offered_a: Offered  # each organization's catalog
    offered_b: Offered
    a1_bought: Bought  # the portal contact's own client's purchase and subscription
    a1_quoted: Quoted  # the portal contact's own client's sent quote and draft


async def snapshot(target: Target) -> dict[str, list[str]]:
    """Every row the target owns, as text, read in one statement: each row as a JSON array of its columns, tagged
    with its table. The isolation tests take two snapshots per intruder and probe; one statement per table (some
    fifty) was nearly all of their time."""
    async with unit_of_work(SystemActor()) as session:
        connection = await session.connection()
        statement = _snapshot_statement(target, connection.dialect)
        rows: dict[str, list[str]] = {model.__tablename__: [] for model, _ in target.scope()}
        for table, row in await connection.execute(statement):
            rows[table].append(row)
        return {table: sorted(texts) for table, texts in rows.items()}


# (target, dialect name) -> the snapshot's statement, built and compiled once: the same few targets are read
# thousands of times, and building the union and its cache key was most of a snapshot's remaining time.
_SNAPSHOTS: dict[tuple[Target, str], TextClause] = {}


def _snapshot_statement(target: Target, dialect: Dialect) -> TextClause:
    key = (target, dialect.name)
    if key not in _SNAPSHOTS:
        on_sqlite = dialect.name == "sqlite"
        parts = (_rows_as_text(model.__table__, condition, on_sqlite) for model, condition in target.scope())
        _SNAPSHOTS[key] = text(str(union_all(*parts).compile(dialect=dialect, compile_kwargs={"literal_binds": True})))
    return _SNAPSHOTS[key]


def _rows_as_text(table: Table, condition: ColumnElement[bool], on_sqlite: bool) -> Select:
    """SELECT 'table', json_array(each column) … WHERE condition. SQLite's JSON holds no blobs: they go as hex."""
    row: ColumnElement[str]
    if on_sqlite:
        columns = [func.hex(c) if isinstance(c.type, LargeBinary) else c for c in table.columns]
        row = func.json_array(*columns)
    else:
        row = cast(func.json_build_array(*table.columns), Text)
    return select(literal(table.name, Text).label("table_name"), row.label("row")).where(condition)


async def sign_in(contact_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """A signed-in browser of the contact: its session's id and cookie value."""
    async with unit_of_work(SystemActor()) as session:
        contact = await session.get(Contact, contact_id)
        assert contact is not None
        cookie = await portal_sessions.start(session, contact, ip="", user_agent="")
        session_id = await session.scalar(
            select(PortalSession.id).where(PortalSession.token_hash == hash_secret(cookie))
        )
        assert session_id is not None
        return session_id, cookie


def org_reach(world: OrgWorld, token_id: uuid.UUID, session_id: uuid.UUID) -> Reach:
    markers = {str(x) for x in (world.actor.org_id, world.actor.user_id, world.client.id, world.contact.id)}
    markers |= {str(world.project.id), str(token_id), world.owner_email, world.client.name, world.contact.email}
    markers.add(str(session_id))
    markers |= {world.project.name, world.client.email, "api_token.revoked"}  # only org A has revoked a token
    return Reach(
        world.actor.org_id,
        world.client.id,
        world.contact.id,
        world.project.id,
        token_id,
        world.actor.user_id,
        session_id,
        frozenset(markers),
        whole_org=True,
    )


@dataclass(frozen=True)
class Billed:
    org_id: uuid.UUID
    client_id: uuid.UUID
    invoice_id: uuid.UUID
    markers: frozenset[str]


async def billed(actor: StaffActor, client_id: uuid.UUID, amount: str, reference: str) -> Billed:
    """A sent, partly paid invoice; its markers: id, link token, amounts, line text and payment reference."""
    line = f"Retainer {reference}"
    detail = await invoices.create_invoice(
        actor, invoices.InvoiceInput(client_id=client_id, lines=[invoices.LineInput(line, "1", amount)])
    )
    await mark_sent(detail.id)
    paid = await manual_payments.record_payment(
        actor, detail.id, manual_payments.PaymentInput("1.00", reference=reference)
    )
    markers = {str(detail.id), invoice_views.public_token(detail.id), line, reference}
    markers |= {str(paid.total_minor), str(paid.amount_due_minor)}  # 777777 and 777677: no other number is like them
    return Billed(actor.org_id, client_id, detail.id, frozenset(markers))


@dataclass(frozen=True)
class Worked:
    """One client's project work: the ids probes aim at, and every id and text of it as markers."""

    org_id: uuid.UUID
    client_id: uuid.UUID
    milestone_id: uuid.UUID
    request_id: uuid.UUID
    update_id: uuid.UUID
    internal_update_id: uuid.UUID
    internal_markers: frozenset[str]  # what not even the client's own contacts may see
    markers: frozenset[str]
    shared: Shared
    time: Logged


@dataclass(frozen=True)
class Logged:
    """One client's time: an approved entry (its description the client may see), a submitted and a rejected
    one, with the internal note and the project's rate (which nobody on the client's side may see)."""

    approved_entry_id: uuid.UUID
    submitted_entry_id: uuid.UUID
    internal_markers: frozenset[str]
    markers: frozenset[str]


RATES = {"alpha-one": "987.65", "alpha-two": "876.43", "bravo": "765.21"}


async def log_time(member: StaffActor, project_id: uuid.UUID, ref: str) -> Logged:
    rate = RATES[ref]  # each organization's own: the other's audit log holds its own rate, not this one
    await rates.set_project_rates(member, project_id, hourly_rate=rate, budget_hours="42")
    day = date(2026, 3, 2)
    approved = await entries.log_entry(
        member, entries.EntryInput(project_id, day, "1.5", f"{ref} approved work", note=f"{ref} time note")
    )
    await entries.approve(member, [approved.id])
    submitted = await entries.log_entry(member, entries.EntryInput(project_id, day, "2", f"{ref} waiting work"))
    rejected = await entries.log_entry(member, entries.EntryInput(project_id, day, "3", f"{ref} rejected work"))
    await entries.reject(member, [rejected.id], f"{ref} reject reason")
    hidden = {str(submitted.id), submitted.description, str(rejected.id), rejected.description, f"{ref} reject reason"}
    hidden |= {f"{ref} time note", rate}  # the rate as written (its bare digits could turn up inside a UUID)
    seen = {str(approved.id), approved.description}
    return Logged(approved.id, submitted.id, frozenset(hidden), frozenset(seen | hidden))


@dataclass(frozen=True)
class Shared:
    """One client's files and deliverables: the ids probes aim at, what its contacts see and what they never do."""

    file_id: uuid.UUID
    unshared_file_id: uuid.UUID
    deliverable_id: uuid.UUID
    draft_deliverable_id: uuid.UUID
    internal_markers: frozenset[str]
    markers: frozenset[str]


async def _bytes(data: bytes):
    yield data


async def share_files(
    member: StaffActor, portal: PortalActor, project_id: uuid.UUID, request_id: uuid.UUID, ref: str, *, by_contact: bool
) -> Shared:
    """A shared and an unshared staff file, the contact's attachment on the request, a deliverable the contact
    approved (where mail may go: else a second draft) and a draft deliverable."""
    shared = await files.upload(
        member, f"{ref} brief.pdf", _bytes(PDF_HEAD + f"{ref} brief".encode()), project_id=project_id, shared=True
    )
    unshared = await files.upload(
        member, f"{ref} staff notes.txt", _bytes(f"{ref} staff notes".encode()), project_id=project_id
    )
    design = await deliverables.create(
        member, project_id, f"{ref} homepage design", f"{ref} design.pdf", _bytes(PDF_HEAD + f"{ref} design".encode())
    )
    draft = await deliverables.create(
        member, project_id, f"{ref} draft idea", f"{ref} idea.pdf", _bytes(PDF_HEAD + f"{ref} idea".encode())
    )
    seen: list[files.FileView] = [shared]
    markers = {str(design.id), design.title}
    if by_contact:
        seen.append(
            await files.upload(portal, f"{ref} logo.txt", _bytes(f"{ref} logo".encode()), request_id=request_id)
        )
        await deliverables.send_for_review(member, design.id)
        approved = await deliverables.decide(portal, design.id, "approved", version=1, user_agent=f"{ref} browser")
        assert approved.approval is not None
        markers |= {str(approved.approval.id), f"{ref} browser", approved.latest.sha256}  # type: ignore[union-attr]
        markers |= {str(approved.latest.file_id), approved.latest.file_name}  # type: ignore[union-attr]
    markers |= {str(f.id) for f in seen} | {f.name for f in seen} | {f.sha256 for f in seen}
    hidden = {str(unshared.id), unshared.name, unshared.sha256, str(draft.id), draft.title}
    hidden |= {str(draft.latest.file_id), draft.latest.file_name, draft.latest.sha256}  # type: ignore[union-attr]
    if not by_contact:
        hidden |= {str(design.latest.file_id), design.latest.file_name}  # type: ignore[union-attr]
    return Shared(shared.id, unshared.id, design.id, draft.id, frozenset(hidden), frozenset(markers | hidden))


def contact_actor(staff_actor: StaffActor, contact: contacts.ContactView) -> PortalActor:
    return PortalActor(staff_actor.org_id, contact.client_id, contact.id, contact.email)


async def collaborate(
    staff_actor: StaffActor, contact: contacts.ContactView, project_id: uuid.UUID, ref: str, *, by_contact: bool = True
) -> Worked:
    """A milestone; a request (the contact's, or staff's where the organization's outbox must stay empty); a public
    update with a public and an internal comment; an internal update; on the request a public and an internal
    comment and update; and the contact's mail choices (a notification_preferences row)."""
    member, portal = staff_actor, contact_actor(staff_actor, contact)
    milestone = await milestones.add_milestone(
        member, project_id, milestones.MilestoneInput(f"{ref} milestone", date(2031, 1, 1))
    )
    card = await work_requests.create_request(
        portal if by_contact else member, project_id, work_requests.RequestInput(f"{ref} request", f"{ref} asks")
    )
    public = await discussion.post_update(member, project_id, f"{ref} public update", "public")
    internal = await discussion.post_update(member, project_id, f"{ref} internal update", "internal")
    seen: list[discussion.CommentView | discussion.UpdateView] = [
        await discussion.add_comment(portal, f"{ref} public reply", update_id=public.id),
        await discussion.add_comment(member, f"{ref} request answer", request_id=card.id, visibility="public"),
        await discussion.post_update(member, project_id, f"{ref} request news", "public", request_id=card.id),
    ]
    hidden: list[discussion.CommentView | discussion.UpdateView] = [
        internal,
        await discussion.add_comment(member, f"{ref} internal reply", update_id=public.id, visibility="internal"),
        await discussion.add_comment(member, f"{ref} internal thread", update_id=internal.id, visibility="internal"),
        await discussion.add_comment(member, f"{ref} request note", request_id=card.id, visibility="internal"),
        await discussion.post_update(member, project_id, f"{ref} request memo", "internal", request_id=card.id),
    ]
    await notifications.set_preferences(portal, True, True)
    shared = await share_files(member, portal, project_id, card.id, ref, by_contact=by_contact)
    logged = await log_time(member, project_id, ref)
    internal_markers = frozenset({str(h.id) for h in hidden} | {h.body for h in hidden}) | shared.internal_markers
    internal_markers |= logged.internal_markers
    markers = {str(milestone.id), milestone.title, str(card.id), card.title, card.description, str(public.id)}
    markers |= {str(s.id) for s in seen} | {s.body for s in seen} | {public.body}
    return Worked(
        staff_actor.org_id,
        contact.client_id,
        milestone.id,
        card.id,
        public.id,
        internal.id,
        internal_markers,
        frozenset(markers) | internal_markers | shared.markers | logged.markers,
        shared,
        logged,
    )


@dataclass(frozen=True)
class Offered:
    """One organization's catalog: a public service, a hidden one and an archived one (public when it was archived).
    The hidden and the archived one no portal actor sees, not even the organization's own."""

    org_id: uuid.UUID
    service_id: uuid.UUID
    hidden_service_id: uuid.UUID
    archived_service_id: uuid.UUID
    internal_markers: frozenset[str]
    markers: frozenset[str]


async def offer_services(owner: StaffActor, ref: str) -> Offered:
    def plan(kind: str, public: bool) -> catalog.ServiceInput:
        return catalog.ServiceInput(
            name=f"{ref} {kind} plan",
            price="321.09",
            currency="USD",
            interval="month",
            description=f"{ref} {kind} plan details",
            public=public,
            milestones=(catalog.TemplateMilestone(f"{ref} {kind} kick-off", 3),),
            request_title=f"{ref} {kind} first request",
            request_description=f"{ref} {kind} first brief",
        )

    public = await catalog.create_service(owner, plan("public", True))
    hidden = await catalog.create_service(owner, plan("hidden", False))
    archived = await catalog.create_service(owner, plan("archived", True))
    await catalog.set_archived(owner, archived.id, True)

    def texts(view: catalog.ServiceView) -> set[str]:
        found = {str(view.id), view.name, view.description, view.request_title, view.request_description}
        return found | {m.title for m in view.milestones}

    internal = texts(hidden) | texts(archived)
    return Offered(
        owner.org_id, public.id, hidden.id, archived.id, frozenset(internal), frozenset(internal | texts(public))
    )


@dataclass(frozen=True)
class Bought:
    """One client's paid purchase of its organization's public service and the subscription it made."""

    org_id: uuid.UUID
    client_id: uuid.UUID
    subscription_id: uuid.UUID
    purchase_id: uuid.UUID
    markers: frozenset[str]


async def buy(offered: Offered, contact: contacts.ContactView, ref: str) -> Bought:
    """As a paid portal purchase leaves them (bought under the name the service had then: the client's own)."""
    name = f"{ref} care plan"
    async with unit_of_work(SystemActor()) as session:
        subscription = Subscription(
            org_id=offered.org_id,
            client_id=contact.client_id,
            service_id=offered.service_id,
            service_name=name,
            interval=Interval.month,
            amount_minor=32109,
            currency="USD",
            stripe_subscription_id=f"sub_{ref}_care",
            stripe_customer_id=f"cus_{ref}_buyer",
            status="active",
            current_period_end=datetime(2031, 1, 1, tzinfo=UTC),
        )
        session.add(subscription)
        await session.flush()
        purchase = Purchase(
            org_id=offered.org_id,
            service_id=offered.service_id,
            contact_id=contact.id,
            client_id=contact.client_id,
            via="portal",
            email=f"buyer@{ref}-purchases.test",
            company=f"{ref} purchasing company",
            service_name=name,
            interval=Interval.month,
            amount_minor=32109,
            currency="USD",
            idempotency_key=f"portico-purchase-{ref}",
            status=PurchaseStatus.paid,
            stripe_session_id=f"cs_{ref}_care",
            checkout_url=f"https://checkout.stripe.test/{ref}-care",
            settled_at=datetime(2026, 3, 2, tzinfo=UTC),
            subscription_id=subscription.id,
        )
        session.add(purchase)
        await session.flush()
        markers = {str(subscription.id), name, subscription.stripe_subscription_id, subscription.stripe_customer_id}
        markers |= {str(purchase.id), purchase.email, purchase.company, purchase.idempotency_key}
        markers |= {str(purchase.stripe_session_id), purchase.checkout_url}
        return Bought(offered.org_id, contact.client_id, subscription.id, purchase.id, frozenset(markers))


@dataclass(frozen=True)
class Quoted:
    """One client's quotes: a sent one its contact opened in the portal, and a draft no portal actor may see."""

    org_id: uuid.UUID
    client_id: uuid.UUID
    quote_id: uuid.UUID
    draft_quote_id: uuid.UUID
    sha256: str
    draft_markers: frozenset[str]  # what not even the client's own contacts may see
    markers: frozenset[str]


async def quoted(staff_actor: StaffActor, contact: contacts.ContactView, ref: str) -> Quoted:
    """As sending leaves a quote (its parties fixed), without rendering and mailing a PDF: org B's outbox stays
    empty. Ids, link tokens, titles, line texts, terms and the content hash are its markers."""

    def draft(kind: str) -> quotes.QuoteInput:
        return quotes.QuoteInput(
            client_id=contact.client_id,
            title=f"{ref} {kind} quote",
            lines=[LineInput(f"{ref} {kind} quote line", "1", "4321.09")],
            terms=f"{ref} {kind} quote terms",
        )

    offer = await quotes.create_quote(staff_actor, draft("sent"))
    await mark_quote_sent(offer.id)
    opened = await acceptance.open_portal_quote(
        contact_actor(staff_actor, contact), offer.id, ip="", user_agent=f"{ref} quote browser"
    )
    assert opened.display_status == "sent"
    unsent = await quotes.create_quote(staff_actor, draft("draft"))

    def texts(detail: quote_views.QuoteDetail) -> set[str]:
        found = {str(detail.id), quote_views.public_token(detail.id), detail.title, detail.terms, detail.sha256}
        return found | {line.description for line in detail.lines}

    hidden = texts(unsent)
    return Quoted(
        staff_actor.org_id,
        contact.client_id,
        offer.id,
        unsent.id,
        opened.sha256,
        frozenset(hidden),
        frozenset(hidden | texts(opened) | {f"{ref} quote browser"}),
    )


Made = TypeVar("Made", Billed, Worked, Bought, Quoted)


def covered(reach: Reach, made: Sequence[Made]) -> list[Made]:
    """What of `made` the reach holds: its client's, or its organization's."""
    return [m for m in made if m.client_id == reach.client_id or (reach.whole_org and m.org_id == reach.org_id)]


def aim(
    reach: Reach,
    made: list[Billed],
    work: list[Worked],
    invitation: Invited,
    offered: list[Offered],
    bought: list[Bought],
    quotes_made: list[Quoted],
) -> Target:
    """The reach's own client's invoice, project work and purchase, its organization's services, and the markers of
    every invoice, piece of work and purchase it covers (its client's, or its organization's). Of one client of the
    intruder's own organization, the catalog's hidden and archived services are markers too (no portal actor may
    see them); its public ones are not (they are on offer to every client of the organization)."""
    invoice = next(b for b in made if b.client_id == reach.client_id)
    own = next(w for w in work if w.client_id == reach.client_id)
    menu = next(o for o in offered if o.org_id == reach.org_id)
    purchase = next(b for b in bought if b.client_id == reach.client_id)
    quote = next(q for q in quotes_made if q.client_id == reach.client_id)
    markers = reach.markers.union(
        *(b.markers for b in covered(reach, made)),
        *(w.markers for w in covered(reach, work)),
        *(b.markers for b in covered(reach, bought)),
        *(q.markers for q in covered(reach, quotes_made)),
        menu.markers if reach.whole_org else menu.internal_markers,
    )
    if reach.whole_org and reach.org_id == invitation.org_id:
        markers = markers | {invitation.row.email, str(invitation.row.id)}
    return Target(
        reach.org_id,
        reach.client_id,
        reach.contact_id,
        reach.project_id,
        reach.token_id,
        reach.user_id,
        reach.portal_session_id,
        markers,
        reach.whole_org,
        invoice_id=invoice.invoice_id,
        milestone_id=own.milestone_id,
        request_id=own.request_id,
        update_id=own.update_id,
        internal_update_id=own.internal_update_id,
        invitation_id=invitation.row.id,
        file_id=own.shared.file_id,
        unshared_file_id=own.shared.unshared_file_id,
        deliverable_id=own.shared.deliverable_id,
        draft_deliverable_id=own.shared.draft_deliverable_id,
        approved_entry_id=own.time.approved_entry_id,
        submitted_entry_id=own.time.submitted_entry_id,
        service_id=menu.service_id,
        hidden_service_id=menu.hidden_service_id,
        archived_service_id=menu.archived_service_id,
        subscription_id=purchase.subscription_id,
        purchase_id=purchase.purchase_id,
        quote_id=quote.quote_id,
        draft_quote_id=quote.draft_quote_id,
        quote_sha256=quote.sha256,
    )


async def raw(actor, statement) -> list:
    async with unit_of_work(actor) as session:
        return list(await session.scalars(statement))


async def make_worlds() -> Worlds:
    """Org A with clients A1 (the portal contact's) and A2, org B, their sign-in secrets and invoices."""
    a, b = await make_world("alpha"), await make_world("bravo")
    second = await clients.create_client(
        a.actor, clients.ClientInput(name="Alpha Second Client", email="billing@client-alpha2.test")
    )
    sam = await contacts.create_contact(
        a.actor, second.id, contacts.ContactInput(email="sam@client-alpha2.test", name="Sam", portal_enabled=True)
    )
    website = await projects.create_project(a.actor, second.id, projects.ProjectInput(name="Alpha Second Website"))
    a2 = SecondClient(second, sam, website)
    await api_tokens.create_token(a.actor, "old")
    await api_tokens.revoke_token(a.actor, (await api_tokens.list_tokens(a.actor))[0].id)
    await api_tokens.create_token(a.actor, "Alpha deploy")
    await api_tokens.create_token(b.actor, "Bravo deploy")
    [a_token], [b_token] = await api_tokens.list_tokens(a.actor), await api_tokens.list_tokens(b.actor)
    for world in (a, b):
        await staff_sessions.start_session(
            staff.SignedInStaff(world.actor.user_id, world.actor.org_id, world.actor.email, world.actor.role),
            ip="",
            user_agent="",
        )
    async with unit_of_work(SystemActor()) as session:
        outbox.queue(session, to=a.contact.email, subject="Alpha secret link", text="x", org_id=a.actor.org_id)
        # Mail org A's staff see as undelivered (to a marker address); org B's outbox stays empty.
        session.add(
            OutboxMail(
                org_id=a.actor.org_id, to_addr=a.contact.email, subject="Alpha lost", body_text="x", status="failed"
            )
        )
    for contact in (a.contact, sam):  # org A only: org B's outbox stays empty
        assert await magic_links.request_link(a.actor.org_id, contact.email, ip="")
    a1_session, a2_session, b_session = [(await sign_in(c.id))[0] for c in (a.contact, sam, b.contact)]

    portal = a.portal_actor()
    client_markers = {str(second.id), str(sam.id), str(website.id), second.name, second.email, sam.email, website.name}
    client_markers.add(str(a2_session))
    ids = (a.actor.org_id, second.id, sam.id, website.id, a_token.id, a.actor.user_id, a2_session)
    made = [
        await billed(a.actor, a.client.id, "7777.77", "alpha-one-ref"),
        await billed(a.actor, second.id, "5555.55", "alpha-two-ref"),
        await billed(b.actor, b.client.id, "424242.42", "bravo-ref"),
    ]
    work = [
        await collaborate(a.actor, a.contact, a.project.id, "alpha-one"),
        await collaborate(a.actor, sam, website.id, "alpha-two"),
        await collaborate(b.actor, b.contact, b.project.id, "bravo", by_contact=False),  # org B's outbox stays empty
    ]
    a2_reach = Reach(*ids, frozenset(client_markers), whole_org=False)
    invited = Invited(a.actor.org_id, await team.invite(a.actor, "invitee@alpha-team.test", "member"))
    offered = [await offer_services(a.actor, "alpha"), await offer_services(b.actor, "bravo")]
    bought = [
        await buy(offered[0], a.contact, "alpha-one"),
        await buy(offered[0], sam, "alpha-two"),
        await buy(offered[1], b.contact, "bravo"),
    ]

    quoting = [
        await quoted(a.actor, a.contact, "alpha-one"),
        await quoted(a.actor, sam, "alpha-two"),
        await quoted(b.actor, b.contact, "bravo"),
    ]

    def aimed(reach: Reach) -> Target:
        return aim(reach, made, work, invited, offered, bought, quoting)

    intruders = [
        Intruder("staff of B -> org A", b.actor, aimed(org_reach(a, a_token.id, a1_session)), "bravo"),
        Intruder("portal A1 -> client A2", portal, aimed(a2_reach), "alpha"),
        Intruder("portal A1 -> org B", portal, aimed(org_reach(b, b_token.id, b_session)), "alpha"),
    ]
    return Worlds(
        intruders,
        portal,
        a1_session,
        a,
        a2,
        b,
        a1_invoice_id=made[0].invoice_id,
        a1_work=work[0],
        offered_a=offered[0],
        offered_b=offered[1],
        a1_bought=bought[0],
        a1_quoted=quoting[0],
    )
