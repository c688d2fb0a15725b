"""How a quote is seen: its list row, its full detail (pages, PDF, mails, API), its derived status, its public link
and the fingerprint of its content that a signature is bound to."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import Service
from models.clients import Client
from models.invoices import Invoice
from models.organizations import Organization
from models.projects import Project
from models.quotes import Quote, QuoteAcceptance, QuoteLine, QuoteStatus
from services.billing import line_items
from services.billing.invoice_views import LineView, Party
from services.billing.line_items import NetAtRate
from services.billing.presentation import TONE_COLORS, Emphasis, StatusBadge, Tone, TotalsRow, line_amount_minor
from services.core import clock, config, formatting

# A quote the client may still answer: sent and not past its validity date.
ANSWERABLE = "sent"
STATUS_LABELS = {
    "draft": "Draft",
    "sent": "Sent",
    "accepted": "Accepted",
    "declined": "Declined",
    "expired": "Expired",
}
DISPLAY_STATUSES = tuple(STATUS_LABELS)
PORTAL_STATUSES = (QuoteStatus.sent, QuoteStatus.accepted, QuoteStatus.declined)


def public_token(quote_id: uuid.UUID) -> str:
    """The public link's token: 256 bits derived from the id under the secret key, never stored."""
    return config.keyed_hash("quote-public-link", str(quote_id))


def public_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def public_url(quote_id: uuid.UUID) -> str:
    return f"{config.get().base_url}/q/{public_token(quote_id)}"


def today_for(org: Organization) -> date:
    """Today where the organization is: a quote valid until the 10th is valid all of the 10th, its time."""
    return clock.now().astimezone(formatting.Formats(org.locale, org.timezone).zone).date()


def display_status(status: QuoteStatus, valid_until: date, today: date) -> str:
    """Expired is derived, never stored: sent, unanswered and past its validity date."""
    if status == QuoteStatus.sent and valid_until < today:
        return "expired"
    return status.value


@dataclass(frozen=True, slots=True)
class AcceptanceView:
    """The typed signature's evidence."""

    full_name: str
    email: str  # the contact's, or what the link's visitor typed ("" when they gave none)
    contact_id: uuid.UUID | None
    accepted_at: datetime
    via: str  # portal, public
    ip: str
    user_agent: str
    sha256: str
    terms_version: str


@dataclass(frozen=True, slots=True)
class QuoteRow:
    id: uuid.UUID
    number: str
    title: str
    client_id: uuid.UUID
    client_name: str
    status: QuoteStatus
    display_status: str
    issue_date: date
    valid_until: date
    currency: str
    total_minor: int


@dataclass(frozen=True, slots=True)
class QuoteDetail:
    """Everything the quote pages, the PDF, the mails and the API show. Safe for clients: no internal notes."""

    id: uuid.UUID
    org_id: uuid.UUID
    number: str
    title: str
    status: QuoteStatus
    display_status: str
    client_id: uuid.UUID
    project_id: uuid.UUID | None
    project_name: str
    start_project: bool
    project_template_id: uuid.UUID | None
    project_template_name: str
    currency: str
    issue_date: date
    valid_until: date
    discount_percent: Decimal
    deposit_percent: Decimal
    deposit_minor: int  # what acceptance invoices: the deposit, or the whole total when there is none
    notes: str
    terms: str
    subtotal_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int
    sent_at: datetime | None
    decided_at: datetime | None
    decline_reason: str
    declined_by: str
    invoice_id: uuid.UUID | None
    invoice_number: str
    converted: bool  # accepted by staff on the client's word, with no signature
    public_url: str
    seller: Party
    buyer: Party
    page_size: str
    lines: tuple[LineView, ...]
    acceptance: AcceptanceView | None
    sha256: str  # content_hash of this content: what a signature made on this page is bound to
    locale: str = formatting.DEFAULT_LOCALE
    timezone: str = formatting.DEFAULT_TIMEZONE

    @property
    def formats(self) -> formatting.Formats:
        return formatting.Formats(self.locale, self.timezone)

    @property
    def answerable(self) -> bool:
        """The client can accept or decline it now."""
        return self.display_status == ANSWERABLE

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.display_status]

    @property
    def terms_version(self) -> str:
        return terms_version(self.terms)

    @property
    def has_deposit(self) -> bool:
        return self.deposit_percent > 0


def terms_version(terms: str) -> str:
    """The terms' own fingerprint, kept with a signature: which wording the signer agreed to."""
    return hashlib.sha256(terms.encode()).hexdigest()


def content_hash(detail: QuoteDetail) -> str:
    """SHA-256 of the quote as the client reads it: parties, number, dates, lines, totals, deposit, notes and terms,
    as canonical JSON (sorted keys, no spaces, UTF-8; amounts in minor units, decimals as plain strings). Status,
    views and the answer are not content: the hash a signer saw is the hash the accepted quote still has."""
    content = {
        "seller": [detail.seller.name, detail.seller.address, detail.seller.email],
        "buyer": [detail.buyer.name, detail.buyer.address, detail.buyer.email],
        "number": detail.number,
        "title": detail.title,
        "issue_date": detail.issue_date.isoformat(),
        "valid_until": detail.valid_until.isoformat(),
        "currency": detail.currency,
        "lines": [
            [
                line.description,
                _plain(line.quantity),
                line.unit_price_minor,
                _plain(line.tax_rate),
                line_amount_minor(line, detail.discount_percent),
            ]
            for line in detail.lines
        ],
        "discount_percent": _plain(detail.discount_percent),
        "totals": [detail.subtotal_minor, detail.discount_minor, detail.tax_minor, detail.total_minor],
        "deposit": [_plain(detail.deposit_percent), detail.deposit_minor],
        "notes": detail.notes,
        "terms": detail.terms,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def deposit_minor(lines: Sequence[QuoteLine | NetAtRate], deposit_percent: Decimal, total_minor: int) -> int:
    """What acceptance invoices: the deposit's lines as `line_items.deposit_lines` makes them, with their tax."""
    if deposit_percent <= 0:
        return total_minor
    deposit = line_items.deposit_lines(lines, deposit_percent, "")
    return line_items.totals(deposit, Decimal(0), "deposit").total_minor


def deposit_label(percent: Decimal, number: str) -> str:
    return f"Deposit of {_plain(percent)}% on quote {number}"


def _party(stored: dict | None, key: str, live: Party) -> Party:
    """The party as it stood when the quote was sent (drafts show today's details)."""
    if not stored or key not in stored:
        return live
    value = stored[key]
    return Party(str(value.get("name", "")), str(value.get("address", "")), str(value.get("email", "")))


def parties_of(org: Organization, client: Client) -> dict:
    """The snapshot `Quote.parties` keeps from the first send."""
    return {
        "seller": {"name": org.name, "address": org.address, "email": org.support_email},
        "buyer": {"name": client.name, "address": client.address, "email": client.email},
    }


async def build_detail(session: AsyncSession, quote: Quote) -> QuoteDetail:
    org, client, project_name, template_name, invoice_number = (
        await session.execute(
            select(Organization, Client, Project.name, Service.name, Invoice.number)
            .join(Client, and_(Client.id == quote.client_id, Client.org_id == Organization.id))
            .outerjoin(Project, and_(Project.id == quote.project_id, Project.org_id == Organization.id))
            .outerjoin(Service, and_(Service.id == quote.project_template_id, Service.org_id == Organization.id))
            .outerjoin(Invoice, and_(Invoice.id == quote.invoice_id, Invoice.org_id == Organization.id))
            .where(Organization.id == quote.org_id)
        )
    ).one()
    lines = list(
        await session.scalars(
            select(QuoteLine)
            .where(QuoteLine.quote_id == quote.id, QuoteLine.org_id == quote.org_id)
            .order_by(QuoteLine.position)
        )
    )
    acceptance = await session.scalar(
        select(QuoteAcceptance).where(QuoteAcceptance.quote_id == quote.id, QuoteAcceptance.org_id == quote.org_id)
    )
    detail = QuoteDetail(
        id=quote.id,
        org_id=quote.org_id,
        number=quote.number,
        title=quote.title,
        status=quote.status,
        display_status=display_status(quote.status, quote.valid_until, today_for(org)),
        client_id=quote.client_id,
        project_id=quote.project_id,
        project_name=project_name or "",
        start_project=quote.start_project,
        project_template_id=quote.project_template_id,
        project_template_name=template_name or "",
        currency=quote.currency,
        issue_date=quote.issue_date,
        valid_until=quote.valid_until,
        discount_percent=quote.discount_percent,
        deposit_percent=quote.deposit_percent,
        deposit_minor=deposit_minor(lines, quote.deposit_percent, quote.total_minor),
        notes=quote.notes,
        terms=quote.terms,
        subtotal_minor=quote.subtotal_minor,
        discount_minor=quote.discount_minor,
        tax_minor=quote.tax_minor,
        total_minor=quote.total_minor,
        sent_at=quote.sent_at,
        decided_at=quote.decided_at,
        decline_reason=quote.decline_reason,
        declined_by=quote.declined_by,
        invoice_id=quote.invoice_id,
        invoice_number=invoice_number or "",
        converted=quote.converted_by_user_id is not None,
        public_url=public_url(quote.id),
        seller=_party(quote.parties, "seller", Party(org.name, org.address, org.support_email)),
        buyer=_party(quote.parties, "buyer", Party(client.name, client.address, client.email)),
        page_size=org.page_size,
        lines=tuple(
            LineView(ln.description, ln.quantity, ln.unit_price_minor, ln.tax_rate, ln.net_minor, ln.tax_minor)
            for ln in lines
        ),
        acceptance=None
        if acceptance is None
        else AcceptanceView(
            full_name=acceptance.full_name,
            email=acceptance.email,
            contact_id=acceptance.contact_id,
            accepted_at=acceptance.accepted_at,
            via=acceptance.via,
            ip=acceptance.ip,
            user_agent=acceptance.user_agent,
            sha256=acceptance.sha256,
            terms_version=acceptance.terms_version,
        ),
        sha256="",
        locale=org.locale,
        timezone=org.timezone,
    )
    return dataclasses.replace(detail, sha256=content_hash(detail))


def totals_rows(detail: QuoteDetail) -> list[TotalsRow]:
    """Subtotal, discount, tax, total and what acceptance bills: what every rendering of the quote shows."""
    currency, formats = detail.currency, detail.formats

    def row(label: str, minor: int, emphasis: Emphasis = "") -> TotalsRow:
        return TotalsRow(label, minor, formats.money(minor, currency), emphasis)

    rows = [row("Subtotal", detail.subtotal_minor)]
    if detail.discount_minor:
        rows.append(row(f"Discount ({formats.percent(detail.discount_percent)})", -detail.discount_minor))
    rows += [row("Tax", detail.tax_minor), row("Total", detail.total_minor, "total")]
    if detail.has_deposit:
        rows.append(
            row(f"Deposit on acceptance ({formats.percent(detail.deposit_percent)})", detail.deposit_minor, "due")
        )
    return rows


STATUS_TONES: dict[str, Tone] = {
    "draft": "neutral",
    "sent": "info",
    "accepted": "positive",
    "declined": "muted",
    "expired": "warning",
}


def status_badge(display_status: str) -> StatusBadge:
    tone = STATUS_TONES.get(display_status, "neutral")
    return StatusBadge(STATUS_LABELS.get(display_status, display_status), tone, TONE_COLORS[tone])
