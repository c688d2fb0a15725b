"""The REST API's invoices: draft, send, read and list. Money travels as decimal strings, never as JSON floats."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints

from models.invoices import InvoiceStatus
from portal_app.routes.api import (
    DEFAULT_PAGE_SIZE,
    NOT_FOUND,
    UNAUTHORIZED,
    Actor,
    Body,
    Description,
    ErrorOut,
    IsoDate,
    Limit,
    Offset,
    bounded_text,
    no_nul,
)
from services.billing import invoice_listing, invoice_views, invoices
from services.core import money

# --- input ---------------------------------------------------------------------------------------------------------


def _decimal_text(value: Any) -> Any:
    """A decimal string, or a JSON integer; a JSON float is refused, since 0.1 has no exact binary form."""
    if isinstance(value, float):
        raise ValueError('must be a decimal string such as "12.50": a JSON float cannot hold money exactly')
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError('must be a decimal string such as "12.50"')
    return str(value)


DecimalText = Annotated[
    str,
    BeforeValidator(_decimal_text),
    StringConstraints(max_length=40),
    AfterValidator(no_nul),
    Field(json_schema_extra={"examples": ["1200.50"]}),
]
StatusFilter = Literal["draft", "sent", "partially_paid", "paid", "void", "open", "overdue"]


class LineIn(Body):
    description: bounded_text(500)
    quantity: DecimalText
    unit_price: DecimalText = Field(description="In the invoice's currency, with at most its decimals")
    tax_rate: DecimalText = Field("0", description='A percentage: "20" is 20 %')


class InvoiceCreate(Body):
    client_id: uuid.UUID
    project_id: uuid.UUID | None = None
    currency: bounded_text(10) = Field(description="ISO 4217 code, e.g. USD, JPY, KWD")
    issue_date: IsoDate | None = Field(None, description="Today when left out")
    due_date: IsoDate
    discount_percent: DecimalText = Field("0", description="A percentage off every line, before tax")
    notes: Description = ""
    terms: Description = ""
    lines: list[LineIn] = Field(max_length=invoices.MAX_LINES)


# --- output --------------------------------------------------------------------------------------------------------


class LineOut(BaseModel):
    description: str
    quantity: str
    unit_price: str
    tax_rate: str
    net: str  # after the invoice discount, before tax
    tax: str


class PaymentOut(BaseModel):
    id: uuid.UUID
    amount: str
    paid_on: date
    method: str
    reference: str


class InvoiceOut(BaseModel):
    id: uuid.UUID
    number: str
    status: InvoiceStatus
    overdue: bool  # derived: sent or partially paid, and past its due date
    client_id: uuid.UUID
    client_name: str
    project_id: uuid.UUID | None
    currency: str
    issue_date: date
    due_date: date
    discount_percent: str
    notes: str
    terms: str
    subtotal: str
    discount: str
    tax: str
    total: str
    amount_paid: str
    amount_due: str
    sent_at: datetime | None
    public_url: str
    lines: list[LineOut]
    payments: list[PaymentOut]


class InvoiceRowOut(BaseModel):
    id: uuid.UUID
    number: str
    status: InvoiceStatus
    overdue: bool
    client_id: uuid.UUID
    client_name: str
    currency: str
    issue_date: date
    due_date: date
    total: str
    amount_paid: str
    amount_due: str
    public_url: str


class InvoiceList(BaseModel):
    items: list[InvoiceRowOut]
    total: int


def _plain(value: Decimal) -> str:
    """A quantity or a percentage as typed: 2.5000 → "2.5", 20.000 → "20"; never an exponent."""
    return format(value.normalize(), "f") if value else "0"


def _invoice_out(d: invoice_views.InvoiceDetail) -> dict[str, Any]:
    def cash(minor: int) -> str:
        return money.format_decimal(minor, d.currency)

    return {
        "id": d.id,
        "number": d.number,
        "status": d.status,
        "overdue": d.display_status == "overdue",
        "client_id": d.client_id,
        "client_name": d.buyer.name,
        "project_id": d.project_id,
        "currency": d.currency,
        "issue_date": d.issue_date,
        "due_date": d.due_date,
        "discount_percent": _plain(d.discount_percent),
        "notes": d.notes,
        "terms": d.terms,
        "subtotal": cash(d.subtotal_minor),
        "discount": cash(d.discount_minor),
        "tax": cash(d.tax_minor),
        "total": cash(d.total_minor),
        "amount_paid": cash(d.amount_paid_minor),
        "amount_due": cash(d.amount_due_minor),
        "sent_at": d.sent_at,
        "public_url": d.public_url,
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
        "payments": [
            {
                "id": p.id,
                "amount": money.format_decimal(p.amount_minor, p.currency),
                "paid_on": p.paid_on,
                "method": p.method,
                "reference": p.reference,
            }
            for p in d.payments
        ],
    }


def _row_out(row: invoice_views.InvoiceRow) -> dict[str, Any]:
    def cash(minor: int) -> str:
        return money.format_decimal(minor, row.currency)

    return {
        "id": row.id,
        "number": row.number,
        "status": row.status,
        "overdue": row.display_status == "overdue",
        "client_id": row.client_id,
        "client_name": row.client_name,
        "currency": row.currency,
        "issue_date": row.issue_date,
        "due_date": row.due_date,
        "total": cash(row.total_minor),
        "amount_paid": cash(row.total_minor - row.amount_due_minor),
        "amount_due": cash(row.amount_due_minor),
        "public_url": invoice_views.public_url(row.id),
    }


# --- endpoints -----------------------------------------------------------------------------------------------------

InvoiceId = Annotated[str, Path(description="Invoice id (UUID)")]
router = APIRouter(prefix="/v1", responses=UNAUTHORIZED, tags=["invoices"])


@router.post("/invoices", status_code=status.HTTP_201_CREATED, response_model=InvoiceOut, responses=NOT_FOUND)
async def create_invoice(body: InvoiceCreate, actor: Actor) -> Any:
    """A draft, numbered from the organization's sequence; totals are computed here, half-up per line."""
    data = invoices.InvoiceInput(
        client_id=body.client_id,
        project_id=body.project_id,
        currency=body.currency,
        issue_date=body.issue_date,
        due_date=body.due_date,
        discount_percent=body.discount_percent,
        notes=body.notes,
        terms=body.terms,
        lines=[invoices.LineInput(ln.description, ln.quantity, ln.unit_price, ln.tax_rate) for ln in body.lines],
    )
    return _invoice_out(await invoices.create_invoice(actor, data))


@router.post(
    "/invoices/{invoice_id}/send",
    response_model=InvoiceOut,
    responses={**NOT_FOUND, 409: {"model": ErrorOut, "description": "The invoice is void"}},
)
async def send_invoice(invoice_id: InvoiceId, actor: Actor) -> Any:
    """Mails the link and the PDF to the client's billing contacts (else the client's email); a draft becomes sent."""
    return _invoice_out(await invoices.send_invoice(actor, invoice_id))


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, responses=NOT_FOUND)
async def get_invoice(invoice_id: InvoiceId, actor: Actor) -> Any:
    return _invoice_out(await invoices.get_invoice(actor, invoice_id))


@router.get("/invoices", response_model=InvoiceList)
async def list_invoices(
    actor: Actor,
    status_filter: Annotated[
        StatusFilter | None, Query(alias="status", description="open = sent or partially paid")
    ] = None,
    client_id: Annotated[uuid.UUID | None, Query(description="Only this client's invoices")] = None,
    date_from: Annotated[date | None, Query(description="Issued on or after")] = None,
    date_to: Annotated[date | None, Query(description="Issued on or before")] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Any:
    """Newest first (by issue date, then number)."""
    filters = invoice_listing.InvoiceFilter(
        status=status_filter or "", client_id=client_id, date_from=date_from, date_to=date_to
    )
    page = await invoice_listing.list_invoices(actor, filters, limit=limit, offset=offset)
    return {"items": [_row_out(row) for row in page.items], "total": page.total}
