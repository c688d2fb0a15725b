"""Quotes, staff side: drafting, numbering, sending, listing, duplicating, deleting drafts and converting by hand.

A quote is drafted like an invoice (the same line checks and arithmetic: `billing.line_items`), numbered from the
organization's own quote sequence, and fixed once sent: what the client accepts is what was sent, so staff
duplicate a sent quote to change it. The client's answer (`acceptance`) is the other half.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import Service
from models.clients import Client
from models.organizations import Organization
from models.quotes import Quote, QuoteLine, QuoteStatus, QuoteView
from services.billing import invoices, line_items
from services.billing.line_items import CleanLine, LineInput
from services.core import audit, clock, events, money
from services.core.actors import Actor, PortalActor, require_staff
from services.core.common import Page, optional_text, page_window, parse_id
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid, NotFound
from services.core.formatting import Formats
from services.core.scoping import visible
from services.mail import layout, outbox
from services.mail.layout import Recipient
from services.organizations import branding, numbering
from services.quotes import quote_views
from services.quotes.quote_views import PORTAL_STATUSES, QuoteDetail, QuoteRow, build_detail

NOT_FOUND = "Quote not found"
MAX_VALIDITY_DAYS = 366


# --- input ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuoteInput:
    client_id: uuid.UUID | str
    lines: list[LineInput]
    currency: str | None = None  # the organization's default when None
    title: str = ""
    project_id: uuid.UUID | str | None = None  # an existing project of the client the work is for
    issue_date: date | None = None  # today when None
    valid_until: date | None = None  # issue date + the organization's quote validity when None
    discount_percent: object = "0"
    deposit_percent: object = "0"  # 0: acceptance invoices the whole amount
    notes: str = ""
    terms: str = ""
    start_project: bool = False  # acceptance starts a project (when no project is named)
    project_template_id: uuid.UUID | str | None = None  # a catalog service whose template the project follows


@dataclass(frozen=True, slots=True)
class CheckedQuote:
    currency: str
    title: str
    issue_date: date
    valid_until: date
    discount: Decimal
    deposit: Decimal
    notes: str
    terms: str
    lines: list[CleanLine] = field(default_factory=list)


def check_fields(
    data: QuoteInput, default_currency: str, validity_days: int, known: Sequence[Invalid] = ()
) -> CheckedQuote:
    """Everything of the form that needs no database, every problem at once (after the `known` ones)."""
    problems: list[Invalid] = list(known)
    collect = line_items.collect
    currency = collect(lambda: money.currency(data.currency or default_currency), problems)
    title = collect(lambda: optional_text(data.title, "title", "Title", 200), problems)
    issue = data.issue_date or clock.now().date()
    valid_until = data.valid_until or issue + timedelta(days=validity_days)
    if valid_until < issue:
        problems.append(Invalid("The quote cannot be valid until a day before its issue date.", "valid_until"))
    elif valid_until > issue + timedelta(days=MAX_VALIDITY_DAYS):
        problems.append(Invalid("A quote can be valid for a year at most.", "valid_until"))
    discount = collect(lambda: line_items.discount(data.discount_percent), problems)
    deposit = collect(lambda: line_items.percentage(data.deposit_percent, "deposit_percent", "Deposit"), problems)
    if deposit == 100:
        deposit = Decimal(0)  # a deposit of everything is the whole amount
    notes = collect(lambda: optional_text(data.notes, "notes", "Notes", 4000, max_lines=100), problems)
    terms = collect(lambda: optional_text(data.terms, "terms", "Terms", 4000, max_lines=100), problems)
    lines = collect(lambda: line_items.clean_lines(data.lines, currency or default_currency, "A quote"), problems)
    if problems:
        raise Invalid.of(problems)
    assert currency is not None and title is not None and discount is not None and deposit is not None
    assert notes is not None and terms is not None and lines is not None
    return CheckedQuote(currency, title, issue, valid_until, discount, deposit, notes, terms, lines)


# --- loading -------------------------------------------------------------------------------------------------------


def visible_quotes(actor: Actor) -> list:
    """Own organization (and client); the portal never sees a draft."""
    conditions = visible(actor, Quote)
    if isinstance(actor, PortalActor):
        conditions.append(Quote.status.in_(PORTAL_STATUSES))
    return conditions


async def load_quote(session: AsyncSession, actor: Actor, quote_id: uuid.UUID | str, *, lock: bool = False) -> Quote:
    statement = select(Quote).where(Quote.id == parse_id(quote_id, NOT_FOUND), *visible_quotes(actor))
    if lock:
        statement = statement.with_for_update()
    quote = await session.scalar(statement)
    if quote is None:
        raise NotFound(NOT_FOUND)
    return quote


async def get_quote(actor: Actor, quote_id: uuid.UUID | str) -> QuoteDetail:
    async with unit_of_work(actor) as session:
        return await build_detail(session, await load_quote(session, actor, quote_id))


# --- drafting ------------------------------------------------------------------------------------------------------


async def _template(session: AsyncSession, actor: Actor, value: uuid.UUID | str | None) -> uuid.UUID | None:
    if not value:
        return None
    found = await session.scalar(
        select(Service.id).where(
            Service.id == parse_id(value, "Template not found"),
            *visible(actor, Service),
            Service.archived_at.is_(None),
        )
    )
    if found is None:
        raise Invalid("Choose one of your services' project templates.", "project_template_id")
    return found


async def _apply(session: AsyncSession, actor: Actor, quote: Quote, data: QuoteInput, org: Organization) -> None:
    client, project_id = await invoices.client_and_project(session, actor, data.client_id, data.project_id)
    template_id = await _template(session, actor, data.project_template_id)
    checked = check_fields(data, org.default_currency, org.quote_validity_days)
    computed = line_items.totals(checked.lines, checked.discount, "quote")
    quote.client_id, quote.project_id, quote.currency, quote.title = (
        client.id,
        project_id,
        checked.currency,
        checked.title,
    )
    quote.issue_date, quote.valid_until = checked.issue_date, checked.valid_until
    quote.discount_percent, quote.deposit_percent = checked.discount, checked.deposit
    quote.notes, quote.terms = checked.notes, checked.terms
    # A named project is the project: acceptance starts none of its own.
    quote.start_project = bool(data.start_project) and project_id is None
    quote.project_template_id = template_id if quote.start_project else None
    quote.subtotal_minor, quote.discount_minor = computed.subtotal_minor, computed.discount_minor
    quote.tax_minor, quote.total_minor = computed.tax_minor, computed.total_minor
    await session.flush()
    await session.execute(delete(QuoteLine).where(QuoteLine.quote_id == quote.id, QuoteLine.org_id == quote.org_id))
    session.add_all(
        line_items.rows(QuoteLine, checked.lines, computed, org_id=quote.org_id, client_id=client.id, quote_id=quote.id)
    )


def _audit(session: AsyncSession, actor: Actor, action: str, quote: Quote, detail: dict | None = None) -> None:
    audit.record(
        session,
        actor,
        action,
        org_id=quote.org_id,
        target_type="quote",
        target_id=quote.id,
        target_label=quote.number,
        detail=detail or {},
    )


def changed(session: AsyncSession, quote: Quote) -> None:
    events.publish(session, events.QuotesChanged(quote.org_id, quote.client_id, quote.id))


async def create_quote(actor: Actor, data: QuoteInput) -> QuoteDetail:
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        org = await session.get(Organization, staff.org_id)
        assert org is not None
        quote_id = uuid.uuid4()
        # The number is taken in this transaction: bad input rolls it back with everything else, burning none.
        quote = Quote(
            id=quote_id,
            org_id=staff.org_id,
            status=QuoteStatus.draft,
            number=await numbering.next_number(session, staff.org_id, "quote"),
            public_token_hash=quote_views.public_token_hash(quote_views.public_token(quote_id)),
        )
        session.add(quote)
        with session.no_autoflush:  # the row is complete only once _apply has filled it in
            await _apply(session, actor, quote, data, org)
        _audit(session, actor, "quote.created", quote)
        changed(session, quote)
        return await build_detail(session, quote)


async def update_quote(actor: Actor, quote_id: uuid.UUID | str, data: QuoteInput) -> QuoteDetail:
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        quote = await load_quote(session, actor, quote_id, lock=True)
        if quote.status != QuoteStatus.draft:
            raise Conflict("Only drafts can be edited: what the client received stays as it was. Duplicate it.")
        org = await session.get(Organization, staff.org_id)
        assert org is not None
        await _apply(session, actor, quote, data, org)
        _audit(session, actor, "quote.updated", quote)
        changed(session, quote)
        return await build_detail(session, quote)


async def delete_draft(actor: Actor, quote_id: uuid.UUID | str) -> None:
    """Delete a draft; its number stays taken (numbers are never reused)."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        quote = await load_quote(session, actor, quote_id, lock=True)
        if quote.status != QuoteStatus.draft:
            raise Conflict("Only drafts can be deleted: a sent quote is part of the record.")
        _audit(session, actor, "quote.deleted", quote)
        changed(session, quote)
        await session.delete(quote)


def input_of(detail: QuoteDetail) -> QuoteInput:
    """A quote's content as a draft's input: what duplicating it starts from."""
    return QuoteInput(
        client_id=detail.client_id,
        title=detail.title,
        project_id=detail.project_id if not detail.start_project else None,
        currency=detail.currency,
        discount_percent=detail.discount_percent,
        deposit_percent=detail.deposit_percent,
        notes=detail.notes,
        terms=detail.terms,
        start_project=detail.start_project,
        project_template_id=detail.project_template_id,
        lines=[
            LineInput(
                line.description, line.quantity, money.from_minor(line.unit_price_minor, detail.currency), line.tax_rate
            )
            for line in detail.lines
        ],
    )


async def duplicate_quote(actor: Actor, quote_id: uuid.UUID | str) -> QuoteDetail:
    """A new draft with the same client, lines, deposit and terms, dated today and valid for the usual time."""
    require_staff(actor)
    return await create_quote(actor, input_of(await get_quote(actor, quote_id)))


# --- sending -------------------------------------------------------------------------------------------------------


async def list_recipients(actor: Actor, quote_id: uuid.UUID | str) -> list[str]:
    """Who sending the quote would mail (the client's billing contacts, else its email), to confirm first."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        quote = await load_quote(session, actor, quote_id)
        return [r.email for r in await _recipients(session, quote)]


async def _recipients(session: AsyncSession, quote: Quote) -> list[Recipient]:
    return (await invoices.recipients_by_client(session, {quote.client_id})).get(quote.client_id, [])


def quote_mail(detail: QuoteDetail, org: Organization, name: str) -> layout.Mail:
    formats = Formats(org.locale, org.timezone)
    total = formats.money(detail.total_minor, detail.currency)
    what = f"quote {detail.number}" + (f" ({detail.title})" if detail.title else "")
    blocks: list[layout.Block] = [
        f"{detail.seller.name} has sent you {what} for {total}, valid until {formats.day(detail.valid_until)}.",
    ]
    if detail.has_deposit:
        deposit = formats.money(detail.deposit_minor, detail.currency)
        blocks.append(f"Accepting it asks for a deposit of {formats.percent(detail.deposit_percent)} ({deposit}).")
    blocks += [
        "Read it, then accept it with your typed signature or decline it, here:",
        layout.Button("View the quote", detail.public_url),
        "The PDF is attached.",
    ]
    return layout.compose(layout.Branding.of(org), name, blocks, footer=layout.sender_footer(org))


async def send_quote(actor: Actor, quote_id: uuid.UUID | str) -> QuoteDetail:
    """Mail the quote (link and PDF) to the client's billing contacts; a draft becomes sent and its parties are
    fixed as they stand. Sending again resends the same quote. An answered or expired one is not sent."""
    staff = require_staff(actor)
    logo = await branding.invoice_logo(staff.org_id)  # read before the transaction, not beside it
    async with unit_of_work(actor) as session:
        quote = await load_quote(session, actor, quote_id, lock=True)
        org = await session.get(Organization, quote.org_id)
        client = await session.get(Client, quote.client_id)
        assert org is not None and client is not None
        if quote.status in (QuoteStatus.accepted, QuoteStatus.declined):
            raise Conflict(f"This quote was {quote.status.value} already.")
        if (
            quote.status == QuoteStatus.sent
            and quote_views.display_status(quote.status, quote.valid_until, quote_views.today_for(org)) == "expired"
        ):
            raise Conflict("This quote has expired. Duplicate it to send a new one.")
        if quote.status == QuoteStatus.draft and quote.valid_until < quote_views.today_for(org):
            raise Invalid("The quote's validity date has passed. Set a later one first.", "valid_until")
        to = await _recipients(session, quote)
        if not to:
            raise Invalid("This client has no billing contact and no email. Add one first.", "recipients")
        if quote.status == QuoteStatus.draft:
            quote.status, quote.sent_at = QuoteStatus.sent, clock.now()
            quote.parties = quote_views.parties_of(org, client)
            await session.flush()
        detail = await build_detail(session, quote)
        from services.quotes import quote_pdf  # reportlab, imported on first use

        document = await asyncio.to_thread(quote_pdf.render_quote, detail, logo)
        for recipient in to:
            mail = quote_mail(detail, org, recipient.name)
            outbox.queue(
                session,
                to=recipient.email,
                subject=f"Quote {detail.number} from {detail.seller.name}",
                text=mail.text,
                html=mail.html,
                org_id=quote.org_id,
                attachments=[(f"{detail.number}.pdf", "application/pdf", document)],
            )
        _audit(session, actor, "quote.sent", quote, {"to": [r.email for r in to]})
        changed(session, quote)
        return detail


# --- listing -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuoteFilter:
    status: str = ""  # a display status ("expired" included), "open" (sent, not expired), or empty for all
    client_id: uuid.UUID | str | None = None
    search: str = ""  # in the number and the title


def _status_conditions(status: str, today: date) -> list:
    if not status:
        return []
    if status == "expired":
        return [Quote.status == QuoteStatus.sent, Quote.valid_until < today]
    if status in ("open", "sent"):
        return [Quote.status == QuoteStatus.sent, Quote.valid_until >= today]
    try:
        return [Quote.status == QuoteStatus(status)]
    except ValueError:
        raise Invalid("Unknown status filter.", "status") from None


async def list_quotes(
    actor: Actor, filters: QuoteFilter = QuoteFilter(), limit: int = 25, offset: int = 0
) -> Page[QuoteRow]:
    """Newest first (issue date, then number)."""
    limit, offset = page_window(limit, offset)
    async with unit_of_work(actor) as session:
        org = await session.get(Organization, actor.org_id)
        assert org is not None
        today = quote_views.today_for(org)
        conditions = [*visible_quotes(actor), *_status_conditions(filters.status, today)]
        if filters.client_id:
            conditions.append(Quote.client_id == parse_id(filters.client_id, "Client not found"))
        search = filters.search.strip()[:100]
        if search:
            conditions.append(
                Quote.number.icontains(search, autoescape=True) | Quote.title.icontains(search, autoescape=True)
            )
        total = await session.scalar(select(func.count()).select_from(Quote).where(*conditions))
        rows = await session.execute(
            select(Quote, Client.name)
            .join(Client, (Client.id == Quote.client_id) & (Client.org_id == Quote.org_id))
            .where(*conditions)
            .order_by(Quote.issue_date.desc(), Quote.number.desc(), Quote.id)
            .limit(limit)
            .offset(offset)
        )
        items = [
            QuoteRow(
                id=quote.id,
                number=quote.number,
                title=quote.title,
                client_id=quote.client_id,
                client_name=client_name,
                status=quote.status,
                display_status=quote_views.display_status(quote.status, quote.valid_until, today),
                issue_date=quote.issue_date,
                valid_until=quote.valid_until,
                currency=quote.currency,
                total_minor=quote.total_minor,
            )
            for quote, client_name in rows
        ]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


# --- views ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ViewSummary:
    count: int
    last_at: datetime | None


async def view_summary(actor: Actor, quote_id: uuid.UUID | str) -> ViewSummary:
    """How often the client opened the quote (page, link, PDF), and when last: for staff."""
    require_staff(actor)
    async with unit_of_work(actor) as session:
        quote = await load_quote(session, actor, quote_id)
        count, last = (
            await session.execute(
                select(func.count(), func.max(QuoteView.at)).where(
                    QuoteView.quote_id == quote.id, *visible(actor, QuoteView)
                )
            )
        ).one()
    return ViewSummary(count or 0, last)
