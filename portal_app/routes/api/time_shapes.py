"""The time API's request bodies and answers: entries, their approval, and a draft invoice from hours.

Hours travel as a decimal string ("1.5", "1:30" also reads), never as a JSON number: like money, 0.1 h has no
exact binary form, and a number would round before the service saw it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StrictBool, StrictStr, StringConstraints

from models.time import TimeStatus
from portal_app.routes.api.types import Body, Email, IsoDate, LineDescription, no_nul


def _hours_text(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError('must be a string such as "1.5" or "1:30": a JSON number cannot hold hours exactly')
    return value


HoursText = Annotated[
    str,
    BeforeValidator(_hours_text),
    StringConstraints(max_length=20),
    AfterValidator(no_nul),
    Field(json_schema_extra={"examples": ["1.5"]}),
]
Note = Annotated[StrictStr, StringConstraints(max_length=1000), AfterValidator(no_nul)]
Reason = Annotated[StrictStr, StringConstraints(max_length=500), AfterValidator(no_nul)]
Grouping = Literal["entry", "person", "day"]
EntryStatus = Literal["submitted", "approved", "rejected"]


class TimeEntryCreate(Body):
    project_id: uuid.UUID
    date: IsoDate = Field(description="The day the work was done (at most tomorrow)")
    hours: HoursText = Field(description='More than 0 and at most 24: "1.5", "1:30" or "90m"')
    description: LineDescription
    billable: StrictBool = True
    note: Note = Field("", description="Internal: never shown to the client")
    user_email: Email | None = Field(None, description="Who did the work, when not you (owners and admins)")


class RejectBody(Body):
    reason: Reason = Field(description="What the entry's author reads")


class InvoiceHoursBody(Body):
    date_from: IsoDate | None = Field(None, description="First day; the first of this month when left out")
    date_to: IsoDate | None = Field(None, description="Last day; the end of this month when left out")
    grouping: Grouping = Field("entry", description="One line per entry, per person or per day")


class TimeEntryOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    project_name: str
    client_id: uuid.UUID
    user_id: uuid.UUID | None
    user_name: str
    date: dt.date
    hours: str  # decimal hours, two places: "1.50"
    description: str
    note: str  # staff-only, as the whole API is
    billable: bool
    status: TimeStatus
    reject_reason: str
    decided_at: dt.datetime | None
    invoice_id: uuid.UUID | None  # the invoice billing it
    questioned: bool  # a contact questioned it from the portal
    created_at: dt.datetime


class TimeEntryList(BaseModel):
    items: list[TimeEntryOut]
    total: int
