"""The API's quotes: the bodies that draft one, and the answers that show one (kept beside `types`).

Money and percentages travel as decimal strings, as on invoices. A quote's `status` is what its pages show:
"expired" is derived (sent, unanswered and past `valid_until`), never stored.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool, field_validator

from portal_app.routes.api.types import (
    Body,
    CurrencyCode,
    DecimalText,
    Description,
    IsoDate,
    LineIn,
    LineOut,
    Name,
    _not_null,
)
from services.billing import line_items
from services.core import money
from services.quotes import quote_views

# What the pages show, and what `status=` filters on ("sent": still open to an answer).
QuoteStatus = Literal["draft", "sent", "accepted", "declined", "expired"]


class QuoteCreate(Body):
    client_id: uuid.UUID
    currency: CurrencyCode = Field(description="ISO 4217 code, e.g. USD, JPY, KWD")
    valid_until: IsoDate = Field(description="The last day the client may accept it (a year after issue at most)")
    lines: list[LineIn] = Field(max_length=line_items.MAX_LINES)
    title: Name = ""
    issue_date: IsoDate | None = Field(None, description="Today when left out")
    discount_percent: DecimalText = Field("0", description="A percentage off every line, before tax")
    deposit_percent: DecimalText = Field("0", description="Invoiced on acceptance; 0: the whole amount is")
    notes: Description = ""
    terms: Description = Field("", description="What the client agrees to by accepting")
    project_id: uuid.UUID | None = Field(None, description="An existing project of the client the work is for")
    start_project: StrictBool = Field(False, description="Acceptance starts a project (when no project is named)")
    project_template_id: uuid.UUID | None = Field(
        None, description="A catalog service whose project template the started project follows"
    )


class QuotePatch(Body):
    """A draft's changes: fields left out keep their value, `lines` replaces every line, and null clears the
    project or the template. A sent quote is fixed (409): duplicate it in the app to change it."""

    client_id: uuid.UUID | None = Field(None, description="Another client: the project is cleared unless named too")
    currency: CurrencyCode | None = None
    valid_until: IsoDate | None = None
    lines: list[LineIn] | None = Field(None, max_length=line_items.MAX_LINES)
    title: Name | None = None
    issue_date: IsoDate | None = None
    discount_percent: DecimalText | None = None
    deposit_percent: DecimalText | None = None
    notes: Description | None = None
    terms: Description | None = None
    project_id: uuid.UUID | None = None
    start_project: StrictBool | None = None
    project_template_id: uuid.UUID | None = None

    _present = field_validator(
        "client_id",
        "currency",
        "valid_until",
        "lines",
        "title",
        "issue_date",
        "discount_percent",
        "deposit_percent",
        "notes",
        "terms",
        "start_project",
    )(_not_null)


class AcceptanceOut(BaseModel):
    """The typed signature's record."""

    name: str  # as typed
    contact_email: str  # the contact's, or what the link's visitor gave ("" when none)
    contact_id: uuid.UUID | None
    accepted_at: datetime
    via: str  # portal or public
    sha256: str  # the content hash the signer was shown: equal to the quote's `sha256`


class QuoteOut(BaseModel):
    id: uuid.UUID
    number: str
    title: str
    status: QuoteStatus
    client_id: uuid.UUID
    client_name: str
    project_id: uuid.UUID | None
    start_project: bool
    project_template_id: uuid.UUID | None
    currency: str
    issue_date: date
    valid_until: date
    discount_percent: str
    deposit_percent: str
    notes: str
    terms: str
    subtotal: str
    discount: str
    tax: str
    total: str
    deposit_amount: str  # what acceptance invoices: the deposit, or the whole total without one
    lines: list[LineOut]
    sent_at: datetime | None
    decided_at: datetime | None  # accepted or declined
    decline_reason: str
    acceptance: AcceptanceOut | None  # null when declined, unanswered, or converted by staff
    converted: bool  # accepted by staff on the client's word, with no signature
    invoice_id: uuid.UUID | None  # what acceptance invoiced
    invoice_number: str
    public_url: str  # opens the quote once sent (a draft's answers 404)
    sha256: str  # SHA-256 of the content as the client reads it: what a signature is bound to


class QuoteRowOut(BaseModel):
    id: uuid.UUID
    number: str
    title: str
    status: QuoteStatus
    client_id: uuid.UUID
    client_name: str
    currency: str
    issue_date: date
    valid_until: date
    total: str
    public_url: str


class QuoteList(BaseModel):
    items: list[QuoteRowOut]
    total: int


def _plain(value: Decimal) -> str:
    """A quantity or a percentage as typed: 2.5000 → "2.5", 20.000 → "20"; never an exponent."""
    return money.plain(Decimal(value))


def quote_out(d: quote_views.QuoteDetail) -> dict[str, Any]:
    def cash(minor: int) -> str:
        return money.format_decimal(minor, d.currency)

    accepted = d.acceptance
    return {
        "id": d.id,
        "number": d.number,
        "title": d.title,
        "status": d.display_status,
        "client_id": d.client_id,
        "client_name": d.buyer.name,
        "project_id": d.project_id,
        "start_project": d.start_project,
        "project_template_id": d.project_template_id,
        "currency": d.currency,
        "issue_date": d.issue_date,
        "valid_until": d.valid_until,
        "discount_percent": _plain(d.discount_percent),
        "deposit_percent": _plain(d.deposit_percent),
        "notes": d.notes,
        "terms": d.terms,
        "subtotal": cash(d.subtotal_minor),
        "discount": cash(d.discount_minor),
        "tax": cash(d.tax_minor),
        "total": cash(d.total_minor),
        "deposit_amount": cash(d.deposit_minor),
        "lines": [
            {
                "description": line.description,
                "quantity": _plain(line.quantity),
                "unit_price": cash(line.unit_price_minor),
                "tax_rate": _plain(line.tax_rate),
                "net": cash(line.net_minor),
                "tax": cash(line.tax_minor),
            }
            for line in d.lines
        ],
        "sent_at": d.sent_at,
        "decided_at": d.decided_at,
        "decline_reason": d.decline_reason,
        "acceptance": None
        if accepted is None
        else {
            "name": accepted.full_name,
            "contact_email": accepted.email,
            "contact_id": accepted.contact_id,
            "accepted_at": accepted.accepted_at,
            "via": accepted.via,
            "sha256": accepted.sha256,
        },
        "converted": d.converted,
        "invoice_id": d.invoice_id,
        "invoice_number": d.invoice_number,
        "public_url": d.public_url,
        "sha256": d.sha256,
    }


def row_out(row: quote_views.QuoteRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "title": row.title,
        "status": row.display_status,
        "client_id": row.client_id,
        "client_name": row.client_name,
        "currency": row.currency,
        "issue_date": row.issue_date,
        "valid_until": row.valid_until,
        "total": money.format_decimal(row.total_minor, row.currency),
        "public_url": quote_views.public_url(row.id),
    }
