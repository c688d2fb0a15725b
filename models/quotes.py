"""Quotes (SPEC §13): drafted like an invoice, sent to the client, accepted with a typed signature or declined.

"Expired" is never stored: a sent quote is expired once its validity date has passed (services.quotes).
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, ClientOwned, StaffOnly, Timestamped, utcnow
from models.invoices import LineColumns


class QuoteStatus(enum.StrEnum):
    draft = "draft"
    sent = "sent"
    accepted = "accepted"
    declined = "declined"


class Quote(ClientOwned, Timestamped, Base):
    """Totals are computed on the server from the lines and stored, as on invoices. Once sent, a quote's content
    is fixed (what the client accepts is what was sent): staff duplicate it to change it."""

    __tablename__ = "quotes"
    __table_args__ = (
        UniqueConstraint("org_id", "number"),
        UniqueConstraint("public_token_hash"),
        Index("ix_quotes_org_id_issue_date_number_id", "org_id", "issue_date", "number", "id"),
        Index("ix_quotes_org_id_status_issue_date", "org_id", "status", "issue_date"),
    )

    number: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[QuoteStatus] = mapped_column(
        Enum(QuoteStatus, native_enum=False, length=16, validate_strings=True), default=QuoteStatus.draft
    )
    currency: Mapped[str] = mapped_column(String(3))
    issue_date: Mapped[date]
    valid_until: Mapped[date]
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    # 0: acceptance invoices the whole amount; else this percentage of it, as a deposit.
    deposit_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(0))
    notes: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    subtotal_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # The public link's token is an HMAC of the quote id under the secret key: derivable, never stored.
    public_token_hash: Mapped[str] = mapped_column(String(64))
    # The project the work belongs to: chosen on the draft, or the one acceptance starts (start_project).
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    start_project: Mapped[bool] = mapped_column(default=False)
    # Whose project template (a catalog service's milestones and first request) the started project follows.
    project_template_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    # Seller and buyer as they stood when the quote was first sent ({"seller": {name, address, email}, "buyer": …}):
    # what the client reads and signs stays what was sent, whatever the settings say later. None on a draft.
    parties: Mapped[dict | None] = mapped_column(JSON)
    sent_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]  # accepted, declined or converted by staff
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    declined_by: Mapped[str] = mapped_column(String(254), default="")  # the contact's or visitor's email
    # The invoice acceptance (or a manual conversion) made; unique, so a quote is invoiced once.
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"), unique=True)
    converted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))


class QuoteLine(LineColumns, ClientOwned, Base):
    __tablename__ = "quote_lines"
    __table_args__ = (Index("ix_quote_lines_quote_id_position", "quote_id", "position"),)

    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))


class QuoteAcceptance(ClientOwned, Base):
    """The typed signature, kept as evidence: who (the name typed, the contact or the link's visitor and their
    email), when, from where, and the SHA-256 of the quote exactly as the page showed it. One per quote (unique):
    this is what makes acceptance happen once, whatever two tabs or a double click do."""

    __tablename__ = "quote_acceptances"

    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254), default="")
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)
    via: Mapped[str] = mapped_column(String(16))  # portal, public
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(400), default="")
    sha256: Mapped[str] = mapped_column(String(64))  # of the quote as shown (services.quotes.quote_views.content_hash)
    terms_version: Mapped[str] = mapped_column(String(64))  # the SHA-256 of the terms' text the signer agreed to


class QuoteView(ClientOwned, StaffOnly, Base):
    """Each time a client looked at a quote, through its public link, its PDF or the portal."""

    __tablename__ = "quote_views"
    __table_args__ = (Index("ix_quote_views_quote_id_at", "quote_id", "at"),)

    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    via: Mapped[str] = mapped_column(String(16))  # public, pdf, portal, portal_pdf
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(400), default="")
