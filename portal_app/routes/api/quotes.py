"""The API's quotes: draft, change a draft, send, read, list, and convert one the client accepted by word.

A quote is numbered from the organization's quote sequence and fixed once sent. The client accepts it with a
typed signature on its page (portal or public link); `acceptance` then holds the record, and `invoice_id` the
invoice acceptance made. Staff who were told "yes" another way convert it instead: no signature is recorded.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated, Any

from fastapi import Path, Query, status

from portal_app.routes.api.deps import DEFAULT_PAGE_SIZE, NOT_FOUND, Actor, Limit, Offset, Responses, resource_router
from portal_app.routes.api.quote_shapes import (
    QuoteCreate,
    QuoteList,
    QuoteOut,
    QuotePatch,
    QuoteStatus,
    quote_out,
    row_out,
)
from portal_app.routes.api.types import ErrorOut, LineIn, SearchText
from services.billing.line_items import LineInput
from services.quotes import acceptance, quotes

router = resource_router("quotes")

QuoteId = Annotated[str, Path(description="Quote id (UUID)")]
INVALID: Responses = {422: {"model": ErrorOut, "description": "Bad input; `field` names the field at fault"}}


def _lines(lines: list[LineIn]) -> list[LineInput]:
    return [LineInput(ln.description, ln.quantity, ln.unit_price, ln.tax_rate) for ln in lines]


@router.post(
    "/quotes", status_code=status.HTTP_201_CREATED, response_model=QuoteOut, responses={**NOT_FOUND, **INVALID}
)
async def create_quote(body: QuoteCreate, actor: Actor) -> Any:
    """A draft, numbered from the organization's quote sequence; totals are computed here, half-up per line."""
    data = quotes.QuoteInput(
        client_id=body.client_id,
        lines=_lines(body.lines),
        currency=body.currency,
        title=body.title,
        project_id=body.project_id,
        issue_date=body.issue_date,
        valid_until=body.valid_until,
        discount_percent=body.discount_percent,
        deposit_percent=body.deposit_percent,
        notes=body.notes,
        terms=body.terms,
        start_project=body.start_project,
        project_template_id=body.project_template_id,
    )
    return quote_out(await quotes.create_quote(actor, data))


@router.get("/quotes", response_model=QuoteList)
async def list_quotes(
    actor: Actor,
    status_filter: Annotated[
        QuoteStatus | None,
        Query(alias="status", description="sent = still open to an answer; expired = sent and past valid_until"),
    ] = None,
    client_id: Annotated[uuid.UUID | None, Query(description="Only this client's quotes")] = None,
    search: Annotated[SearchText, Query(max_length=100, description="Part of the number or title")] = "",
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Any:
    """Newest first (by issue date, then number)."""
    filters = quotes.QuoteFilter(status=status_filter or "", client_id=client_id, search=search)
    page = await quotes.list_quotes(actor, filters, limit=limit, offset=offset)
    return {"items": [row_out(row) for row in page.items], "total": page.total}


@router.get("/quotes/{quote_id}", response_model=QuoteOut, responses=NOT_FOUND)
async def get_quote(quote_id: QuoteId, actor: Actor) -> Any:
    return quote_out(await quotes.get_quote(actor, quote_id))


@router.patch(
    "/quotes/{quote_id}",
    response_model=QuoteOut,
    responses={**NOT_FOUND, **INVALID, 409: {"model": ErrorOut, "description": "Only a draft can be changed"}},
)
async def update_quote(quote_id: QuoteId, body: QuotePatch, actor: Actor) -> Any:
    current = await quotes.get_quote(actor, quote_id)
    # The draft as it stands (with its own dates, which a duplicate would not keep), then the fields sent.
    data = dataclasses.replace(quotes.input_of(current), issue_date=current.issue_date, valid_until=current.valid_until)
    changes = body.model_dump(exclude_unset=True, exclude={"lines"})
    if body.lines is not None:
        changes["lines"] = _lines(body.lines)
    if "client_id" in changes and changes["client_id"] != current.client_id and "project_id" not in changes:
        changes["project_id"] = None  # the old client's project is no project of the new one
    return quote_out(await quotes.update_quote(actor, quote_id, dataclasses.replace(data, **changes)))


@router.post(
    "/quotes/{quote_id}/send",
    response_model=QuoteOut,
    responses={
        **NOT_FOUND,
        409: {"model": ErrorOut, "description": "Answered or expired already"},
        422: {"model": ErrorOut, "description": "No one to mail, or the validity date has passed"},
    },
)
async def send_quote(quote_id: QuoteId, actor: Actor) -> Any:
    """Mails the link and the PDF to the client's billing contacts (else the client's email); a draft becomes sent.
    Sending a sent quote again resends the same quote."""
    return quote_out(await quotes.send_quote(actor, quote_id))


@router.post(
    "/quotes/{quote_id}/convert",
    response_model=QuoteOut,
    responses={**NOT_FOUND, 409: {"model": ErrorOut, "description": "A draft, or answered already"}},
)
async def convert_quote(quote_id: QuoteId, actor: Actor) -> Any:
    """Accept a sent quote on the client's word (a call, a signed paper): it becomes a draft invoice to review and
    send (its deposit, or its whole amount) and, when the quote asks, a project. No signature is recorded."""
    return quote_out(await acceptance.convert_quote(actor, quote_id))
