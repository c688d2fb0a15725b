"""Accepting a quote: the evidence, the invoice and project it makes, exactly once; declining; expiry."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from models import AuditEvent, Invoice, InvoiceStatus, Milestone, OutboxMail, Project, Quote, QuoteAcceptance
from services.billing import invoice_views, invoices
from services.billing.line_items import LineInput
from services.catalog import catalog
from services.core import db
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid, NotFound
from services.quotes import acceptance, quote_pdf, quote_views, quotes
from services.quotes.acceptance import Signature
from tests.support.factories import Team, make_team

LINES = [LineInput("Design", "10", "100.00", "20"), LineInput("Hosting", "1", "240.00", "0")]


async def sent_quote(team: Team, **changes) -> quote_views.QuoteDetail:
    data = quotes.QuoteInput(client_id=team.world.client.id, lines=LINES, currency="USD", title="Website", **changes)
    draft = await quotes.create_quote(team.staff, data)
    return await quotes.send_quote(team.staff, draft.id)


def signed(detail: quote_views.QuoteDetail, name: str = "Jane Doe", **changes) -> Signature:
    values = {"full_name": name, "agreed": True, "shown_sha256": detail.sha256, "user_agent": "Firefox/140"}
    return Signature(**{**values, **changes})


async def invoice_of(team: Team, quote: quote_views.QuoteDetail) -> invoice_views.InvoiceDetail:
    assert quote.invoice_id is not None
    return await invoices.get_invoice(team.staff, quote.invoice_id)


async def mails_to(address: str) -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(OutboxMail).where(OutboxMail.to_addr == address)))


async def count(model) -> int:
    async with unit_of_work(SystemActor()) as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_contact_accepts_with_a_typed_signature_and_the_deposit_is_invoiced(team: Team, at) -> None:
    quote = await sent_quote(team, deposit_percent="30")
    # 10 × 100 at 20 % and 240 at 0 %: net 1,240, tax 200, total 1,440; the deposit is 30 % of each rate's net,
    # taxed at that rate: 300 + 60 tax, and 72 untaxed = 432
    assert (quote.total_minor, quote.deposit_minor) == (144_000, 43_200)
    shown = await acceptance.open_portal_quote(team.jane, quote.id, ip="203.0.113.9", user_agent="Firefox/140")
    assert shown.sha256 == quote.sha256 and shown.answerable

    jane = dataclasses.replace(team.jane, ip="203.0.113.9")
    done = await acceptance.accept_in_portal(jane, quote.id, signed(shown))

    assert done.display_status == "accepted" and not done.answerable
    record = done.acceptance
    assert record is not None
    assert (record.full_name, record.email, record.via, record.ip, record.user_agent) == (
        "Jane Doe",
        team.jane.email,
        "portal",
        "203.0.113.9",
        "Firefox/140",
    )
    assert record.sha256 == shown.sha256 == quote_views.content_hash(done)
    assert record.terms_version == quote_views.terms_version(done.terms)
    # the deposit invoice: sent, its lines the deposit per tax rate, its total what the quote said
    invoice = await invoice_of(team, done)
    assert invoice.status == InvoiceStatus.sent and invoice.total_minor == quote.deposit_minor
    assert [(ln.description, ln.unit_price_minor, ln.tax_rate) for ln in invoice.lines] == [
        (f"Deposit of 30% on quote {quote.number} (tax 20%)", 30_000, Decimal("20.000")),
        (f"Deposit of 30% on quote {quote.number} (tax 0%)", 7_200, Decimal("0.000")),
    ]
    assert [m.subject for m in await mails_to("billing@client-acme.test")] == [
        f"Quote {quote.number} from Acme",
        f"Invoice {invoice.number} from Acme",
    ]
    # the signer gets the signed quote; the agency hears of it
    [confirmation] = await mails_to(team.jane.email)
    assert confirmation.subject == f"You accepted quote {quote.number} from Acme"
    [owner] = await mails_to(team.staff.email)
    assert owner.subject == f"Quote {quote.number} accepted by Acme Client"
    assert "Jane Doe" in owner.body_text and invoice.number in owner.body_text
    # the audit log names the contact
    async with unit_of_work(SystemActor()) as session:
        event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "quote.accepted"))
    assert event is not None and event.detail["sha256"] == shown.sha256 and event.actor_label == team.jane.email


async def test_the_signed_pdf_carries_the_acceptance_record(team: Team) -> None:
    quote = await sent_quote(team)
    done = await acceptance.accept_in_portal(team.jane, quote.id, signed(quote, "Jane Q. Doe"))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(quote_pdf.render_quote(done))).pages)
    for expected in ("ACCEPTED", "ACCEPTANCE RECORD", "Jane Q. Doe", team.jane.email, done.sha256, "Firefox/140"):
        assert expected in text


async def test_the_whole_amount_is_invoiced_without_a_deposit_and_a_project_starts_from_the_template(
    team: Team,
) -> None:
    service = await catalog.create_service(
        team.staff,
        catalog.ServiceInput(
            name="Website build",
            price="1000",
            currency="USD",
            interval="one_time",
            milestones=(catalog.TemplateMilestone("Kick-off", 0), catalog.TemplateMilestone("Launch", 30)),
        ),
    )
    quote = await sent_quote(team, discount_percent="10", start_project=True, project_template_id=service.id)
    done = await acceptance.accept_in_portal(team.jane, quote.id, signed(quote))
    invoice = await invoice_of(team, done)
    assert (invoice.total_minor, invoice.discount_percent, len(invoice.lines)) == (quote.total_minor, 10, 2)
    assert done.project_name == "Website" and invoice.project_id == done.project_id
    async with unit_of_work(SystemActor()) as session:
        titles = list(await session.scalars(select(Milestone.title).where(Milestone.project_id == done.project_id)))
    assert sorted(titles) == ["Kick-off", "Launch"]


async def test_a_quote_that_changed_since_it_was_shown_is_not_signed(team: Team) -> None:
    quote = await sent_quote(team)
    with pytest.raises(Conflict, match="changed since you opened it"):
        await acceptance.accept_in_portal(team.jane, quote.id, signed(quote, shown_sha256="0" * 64))
    stale = Signature("Jane Doe", True, "0" * 64)
    with pytest.raises(Conflict):
        await acceptance.accept_in_portal(team.jane, quote.id, stale)
    assert (await quotes.get_quote(team.staff, quote.id)).display_status == "sent"
    assert await count(QuoteAcceptance) == 0 and await count(Invoice) == 0


async def test_a_signature_needs_a_name_and_the_box_ticked(team: Team) -> None:
    quote = await sent_quote(team)
    with pytest.raises(Invalid) as caught:
        await acceptance.accept_in_portal(team.jane, quote.id, Signature(" ", False, "not a hash"))
    assert {p.field for p in caught.value.problems} == {"full_name", "agree", "sha256"}
    assert (await quotes.get_quote(team.staff, quote.id)).display_status == "sent"


async def test_an_accepted_quote_is_locked(team: Team) -> None:
    quote = await sent_quote(team)
    await acceptance.accept_in_portal(team.jane, quote.id, signed(quote))
    with pytest.raises(Conflict, match="accepted already"):
        await acceptance.accept_in_portal(team.john, quote.id, signed(quote, "John Roe"))
    with pytest.raises(Conflict):
        await acceptance.decline_in_portal(team.john, quote.id, "Too late")
    with pytest.raises(Conflict):
        await quotes.update_quote(team.staff, quote.id, quotes.QuoteInput(client_id=team.world.client.id, lines=LINES))
    with pytest.raises(Conflict):
        await quotes.send_quote(team.staff, quote.id)
    with pytest.raises(Conflict):
        await acceptance.convert_quote(team.staff, quote.id)
    assert await count(QuoteAcceptance) == 1 and await count(Invoice) == 1


async def test_an_expired_quote_says_so_and_cannot_be_accepted(team: Team, at) -> None:
    quote = await sent_quote(team, issue_date=date(2026, 3, 10), valid_until=date(2026, 3, 20))
    at(timedelta(days=10, hours=14))  # the 20th, 23:00 UTC: still valid all day
    assert (await quotes.get_quote(team.staff, quote.id)).display_status == "sent"
    at(timedelta(days=11, hours=1))
    expired = await quotes.get_quote(team.jane, quote.id)
    assert expired.display_status == "expired" and not expired.answerable
    with pytest.raises(Conflict, match="expired on"):
        await acceptance.accept_in_portal(team.jane, quote.id, signed(expired))
    with pytest.raises(Conflict, match="expired"):
        await acceptance.decline_in_portal(team.jane, quote.id, "No thanks")
    assert [r.id for r in (await quotes.list_quotes(team.staff, quotes.QuoteFilter(status="expired"))).items] == [
        quote.id
    ]
    assert await count(QuoteAcceptance) == 0


async def test_declining_records_the_reason_and_tells_the_agency(team: Team) -> None:
    quote = await sent_quote(team)
    with pytest.raises(Invalid):
        await acceptance.decline_in_portal(team.jane, quote.id, "  ")
    done = await acceptance.decline_in_portal(team.jane, quote.id, "Over our budget this year.")
    assert (done.display_status, done.decline_reason, done.declined_by) == (
        "declined",
        "Over our budget this year.",
        team.jane.email,
    )
    [owner] = await mails_to(team.staff.email)
    assert "Over our budget this year." in owner.body_text
    with pytest.raises(Conflict):
        await acceptance.accept_in_portal(team.jane, quote.id, signed(quote))
    assert await count(Invoice) == 0


async def test_the_public_link_accepts_with_the_visitors_email(team: Team) -> None:
    quote = await sent_quote(team)
    token = quote.public_url.rsplit("/", 1)[1]
    shown = await acceptance.open_public(token, ip="198.51.100.4", user_agent="Safari")
    assert shown is not None and shown.sha256 == quote.sha256
    done = await acceptance.accept_public(token, signed(shown, "Jane Doe", email=team.jane.email), ip="198.51.100.4")
    assert done.acceptance is not None
    assert (done.acceptance.via, done.acceptance.ip, done.acceptance.contact_id) == (
        "public",
        "198.51.100.4",
        team.jane.contact_id,
    )
    assert await acceptance.open_public("f" * 64, ip="", user_agent="") is None


async def test_drafts_are_nowhere_for_the_client(team: Team) -> None:
    draft = await quotes.create_quote(team.staff, quotes.QuoteInput(client_id=team.world.client.id, lines=LINES))
    token = draft.public_url.rsplit("/", 1)[1]
    assert await acceptance.open_public(token, ip="", user_agent="") is None
    with pytest.raises(NotFound):
        await quotes.get_quote(team.jane, draft.id)
    with pytest.raises(NotFound):
        await acceptance.accept_in_portal(team.jane, draft.id, signed(draft))
    with pytest.raises(NotFound):
        await acceptance.accept_public(token, signed(draft), ip="")
    assert (await quotes.list_quotes(team.jane)).items == []


async def test_staff_convert_a_sent_quote_into_a_draft_invoice(team: Team) -> None:
    quote = await sent_quote(team, deposit_percent="50")
    done = await acceptance.convert_quote(team.staff, quote.id)
    assert done.display_status == "accepted" and done.converted and done.acceptance is None
    invoice = await invoice_of(team, done)
    assert invoice.status == InvoiceStatus.draft and invoice.total_minor == quote.deposit_minor
    with pytest.raises(NotFound):
        await acceptance.convert_quote(team.jane, quote.id)


async def test_two_tabs_accepting_at_once_make_one_acceptance_and_one_invoice(database) -> None:
    team = await make_team("acme")
    quote = await sent_quote(team, start_project=True)
    outcomes = await asyncio.gather(
        acceptance.accept_in_portal(team.jane, quote.id, signed(quote)),
        acceptance.accept_in_portal(team.john, quote.id, signed(quote, "John Roe")),
        acceptance.accept_in_portal(team.jane, quote.id, signed(quote)),
        return_exceptions=True,
    )
    accepted = [o for o in outcomes if isinstance(o, quote_views.QuoteDetail)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert (len(accepted), len(refused)) == (1, 2), outcomes
    assert await count(QuoteAcceptance) == 1 and await count(Invoice) == 1
    async with unit_of_work(SystemActor()) as session:
        projects_made = await session.scalar(select(func.count()).select_from(Project).where(Project.name == "Website"))
        stored = await session.get(Quote, quote.id)
    assert projects_made == 1 and stored is not None and stored.invoice_id is not None
    assert db is not None


async def test_an_accept_and_a_decline_at_once_leave_one_answer(database) -> None:
    team = await make_team("acme")
    quote = await sent_quote(team)
    outcomes = await asyncio.gather(
        acceptance.decline_in_portal(team.john, quote.id, "We found another agency."),
        acceptance.accept_in_portal(team.jane, quote.id, signed(quote)),
        acceptance.convert_quote(team.staff, quote.id),
        return_exceptions=True,
    )
    answers = [o for o in outcomes if isinstance(o, quote_views.QuoteDetail)]
    assert len(answers) == 1 and sum(isinstance(o, Conflict) for o in outcomes) == 2, outcomes
    final = await quotes.get_quote(team.staff, quote.id)
    assert final.display_status == answers[0].display_status
    assert await count(Invoice) == (0 if final.display_status == "declined" else 1)
    assert await count(QuoteAcceptance) == (1 if final.acceptance else 0)
