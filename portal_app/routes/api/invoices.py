"""The API's invoices: draft, send, read and list. Money travels as decimal strings, never as JSON floats."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Query, status

from portal_app.routes.api.deps import DEFAULT_PAGE_SIZE, NOT_FOUND, Actor, InvoiceId, Limit, Offset, resource_router
from portal_app.routes.api.types import ErrorOut, InvoiceCreate, InvoiceList, InvoiceOut, StatusFilter
from services.billing import invoice_listing, invoice_views, invoices
from services.core import money

router = resource_router("invoices")


def _plain(value: Decimal) -> str:
    """A quantity or a percentage as typed: 2.5000 → "2.5", 20.000 → "20"; never an exponent."""
    return format(value.normalize(), "f") if value else "0"


def invoice_out(d: invoice_views.InvoiceDetail) -> dict[str, Any]:
    """An invoice as the API answers it (here, and for a draft from hours in time_entries)."""

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
    return invoice_out(await invoices.create_invoice(actor, data))


@router.post(
    "/invoices/{invoice_id}/send",
    response_model=InvoiceOut,
    responses={**NOT_FOUND, 409: {"model": ErrorOut, "description": "The invoice is void"}},
)
async def send_invoice(invoice_id: InvoiceId, actor: Actor) -> Any:
    """Mails the link and the PDF to the client's billing contacts (else the client's email); a draft becomes sent."""
    return invoice_out(await invoices.send_invoice(actor, invoice_id))


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, responses=NOT_FOUND)
async def get_invoice(invoice_id: InvoiceId, actor: Actor) -> Any:
    return invoice_out(await invoices.get_invoice(actor, invoice_id))


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
