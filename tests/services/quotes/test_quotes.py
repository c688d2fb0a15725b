"""Quotes, staff side: numbering, checks, drafts, sending, the parties fixed at sending, listing, views."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from models import Organization, OutboxMail
from services.billing import invoices
from services.billing.line_items import LineInput
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid, NotFound
from services.organizations import organizations
from services.quotes import acceptance, quote_views, quotes
from services.quotes.quotes import QuoteFilter, QuoteInput
from tests.support.db import count
from tests.support.factories import Team, make_world

LINES = [LineInput("Design", "10", "100.00", "20")]


def draft_of(team: Team, **changes: object) -> QuoteInput:
    values: dict = {"client_id": team.world.client.id, "lines": LINES, "currency": "USD"}
    return QuoteInput(**(values | changes))


async def test_quotes_have_their_own_number_sequence_and_prefix(team: Team) -> None:
    first = await quotes.create_quote(team.staff, draft_of(team))
    invoice = await invoices.create_invoice(
        team.staff, invoices.InvoiceInput(client_id=team.world.client.id, lines=LINES)
    )
    second = await quotes.create_quote(team.staff, draft_of(team))
    assert (first.number, second.number, invoice.number) == ("Q-0001", "Q-0002", "INV-0001")
    async with unit_of_work(SystemActor(org_id=team.staff.org_id)) as session:
        await session.execute(update(Organization).values(quote_prefix="EST-"))
    assert (await quotes.create_quote(team.staff, draft_of(team))).number == "EST-0003"
    other = await make_world("globex")  # another agency counts from its own 1
    mine = QuoteInput(client_id=other.client.id, lines=LINES)
    assert (await quotes.create_quote(other.actor, mine)).number == "Q-0001"


async def test_bad_input_reports_every_problem_and_takes_no_number(team: Team) -> None:
    bad = draft_of(
        team,
        lines=[LineInput("", "0", "-1", "120")],
        deposit_percent="101",
        discount_percent="x",
        issue_date=date(2026, 3, 10),
        valid_until=date(2026, 3, 1),
    )
    with pytest.raises(Invalid) as caught:
        await quotes.create_quote(team.staff, bad)
    assert {p.field for p in caught.value.problems} == {
        "lines.0.description",
        "lines.0.quantity",
        "lines.0.unit_price",
        "lines.0.tax_rate",
        "deposit_percent",
        "discount_percent",
        "valid_until",
    }
    with pytest.raises(Invalid, match="at least one line"):
        await quotes.create_quote(team.staff, draft_of(team, lines=[]))
    with pytest.raises(Invalid, match="a year at most"):
        await quotes.create_quote(
            team.staff, draft_of(team, issue_date=date(2026, 3, 10), valid_until=date(2027, 6, 1))
        )
    assert (await quotes.list_quotes(team.staff)).total == 0
    assert (await quotes.create_quote(team.staff, draft_of(team))).number == "Q-0001"  # none was burnt


async def test_a_deposit_of_everything_is_the_whole_amount(team: Team) -> None:
    quote = await quotes.create_quote(team.staff, draft_of(team, deposit_percent="100"))
    assert (quote.deposit_percent, quote.has_deposit, quote.deposit_minor) == (0, False, quote.total_minor)


async def test_validity_defaults_to_the_organizations_days(team: Team, at) -> None:
    quote = await quotes.create_quote(team.staff, draft_of(team))
    assert (quote.issue_date, quote.valid_until) == (date(2026, 3, 10), date(2026, 4, 9))


async def test_drafts_change_and_delete_but_sent_quotes_stay_as_sent(team: Team) -> None:
    draft = await quotes.create_quote(team.staff, draft_of(team, title="First go"))
    changed = await quotes.update_quote(team.staff, draft.id, draft_of(team, title="Website", deposit_percent="25"))
    assert (changed.title, changed.deposit_percent, changed.number) == ("Website", 25, draft.number)
    doomed = await quotes.create_quote(team.staff, draft_of(team))
    await quotes.delete_draft(team.staff, doomed.id)
    with pytest.raises(NotFound):
        await quotes.get_quote(team.staff, doomed.id)

    sent = await quotes.send_quote(team.staff, draft.id)
    with pytest.raises(Conflict, match="Only drafts can be edited"):
        await quotes.update_quote(team.staff, sent.id, draft_of(team, title="Sneaky"))
    with pytest.raises(Conflict, match="Only drafts can be deleted"):
        await quotes.delete_draft(team.staff, sent.id)
    copy = await quotes.duplicate_quote(team.staff, sent.id)
    assert (copy.display_status, copy.title, copy.deposit_percent, len(copy.lines)) == ("draft", "Website", 25, 1)
    assert copy.number != sent.number and copy.total_minor == sent.total_minor


async def test_sending_mails_the_link_and_pdf_and_fixes_the_parties(team: Team) -> None:
    draft = await quotes.create_quote(team.staff, draft_of(team, deposit_percent="30"))
    assert await quotes.list_recipients(team.staff, draft.id) == ["billing@client-acme.test"]
    sent = await quotes.send_quote(team.staff, draft.id)
    assert sent.display_status == "sent" and sent.sent_at is not None
    assert await count(OutboxMail, OutboxMail.subject == f"Quote {sent.number} from Acme") == 1
    # the agency renames itself afterwards: the quote the client reads (and its fingerprint) is as it was sent
    await organizations.update_organization(
        team.staff, organizations.OrganizationChanges(name="Acme Studio", slug="acme")
    )
    again = await quotes.get_quote(team.jane, sent.id)
    assert again.seller.name == "Acme" and again.sha256 == sent.sha256
    # a fresh draft reads today's name
    fresh = await quotes.create_quote(team.staff, draft_of(team))
    assert fresh.seller.name == "Acme Studio"
    # resending sends the same quote again
    await quotes.send_quote(team.staff, sent.id)
    assert await count(OutboxMail, OutboxMail.subject == f"Quote {sent.number} from Acme") == 2


async def test_a_quote_is_not_sent_when_nobody_can_receive_it_or_its_time_has_passed(team: Team, at) -> None:
    past = await quotes.create_quote(
        team.staff, draft_of(team, issue_date=date(2026, 2, 1), valid_until=date(2026, 3, 9))
    )
    with pytest.raises(Invalid, match="validity date has passed"):
        await quotes.send_quote(team.staff, past.id)
    expiring = await quotes.send_quote(
        team.staff, (await quotes.create_quote(team.staff, draft_of(team, valid_until=date(2026, 3, 12)))).id
    )
    at(timedelta(days=3))
    with pytest.raises(Conflict, match="expired"):
        await quotes.send_quote(team.staff, expiring.id)


async def test_the_hash_is_the_content_shown_and_nothing_else(team: Team) -> None:
    sent = await quotes.send_quote(team.staff, (await quotes.create_quote(team.staff, draft_of(team))).id)
    assert sent.sha256 == quote_views.content_hash(sent)
    assert len(sent.sha256) == 64
    seen = await acceptance.open_portal_quote(team.jane, sent.id, ip="", user_agent="")
    assert seen.sha256 == sent.sha256  # the same content, whoever reads it
    done = await acceptance.accept_in_portal(team.jane, sent.id, acceptance.Signature("Jane Doe", True, seen.sha256))
    assert done.sha256 == sent.sha256 and done.acceptance and done.acceptance.sha256 == sent.sha256
    # any change of the content changes the hash: a line's price, the terms
    assert quote_views.content_hash(dataclasses.replace(sent, terms="Other terms")) != sent.sha256
    assert quote_views.content_hash(dataclasses.replace(sent, total_minor=sent.total_minor + 1)) != sent.sha256


async def test_the_list_filters_by_status_client_and_search(team: Team, at) -> None:
    draft = await quotes.create_quote(team.staff, draft_of(team, title="Logo refresh"))
    sent = await quotes.send_quote(team.staff, (await quotes.create_quote(team.staff, draft_of(team))).id)
    soon = await quotes.send_quote(
        team.staff, (await quotes.create_quote(team.staff, draft_of(team, valid_until=date(2026, 3, 11)))).id
    )
    at(timedelta(days=2))

    async def ids(**filters) -> set:
        return {row.id for row in (await quotes.list_quotes(team.staff, QuoteFilter(**filters))).items}

    assert await ids() == {draft.id, sent.id, soon.id}
    assert await ids(status="draft") == {draft.id}
    assert await ids(status="open") == {sent.id}
    assert await ids(status="expired") == {soon.id}
    assert await ids(search="logo") == {draft.id}
    assert await ids(search=sent.number) == {sent.id}
    assert await ids(search="%") == set()
    with pytest.raises(Invalid):
        await ids(status="bogus")
    portal = await quotes.list_quotes(team.jane)
    assert {row.id for row in portal.items} == {sent.id, soon.id}  # never a draft


async def test_views_are_counted_for_staff(team: Team) -> None:
    sent = await quotes.send_quote(team.staff, (await quotes.create_quote(team.staff, draft_of(team))).id)
    assert (await quotes.view_summary(team.staff, sent.id)).count == 0
    await acceptance.open_portal_quote(team.jane, sent.id, ip="203.0.113.1", user_agent="UA")
    await acceptance.open_public(sent.public_url.rsplit("/", 1)[1], ip="203.0.113.2", user_agent="UA", via="pdf")
    summary = await quotes.view_summary(team.staff, sent.id)
    assert summary.count == 2 and summary.last_at is not None
    with pytest.raises(NotFound):
        await quotes.view_summary(team.jane, sent.id)
