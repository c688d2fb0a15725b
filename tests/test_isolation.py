"""Tenants and clients stay apart: every service, each isolation layer on its own, and the scoping hook itself.

Org A has two clients (A1 with the portal contact, A2); org B is another agency. Intruders: B's owner against
org A, and A1's portal contact against client A2 and against org B. Whatever they call, they get NotFound or
nothing of the target, and the target's rows stay exactly as they were.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session, aliased

import services
from models import (
    ApiToken,
    AuditEvent,
    Client,
    Contact,
    Invoice,
    InvoiceLine,
    InvoiceView,
    MagicLink,
    Membership,
    Organization,
    OutboxMail,
    Payment,
    PortalSession,
    Project,
    ReminderSent,
    StaffSession,
    StaffUser,
)
from services import (
    api_tokens,
    audit,
    clients,
    contacts,
    db,
    invoice_access,
    invoice_listing,
    invoice_payments,
    invoice_views,
    invoices,
    magic_links,
    organizations,
    outbox,
    portal_sessions,
    projects,
    receivables,
    scoping,
    staff,
    staff_sessions,
)
from services.actors import PortalActor, StaffActor, SystemActor
from services.common import Page, hash_secret
from services.db import unit_of_work
from services.errors import NotFound
from tests.support.factories import make_world
from tests.support.invoicing import mark_sent

EXEMPT = {
    "organizations.create_organization": "the platform creating a tenant (SystemActor): no row of another org to reach",
}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


INVOICING = (Invoice, InvoiceLine, Payment, InvoiceView, ReminderSent)


@dataclass(frozen=True)
class Target:
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
    invoice_id: uuid.UUID | None = None  # the target client's invoice: sent and partly paid

    def scope(self) -> list[tuple[type, Any]]:
        if not self.whole_org:
            return [
                (Client, Client.id == self.client_id),
                (Contact, Contact.client_id == self.client_id),
                (Project, Project.client_id == self.client_id),
                (MagicLink, MagicLink.client_id == self.client_id),
                (PortalSession, PortalSession.client_id == self.client_id),
                *((m, m.client_id == self.client_id) for m in (Invoice, InvoiceLine, Payment, InvoiceView)),
                (AuditEvent, AuditEvent.org_id == self.org_id),
            ]
        owned = (Client, Contact, Project, ApiToken, StaffSession, Membership, AuditEvent, OutboxMail, MagicLink)
        return [(Organization, Organization.id == self.org_id), (StaffUser, StaffUser.id == self.user_id)] + [
            (m, m.org_id == self.org_id) for m in (*owned, PortalSession, *INVOICING)
        ]


@dataclass(frozen=True)
class Intruder:
    label: str
    actor: StaffActor | PortalActor
    target: Target
    own_slug: str


@dataclass(frozen=True)
class Worlds:
    intruders: list[Intruder]
    portal: PortalActor
    portal_session_id: uuid.UUID  # A1's own
    a: Any
    a2: Any
    b: Any
    a1_invoice_id: uuid.UUID | None = None


async def snapshot(target: Target) -> dict[str, list[tuple]]:
    async with unit_of_work(SystemActor()) as session:
        return {
            model.__tablename__: sorted(
                (tuple(map(str, row)) for row in await session.execute(select(model.__table__).where(condition))),
            )
            for model, condition in target.scope()
        }


async def sign_in(contact_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """A signed-in browser of the contact: its session's id and cookie value."""
    async with unit_of_work(SystemActor()) as session:
        cookie = await portal_sessions.start(session, await session.get(Contact, contact_id), ip="", user_agent="")
        return await session.scalar(
            select(PortalSession.id).where(PortalSession.token_hash == hash_secret(cookie))
        ), cookie


def org_target(world, token_id: uuid.UUID, session_id: uuid.UUID) -> Target:
    markers = {str(x) for x in (world.actor.org_id, world.actor.user_id, world.client.id, world.contact.id)}
    markers |= {str(world.project.id), str(token_id), world.owner_email, world.client.name, world.contact.email}
    markers.add(str(session_id))
    markers |= {world.project.name, world.client.email, "api_token.revoked"}  # only org A has revoked a token
    return Target(
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


@pytest.fixture
async def worlds(database) -> Worlds:
    a, b = await make_world("alpha"), await make_world("bravo")
    second = await clients.create_client(
        a.actor, clients.ClientInput(name="Alpha Second Client", email="billing@client-alpha2.test")
    )
    sam = await contacts.create_contact(
        a.actor, second.id, contacts.ContactInput(email="sam@client-alpha2.test", name="Sam", portal_enabled=True)
    )
    website = await projects.create_project(a.actor, second.id, projects.ProjectInput(name="Alpha Second Website"))
    a2 = type("A2", (), {"client": second, "contact": sam, "project": website})
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
    for contact in (a.contact, sam):  # org A only: org B's outbox stays empty
        assert await magic_links.request_link(a.actor.org_id, contact.email, ip="")
    a1_session, a2_session, b_session = [(await sign_in(c.id))[0] for c in (a.contact, sam, b.contact)]

    portal = PortalActor(a.actor.org_id, a.client.id, a.contact.id, a.contact.email)
    client_markers = {str(second.id), str(sam.id), str(website.id), second.name, second.email, sam.email, website.name}
    client_markers.add(str(a2_session))
    ids = (a.actor.org_id, second.id, sam.id, website.id, a_token.id, a.actor.user_id, a2_session)
    a2_target = Target(*ids, frozenset(client_markers), whole_org=False)
    intruders = [
        Intruder("staff of B -> org A", b.actor, org_target(a, a_token.id, a1_session), "bravo"),
        Intruder("portal A1 -> client A2", portal, a2_target, "alpha"),
        Intruder("portal A1 -> org B", portal, org_target(b, b_token.id, b_session), "alpha"),
    ]
    made = [
        await billed(a.actor, a.client.id, "7777.77", "alpha-one-ref"),
        await billed(a.actor, second.id, "5555.55", "alpha-two-ref"),
        await billed(b.actor, b.client.id, "424242.42", "bravo-ref"),
    ]
    intruders = [replace(i, target=with_invoices(i.target, made)) for i in intruders]
    return Worlds(intruders, portal, a1_session, a, a2, b, a1_invoice_id=made[0].invoice_id)


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
    paid = await invoice_payments.record_payment(
        actor, detail.id, invoice_payments.PaymentInput("1.00", reference=reference)
    )
    markers = {str(detail.id), invoice_views.public_token(detail.id), line, reference}
    markers |= {str(paid.total_minor), str(paid.amount_due_minor)}  # 777777 and 777677: no other number is like them
    return Billed(actor.org_id, client_id, detail.id, frozenset(markers))


def with_invoices(target: Target, made: list[Billed]) -> Target:
    """The target's invoice, and the markers of every invoice it covers (its client's, or its organization's)."""
    own = next(b for b in made if b.client_id == target.client_id)
    covered = [b for b in made if b.client_id == target.client_id or (target.whole_org and b.org_id == target.org_id)]
    return replace(target, invoice_id=own.invoice_id, markers=target.markers.union(*(b.markers for b in covered)))


def in_session(load: Callable, id_field: str) -> Callable[..., Awaitable[Any]]:
    async def probe(who, t: Target, _: Intruder) -> Any:
        async with unit_of_work(who) as session:
            return await load(session, who, getattr(t, id_field))

    return probe


async def _counts(who, t: Target, _: Intruder) -> Any:
    counts = await organizations.workspace_counts(who)
    assert counts == organizations.WorkspaceCounts(1, 1, 1, 1)  # B's own; org A has two of each
    return counts


async def _aging(who, t: Target, i: Intruder) -> Any:
    rows = await receivables.aging(who)
    assert i.label.startswith("staff of B")  # the portal is turned away before
    assert [(r.currency, r.total_minor) for r in rows] == [("USD", 42424142)]  # B's own invoice, less its payment
    return rows


async def _invoiced_vs_collected(who, t: Target, i: Intruder) -> Any:
    rows = await receivables.invoiced_vs_collected(who)
    assert (sum(r.invoiced_minor for r in rows), sum(r.collected_minor for r in rows)) == (42424242, 100)
    return rows


ProbeFn = Callable[[Any, Target, Intruder], Awaitable[Any]]
CASES: dict[str, list[ProbeFn]] = {
    "api_tokens.create_token": [lambda who, t, i: api_tokens.create_token(who, "probe")],
    "api_tokens.list_tokens": [lambda who, t, i: api_tokens.list_tokens(who)],
    "api_tokens.revoke_token": [lambda who, t, i: api_tokens.revoke_token(who, t.token_id)],
    "audit.list_events": [
        lambda who, t, i: audit.list_events(who, audit.AuditFilter(), limit=200),
        lambda who, t, i: audit.list_events(who, audit.AuditFilter(actor="alpha"), limit=200),
    ],
    "audit.list_actions": [lambda who, t, i: audit.list_actions(who)],
    "clients.load_client": [in_session(clients.load_client, "client_id")],
    "clients.create_client": [lambda who, t, i: clients.create_client(who, clients.ClientInput(name="Probe"))],
    "clients.update_client": [
        lambda who, t, i: clients.update_client(who, t.client_id, clients.ClientInput(name="Hijacked"))
    ],
    "clients.get_client": [lambda who, t, i: clients.get_client(who, t.client_id)],
    "clients.list_clients": [
        lambda who, t, i: clients.list_clients(who, limit=200),
        lambda who, t, i: clients.list_clients(who, search="alpha", limit=200),
    ],
    "contacts.load_contact": [in_session(contacts.load_contact, "contact_id")],
    "contacts.create_contact": [
        lambda who, t, i: contacts.create_contact(
            who, t.client_id, contacts.ContactInput(email="probe@evil.test", name="Probe", portal_enabled=True)
        )
    ],
    "contacts.update_contact": [
        lambda who, t, i: contacts.update_contact(
            who, t.contact_id, contacts.ContactChanges(name="Hijacked", portal_enabled=False, active=False)
        )
    ],
    "contacts.get_contact": [lambda who, t, i: contacts.get_contact(who, t.contact_id)],
    "contacts.list_contacts": [lambda who, t, i: contacts.list_contacts(who, t.client_id)],
    "magic_links.send_invitation": [lambda who, t, i: magic_links.send_invitation(who, t.contact_id)],
    "organizations.get_organization": [lambda who, t, i: organizations.get_organization(who)],
    "organizations.update_organization": [
        lambda who, t, i: organizations.update_organization(
            who, organizations.OrganizationChanges(name="Probe", slug=i.own_slug, portal_enabled=False)
        )
    ],
    "organizations.workspace_counts": [_counts],
    # Settings act on the actor's own organization only: there is no id of another one to pass.
    "organizations.get_invoice_settings": [lambda who, t, i: organizations.get_invoice_settings(who)],
    "organizations.update_invoice_settings": [
        lambda who, t, i: organizations.update_invoice_settings(
            who, organizations.InvoiceSettingsChanges(invoice_prefix="EVIL-", payment_terms_days=1)
        )
    ],
    "organizations.update_logo": [lambda who, t, i: organizations.update_logo(who, PNG_SIGNATURE + bytes(16))],
    "organizations.remove_logo": [lambda who, t, i: organizations.remove_logo(who)],
    "portal_sessions.list_for_contact": [lambda who, t, i: portal_sessions.list_for_contact(who, t.contact_id)],
    "portal_sessions.revoke": [lambda who, t, i: portal_sessions.revoke(who, t.portal_session_id)],
    "projects.load_project": [in_session(projects.load_project, "project_id")],
    "projects.create_project": [
        lambda who, t, i: projects.create_project(who, t.client_id, projects.ProjectInput(name="Probe"))
    ],
    "projects.update_project": [
        lambda who, t, i: projects.update_project(who, t.project_id, projects.ProjectInput(name="Hijacked"))
    ],
    "projects.get_project": [lambda who, t, i: projects.get_project(who, t.project_id)],
    "projects.list_projects": [
        lambda who, t, i: projects.list_projects(who, limit=200),
        lambda who, t, i: projects.list_projects(who, client_id=t.client_id, limit=200),
    ],
    "staff.list_staff": [lambda who, t, i: staff.list_staff(who, limit=200)],
    "staff_sessions.end_all_for_user": [lambda who, t, i: staff_sessions.end_all_for_user(who, t.user_id)],
    "invoice_access.payment_history": [lambda who, t, i: invoice_access.payment_history(who, limit=200)],
    "invoice_access.record_portal_view": [
        lambda who, t, i: invoice_access.record_portal_view(who, t.invoice_id, via="portal", ip="", user_agent="")
    ],
    "invoices.load_invoice": [in_session(invoices.load_invoice, "invoice_id")],
    "invoices.get_invoice": [lambda who, t, i: invoices.get_invoice(who, t.invoice_id)],
    "invoices.list_recipients": [lambda who, t, i: invoices.list_recipients(who, t.invoice_id)],
    "invoices.create_invoice": [
        lambda who, t, i: invoices.create_invoice(
            who, invoices.InvoiceInput(client_id=t.client_id, lines=[invoices.LineInput("Probe", "1", "1.00")])
        )
    ],
    "invoices.update_invoice": [
        lambda who, t, i: invoices.update_invoice(
            who,
            t.invoice_id,
            invoices.InvoiceInput(client_id=t.client_id, lines=[invoices.LineInput("Probe", "1", "1.00")]),
        )
    ],
    "invoices.duplicate_invoice": [lambda who, t, i: invoices.duplicate_invoice(who, t.invoice_id)],
    "invoices.send_invoice": [lambda who, t, i: invoices.send_invoice(who, t.invoice_id)],
    "invoice_payments.record_payment": [
        lambda who, t, i: invoice_payments.record_payment(who, t.invoice_id, invoice_payments.PaymentInput("1.00"))
    ],
    "invoices.void_invoice": [lambda who, t, i: invoices.void_invoice(who, t.invoice_id)],
    "invoice_listing.list_invoices": [
        lambda who, t, i: invoice_listing.list_invoices(who, limit=200),
        lambda who, t, i: invoice_listing.list_invoices(
            who, invoice_listing.InvoiceFilter(client_id=t.client_id), limit=200
        ),
        lambda who, t, i: invoice_listing.list_invoices(who, invoice_listing.InvoiceFilter(status="open"), limit=200),
    ],
    "invoice_listing.outstanding": [
        lambda who, t, i: invoice_listing.outstanding(who),
        lambda who, t, i: invoice_listing.outstanding(who, t.client_id),
    ],
    "receivables.aging": [_aging],
    "receivables.invoiced_vs_collected": [_invoiced_vs_collected],
}


def actor_services() -> set[str]:
    """Every public coroutine in services/ that acts for an actor."""
    found = set()
    for info in pkgutil.iter_modules(services.__path__):
        module = importlib.import_module(f"services.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.iscoroutinefunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            params = inspect.signature(fn).parameters.values()
            if any(p.name == "actor" or "Actor" in str(p.annotation) for p in params):
                found.add(f"{info.name}.{name}")
    return found


def test_every_service_taking_an_actor_has_an_isolation_case():
    found = actor_services()
    assert {"clients.get_client", "projects.load_project", "staff.list_staff"} <= found  # the walk itself works
    missing = found - CASES.keys() - EXEMPT.keys()
    assert not missing, f"add isolation cases for: {sorted(missing)}"
    assert not (CASES.keys() - found), "cases for services that no longer exist"


@pytest.fixture(params=["both layers", "explicit filters only"])
def layers(request):
    """The second run takes the scoping hook away: each query's own filters must suffice on their own."""
    if request.param == "both layers":
        yield request.param
        return
    event.remove(Session, "do_orm_execute", scoping._add_actor_criteria)
    try:
        yield request.param
    finally:
        event.listen(Session, "do_orm_execute", scoping._add_actor_criteria)


def shown(result: Any) -> str:
    """What a result reveals: views by their repr, ORM rows (from the load_* helpers) by their columns."""
    if hasattr(result, "__table__"):
        result = {c.key: getattr(result, c.key) for c in result.__table__.columns}
    return repr(result).lower()


@pytest.mark.parametrize("case", sorted(CASES))
async def test_intruders_get_nothing(worlds: Worlds, layers, case):
    for intruder in worlds.intruders:
        before = await snapshot(intruder.target)
        for probe in CASES[case]:
            where = f"{case} as {intruder.label} ({layers})"
            try:
                result = await probe(intruder.actor, intruder.target, intruder)
            except NotFound:
                continue
            leaked = [m for m in intruder.target.markers if m.lower() in shown(result)]
            assert not leaked, f"{where} returned {leaked}"
            if isinstance(result, Page):
                assert result.total == len(result.items), f"{where} counted rows it did not show"
        assert await snapshot(intruder.target) == before, f"{case} as {intruder.label} changed the target"


async def test_sign_in_secrets_are_bound_to_their_organization(worlds: Worlds, layers):
    a, b, email = worlds.a.actor.org_id, worlds.b.actor.org_id, worlds.a.contact.email
    [text] = await raw(
        SystemActor(),
        select(OutboxMail.body_text).where(OutboxMail.to_addr == email, OutboxMail.subject.startswith("Your")),
    )
    token, code = re.search(r"/link/(\S+)\n", text)[1], re.search(r"^(\d{6})$", text, re.MULTILINE)[1]
    _, cookie = await sign_in(worlds.a.contact.id)
    assert not await magic_links.link_is_usable(b, token)
    assert await magic_links.consume_link(b, token, ip="", user_agent="") is None
    assert await magic_links.consume_code(b, email, code, ip="", user_agent="") is None
    assert await portal_sessions.resolve(b, cookie) is None
    await portal_sessions.sign_out(b, cookie)
    assert await magic_links.link_is_usable(a, token)
    assert await portal_sessions.resolve(a, cookie) is not None


# --- the portal actor ------------------------------------------------------------------------------------------


async def test_portal_actor_sees_its_own_client_only(worlds: Worlds):
    portal, a, a2 = worlds.portal, worlds.a, worlds.a2
    page = await projects.list_projects(portal)
    assert ([p.id for p in page.items], page.total) == ([a.project.id], 1)
    assert (await projects.get_project(portal, a.project.id)).name == a.project.name
    assert (await clients.get_client(portal, a.client.id)).name == a.client.name
    assert (await organizations.get_organization(portal)).id == a.actor.org_id
    for call in (
        lambda: projects.get_project(portal, a2.project.id),
        lambda: projects.get_project(portal, worlds.b.project.id),
        lambda: clients.get_client(portal, a2.client.id),
        lambda: clients.get_client(portal, "not-a-uuid"),
    ):
        with pytest.raises(NotFound):
            await call()
    page = await projects.list_projects(portal, client_id=a2.client.id)
    assert (page.items, page.total) == ([], 0)


STAFF_ONLY = {
    "list_clients": lambda p, w: clients.list_clients(p),
    "create_client": lambda p, w: clients.create_client(p, clients.ClientInput(name="Mine")),
    "update_client": lambda p, w: clients.update_client(p, w.a.client.id, clients.ClientInput(name="Mine")),
    "list_contacts": lambda p, w: contacts.list_contacts(p, w.a.client.id),
    "get_contact": lambda p, w: contacts.get_contact(p, w.a.contact.id),
    "update_contact": lambda p, w: contacts.update_contact(p, w.a.contact.id, contacts.ContactChanges(name="Me")),
    "create_contact": lambda p, w: contacts.create_contact(
        p, w.a.client.id, contacts.ContactInput(email="friend@client-alpha.test", name="Friend", portal_enabled=True)
    ),
    "create_project": lambda p, w: projects.create_project(p, w.a.client.id, projects.ProjectInput(name="Mine")),
    "update_project": lambda p, w: projects.update_project(p, w.a.project.id, projects.ProjectInput(name="Mine")),
    "list_events": lambda p, w: audit.list_events(p, audit.AuditFilter()),
    "list_actions": lambda p, w: audit.list_actions(p),
    "list_staff": lambda p, w: staff.list_staff(p),
    "list_tokens": lambda p, w: api_tokens.list_tokens(p),
    "create_token": lambda p, w: api_tokens.create_token(p, "mine"),
    "end_all_for_user": lambda p, w: staff_sessions.end_all_for_user(p, w.a.actor.user_id),
    "workspace_counts": lambda p, w: organizations.workspace_counts(p),
    "send_invitation": lambda p, w: magic_links.send_invitation(p, w.a.contact.id),
    "list_for_contact": lambda p, w: portal_sessions.list_for_contact(p, w.a.contact.id),
    "revoke": lambda p, w: portal_sessions.revoke(p, w.portal_session_id),
    "update_organization": lambda p, w: organizations.update_organization(
        p, organizations.OrganizationChanges(name="Mine", slug="alpha")
    ),
    "get_invoice_settings": lambda p, w: organizations.get_invoice_settings(p),
    "update_invoice_settings": lambda p, w: organizations.update_invoice_settings(
        p, organizations.InvoiceSettingsChanges(invoice_prefix="MINE-")
    ),
    "update_logo": lambda p, w: organizations.update_logo(p, PNG_SIGNATURE + bytes(16)),
    "remove_logo": lambda p, w: organizations.remove_logo(p),
    "create_invoice": lambda p, w: invoices.create_invoice(
        p, invoices.InvoiceInput(client_id=w.a.client.id, lines=[invoices.LineInput("Mine", "1", "1.00")])
    ),
    "update_invoice": lambda p, w: invoices.update_invoice(
        p,
        w.a1_invoice_id,
        invoices.InvoiceInput(client_id=w.a.client.id, lines=[invoices.LineInput("Mine", "1", "1.00")]),
    ),
    "send_invoice": lambda p, w: invoices.send_invoice(p, w.a1_invoice_id),
    "list_recipients": lambda p, w: invoices.list_recipients(p, w.a1_invoice_id),
    "record_payment": lambda p, w: invoice_payments.record_payment(
        p, w.a1_invoice_id, invoice_payments.PaymentInput("1.00")
    ),
    "void_invoice": lambda p, w: invoices.void_invoice(p, w.a1_invoice_id),
    "duplicate_invoice": lambda p, w: invoices.duplicate_invoice(p, w.a1_invoice_id),
    "aging": lambda p, w: receivables.aging(p),
    "invoiced_vs_collected": lambda p, w: receivables.invoiced_vs_collected(p),
}


async def test_portal_actor_reaches_its_own_invoice(worlds: Worlds):
    portal, invoice_id = worlds.portal, worlds.a1_invoice_id
    assert (await invoices.get_invoice(portal, invoice_id)).amount_due_minor == 777677
    assert [r.id for r in (await invoice_listing.list_invoices(portal)).items] == [invoice_id]
    assert [b.outstanding_minor for b in await invoice_listing.outstanding(portal)] == [777677]
    assert [p.invoice_id for p in (await invoice_access.payment_history(portal)).items] == [invoice_id]
    await invoice_access.record_portal_view(portal, invoice_id, via="portal", ip="192.0.2.1", user_agent="probe")
    assert [v.contact_id for v in await raw(SystemActor(), select(InvoiceView))] == [worlds.a.contact.id]


@pytest.mark.parametrize("name", sorted(STAFF_ONLY))
async def test_staff_only_services_are_not_found_for_a_portal_actor(worlds: Worlds, name):
    with pytest.raises(NotFound):  # not Forbidden: the portal does not learn that staff things exist
        await STAFF_ONLY[name](worlds.portal, worlds)


# --- the scoping hook on its own -------------------------------------------------------------------------------


async def raw(actor, statement) -> list:
    async with unit_of_work(actor) as session:
        return list(await session.scalars(statement))


async def test_hook_scopes_unfiltered_queries_of_a_portal_actor(worlds: Worlds):
    portal, a = worlds.portal, worlds.a
    assert [p.id for p in await raw(portal, select(Project))] == [a.project.id]
    assert [c.id for c in await raw(portal, select(Contact))] == [a.contact.id]
    assert [c.id for c in await raw(portal, select(Client))] == [a.client.id]
    assert [o.id for o in await raw(portal, select(Organization))] == [a.actor.org_id]
    for model in (AuditEvent, ApiToken, StaffSession, StaffUser, Membership, OutboxMail, MagicLink, PortalSession):
        assert await raw(portal, select(model)) == [], model.__name__
    for model in (MagicLink, PortalSession):  # it has a sign-in link and a session, and still sees neither
        assert len(await raw(SystemActor(), select(model.id).where(model.contact_id == a.contact.id))) == 1
    assert [p.id for p in await raw(portal, select(aliased(Project)))] == [a.project.id]
    assert await raw(portal, select(Project.name).join(Client, Client.id == Project.client_id)) == [a.project.name]
    assert await raw(portal, select(func.count()).select_from(Contact)) == [1]
    async with unit_of_work(portal) as session:
        assert await session.get(Project, worlds.a2.project.id) is None
        assert await session.get(PortalSession, worlds.portal_session_id) is None
        assert (await session.execute(update(PortalSession).values(ended_reason="mine"))).rowcount == 0
        assert (await session.execute(delete(MagicLink))).rowcount == 0
        assert (await session.execute(update(Contact).values(title="Mine"))).rowcount == 1
        assert (await session.execute(delete(Project))).rowcount == 1
        await session.rollback()
    async with unit_of_work(SystemActor()) as session:
        assert await session.scalar(select(func.count()).select_from(Contact).where(Contact.title == "Mine")) == 0


async def test_hook_scopes_unfiltered_queries_of_another_organization(worlds: Worlds):
    a, intruder = worlds.a.actor, worlds.b.actor
    for model in (Project, Contact, Client, AuditEvent, ApiToken, StaffSession, Membership, OutboxMail, PortalSession):
        rows = await raw(intruder, select(model))
        assert all(r.org_id == intruder.org_id for r in rows), model.__name__
    assert [o.id for o in await raw(intruder, select(Organization))] == [intruder.org_id]
    assert await raw(intruder, select(func.count()).select_from(Client)) == [1]
    assert await raw(intruder, select(OutboxMail)) == []  # org A's queued mail (a sign-in link, say)
    assert await raw(intruder, select(MagicLink)) == []  # org A's sign-in links; org B has none
    async with unit_of_work(intruder) as session:
        assert await session.get(Client, worlds.a.client.id) is None
        await session.execute(update(Client).values(name="Pwned", name_key="pwned"))
        await session.execute(delete(Contact))
    assert (await clients.get_client(a, worlds.a.client.id)).name == worlds.a.client.name
    assert len(await contacts.list_contacts(a, worlds.a.client.id)) == 1


async def test_a_session_without_an_actor_is_refused(database):
    session = db.get_database().sessionmaker()
    try:
        with pytest.raises(RuntimeError, match="without an actor"):
            await session.execute(select(Client))
    finally:
        await session.close()


async def test_an_unknown_kind_of_actor_is_refused(database):
    @dataclass(frozen=True)
    class Stranger:
        org_id: uuid.UUID
        ip: str = ""

    with pytest.raises(RuntimeError, match="unknown actor"):
        await raw(Stranger(uuid.uuid4()), select(Client))
