"""Every service, called by an intruder with the target's ids, returns nothing of the target and changes nothing."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import delete, select, update

import services
from models import (
    AuditEvent,
    CalendarFeed,
    Client,
    Comment,
    FileKind,
    InboxItem,
    Organization,
    OutboxMail,
    Purchase,
    Role,
)
from services import demo_files
from services.billing import (
    client_overview,
    hours_invoices,
    invoice_access,
    invoice_listing,
    invoice_views,
    invoices,
    manual_payments,
    receivables,
)
from services.card_payments import checkout, checkout_views, purchases, stripe_accounts, subscriptions
from services.card_payments.checkout import NotOffered
from services.catalog import catalog
from services.clients import clients, contacts, magic_links, portal_sessions
from services.core import audit
from services.core.actors import PortalActor, SystemActor
from services.core.common import Page
from services.core.db import unit_of_work
from services.core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from services.documents import documents, wording
from services.files import certificate, deliverables, files, upload_settings
from services.mail import outbox
from services.organizations import organizations
from services.projects import (
    calendar_feeds,
    discussion,
    inbox,
    milestones,
    notifications,
    project_views,
    projects,
    work_requests,
)
from services.quotes import acceptance, quote_views, quotes
from services.staff import api_tokens, staff, staff_sessions, team
from services.time import entries, hours, rates
from tests.support.card_payments import connect
from tests.support.factories import add_member
from tests.support.isolation import PNG_SIGNATURE, Intruder, Target, Worlds, raw, sign_in, snapshot
from tests.support.stripe_standin import StripeStandIn

EXEMPT = {
    "projects.discussion.author_of": "the acting user's or contact's own name: it takes no id to aim with",
    "organizations.organizations.create_organization": "the platform creating a tenant (SystemActor): no row of another org to reach",
    # In-transaction helpers given rows or ids their caller loaded through the actor's scope: nothing to aim with.
    "billing.invoices.new_draft_in": "a draft for the organization and client its caller vouched for (create_in, "
    "a quote's acceptance, each after loading them as the actor)",
    "billing.invoices.send_in": "sends the invoice row its caller loaded and locked as the actor",
    "catalog.project_templates.start_project_in": "a project for the organization row and client its caller loaded "
    "as the actor (a purchase, a quote's acceptance)",
}


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


async def _open_the_targets_inbox_item(who, t: Target, i: Intruder) -> Any:
    # the item a contact's reply left in the target's organization, aimed at through its client
    [item_id] = await raw(
        SystemActor(), select(InboxItem.id).where(InboxItem.client_id == t.client_id, InboxItem.kind == "reply")
    )
    return await inbox.open_item(who, item_id)


async def _no_summaries(who, t: Target, i: Intruder) -> Any:
    found = await milestones.summaries(who, [t.project_id])
    assert found == {}  # not an error: a list page asks for the projects it shows, and these are not shown
    return found


async def _chunks(data: bytes):
    yield data


def _probe_upload(**where: str) -> ProbeFn:
    """An upload aimed at the target's project, request or client: refused before a byte is stored."""

    async def probe(who, t: Target, _: Intruder) -> Any:
        ids = {key: getattr(t, value) for key, value in where.items()}
        return await files.upload(who, "probe.txt", _chunks(b"probe"), shared=True, **ids)

    return probe


async def _files_of_the_targets_comments(who, t: Target, i: Intruder) -> Any:
    ids = await raw(SystemActor(), select(Comment.id).where(Comment.client_id == t.client_id))
    async with unit_of_work(who) as session:
        found = await files.files_of_comments(session, who, ids)
    assert not any(found.values())
    return found


async def _create_in_session(who, t: Target, i: Intruder) -> Any:
    async with unit_of_work(who) as session:
        data = invoices.InvoiceInput(client_id=t.client_id, lines=[invoices.LineInput("Probe", "1", "1.00")])
        return await invoices.create_in(session, who, data)


async def _may_decide_only_in_own_org(who, t: Target, i: Intruder) -> Any:
    return await entries.may_decide(who)  # a yes or no about the actor's own organization: nothing to leak


async def _member_id_of_the_targets_owner(who, t: Target, i: Intruder) -> Any:
    """Another organization's member, named by email, is no member here: refused like an unknown address."""
    try:
        return await entries.member_id(who, f"owner@{'alpha' if i.own_slug == 'bravo' else 'bravo'}.test")
    except Invalid as refused:
        assert refused.field == "user_email"
        raise NotFound() from None


async def _apply_changes_in_session(who, t: Target, i: Intruder) -> Any:
    async with unit_of_work(who) as session:
        project = await projects.load_project(session, who, t.project_id)
        return await projects.apply_changes(session, who, project, projects.ProjectChanges(name="Hijacked"))


# Stripe Connect acts on the actor's own organization only: there is no id of another one's account to pass. In the
# matrix Stripe is not configured and neither organization has an account, so staff of B are refused about their
# own organization, after the portal was turned away; the tests at the end give both organizations real accounts.
STRIPE_SESSION = uuid.uuid4()  # a staff session's id: the way back from Stripe is bound to it
FORGED_STATE = f"4102444800.{'0' * 64}"  # well formed, good until 2100, signed by nobody


async def _own_stripe_account(who, t: Target, i: Intruder) -> Any:
    view = await stripe_accounts.account_view(who)
    assert i.label.startswith("staff of B")  # the portal is turned away before
    assert (view.account_id, view.card_payments, view.may_manage) == ("", False, True)  # B's own: none connected
    return view


def _stripe_refused(call: Callable[[Any], Awaitable[Any]], refusal: type[ServiceError], says: str) -> ProbeFn:
    """A Stripe Connect probe: the portal gets "not found"; B's owner gets `refusal` about B's own organization."""

    async def probe(who, t: Target, i: Intruder) -> Any:
        try:
            return await call(who)
        except refusal as refused:
            assert i.label.startswith("staff of B") and says in refused.message, (i.label, refused.message)
            raise NotFound() from None

    return probe


NOT_CONFIGURED = "Stripe is not configured"
NO_ACCOUNT = "No Stripe account is connected."


MARCH_FROM, MARCH_TO = date(2026, 3, 1), date(2026, 3, 31)
ENTRY_IDS = ("approved_entry_id", "submitted_entry_id")
FILE_IDS = ("file_id", "unshared_file_id")
DELIVERABLE_IDS = ("deliverable_id", "draft_deliverable_id")


def each(ids: tuple[str, ...], call: Callable[[Any, Any], Awaitable[Any]]) -> list[ProbeFn]:
    """One probe per id field of the target: `call(actor, that id)`."""

    def aimed(field: str) -> ProbeFn:
        return lambda who, t, i: call(who, getattr(t, field))

    return [aimed(field) for field in ids]


# The catalog: org A's and org B's services (public, hidden, archived), the target client's purchase and subscription.
SERVICE_IDS = ("service_id", "hidden_service_id", "archived_service_id")
PROBE_PLAN = catalog.ServiceInput(name="Probe plan", price="1.00", currency="USD", public=True)


def _on_offer_to(who: Any, t: Target, field: str) -> bool:
    """Whether the service is one the intruder may see by rights: its own organization's public service, to its own
    portal (the target is then another client of its own organization)."""
    return isinstance(who, PortalActor) and not t.whole_org and field == "service_id"


def _get_service(field: str) -> ProbeFn:
    async def probe(who, t: Target, i: Intruder) -> Any:
        found = await catalog.get_service(who, getattr(t, field))
        assert _on_offer_to(who, t, field), f"{i.label} got {field}: {found}"
        assert (found.id, found.public, found.archived) == (t.service_id, True, False)
        return found

    return probe


async def _the_menu(who, t: Target, i: Intruder, *, archived: bool = False) -> Any:
    menu = await catalog.list_services(who, archived=archived)
    ids = {s.id for s in menu}
    assert not ids & {t.hidden_service_id, t.archived_service_id}, f"{i.label} was shown a service it may not see"
    # the portal sees its own organization's offer: the target's public service when the target is a fellow client
    assert (t.service_id in ids) == (isinstance(who, PortalActor) and not t.whole_org and not archived), i.label
    return menu


async def _purchase_rows() -> tuple[int, int]:
    """Every purchase row and every "purchase.started" entry, in any organization."""
    rows = await raw(SystemActor(), select(Purchase.id))
    started = await raw(SystemActor(), select(AuditEvent.id).where(AuditEvent.action == "purchase.started"))
    return len(rows), len(started)


def _buy(field: str) -> ProbeFn:
    """A signed-in contact presses Buy on the target's service: nothing is bought, nothing recorded. Stripe is not
    configured in the matrix, so the only service that gets as far as the payment is the intruder's own
    organization's public one (on offer to it); every other is "not found" before that, and so before anything
    of the target's organization is read or written."""

    async def probe(who, t: Target, i: Intruder) -> Any:
        before = await _purchase_rows()
        try:
            return await purchases.start_contact_purchase(who, getattr(t, field))
        except NotOffered as refused:
            assert _on_offer_to(who, t, field), (i.label, field, refused.message)
            raise NotFound() from None
        finally:
            assert await _purchase_rows() == before, f"{i.label} buying {field} made a purchase"

    return probe


async def _own_subscriptions(who, t: Target, i: Intruder) -> Any:
    """The portal's own client's subscriptions (staff must name a client, and get "not found" without one)."""
    found = await subscriptions.list_subscriptions(who)
    assert isinstance(who, PortalActor) and {s.client_id for s in found} == {who.client_id}, i.label
    return found


# Quotes: the target client's sent quote (opened in its portal) and its draft.
QUOTE_IDS = ("quote_id", "draft_quote_id")


def _probe_quote(client_id: uuid.UUID, **changes: Any) -> quotes.QuoteInput:
    return quotes.QuoteInput(client_id=client_id, lines=[invoices.LineInput("Probe", "1", "1.00")], **changes)


async def _own_client_id(who: Any) -> uuid.UUID:
    """The intruder's own client: the portal's, or one of its organization's."""
    if isinstance(who, PortalActor):
        return who.client_id
    return (await clients.list_clients(who)).items[0].id


def _refused_as(field: str, call: Callable[[Any, Target], Awaitable[Any]]) -> ProbeFn:
    """A call on the intruder's own client naming the target's project or template: refused like an unknown one."""

    async def probe(who, t: Target, i: Intruder) -> Any:
        try:
            return await call(who, t)
        except Invalid as refused:
            assert refused.field == field, (i.label, refused.field, refused.message)
            raise NotFound() from None

    return probe


async def _client_and_the_targets_project(who: Any, t: Target) -> Any:
    own = await _own_client_id(who)
    async with unit_of_work(who) as session:
        return await invoices.client_and_project(session, who, own, t.project_id)


async def _quote_for_the_targets_project(who: Any, t: Target) -> Any:
    return await quotes.create_quote(who, _probe_quote(await _own_client_id(who), project_id=t.project_id))


def _quote_on_a_template(field: str) -> Callable[[Any, Target], Awaitable[Any]]:
    async def call(who: Any, t: Target) -> Any:
        data = _probe_quote(await _own_client_id(who), start_project=True, project_template_id=getattr(t, field))
        return await quotes.create_quote(who, data)

    return call


def _update_quote(field: str) -> ProbeFn:
    return lambda who, t, i: quotes.update_quote(who, getattr(t, field), _probe_quote(t.client_id, title="Hijacked"))


def _accept_quote(field: str) -> ProbeFn:
    """Signed with the very hash the target's sent quote shows: the right evidence for the wrong signer."""
    signature = lambda t: acceptance.Signature("Probe Person", True, t.quote_sha256, user_agent="probe")  # noqa: E731
    return lambda who, t, i: acceptance.accept_in_portal(who, getattr(t, field), signature(t))


# Calendar feeds: a contact's own, of its own client's projects. CalendarFeed rows are outside the snapshots (the
# probes below make the target contact's own feed to aim at), so these probes check the feeds themselves.
async def _feed_rows(t: Target) -> list[tuple]:
    """Every feed row of the target's client or project, whoever's, as it stands."""
    rows = await raw(
        SystemActor(),
        select(CalendarFeed).where((CalendarFeed.client_id == t.client_id) | (CalendarFeed.project_id == t.project_id)),
    )
    return sorted((str(f.id), str(f.contact_id), str(f.project_id), str(f.revoked_at)) for f in rows)


def _makes_no_feed(call: Callable[[Any, Target], Awaitable[Any]]) -> ProbeFn:
    """A feed of the target's project asked for by the intruder: none is made or revoked, for anyone."""

    async def probe(who, t: Target, i: Intruder) -> Any:
        before = await _feed_rows(t)
        try:
            return await call(who, t)
        finally:
            assert await _feed_rows(t) == before, f"{i.label} made or ended a feed of the target"

    return probe


async def _revoke_the_targets_feed(who, t: Target, i: Intruder) -> Any:
    """The target contact's own feed (made as that contact), aimed at by id: it stays and still answers."""
    owner = PortalActor(org_id=t.org_id, client_id=t.client_id, contact_id=t.contact_id, email="")
    link = await calendar_feeds.feed_link(owner, t.project_id)
    before = await _feed_rows(t)
    try:
        return await calendar_feeds.revoke_feed(who, link.feed_id)
    finally:
        assert await _feed_rows(t) == before, f"{i.label} revoked the target's feed"
        assert await calendar_feeds.open_feed(link.url.rsplit("/", 1)[1].removesuffix(".ics")) is not None


ProbeFn = Callable[[Any, Target, Intruder], Awaitable[Any]]
CASES: dict[str, list[ProbeFn]] = {
    "staff.api_tokens.create_token": [lambda who, t, i: api_tokens.create_token(who, "probe")],
    "staff.api_tokens.list_tokens": [lambda who, t, i: api_tokens.list_tokens(who)],
    "staff.api_tokens.revoke_token": [lambda who, t, i: api_tokens.revoke_token(who, t.token_id)],
    "core.audit.list_events": [
        lambda who, t, i: audit.list_events(who, audit.AuditFilter(), limit=200),
        lambda who, t, i: audit.list_events(who, audit.AuditFilter(actor="alpha"), limit=200),
    ],
    "core.audit.list_actions": [lambda who, t, i: audit.list_actions(who)],
    "clients.clients.load_client": [in_session(clients.load_client, "client_id")],
    "clients.clients.create_client": [lambda who, t, i: clients.create_client(who, clients.ClientInput(name="Probe"))],
    "clients.clients.update_client": [
        lambda who, t, i: clients.update_client(who, t.client_id, clients.ClientInput(name="Hijacked"))
    ],
    "clients.clients.get_client": [lambda who, t, i: clients.get_client(who, t.client_id)],
    "clients.clients.list_clients": [
        lambda who, t, i: clients.list_clients(who, limit=200),
        lambda who, t, i: clients.list_clients(who, search="alpha", limit=200),
    ],
    "clients.contacts.load_contact": [in_session(contacts.load_contact, "contact_id")],
    "clients.contacts.create_contact": [
        lambda who, t, i: contacts.create_contact(
            who, t.client_id, contacts.ContactInput(email="probe@evil.test", name="Probe", portal_enabled=True)
        )
    ],
    "clients.contacts.update_contact": [
        lambda who, t, i: contacts.update_contact(
            who, t.contact_id, contacts.ContactChanges(name="Hijacked", portal_enabled=False, active=False)
        )
    ],
    "clients.contacts.get_contact": [lambda who, t, i: contacts.get_contact(who, t.contact_id)],
    "clients.contacts.list_contacts": [lambda who, t, i: contacts.list_contacts(who, t.client_id)],
    "clients.magic_links.send_invitation": [lambda who, t, i: magic_links.send_invitation(who, t.contact_id)],
    "organizations.organizations.get_organization": [lambda who, t, i: organizations.get_organization(who)],
    "organizations.organizations.update_organization": [
        lambda who, t, i: organizations.update_organization(
            who, organizations.OrganizationChanges(name="Probe", slug=i.own_slug, portal_enabled=False)
        )
    ],
    "organizations.organizations.workspace_counts": [_counts],
    # Settings act on the actor's own organization only: there is no id of another one to pass.
    "organizations.organizations.get_invoice_settings": [lambda who, t, i: organizations.get_invoice_settings(who)],
    "organizations.organizations.update_invoice_settings": [
        lambda who, t, i: organizations.update_invoice_settings(
            who, organizations.InvoiceSettingsChanges(invoice_prefix="EVIL-", payment_terms_days=1)
        )
    ],
    "organizations.organizations.update_logo": [
        lambda who, t, i: organizations.update_logo(who, PNG_SIGNATURE + bytes(16))
    ],
    "organizations.organizations.remove_logo": [lambda who, t, i: organizations.remove_logo(who)],
    "files.upload_settings.get_upload_settings": [lambda who, t, i: upload_settings.get_upload_settings(who)],
    "files.upload_settings.update_upload_settings": [
        lambda who, t, i: upload_settings.update_upload_settings(who, 1, ["text"])
    ],
    "clients.portal_sessions.list_for_contact": [lambda who, t, i: portal_sessions.list_for_contact(who, t.contact_id)],
    "clients.portal_sessions.revoke": [lambda who, t, i: portal_sessions.revoke(who, t.portal_session_id)],
    "projects.projects.load_project": [in_session(projects.load_project, "project_id")],
    "projects.projects.create_project": [
        lambda who, t, i: projects.create_project(who, t.client_id, projects.ProjectInput(name="Probe"))
    ],
    "projects.projects.update_project": [
        lambda who, t, i: projects.update_project(who, t.project_id, projects.ProjectInput(name="Hijacked"))
    ],
    "projects.projects.get_project": [lambda who, t, i: projects.get_project(who, t.project_id)],
    "projects.projects.list_projects": [
        lambda who, t, i: projects.list_projects(who, limit=200),
        lambda who, t, i: projects.list_projects(who, client_id=t.client_id, limit=200),
    ],
    "staff.staff.list_staff": [lambda who, t, i: staff.list_staff(who, limit=200)],
    "staff.staff_sessions.end_all_for_user": [lambda who, t, i: staff_sessions.end_all_for_user(who, t.user_id)],
    # The team: the target's owner is out of reach by id; an invitation goes to the intruder's own organization.
    "staff.team.invite": [lambda who, t, i: team.invite(who, "probe@evil.test", "member")],
    "staff.team.resend": [lambda who, t, i: team.resend(who, t.invitation_id)],
    "staff.team.revoke": [lambda who, t, i: team.revoke(who, t.invitation_id)],
    "staff.team.list_invitations": [lambda who, t, i: team.list_invitations(who)],
    "staff.team.change_role": [lambda who, t, i: team.change_role(who, t.user_id, "member")],
    "staff.team.remove_member": [lambda who, t, i: team.remove_member(who, t.user_id)],
    "billing.invoice_access.payment_history": [lambda who, t, i: invoice_access.payment_history(who, limit=200)],
    "billing.invoice_access.record_portal_view": [
        lambda who, t, i: invoice_access.record_portal_view(who, t.invoice_id, via="portal", ip="", user_agent="")
    ],
    "billing.invoice_access.open_portal_invoice": [
        lambda who, t, i: invoice_access.open_portal_invoice(who, t.invoice_id, ip="", user_agent="")
    ],
    "billing.invoices.load_invoice": [in_session(invoices.load_invoice, "invoice_id")],
    "billing.invoices.get_invoice": [lambda who, t, i: invoices.get_invoice(who, t.invoice_id)],
    "billing.invoices.list_recipients": [lambda who, t, i: invoices.list_recipients(who, t.invoice_id)],
    "billing.invoices.create_invoice": [
        lambda who, t, i: invoices.create_invoice(
            who, invoices.InvoiceInput(client_id=t.client_id, lines=[invoices.LineInput("Probe", "1", "1.00")])
        )
    ],
    "billing.invoices.update_invoice": [
        lambda who, t, i: invoices.update_invoice(
            who,
            t.invoice_id,
            invoices.InvoiceInput(client_id=t.client_id, lines=[invoices.LineInput("Probe", "1", "1.00")]),
        )
    ],
    "billing.invoices.duplicate_invoice": [lambda who, t, i: invoices.duplicate_invoice(who, t.invoice_id)],
    "billing.invoices.send_invoice": [lambda who, t, i: invoices.send_invoice(who, t.invoice_id)],
    "billing.manual_payments.record_payment": [
        lambda who, t, i: manual_payments.record_payment(who, t.invoice_id, manual_payments.PaymentInput("1.00"))
    ],
    "billing.invoices.void_invoice": [lambda who, t, i: invoices.void_invoice(who, t.invoice_id)],
    "billing.invoice_listing.list_invoices": [
        lambda who, t, i: invoice_listing.list_invoices(who, limit=200),
        lambda who, t, i: invoice_listing.list_invoices(
            who, invoice_listing.InvoiceFilter(client_id=t.client_id), limit=200
        ),
        lambda who, t, i: invoice_listing.list_invoices(who, invoice_listing.InvoiceFilter(status="open"), limit=200),
    ],
    "billing.invoice_listing.balances_in": [in_session(invoice_listing.balances_in, "client_id")],
    "billing.client_overview.overview": [lambda who, t, i: client_overview.overview(who)],
    "billing.invoice_listing.at_a_glance": [lambda who, t, i: invoice_listing.at_a_glance(who)],
    "billing.invoice_listing.outstanding": [
        lambda who, t, i: invoice_listing.outstanding(who),
        lambda who, t, i: invoice_listing.outstanding(who, t.client_id),
    ],
    # Card payments: the portal starts one only for its own open invoices; staff read their own organization's state.
    "card_payments.checkout.start_portal_checkout": [
        lambda who, t, i: checkout.start_portal_checkout(who, t.invoice_id)
    ],
    "card_payments.checkout_views.list_attempts": [lambda who, t, i: checkout_views.list_attempts(who, t.invoice_id)],
    "card_payments.checkout_views.stripe_overview": [lambda who, t, i: checkout_views.stripe_overview(who)],
    "card_payments.checkout_views.check_stripe": [lambda who, t, i: checkout_views.check_stripe(who)],
    "card_payments.stripe_accounts.account_view": [_own_stripe_account],
    "card_payments.stripe_accounts.refresh_state": [
        _stripe_refused(stripe_accounts.refresh_state, Conflict, NO_ACCOUNT)
    ],
    "card_payments.stripe_accounts.start_onboarding": [
        _stripe_refused(
            lambda who: stripe_accounts.start_onboarding(who, STRIPE_SESSION, "probe"), Conflict, NOT_CONFIGURED
        )
    ],
    "card_payments.stripe_accounts.finish_onboarding": [
        _stripe_refused(
            lambda who: stripe_accounts.finish_onboarding(who, STRIPE_SESSION, FORGED_STATE), Forbidden, "not for this"
        )
    ],
    "card_payments.stripe_accounts.renew_onboarding": [
        _stripe_refused(
            lambda who: stripe_accounts.renew_onboarding(who, STRIPE_SESSION, FORGED_STATE), Conflict, NOT_CONFIGURED
        )
    ],
    "card_payments.stripe_accounts.disconnect": [_stripe_refused(stripe_accounts.disconnect, Conflict, NO_ACCOUNT)],
    "billing.receivables.aging": [_aging],
    "billing.receivables.invoiced_vs_collected": [_invoiced_vs_collected],
    # Project work: the target's milestone, request, public update (with an internal comment) and internal update.
    "projects.milestones.add_milestone": [
        lambda who, t, i: milestones.add_milestone(who, t.project_id, milestones.MilestoneInput("Probe"))
    ],
    "projects.milestones.update_milestone": [
        lambda who, t, i: milestones.update_milestone(
            who, t.milestone_id, milestones.MilestoneInput("Hijacked", done=True)
        )
    ],
    "projects.milestones.set_milestone_done": [
        lambda who, t, i: milestones.set_milestone_done(who, t.milestone_id, True)
    ],
    "projects.milestones.delete_milestone": [lambda who, t, i: milestones.delete_milestone(who, t.milestone_id)],
    "projects.milestones.list_milestones": [lambda who, t, i: milestones.list_milestones(who, t.project_id)],
    "projects.milestones.set_progress": [
        lambda who, t, i: milestones.set_progress(who, t.project_id, 99),
        lambda who, t, i: milestones.set_progress(who, t.project_id, None),
    ],
    "projects.milestones.project_overview": [lambda who, t, i: milestones.project_overview(who, t.project_id)],
    "projects.milestones.overview_of": [in_session(milestones.overview_of, "project_id")],
    "projects.project_views.project_data": [lambda who, t, i: project_views.project_data(who, t.project_id)],
    "projects.calendar_feeds.feed_link": [
        _makes_no_feed(lambda who, t: calendar_feeds.feed_link(who, t.project_id)),
        _makes_no_feed(lambda who, t: calendar_feeds.feed_link(who, str(t.project_id))),
    ],
    "projects.calendar_feeds.reset_link": [_makes_no_feed(lambda who, t: calendar_feeds.reset_link(who, t.project_id))],
    "projects.calendar_feeds.list_contact_feeds": [
        lambda who, t, i: calendar_feeds.list_contact_feeds(who, t.contact_id)
    ],
    "projects.calendar_feeds.revoke_feed": [_revoke_the_targets_feed],
    # Generated documents (SPEC §17): the target's project, its milestone, its welcome packet owed.
    "documents.documents.list_documents": [lambda who, t, i: documents.list_documents(who, t.project_id)],
    "documents.documents.preview": [
        lambda who, t, i: documents.preview(who, t.project_id, "welcome"),
        lambda who, t, i: documents.preview(who, t.project_id, "progress", t.milestone_id),
    ],
    "documents.documents.regenerate": [
        lambda who, t, i: documents.regenerate(who, t.project_id, "welcome"),
        lambda who, t, i: documents.regenerate(who, t.project_id, "progress", t.milestone_id),
    ],
    "documents.wording.list_own_wordings": [lambda who, t, i: wording.list_own_wordings(who)],
    "documents.wording.save_wording": [
        lambda who, t, i: wording.save_wording(who, "welcome", enabled=False, title="Probe", intro="", closing="")
    ],
    "projects.projects.load_view": [in_session(projects.load_view, "project_id")],
    # Given another's project id, the in-session readers show nothing of it: their queries filter by the actor.
    "projects.work_requests.board_of": [
        in_session(lambda s, who, pid: work_requests.board_of(s, who, work_requests.in_project(pid)), "project_id")
    ],
    "projects.discussion.first_updates": [
        in_session(lambda s, who, pid: discussion.first_updates(s, who, pid, 200), "project_id")
    ],
    "projects.milestones.summaries": [_no_summaries],
    "projects.work_requests.load_request": [in_session(work_requests.load_request, "request_id")],
    "projects.work_requests.create_request": [
        lambda who, t, i: work_requests.create_request(who, t.project_id, work_requests.RequestInput("Probe"))
    ],
    "projects.work_requests.send_feedback": [lambda who, t, i: work_requests.send_feedback(who, t.project_id, "Probe")],
    "projects.work_requests.update_request": [
        lambda who, t, i: work_requests.update_request(who, t.request_id, work_requests.RequestInput("Hijacked"))
    ],
    "projects.work_requests.move_request": [
        lambda who, t, i: work_requests.move_request(who, t.request_id, "done"),
        lambda who, t, i: work_requests.move_request(who, t.request_id, "backlog", 0),
    ],
    "projects.work_requests.assign_request": [
        lambda who, t, i: work_requests.assign_request(who, t.request_id, None),
        lambda who, t, i: work_requests.assign_request(who, t.request_id, t.user_id),
    ],
    "projects.work_requests.get_request": [lambda who, t, i: work_requests.get_request(who, t.request_id)],
    "projects.work_requests.project_board": [lambda who, t, i: work_requests.project_board(who, t.project_id)],
    "projects.work_requests.client_board": [lambda who, t, i: work_requests.client_board(who, t.client_id)],
    "projects.work_requests.list_project_requests": [
        lambda who, t, i: work_requests.list_project_requests(who, t.project_id, limit=200)
    ],
    "projects.discussion.post_update": [
        lambda who, t, i: discussion.post_update(who, t.project_id, "Probe", "public"),
        lambda who, t, i: discussion.post_update(who, t.project_id, "Probe", "internal", request_id=t.request_id),
    ],
    "projects.discussion.list_updates": [lambda who, t, i: discussion.list_updates(who, t.project_id, limit=200)],
    "projects.discussion.request_updates": [lambda who, t, i: discussion.request_updates(who, t.request_id)],
    "projects.discussion.request_discussion": [lambda who, t, i: discussion.request_discussion(who, t.request_id)],
    "projects.discussion.add_comment": [
        lambda who, t, i: discussion.add_comment(who, "Probe", update_id=t.update_id),
        lambda who, t, i: discussion.add_comment(who, "Probe", update_id=t.internal_update_id, visibility="internal"),
        lambda who, t, i: discussion.add_comment(who, "Probe", request_id=t.request_id, visibility="public"),
    ],
    "mail.outbox.undelivered_mail": [lambda who, t, i: outbox.undelivered_mail(who)],
    # The inbox is the signed-in staff user's own organization's: there is no id of another one to pass but an item's.
    "projects.inbox.unread_count": [lambda who, t, i: inbox.unread_count(who)],
    "projects.inbox.list_items": [
        lambda who, t, i: inbox.list_items(who, limit=200),
        lambda who, t, i: inbox.list_items(who, unread_only=True, limit=200),
    ],
    "projects.inbox.open_item": [_open_the_targets_inbox_item],
    "projects.inbox.mark_all_read": [lambda who, t, i: inbox.mark_all_read(who)],
    # A contact's mail choices are its own: there is no id of another contact to pass.
    "files.files.upload": [
        _probe_upload(project_id="project_id"),
        _probe_upload(request_id="request_id"),
        _probe_upload(client_id="client_id"),
    ],
    "time.entries.log_entry": [
        lambda who, t, i: entries.log_entry(who, entries.EntryInput(t.project_id, date(2026, 3, 2), "1", "Probe"))
    ],
    "time.entries.update_entry": each(
        ENTRY_IDS,
        lambda who, i: entries.update_entry(who, i, entries.EntryInput(i, date(2026, 3, 2), "9", "Hijacked")),
    ),
    "time.entries.delete_entry": each(ENTRY_IDS, entries.delete_entry),
    "time.entries.get_entry": each(ENTRY_IDS, entries.get_entry),
    "time.entries.may_decide": [_may_decide_only_in_own_org],
    "time.entries.member_id": [_member_id_of_the_targets_owner],
    "time.entries.load_entry": [in_session(entries.load_entry, f) for f in ENTRY_IDS],
    "time.entries.list_entries": [
        lambda who, t, i: entries.list_entries(who, project_id=t.project_id, limit=200),
        lambda who, t, i: entries.list_entries(who, user_id=t.user_id, limit=200),
        lambda who, t, i: entries.list_entries(who, status="submitted", limit=200),
    ],
    "time.entries.my_week": [lambda who, t, i: entries.my_week(who, date(2026, 3, 2))],
    "time.entries.copy_last_week": [lambda who, t, i: entries.copy_last_week(who, date(2026, 3, 9))],
    "time.entries.approval_queue": [lambda who, t, i: entries.approval_queue(who, limit=200)],
    "time.entries.approve": each(ENTRY_IDS, lambda who, i: entries.approve(who, [i])),
    "time.entries.reject": each(ENTRY_IDS, lambda who, i: entries.reject(who, [i], "Probe")),
    "time.hours.client_hours": [
        lambda who, t, i: hours.client_hours(
            who, client_id=t.client_id, limit=200, date_from=MARCH_FROM, date_to=MARCH_TO
        ),
        lambda who, t, i: hours.client_hours(
            who, client_id=t.client_id, project_id=t.project_id, date_from=MARCH_FROM, date_to=MARCH_TO
        ),
    ],
    "time.hours.hours_csv": [
        lambda who, t, i: hours.hours_csv(who, client_id=t.client_id, date_from=MARCH_FROM, date_to=MARCH_TO)
    ],
    "time.hours.question_entry": each(ENTRY_IDS, lambda who, i: hours.question_entry(who, i, "Probe")),
    "time.hours.project_time": [lambda who, t, i: hours.project_time(who, t.project_id)],
    "time.rates.get_project_rates": [lambda who, t, i: rates.get_project_rates(who, t.project_id)],
    "time.rates.set_project_rates": [
        lambda who, t, i: rates.set_project_rates(who, t.project_id, hourly_rate="1", budget_hours=None)
    ],
    "time.rates.set_default_rate": [lambda who, t, i: rates.set_default_rate(who, t.user_id, "1")],
    "billing.hours_invoices.invoice_from_hours": [
        lambda who, t, i: hours_invoices.invoice_from_hours(who, t.project_id, date_from=MARCH_FROM, date_to=MARCH_TO)
    ],
    "billing.invoices.delete_draft": [lambda who, t, i: invoices.delete_draft(who, t.invoice_id)],
    "billing.invoices.create_in": [_create_in_session],
    "projects.projects.apply_changes": [_apply_changes_in_session],
    "demo_files.seed_files": [lambda who, t, i: demo_files.seed_files(who, t.project_id, "Probe")],
    "files.files.load_file": [in_session(files.load_file, f) for f in FILE_IDS],
    "files.files.get_file": each(FILE_IDS, files.get_file),
    "files.files.open_download": each(FILE_IDS, files.open_download),
    "files.files.set_shared": each(FILE_IDS, lambda who, i: files.set_shared(who, i, False))
    + each(FILE_IDS, lambda who, i: files.set_shared(who, i, True)),
    "files.files.rename": each(FILE_IDS, lambda who, i: files.rename(who, i, "hijacked.txt")),
    "files.files.delete": each(FILE_IDS, files.delete),
    "files.files.list_files": [
        lambda who, t, i: files.list_files(who, client_id=t.client_id, limit=200),
        lambda who, t, i: files.list_files(who, project_id=t.project_id, limit=200),
        lambda who, t, i: files.list_files(who, request_id=t.request_id, limit=200),
        lambda who, t, i: files.list_files(who, project_id=t.project_id, kinds=tuple(FileKind), limit=200),
    ],
    "files.files.files_of_comments": [_files_of_the_targets_comments],
    "files.deliverables.load_deliverable": [in_session(deliverables.load_deliverable, f) for f in DELIVERABLE_IDS],
    "files.deliverables.get_deliverable": each(DELIVERABLE_IDS, deliverables.get_deliverable),
    "files.deliverables.list_deliverables": [lambda who, t, i: deliverables.list_deliverables(who, t.project_id)],
    "files.deliverables.project_deliverables": [lambda who, t, i: deliverables.project_deliverables(who, t.project_id)],
    "files.deliverables.create": [
        lambda who, t, i: deliverables.create(who, t.project_id, "Probe", "probe.pdf", _chunks(b"%PDF-1.4 probe"))
    ],
    "files.deliverables.add_version": each(
        DELIVERABLE_IDS, lambda who, i: deliverables.add_version(who, i, "probe.pdf", _chunks(b"%PDF-1.4 probe"))
    ),
    "files.deliverables.send_for_review": each(DELIVERABLE_IDS, deliverables.send_for_review),
    "files.deliverables.decide": each(
        DELIVERABLE_IDS, lambda who, i: deliverables.decide(who, i, "changes_requested", version=1, comment="probe")
    )
    + each(DELIVERABLE_IDS, lambda who, i: deliverables.decide(who, i, "approved", version=1)),
    "files.deliverables.rename": each(DELIVERABLE_IDS, lambda who, i: deliverables.rename(who, i, "Hijacked")),
    "files.deliverables.set_milestone": each(DELIVERABLE_IDS, lambda who, i: deliverables.set_milestone(who, i, None)),
    "files.deliverables.delete": each(DELIVERABLE_IDS, deliverables.delete),
    "files.certificate.certificate_data": each(DELIVERABLE_IDS, certificate.certificate_data),
    "projects.notifications.get_preferences": [lambda who, t, i: notifications.get_preferences(who)],
    "projects.notifications.set_preferences": [lambda who, t, i: notifications.set_preferences(who, False, False)],
    # The catalog is the organization's: its staff shape it, its portal sees the public, unarchived part of it.
    "catalog.catalog.create_service": [lambda who, t, i: catalog.create_service(who, PROBE_PLAN)],
    "catalog.catalog.update_service": each(
        SERVICE_IDS, lambda who, s: catalog.update_service(who, s, catalog.ServiceChanges(name="Hijacked", public=True))
    )
    + each(SERVICE_IDS, lambda who, s: catalog.update_service(who, s, PROBE_PLAN)),
    "catalog.catalog.set_archived": each(SERVICE_IDS, lambda who, s: catalog.set_archived(who, s, True))
    + each(SERVICE_IDS, lambda who, s: catalog.set_archived(who, s, False)),
    "catalog.catalog.move_service": each(SERVICE_IDS, lambda who, s: catalog.move_service(who, s, -9))
    + each(SERVICE_IDS, lambda who, s: catalog.move_service(who, s, 9)),
    "catalog.catalog.get_service": [_get_service(f) for f in SERVICE_IDS],
    "catalog.catalog.list_services": [
        _the_menu,
        lambda who, t, i: _the_menu(who, t, i, archived=True),
    ],
    "card_payments.purchases.start_contact_purchase": [_buy(f) for f in SERVICE_IDS],
    "card_payments.purchases.list_purchases": [lambda who, t, i: purchases.list_purchases(who, t.client_id)],
    "card_payments.subscriptions.list_subscriptions": [
        lambda who, t, i: subscriptions.list_subscriptions(who, t.client_id),
        _own_subscriptions,
    ],
    "card_payments.subscriptions.cancel_at_period_end": [
        lambda who, t, i: subscriptions.cancel_at_period_end(who, t.subscription_id)
    ],
    # Quotes: staff draft, send and convert their own organization's; a contact reads and answers its own client's
    # sent ones, never a draft.
    "billing.invoices.client_and_project": [
        in_session(lambda s, who, c: invoices.client_and_project(s, who, c, None), "client_id"),
        _refused_as("project_id", _client_and_the_targets_project),
    ],
    "quotes.quotes.load_quote": [in_session(quotes.load_quote, f) for f in QUOTE_IDS],
    "quotes.quotes.get_quote": each(QUOTE_IDS, quotes.get_quote),
    "quotes.quotes.list_quotes": [
        lambda who, t, i: quotes.list_quotes(who, limit=200),
        lambda who, t, i: quotes.list_quotes(who, quotes.QuoteFilter(client_id=t.client_id), limit=200),
        lambda who, t, i: quotes.list_quotes(who, quotes.QuoteFilter(status="draft"), limit=200),
        lambda who, t, i: quotes.list_quotes(who, quotes.QuoteFilter(search="quote"), limit=200),
    ],
    "quotes.quotes.create_quote": [
        lambda who, t, i: quotes.create_quote(who, _probe_quote(t.client_id)),
        lambda who, t, i: quotes.create_quote(who, _probe_quote(t.client_id, project_id=t.project_id)),
        _refused_as("project_id", _quote_for_the_targets_project),
        *(_refused_as("project_template_id", _quote_on_a_template(f)) for f in SERVICE_IDS),
    ],
    "quotes.quotes.update_quote": [_update_quote(f) for f in QUOTE_IDS],
    "quotes.quotes.delete_draft": each(QUOTE_IDS, quotes.delete_draft),
    "quotes.quotes.duplicate_quote": each(QUOTE_IDS, quotes.duplicate_quote),
    "quotes.quotes.send_quote": each(QUOTE_IDS, quotes.send_quote),
    "quotes.quotes.list_recipients": each(QUOTE_IDS, quotes.list_recipients),
    "quotes.quotes.view_summary": each(QUOTE_IDS, quotes.view_summary),
    "quotes.acceptance.open_portal_quote": each(
        QUOTE_IDS, lambda who, q: acceptance.open_portal_quote(who, q, ip="", user_agent="probe")
    )
    + each(QUOTE_IDS, lambda who, q: acceptance.open_portal_quote(who, q, ip="", user_agent="probe", via="portal_pdf")),
    "quotes.acceptance.accept_in_portal": [_accept_quote(f) for f in QUOTE_IDS],
    "quotes.acceptance.decline_in_portal": each(
        QUOTE_IDS, lambda who, q: acceptance.decline_in_portal(who, q, "Probe reason")
    ),
    "quotes.acceptance.convert_quote": each(QUOTE_IDS, acceptance.convert_quote),
}


def actor_services() -> set[str]:
    """Every public coroutine in services/ and its domain packages that acts for an actor, as "billing.invoices.x"."""
    found = set()
    for info in pkgutil.walk_packages(services.__path__, prefix="services."):
        module = importlib.import_module(info.name)
        for name, fn in inspect.getmembers(module, inspect.iscoroutinefunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            params = inspect.signature(fn).parameters.values()
            if any(p.name == "actor" or "Actor" in str(p.annotation) for p in params):
                found.add(f"{info.name.removeprefix('services.')}.{name}")
    return found


def test_every_service_taking_an_actor_has_an_isolation_case():
    found = actor_services()
    # the walk itself works, into every domain package
    assert {"clients.clients.get_client", "projects.projects.load_project", "billing.invoices.send_invoice"} <= found
    missing = found - CASES.keys() - EXEMPT.keys()
    assert not missing, f"add isolation cases for: {sorted(missing)}"
    assert not (CASES.keys() - found), "cases for services that no longer exist"


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


async def test_the_targets_project_work_is_there_to_reach(worlds: Worlds):
    """The probes above aim at real rows: the target's own staff reach each of them by the same ids."""
    owners = {w.actor.org_id: w.actor for w in (worlds.a, worlds.b)}
    for intruder in worlds.intruders:
        t, owner = intruder.target, owners[intruder.target.org_id]
        card = await work_requests.get_request(owner, t.request_id)
        assert card.title in t.markers and card.comment_count == 2
        [milestone] = await milestones.list_milestones(owner, t.project_id)
        assert (milestone.id, milestone.title in t.markers) == (t.milestone_id, True)
        if t.org_id == worlds.a.actor.org_id:  # the team probes aim at org A's real pending invitation
            assert t.invitation_id in {row.id for row in await team.list_invitations(owner)}
        shared, unshared = await files.get_file(owner, t.file_id), await files.get_file(owner, t.unshared_file_id)
        assert (shared.shared, unshared.shared) == (True, False)
        design = await deliverables.get_deliverable(owner, t.deliverable_id)
        draft = await deliverables.get_deliverable(owner, t.draft_deliverable_id)
        assert draft.status == "draft" and design.title in t.markers
        feed = await discussion.list_updates(owner, t.project_id)
        assert {u.id for u in feed.items} == {t.update_id, t.internal_update_id}
        assert len(next(u for u in feed.items if u.id == t.update_id).comments) == 2


async def test_a_snapshot_sees_a_changed_column_a_changed_blob_and_a_deleted_row(worlds: Worlds):
    """What every case above relies on: a change to any row of the target shows in its snapshot."""
    [org_a] = [i.target for i in worlds.intruders if i.label.startswith("staff of B")]
    taken = [await snapshot(org_a)]
    changes = (
        update(Client).where(Client.id == worlds.a.client.id).values(phone="changed"),
        update(Organization).where(Organization.id == org_a.org_id).values(logo=b"\x89PNG changed"),
        delete(Comment).where(
            Comment.id == select(Comment.id).where(Comment.org_id == org_a.org_id).limit(1).scalar_subquery()
        ),
    )
    for change in changes:
        async with unit_of_work(SystemActor()) as session:
            assert (await session.execute(change)).rowcount == 1, change  # type: ignore[attr-defined]
        taken.append(await snapshot(org_a))
    changed = [{t for t in before if before[t] != after[t]} for before, after in pairwise(taken)]
    # the deleted comment's inbox item went with it
    assert changed == [{"clients"}, {"organizations"}, {"comments", "inbox_items"}]


async def test_sign_in_secrets_are_bound_to_their_organization(worlds: Worlds, layers):
    a, b, email = worlds.a.actor.org_id, worlds.b.actor.org_id, worlds.a.contact.email
    [text] = await raw(
        SystemActor(),
        select(OutboxMail.body_text).where(OutboxMail.to_addr == email, OutboxMail.subject.startswith("Your")),
    )
    link, code_line = re.search(r"/link/(\S+)\n", text), re.search(r"^(\d{6})$", text, re.MULTILINE)
    assert link and code_line, text
    token, code = link[1], code_line[1]
    _, cookie = await sign_in(worlds.a.contact.id)
    assert not await magic_links.link_is_usable(b, token)
    assert await magic_links.consume_link(b, token, ip="", user_agent="") is None
    assert await magic_links.consume_code(b, email, code, ip="", user_agent="") is None
    assert await portal_sessions.resolve(b, cookie) is None
    await portal_sessions.sign_out(b, cookie)
    assert await magic_links.link_is_usable(a, token)
    assert await portal_sessions.resolve(a, cookie) is not None


async def test_opt_out_links_are_bound_to_their_contact_and_organization(worlds: Worlds, layers):
    a, b = worlds.a, worlds.b
    [org_a] = [i.target for i in worlds.intruders if i.label.startswith("staff of B")]
    before = await snapshot(org_a)
    jane, sam = str(a.contact.id), str(worlds.a2.contact.id)
    token = notifications.opt_out_token(a.contact.id)
    assert not await notifications.opt_out(b.actor.org_id, jane, token)  # the right link on another org's slug
    assert not await notifications.opt_out(a.actor.org_id, sam, token)  # one contact's token for another
    assert not await notifications.opt_out(a.actor.org_id, jane, token.upper())
    assert await snapshot(org_a) == before
    assert await notifications.opt_out(a.actor.org_id, jane, token)
    assert await notifications.get_preferences(worlds.portal) == notifications.Preferences(False, False)


def _return_state(standin: StripeStandIn, link_url: str) -> str:
    """The `state` of the way back from Stripe that the account link at `link_url` carries."""
    link = standin.account_links[urlsplit(link_url).path.rsplit("/", 1)[1]]
    [state] = parse_qs(urlsplit(link["return_url"]).query)["state"]
    return state


def _stripe_calls_on(standin: StripeStandIn, since: int) -> set[str]:
    """Every account id the app's Stripe calls since the `since`th named, in the path, the body or Stripe-Account."""
    named = set()
    for request in standin.requests[since:]:
        named |= set(re.findall(r"acct_[A-Za-z0-9]+", f"{request.path} {request.params} {request.stripe_account}"))
    return named


async def test_stripe_connect_reaches_only_the_actors_own_account(
    worlds: Worlds, layers, stripe_standin: StripeStandIn
) -> None:
    a, b = worlds.a, worlds.b
    [org_a] = [i.target for i in worlds.intruders if i.label.startswith("staff of B")]
    account_a, account_b = await connect(stripe_standin, a), await connect(stripe_standin, b)
    a_session, b_session = uuid.uuid4(), uuid.uuid4()
    link_a = await stripe_accounts.start_onboarding(a.actor, a_session, "alpha")
    state_a = _return_state(stripe_standin, link_a)
    before, calls = await snapshot(org_a), len(stripe_standin.requests)

    seen = await stripe_accounts.account_view(b.actor)
    assert seen.account_id == account_b and account_a not in repr(seen)
    refreshed = await stripe_accounts.refresh_state(b.actor)
    assert refreshed.account_id == account_b and account_a not in repr(refreshed)
    for session_id in (b_session, a_session):  # A's own session id does not make A's state B's
        with pytest.raises(Forbidden):
            await stripe_accounts.finish_onboarding(b.actor, session_id, state_a)
        with pytest.raises(Forbidden):
            await stripe_accounts.renew_onboarding(b.actor, session_id, state_a)
    link_b = await stripe_accounts.start_onboarding(b.actor, b_session, "alpha")  # the same attempt key as A's
    assert stripe_standin.account_links[urlsplit(link_b).path.rsplit("/", 1)[1]]["account"] == account_b
    assert await stripe_accounts.disconnect(b.actor) == 0
    assert (await stripe_accounts.account_view(b.actor)).account_id == ""

    assert _stripe_calls_on(stripe_standin, calls) == {account_b}
    assert await snapshot(org_a) == before, "B's Stripe Connect changed org A"
    assert (await stripe_accounts.account_view(a.actor)).account_id == account_a
    # the state B was refused is good for A's own session: the refusals above were about who presented it
    stripe_standin.finish_onboarding(link_a)
    finished = await stripe_accounts.finish_onboarding(a.actor, a_session, state_a)
    assert (finished.account_id, finished.charges_enabled) == (account_a, True)


async def test_members_read_their_own_stripe_account_and_the_portal_nothing(
    worlds: Worlds, layers, stripe_standin: StripeStandIn
) -> None:
    a = worlds.a
    [org_a] = [i.target for i in worlds.intruders if i.label.startswith("staff of B")]
    account = await connect(stripe_standin, a, charges_enabled=False)
    session_id = uuid.uuid4()
    state = _return_state(stripe_standin, await stripe_accounts.start_onboarding(a.actor, session_id, "owner"))
    member = await add_member(a.actor.org_id, "member@alpha.test", Role.member)

    view = await stripe_accounts.account_view(member)
    assert (view.account_id, view.charges_enabled, view.may_manage) == (account, False, False)
    before, calls = await snapshot(org_a), len(stripe_standin.requests)
    changes: list[Callable[[Any], Awaitable[Any]]] = [
        lambda who: stripe_accounts.start_onboarding(who, session_id, "member"),
        lambda who: stripe_accounts.finish_onboarding(who, session_id, state),
        lambda who: stripe_accounts.renew_onboarding(who, session_id, state),
        stripe_accounts.disconnect,
    ]
    for change in changes:  # the owner's own session and state do not make a member an owner
        with pytest.raises(Forbidden):
            await change(member)
    reads: list[Callable[[Any], Awaitable[Any]]] = [
        stripe_accounts.account_view,
        stripe_accounts.refresh_state,
        checkout_views.check_stripe,
    ]
    for call in [*changes, *reads]:
        with pytest.raises(NotFound):
            await call(worlds.portal)
    assert stripe_standin.requests[calls:] == []
    assert await snapshot(org_a) == before
    assert (await stripe_accounts.account_view(a.actor)).account_id == account


async def test_the_targets_catalog_is_there_to_reach(worlds: Worlds):
    """The catalog probes aim at real rows: the target's own staff reach each of them by the same ids."""
    owners = {w.actor.org_id: w.actor for w in (worlds.a, worlds.b)}
    for intruder in worlds.intruders:
        t, owner = intruder.target, owners[intruder.target.org_id]
        public, hidden, archived = [await catalog.get_service(owner, getattr(t, f)) for f in SERVICE_IDS]
        expected = [(True, False), (False, False), (True, True)]
        assert [(s.public, s.archived) for s in (public, hidden, archived)] == expected
        assert {hidden.name, archived.name} <= t.markers  # never to be shown to any portal actor
        assert (public.name in t.markers) == t.whole_org  # on offer to the organization's own portal
        assert [p.id for p in await purchases.list_purchases(owner, t.client_id)] == [t.purchase_id]
        [subscription] = await subscriptions.list_subscriptions(owner, t.client_id)
        assert (subscription.id, subscription.status, subscription.service_name in t.markers) == (
            t.subscription_id,
            "active",
            True,
        )
    # the portal contact's own client bought too: its own purchase is what it sees of the catalog's records
    [own] = await subscriptions.list_subscriptions(worlds.portal)
    assert own.id == worlds.a1_bought.subscription_id
    assert [s.id for s in await catalog.list_services(worlds.portal)] == [worlds.offered_a.service_id]


async def test_the_public_services_page_shows_only_its_own_organizations_offer(worlds: Worlds, layers):
    """`on_offer_at` and `start_visitor_purchase` take an organization's id, not an actor: given org B's, they show
    and sell only org B's public, unarchived services, whatever service id comes with it."""
    a, b = worlds.offered_a, worlds.offered_b
    [org_a] = [i.target for i in worlds.intruders if i.label.startswith("staff of B")]
    [org_b] = [i.target for i in worlds.intruders if i.label.endswith("org B")]
    before_a, before_b, rows = await snapshot(org_a), await snapshot(org_b), await _purchase_rows()

    menu = await catalog.on_offer_at(b.org_id)
    assert [s.id for s in menu] == [b.service_id]
    assert not [m for m in org_a.markers if m.lower() in shown(menu)]
    assert not [m for m in b.internal_markers if m.lower() in shown(menu)]
    assert [s.id for s in await catalog.on_offer_at(a.org_id)] == [a.service_id]

    aimed = [a.service_id, a.hidden_service_id, a.archived_service_id, b.hidden_service_id, b.archived_service_id]
    for service_id in aimed:
        with pytest.raises(NotFound):
            await purchases.start_visitor_purchase(b.org_id, service_id, "visitor@evil.test", "Probe Ltd")
    # B's own public service gets further: to the payment, which Stripe (not configured here) cannot take
    with pytest.raises(NotOffered):
        await purchases.start_visitor_purchase(b.org_id, b.service_id, "visitor@evil.test", "Probe Ltd")

    assert await _purchase_rows() == rows
    assert (await snapshot(org_a), await snapshot(org_b)) == (before_a, before_b)


async def test_catalog_purchases_reach_only_the_buyers_own_organization(
    worlds: Worlds, layers, stripe_standin: StripeStandIn
) -> None:
    """With Stripe configured and both organizations connected, a purchase is still made only of the buyer's own
    organization's public, unarchived service, on that organization's own account."""
    a, b = worlds.offered_a, worlds.offered_b
    [org_a] = [i.target for i in worlds.intruders if i.label.startswith("staff of B")]
    [org_b] = [i.target for i in worlds.intruders if i.label.endswith("org B")]
    account_a, account_b = await connect(stripe_standin, worlds.a), await connect(stripe_standin, worlds.b)
    before_a, before_b = await snapshot(org_a), await snapshot(org_b)
    rows, calls = await _purchase_rows(), len(stripe_standin.requests)

    aimed = [b.service_id, b.hidden_service_id, b.archived_service_id, a.hidden_service_id, a.archived_service_id]
    for service_id in aimed:
        with pytest.raises(NotFound):
            await purchases.start_contact_purchase(worlds.portal, service_id)
    for service_id in (a.service_id, a.hidden_service_id, a.archived_service_id):
        with pytest.raises(NotFound):
            await purchases.start_visitor_purchase(b.org_id, service_id, "visitor@evil.test", "Probe Ltd")
    with pytest.raises(NotFound):  # staff are no buyers, not even of their own organization's service
        await purchases.start_contact_purchase(worlds.b.actor, b.service_id)  # type: ignore[arg-type]
    assert stripe_standin.requests[calls:] == []
    assert await _purchase_rows() == rows
    assert (await snapshot(org_a), await snapshot(org_b)) == (before_a, before_b)

    # the same calls reach their own organization's offer, each on its own account
    assert await purchases.start_contact_purchase(worlds.portal, a.service_id)
    assert _stripe_calls_on(stripe_standin, calls) == {account_a}
    calls = len(stripe_standin.requests)
    assert await purchases.start_visitor_purchase(b.org_id, b.service_id, "visitor@evil.test", "Probe Ltd")
    assert _stripe_calls_on(stripe_standin, calls) == {account_b}
    made = await raw(SystemActor(), select(Purchase).order_by(Purchase.created_at.desc()).limit(2))
    assert {(p.org_id, p.client_id, p.service_id, p.stripe_account_id) for p in made} == {
        (a.org_id, worlds.a.client.id, a.service_id, account_a),
        (b.org_id, None, b.service_id, account_b),
    }


async def test_the_targets_quotes_are_there_to_reach(worlds: Worlds):
    """The quote probes aim at real rows: the target's own staff reach each of them by the same ids, and sending
    the sent one would mail someone."""
    owners = {w.actor.org_id: w.actor for w in (worlds.a, worlds.b)}
    for intruder in worlds.intruders:
        t, owner = intruder.target, owners[intruder.target.org_id]
        offer, draft = await quotes.get_quote(owner, t.quote_id), await quotes.get_quote(owner, t.draft_quote_id)
        assert (offer.client_id, offer.display_status, draft.display_status) == (t.client_id, "sent", "draft")
        assert offer.sha256 == t.quote_sha256 and {offer.title, draft.title} <= t.markers
        assert (await quotes.view_summary(owner, t.quote_id)).count == 1  # its contact opened it in the portal
        assert await quotes.list_recipients(owner, t.quote_id)
        assert {r.id for r in (await quotes.list_quotes(owner, limit=200)).items} >= {t.quote_id, t.draft_quote_id}


async def test_a_quotes_public_link_opens_that_quote_only(worlds: Worlds, layers):
    """The link is the credential, and it names one quote: org B's link opens org B's quote and nothing of org A;
    no draft's link, no id, no hash and no invoice's link opens or answers any quote."""
    [org_a] = [i.target for i in worlds.intruders if i.label.startswith("staff of B")]
    [a2] = [i.target for i in worlds.intruders if i.label.endswith("client A2")]
    [org_b] = [i.target for i in worlds.intruders if i.label.endswith("org B")]
    before = await snapshot(org_a)

    theirs = await acceptance.open_public(quote_views.public_token(org_b.quote_id), ip="192.0.2.7", user_agent="probe")
    assert theirs is not None and (theirs.id, theirs.org_id) == (org_b.quote_id, org_b.org_id)
    assert not [m for m in org_a.markers if m.lower() in shown(theirs)]

    token = quote_views.public_token(org_a.quote_id)
    refused = [
        *(quote_views.public_token(t.draft_quote_id) for t in (org_a, a2, org_b)),
        str(org_a.quote_id),
        quote_views.public_token_hash(token),
        token.upper(),
        token[:-1] + ("0" if token[-1] != "0" else "1"),
        invoice_views.public_token(org_a.invoice_id),
    ]
    signature = acceptance.Signature("Probe Person", True, org_a.quote_sha256, email="probe@evil.test")
    for wrong in refused:
        assert await acceptance.open_public(wrong, ip="192.0.2.7", user_agent="probe") is None, wrong
        with pytest.raises(NotFound):
            await acceptance.accept_public(wrong, signature, ip="192.0.2.7")
        with pytest.raises(NotFound):
            await acceptance.decline_public(wrong, "Probe reason", ip="192.0.2.7")
    assert await snapshot(org_a) == before
    # the one view recorded is org B's, on org B's quote (its contact's portal visit was the first)
    summary = await quotes.view_summary(worlds.b.actor, org_b.quote_id)
    assert summary.count == 2
