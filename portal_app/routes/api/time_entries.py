"""The API's time: log entries, approve or reject them, list them, and draft an invoice from a project's hours.

Staff-only like the whole API; the answers carry the internal note and the invoice link, never a rate (the
project's rate is read and set on the project). Invoices from hours answer exactly as POST /invoices does.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import Path, Query, status

from portal_app.routes.api.deps import (
    DEFAULT_PAGE_SIZE,
    NOT_FOUND,
    Actor,
    Limit,
    Offset,
    ProjectId,
    Responses,
    resource_router,
)
from portal_app.routes.api.invoices import invoice_out
from portal_app.routes.api.time_shapes import (
    EntryStatus,
    InvoiceHoursBody,
    RejectBody,
    TimeEntryCreate,
    TimeEntryList,
    TimeEntryOut,
)
from portal_app.routes.api.types import ErrorOut, InvoiceOut
from services.billing import hours_invoices
from services.core.errors import Conflict, Invalid
from services.time import entries
from services.time.entries import EntryView

router = resource_router("time")

EntryId = Annotated[str, Path(description="Time entry id (UUID)")]
FORBIDDEN: Responses = {403: {"model": ErrorOut, "description": "Not an owner, an admin or the project's lead"}}
BILLED: Responses = {409: {"model": ErrorOut, "description": "The entry is billed on an invoice"}}
# The services name the model's fields; the API's body calls them otherwise.
API_FIELDS = {"work_date": "date", "user_id": "user_email"}
T = TypeVar("T")


def _entry_out(e: EntryView) -> dict[str, Any]:
    return {
        "id": e.id,
        "project_id": e.project_id,
        "project_name": e.project_name,
        "client_id": e.client_id,
        "user_id": e.user_id,
        "user_name": e.user_name,
        "date": e.work_date,
        "hours": e.hours,
        "description": e.description,
        "note": e.note,
        "billable": e.billable,
        "status": e.status,
        "reject_reason": e.reject_reason,
        "decided_at": e.decided_at,
        "invoice_id": e.invoice_id,
        "questioned": e.questioned,
        "created_at": e.created_at,
    }


async def _in_api_terms(call: Awaitable[T]) -> T:
    """The call's answer; a refusal naming a model field names the body's key instead."""
    try:
        return await call
    except Invalid as exc:
        problems = [Invalid(p.message, API_FIELDS.get(p.field or "", p.field)) for p in exc.problems]
        raise Invalid.of(problems) from None


@router.post(
    "/time-entries",
    status_code=status.HTTP_201_CREATED,
    response_model=TimeEntryOut,
    responses={**NOT_FOUND, **FORBIDDEN},
)
async def log_time(body: TimeEntryCreate, actor: Actor) -> Any:
    """A submitted entry for you, or (owners and admins) for the member named by `user_email`."""
    user_id = await entries.member_id(actor, body.user_email) if body.user_email is not None else None
    data = entries.EntryInput(
        project_id=body.project_id,
        work_date=body.date,
        hours=body.hours,
        description=body.description,
        billable=body.billable,
        note=body.note,
        user_id=user_id,
    )
    return _entry_out(await _in_api_terms(entries.log_entry(actor, data)))


@router.get("/time-entries", response_model=TimeEntryList)
async def list_time(
    actor: Actor,
    project_id: Annotated[uuid.UUID | None, Query(description="Only this project's entries")] = None,
    status_filter: Annotated[EntryStatus | None, Query(alias="status")] = None,
    user_id: Annotated[uuid.UUID | None, Query(description="Only this member's entries")] = None,
    date_from: Annotated[date | None, Query(description="Worked on or after")] = None,
    date_to: Annotated[date | None, Query(description="Worked on or before")] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
) -> Any:
    """Newest day first."""
    page = await entries.list_entries(
        actor,
        project_id=project_id,
        user_id=user_id,
        status=status_filter,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        offset=offset,
    )
    return {"items": [_entry_out(e) for e in page.items], "total": page.total}


@router.get("/time-entries/{entry_id}", response_model=TimeEntryOut, responses=NOT_FOUND)
async def get_time(entry_id: EntryId, actor: Actor) -> Any:
    return _entry_out(await entries.get_entry(actor, entry_id))


async def _decided(actor: Actor, entry_id: str, wanted: str) -> dict[str, Any]:
    """The entry after a decision; one that stayed otherwise is billed (the services leave billed time be)."""
    entry = await entries.get_entry(actor, entry_id)
    if entry.status != wanted:
        raise Conflict("This time is billed on an invoice: void or delete that invoice first.")
    return _entry_out(entry)


@router.post(
    "/time-entries/{entry_id}/approve",
    response_model=TimeEntryOut,
    responses={**NOT_FOUND, **FORBIDDEN, **BILLED},
)
async def approve_time(entry_id: EntryId, actor: Actor) -> Any:
    """Approves a submitted or rejected entry (owners, admins, the project's lead); approving twice is harmless."""
    await entries.approve(actor, [entry_id])
    return await _decided(actor, entry_id, "approved")


@router.post(
    "/time-entries/{entry_id}/reject",
    response_model=TimeEntryOut,
    responses={**NOT_FOUND, **FORBIDDEN, **BILLED},
)
async def reject_time(entry_id: EntryId, body: RejectBody, actor: Actor) -> Any:
    """Rejects an entry with a reason its author reads (owners, admins, the project's lead)."""
    await entries.reject(actor, [entry_id], body.reason)
    return await _decided(actor, entry_id, "rejected")


@router.post(
    "/projects/{project_id}/invoice-hours",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceOut,
    responses={**NOT_FOUND, 409: {"model": ErrorOut, "description": "Some of the hours were billed meanwhile"}},
)
async def invoice_hours(project_id: ProjectId, actor: Actor, body: InvoiceHoursBody | None = None) -> Any:
    """A draft invoice from the project's approved, unbilled, billable hours in the range (this month by default),
    at the project's rate; those entries are billed by it until the draft is deleted or the invoice voided.
    Nothing left to bill answers 422."""
    body = body or InvoiceHoursBody()
    detail = await hours_invoices.invoice_from_hours(
        actor, project_id, date_from=body.date_from, date_to=body.date_to, grouping=body.grouping
    )
    return invoice_out(detail)
