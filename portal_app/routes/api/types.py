"""The API's request bodies and response shapes, and the field types and validators they are built from."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    field_validator,
)

from models.collaboration import RequestStatus, Visibility
from models.invoices import InvoiceStatus
from models.projects import ProjectStatus
from services.billing import line_items
from services.projects import discussion, work_requests

# Far beyond any real list, and small enough for every database's integer: a huge offset is bad input, not a 500.
MAX_OFFSET = 2**31 - 1


# --- validators ----------------------------------------------------------------------------------------------------


def no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL: refuse it here as bad input rather than fail in the database.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _iso_date_text(value: Any) -> Any:
    # JSON has no date type: only an ISO 8601 string is a date (pydantic would also take a number as a timestamp).
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date string (YYYY-MM-DD)")
    return value


def _not_null(value: Any) -> Any:
    """For partial updates: a field may be left out, but null is not a value it can take."""
    if value is None:
        raise ValueError("must not be null (leave the field out to keep its value)")
    return value


def _decimal_text(value: Any) -> Any:
    """A decimal string, or a JSON integer; a JSON float is refused, since 0.1 has no exact binary form."""
    if isinstance(value, float):
        raise ValueError('must be a decimal string such as "12.50": a JSON float cannot hold money exactly')
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError('must be a decimal string such as "12.50"')
    return str(value)


# --- field types: text is a JSON string of at most so many characters, without NUL -----------------------------------

Name = Annotated[StrictStr, StringConstraints(max_length=200), AfterValidator(no_nul)]
Email = Annotated[StrictStr, StringConstraints(max_length=254), AfterValidator(no_nul)]
Phone = Annotated[StrictStr, StringConstraints(max_length=50), AfterValidator(no_nul)]
Address = Annotated[StrictStr, StringConstraints(max_length=1000), AfterValidator(no_nul)]
Title = Annotated[StrictStr, StringConstraints(max_length=100), AfterValidator(no_nul)]
Phase = Annotated[StrictStr, StringConstraints(max_length=100), AfterValidator(no_nul)]
Description = Annotated[StrictStr, StringConstraints(max_length=4000), AfterValidator(no_nul)]
LineDescription = Annotated[StrictStr, StringConstraints(max_length=500), AfterValidator(no_nul)]
CurrencyCode = Annotated[StrictStr, StringConstraints(max_length=10), AfterValidator(no_nul)]
MilestoneTitle = Annotated[StrictStr, StringConstraints(max_length=200), AfterValidator(no_nul)]
RequestTitle = Annotated[StrictStr, StringConstraints(max_length=200), AfterValidator(no_nul)]
RequestDescription = Annotated[
    StrictStr, StringConstraints(max_length=work_requests.MAX_DESCRIPTION), AfterValidator(no_nul)
]
UpdateBody = Annotated[StrictStr, StringConstraints(max_length=discussion.MAX_BODY), AfterValidator(no_nul)]
IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
SearchText = Annotated[str, AfterValidator(no_nul)]
DecimalText = Annotated[
    str,
    BeforeValidator(_decimal_text),
    StringConstraints(max_length=40),
    AfterValidator(no_nul),
    Field(json_schema_extra={"examples": ["1200.50"]}),
]
StatusFilter = Literal["draft", "sent", "partially_paid", "paid", "void", "open", "overdue"]
Position = Annotated[StrictInt, Field(ge=0, le=MAX_OFFSET, description="0 is the top of the column")]


# --- request bodies ------------------------------------------------------------------------------------------------


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClientCreate(Body):
    name: Name
    email: Email = ""
    phone: Phone = ""
    address: Address = ""


class ClientPatch(Body):
    """Fields left out keep their value; an empty string clears email, phone or address."""

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    address: Address | None = None

    _present = field_validator("name", "email", "phone", "address")(_not_null)


class ContactCreate(Body):
    email: Email
    name: Name
    title: Title = ""
    portal_enabled: StrictBool = False
    billing: StrictBool | None = None  # left out: the client's first contact is its billing contact


class ContactPatch(Body):
    """Fields left out keep their value. Deactivating a contact ends its portal sessions."""

    portal_enabled: StrictBool | None = None
    active: StrictBool | None = None
    name: Name | None = None
    title: Title | None = None
    billing: StrictBool | None = None

    _present = field_validator("portal_enabled", "active", "name", "title", "billing")(_not_null)


class ProjectCreate(Body):
    client_id: uuid.UUID
    name: Name
    description: Description = ""
    status: ProjectStatus = ProjectStatus.active
    phase: Phase = ""
    lead_user_id: uuid.UUID | None = None
    start_date: IsoDate | None = None
    due_date: IsoDate | None = None


class ProjectPatch(Body):
    """Fields left out keep their value; null clears the lead or a date."""

    name: Name | None = None
    description: Description | None = None
    status: ProjectStatus | None = None
    phase: Phase | None = None
    lead_user_id: uuid.UUID | None = None
    start_date: IsoDate | None = None
    due_date: IsoDate | None = None
    # staff-side billing (owners, admins and the lead): null clears the rate or the budget
    hourly_rate: DecimalText | None = Field(None, description="Per hour in `currency`; null clears it")
    currency: CurrencyCode | None = Field(None, description="The rate's ISO 4217 code")
    budget_hours: DecimalText | None = Field(None, description='Hours budgeted ("120"); null clears it')

    _present = field_validator("name", "description", "status", "phase", "currency")(_not_null)


class LineIn(Body):
    description: LineDescription
    quantity: DecimalText
    unit_price: DecimalText = Field(description="In the invoice's currency, with at most its decimals")
    tax_rate: DecimalText = Field("0", description='A percentage: "20" is 20 %')


class InvoiceCreate(Body):
    client_id: uuid.UUID
    project_id: uuid.UUID | None = None
    currency: CurrencyCode = Field(description="ISO 4217 code, e.g. USD, JPY, KWD")
    issue_date: IsoDate | None = Field(None, description="Today when left out")
    due_date: IsoDate
    discount_percent: DecimalText = Field("0", description="A percentage off every line, before tax")
    notes: Description = ""
    terms: Description = ""
    lines: list[LineIn] = Field(max_length=line_items.MAX_LINES)


class MilestoneCreate(Body):
    title: MilestoneTitle
    due_date: IsoDate | None = Field(description="null for a milestone without a date")
    done: StrictBool = False


class MilestonePatch(Body):
    """Fields left out keep their value; a null due date clears it. Done: a progress report is owed (SPEC §17)."""

    title: MilestoneTitle | None = None
    due_date: IsoDate | None = Field(None, description="null clears the date")
    done: StrictBool | None = None


class UpdateCreate(Body):
    body: UpdateBody
    visibility: Visibility = Field(description="public: the client's contacts see it; internal: staff only")


class RequestCreate(Body):
    project_id: uuid.UUID
    title: RequestTitle
    description: RequestDescription = ""


class RequestPatch(Body):
    """Fields left out keep their value; assignee_id null unassigns. A status without a position puts the card at
    the bottom of that column; a position without a status moves it within its column."""

    status: RequestStatus | None = None
    position: Position | None = None
    title: RequestTitle | None = None
    description: RequestDescription | None = None
    assignee_id: uuid.UUID | None = None

    _present = field_validator("status", "position", "title", "description")(_not_null)


# --- responses (filled from the services' view dataclasses) --------------------------------------------------------


class ErrorOut(BaseModel):
    detail: str


class ClientOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str
    phone: str
    address: str
    archived: bool
    created_at: datetime


class ClientRowOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str
    contacts: int
    projects: int
    created_at: datetime


class ClientList(BaseModel):
    items: list[ClientRowOut]
    total: int


class ContactOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    email: str
    name: str
    title: str
    portal_enabled: bool
    active: bool
    billing: bool
    last_sign_in_at: datetime | None
    created_at: datetime


class ContactList(BaseModel):
    items: list[ContactOut]
    total: int


class ProjectOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    client_name: str
    name: str
    description: str
    status: ProjectStatus
    phase: str
    lead_user_id: uuid.UUID | None
    start_date: date | None
    due_date: date | None
    created_at: datetime


class ProjectDetailOut(ProjectOut):
    """One project, with what only staff see: its hourly rate (in `currency`) and hour budget."""

    hourly_rate: str | None
    currency: str
    budget_hours: str | None


class ProjectList(BaseModel):
    items: list[ProjectOut]
    total: int


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


class MilestoneOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    due_date: date | None
    done: bool
    done_at: datetime | None


class MilestoneList(BaseModel):
    items: list[MilestoneOut]
    total: int


class UpdateOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    body: str
    visibility: Visibility
    author_name: str
    created_at: datetime


class UpdateList(BaseModel):
    items: list[UpdateOut]
    total: int


class RequestOut(BaseModel):
    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    description: str
    status: RequestStatus
    position: int  # within its column, 0 first
    assignee_id: uuid.UUID | None
    requester_name: str
    source: str  # staff, api, portal or feedback
    created_at: datetime
    updated_at: datetime


class RequestList(BaseModel):
    items: list[RequestOut]
    total: int
