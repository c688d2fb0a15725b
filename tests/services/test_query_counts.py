"""A page's query count does not grow with its rows (SPEC §9)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial

from services.billing import invoice_listing, manual_payments
from services.billing.invoice_listing import InvoiceFilter
from services.billing.line_items import LineInput
from services.clients import clients, contacts
from services.core import audit
from services.core.db import Database
from services.projects import projects
from services.quotes import quotes
from services.staff import staff
from tests.support.client_quotes import mark_quote_sent
from tests.support.clock import T0
from tests.support.db import counted
from tests.support.factories import make_world
from tests.support.invoicing import draft, mark_sent


async def queries_for(database: Database, call) -> int:
    with counted(database) as statements:
        await call()
    return len(statements)


async def test_list_pages_issue_a_constant_number_of_queries(database: Database) -> None:
    world = await make_world("acme")
    actor = world.actor

    async def lists() -> list[int]:
        return [
            await queries_for(database, lambda: clients.list_clients(actor, limit=100)),
            await queries_for(database, lambda: projects.list_projects(actor, limit=100)),
            await queries_for(database, lambda: contacts.list_contacts(actor, world.client.id)),
            await queries_for(database, lambda: audit.list_events(actor, audit.AuditFilter(), limit=100)),
            await queries_for(database, lambda: staff.list_staff(actor, limit=100)),
        ]

    few = await lists()
    for n in range(20):
        client = await clients.create_client(actor, clients.ClientInput(name=f"Client {n}"))
        await contacts.create_contact(
            actor, world.client.id, contacts.ContactInput(email=f"p{n}@acme.test", name=f"P{n}")
        )
        await projects.create_project(actor, client.id, projects.ProjectInput(name=f"Project {n}"))
    many = await lists()
    assert (await clients.list_clients(actor, limit=100)).total == 21
    assert few == many


async def test_the_invoice_and_audit_lists_issue_two_statements_at_any_size_depth_and_filter(database, at) -> None:
    world = await make_world("acme")
    actor, today = world.actor, T0.date()
    invoice_filters = [
        InvoiceFilter(),
        *(InvoiceFilter(status=s) for s in ("draft", "sent", "open", "overdue", "paid", "void")),
        InvoiceFilter(client_id=world.client.id),
        InvoiceFilter(date_from=today - timedelta(days=90), date_to=today),
        InvoiceFilter(status="open", client_id=world.client.id, date_from=today - timedelta(days=90)),
    ]
    audit_filters = [
        audit.AuditFilter(),
        audit.AuditFilter(action="invoice.created"),
        audit.AuditFilter(actor="owner"),
        audit.AuditFilter(action="client.created", date_from=today, date_to=today),
    ]

    calls: list[Callable[[], Awaitable[object]]] = [partial(audit.list_actions, actor)]
    for offset in (0, 30):
        calls += [partial(invoice_listing.list_invoices, actor, f, limit=200, offset=offset) for f in invoice_filters]
        calls.append(partial(invoice_listing.list_invoices, world.portal_actor(), limit=200, offset=offset))
        calls += [partial(audit.list_events, actor, f, limit=200, offset=offset) for f in audit_filters]

    async def lists() -> list[int]:
        return [await queries_for(database, call) for call in calls]

    few = await lists()
    for n in range(40):
        made = await draft(actor, world.client.id, f"{n + 1}.00", issue=today - timedelta(days=n * 2))
        if n % 4:
            await mark_sent(made.id)
        if n % 4 == 1:
            await manual_payments.record_payment(actor, made.id, manual_payments.PaymentInput(f"{n + 1}.00"))
    many = await lists()
    assert (await invoice_listing.list_invoices(actor, limit=200)).total == 40
    assert few == many
    assert set(many) == {1, 2}  # list_actions reads one small table; every list: a count, then the page


async def test_the_quote_list_issues_the_same_statements_at_any_size_and_filter(database, at) -> None:
    world = await make_world("acme")
    actor = world.actor
    filters = [
        quotes.QuoteFilter(),
        *(quotes.QuoteFilter(status=s) for s in ("draft", "sent", "open", "accepted", "declined", "expired")),
        quotes.QuoteFilter(client_id=world.client.id),
        quotes.QuoteFilter(status="sent", client_id=world.client.id, search="Q-"),
    ]
    calls: list[Callable[[], Awaitable[object]]] = []
    for offset in (0, 10):
        calls += [partial(quotes.list_quotes, actor, f, limit=200, offset=offset) for f in filters]
        calls.append(partial(quotes.list_quotes, world.portal_actor(), limit=200, offset=offset))

    async def lists() -> list[int]:
        return [await queries_for(database, call) for call in calls]

    few = await lists()
    for n in range(20):
        data = quotes.QuoteInput(client_id=world.client.id, lines=[LineInput(f"Item {n}", "1", f"{n + 1}.00")])
        made = await quotes.create_quote(actor, data)
        if n % 2:
            await mark_quote_sent(made.id)
    many = await lists()
    assert (await quotes.list_quotes(actor, limit=200)).total == 20
    assert (await quotes.list_quotes(world.portal_actor(), limit=200)).total == 10
    assert few == many
    assert set(many) == {3}  # the organization (for its today), a count, then the page
