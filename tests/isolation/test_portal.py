"""A portal contact reaches its own client's rows only, and no staff-only service."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import (
    InvoiceView,
)
from services import (
    api_tokens,
    audit,
    clients,
    contacts,
    invoice_access,
    invoice_listing,
    invoice_payments,
    invoices,
    magic_links,
    organizations,
    portal_sessions,
    projects,
    receivables,
    staff,
    staff_sessions,
)
from services.actors import SystemActor
from services.errors import NotFound
from tests.isolation.world import PNG_SIGNATURE, Worlds, raw

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
