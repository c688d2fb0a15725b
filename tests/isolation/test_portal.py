"""A portal contact reaches its own client's rows only, and no staff-only service."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import (
    InvoiceView,
    RequestStatus,
    Visibility,
)
from services.billing import invoice_access, invoice_listing, invoices, manual_payments, receivables
from services.clients import clients, contacts, magic_links, portal_sessions
from services.core import audit
from services.core.actors import SystemActor
from services.core.errors import NotFound
from services.mail import outbox
from services.organizations import organizations
from services.projects import discussion, milestones, notifications, projects, work_requests
from services.quotes import acceptance, quotes
from services.staff import api_tokens, staff, staff_sessions
from tests.support.isolation import PNG_SIGNATURE, Worlds, raw

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
    "undelivered_mail": lambda p, w: outbox.undelivered_mail(p),
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
    "record_payment": lambda p, w: manual_payments.record_payment(
        p, w.a1_invoice_id, manual_payments.PaymentInput("1.00")
    ),
    "void_invoice": lambda p, w: invoices.void_invoice(p, w.a1_invoice_id),
    "duplicate_invoice": lambda p, w: invoices.duplicate_invoice(p, w.a1_invoice_id),
    "aging": lambda p, w: receivables.aging(p),
    "invoiced_vs_collected": lambda p, w: receivables.invoiced_vs_collected(p),
    # its own client's project work: contacts read it, add requests and reply, and change nothing else
    "add_milestone": lambda p, w: milestones.add_milestone(p, w.a.project.id, milestones.MilestoneInput("Mine")),
    "update_milestone": lambda p, w: milestones.update_milestone(
        p, w.a1_work.milestone_id, milestones.MilestoneInput("Mine", done=True)
    ),
    "set_milestone_done": lambda p, w: milestones.set_milestone_done(p, w.a1_work.milestone_id, True),
    "delete_milestone": lambda p, w: milestones.delete_milestone(p, w.a1_work.milestone_id),
    "set_progress": lambda p, w: milestones.set_progress(p, w.a.project.id, 100),
    "update_request": lambda p, w: work_requests.update_request(
        p, w.a1_work.request_id, work_requests.RequestInput("Mine")
    ),
    "move_request": lambda p, w: work_requests.move_request(p, w.a1_work.request_id, "done"),
    "assign_request": lambda p, w: work_requests.assign_request(p, w.a1_work.request_id, None),
    "client_board": lambda p, w: work_requests.client_board(p, w.a.client.id),
    "post_update": lambda p, w: discussion.post_update(p, w.a.project.id, "Mine", "public"),
    # its own client's quotes: contacts read and answer the sent ones; staff draft, send and convert them
    "create_quote": lambda p, w: quotes.create_quote(
        p, quotes.QuoteInput(client_id=w.a.client.id, lines=[invoices.LineInput("Mine", "1", "1.00")])
    ),
    "update_quote": lambda p, w: quotes.update_quote(
        p,
        w.a1_quoted.draft_quote_id,
        quotes.QuoteInput(client_id=w.a.client.id, lines=[invoices.LineInput("Mine", "1", "1.00")]),
    ),
    "delete_draft": lambda p, w: quotes.delete_draft(p, w.a1_quoted.draft_quote_id),
    "duplicate_quote": lambda p, w: quotes.duplicate_quote(p, w.a1_quoted.quote_id),
    "send_quote": lambda p, w: quotes.send_quote(p, w.a1_quoted.draft_quote_id),
    "resend_quote": lambda p, w: quotes.send_quote(p, w.a1_quoted.quote_id),
    "list_quote_recipients": lambda p, w: quotes.list_recipients(p, w.a1_quoted.quote_id),
    "view_summary": lambda p, w: quotes.view_summary(p, w.a1_quoted.quote_id),
    "convert_quote": lambda p, w: acceptance.convert_quote(p, w.a1_quoted.quote_id),
}


async def test_portal_actor_reaches_its_own_invoice(worlds: Worlds):
    portal, invoice_id = worlds.portal, worlds.a1_invoice_id
    assert (await invoices.get_invoice(portal, invoice_id)).amount_due_minor == 777677
    assert [r.id for r in (await invoice_listing.list_invoices(portal)).items] == [invoice_id]
    assert [b.outstanding_minor for b in await invoice_listing.outstanding(portal)] == [777677]
    assert [p.invoice_id for p in (await invoice_access.payment_history(portal)).items] == [invoice_id]
    await invoice_access.record_portal_view(portal, invoice_id, via="portal", ip="192.0.2.1", user_agent="probe")
    opened = await invoice_access.open_portal_invoice(portal, invoice_id, ip="192.0.2.1", user_agent="probe")
    assert opened.id == invoice_id and opened.amount_due_minor == 777677
    assert [v.contact_id for v in await raw(SystemActor(), select(InvoiceView))] == [worlds.a.contact.id] * 2


@pytest.mark.parametrize("name", sorted(STAFF_ONLY))
async def test_staff_only_services_are_not_found_for_a_portal_actor(worlds: Worlds, name):
    with pytest.raises(NotFound):  # not Forbidden: the portal does not learn that staff things exist
        await STAFF_ONLY[name](worlds.portal, worlds)


# --- project work: its own client's, public items only -------------------------------------------------------------


async def test_portal_actor_reaches_its_own_project_work(worlds: Worlds):
    portal, project_id, work = worlds.portal, worlds.a.project.id, worlds.a1_work
    assert [m.title for m in await milestones.list_milestones(portal, project_id)] == ["alpha-one milestone"]
    board = await work_requests.project_board(portal, project_id)
    assert [c.title for c in board.columns[RequestStatus.backlog]] == ["alpha-one request"]
    feed = await discussion.list_updates(portal, project_id)
    assert [(u.body, [c.body for c in u.comments]) for u in feed.items] == [
        ("alpha-one public update", ["alpha-one public reply"])
    ]
    assert [c.body for c in await discussion.request_discussion(portal, work.request_id)] == [
        "alpha-one request answer"
    ]
    assert [u.body for u in await discussion.request_updates(portal, work.request_id)] == ["alpha-one request news"]
    assert await notifications.get_preferences(portal) == notifications.Preferences(True, True)
    reply = await discussion.add_comment(portal, "Thanks", update_id=work.update_id, visibility="internal")
    assert reply.visibility == Visibility.public  # a contact's words are always for the client to see


async def test_internal_items_of_its_own_client_stay_hidden(worlds: Worlds, layers):
    """Its own client's internal updates and comments: not by id, not in lists, not in counts (both layers, and the
    queries' own filters alone)."""
    portal, project_id, work = worlds.portal, worlds.a.project.id, worlds.a1_work
    hidden = [m.lower() for m in work.internal_markers]

    def leaked(result: object) -> list[str]:
        return [m for m in hidden if m in repr(result).lower()]

    for visibility in ("public", "internal"):
        with pytest.raises(NotFound):
            await discussion.add_comment(portal, "peek", update_id=work.internal_update_id, visibility=visibility)

    feed = await discussion.list_updates(portal, project_id, limit=200)
    assert (feed.total, [u.id for u in feed.items]) == (1, [work.update_id])
    assert [c.visibility for c in feed.items[0].comments] == [Visibility.public]
    thread = await discussion.request_discussion(portal, work.request_id)
    updates = await discussion.request_updates(portal, work.request_id)
    assert (len(thread), len(updates)) == (1, 1)

    card = await work_requests.get_request(portal, work.request_id)
    board = await work_requests.project_board(portal, project_id)
    listed = await work_requests.list_project_requests(portal, project_id, limit=200)
    assert card.comment_count == 1  # staff see 2
    assert [c.comment_count for c in board.columns[RequestStatus.backlog]] == [1]
    assert (listed.total, [c.comment_count for c in listed.items]) == (1, [1])
    overview = await milestones.project_overview(portal, project_id)
    for result in (feed, thread, updates, card, board, listed, overview):
        assert not leaked(result), leaked(result)

    # the same rows are there for staff: what the portal got is filtered, not missing
    assert (await discussion.list_updates(worlds.a.actor, project_id)).total == 2
    assert (await work_requests.get_request(worlds.a.actor, work.request_id)).comment_count == 2
    assert len(await discussion.request_discussion(worlds.a.actor, work.request_id)) == 2


# --- quotes: its own client's sent ones, never a draft ---------------------------------------------------------------


async def test_portal_actor_reaches_its_own_sent_quote_and_never_a_draft(worlds: Worlds, layers):
    portal, own = worlds.portal, worlds.a1_quoted
    hidden = [m.lower() for m in own.draft_markers]

    def leaked(result: object) -> list[str]:
        return [m for m in hidden if m in repr(result).lower()]

    listed = await quotes.list_quotes(portal, limit=200)
    assert ([q.id for q in listed.items], listed.total) == ([own.quote_id], 1)
    for filters in (quotes.QuoteFilter(status="draft"), quotes.QuoteFilter(search="draft")):
        found = await quotes.list_quotes(portal, filters, limit=200)
        assert (found.items, found.total) == ([], 0), filters
    assert (await quotes.get_quote(portal, own.quote_id)).display_status == "sent"
    opened = await acceptance.open_portal_quote(portal, own.quote_id, ip="192.0.2.1", user_agent="probe")
    assert (opened.id, opened.sha256) == (own.quote_id, own.sha256)
    assert not leaked(listed) and not leaked(opened)

    signature = acceptance.Signature("Jane Doe", True, own.sha256)
    for call in (
        lambda: quotes.get_quote(portal, own.draft_quote_id),
        lambda: acceptance.open_portal_quote(portal, own.draft_quote_id, ip="", user_agent=""),
        lambda: acceptance.open_portal_quote(portal, own.draft_quote_id, ip="", user_agent="", via="portal_pdf"),
        lambda: acceptance.accept_in_portal(portal, own.draft_quote_id, signature),
        lambda: acceptance.decline_in_portal(portal, own.draft_quote_id, "Not for us"),
    ):
        with pytest.raises(NotFound) as refused:
            await call()
        assert refused.value.message == quotes.NOT_FOUND  # as a made-up id: the draft is not said to exist
    # the draft is there, unanswered and unseen: staff see it as it was
    draft = await quotes.get_quote(worlds.a.actor, own.draft_quote_id)
    assert (draft.display_status, draft.acceptance) == ("draft", None)
    assert (await quotes.view_summary(worlds.a.actor, own.draft_quote_id)).count == 0
