"""Payment reminders: the `reminders` job mails each open invoice's billing contacts on the org's schedule.

A schedule is a list of day offsets from the due date (-3 is three days before, 7 a week after). Each sweep
takes, per invoice, only the most recent step that is due: after downtime the latest one goes out and the
older ones are skipped for good. A step is never sent twice: the row in `reminders_sent` is inserted with
ON CONFLICT DO NOTHING on its unique (invoice_id, step), and only the rows this sweep actually inserted get
their mail, in the same transaction. Two sweeps at once therefore send each reminder once; on PostgreSQL the
second waits on the first's uncommitted rows and then inserts none of them.

Steps whose day is not after the day the invoice was sent are skipped: the invoice mail itself was that
notice. The work goes in batches keyed by invoice id: a batch's candidates are read, then the batch is one
transaction with a constant number of statements (the recipients, one claiming INSERT, one bulk write of mails
and one of audit rows). The first sweep after an outage reminds of nearly every open invoice, so the work per
invoice is kept small: rows go to the driver as plain values (no ORM objects, no per-row parameter handling in
SQLAlchemy), the mail's two bodies (plain text and HTML) come from one template per organization and due date,
filled per mail with string formatting, the mails are written while the claim runs, and on PostgreSQL two batches
are in flight at once.
"""

from __future__ import annotations

import asyncio
import gc
import uuid
from bisect import bisect_right
from collections import deque
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import chain
from typing import Any, NamedTuple

from sqlalchemy import ARRAY, ColumnElement, Integer, String, Uuid, bindparam, func, select, text, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from models.invoices import Invoice, ReminderSent
from models.organizations import Organization
from services.billing import how_to_pay, invoices
from services.billing.invoice_views import OPEN_STATUSES, public_url
from services.core import audit, bulk, clock
from services.core.actors import SystemActor
from services.core.db import rows_affected, unit_of_work
from services.core.formatting import Formats
from services.mail import layout, outbox
from services.mail.layout import Recipient

SWEEPER = SystemActor(label="reminders")
MAX_OFFSET_DAYS = 365
# Invoices per transaction: large enough that per-statement costs vanish, small enough to hold one batch of rows,
# mails and audit rows in memory and to keep a transaction (and, on PostgreSQL, the rows it locks) short.
BATCH = 5000
POSTGRES_WORKERS = 2

_INVOICES = Invoice.__table__
_SENT = ReminderSent.__table__
_CLAIM_COLUMNS = ("id", "org_id", "invoice_id", "step", "sent_at")
_WRITE_BETWEEN_YIELDS = 250  # mails (a few milliseconds) written before the claim's next round trip may go
_SQLITE_MAX_PARAMETERS = 32_766  # per statement, since SQLite 3.32

# On PostgreSQL the claim is one INSERT … SELECT over three arrays, the ids made by the server (PostgreSQL 13+).
# The portable form (a multi-row VALUES, "insertmanyvalues") sends a statement of a few hundred kilobytes per
# thousand rows, which psycopg re-parses in Python each time (it caches only short statements): that alone cost
# more than the rest of the batch.
_PG_CLAIM = (
    text(
        "INSERT INTO reminders_sent (id, org_id, invoice_id, step, sent_at) "
        "SELECT gen_random_uuid(), due.org_id, due.invoice_id, due.step, :sent_at "
        "FROM unnest(:org_ids, :invoice_ids, :steps) AS due (org_id, invoice_id, step) "
        "ON CONFLICT (invoice_id, step) DO NOTHING "
        "RETURNING invoice_id"
    )
    .bindparams(
        bindparam("sent_at", type_=_SENT.c.sent_at.type),
        bindparam("org_ids", type_=ARRAY(Uuid())),
        bindparam("invoice_ids", type_=ARRAY(Uuid())),
        bindparam("steps", type_=ARRAY(Integer())),
    )
    .columns(invoice_id=Uuid())
)


# An open invoice as `_candidates` reads it: id, org_id and client_id (as the database returns them: see `_Ids`),
# number, currency, due date, amount due (minor units), when it was sent, and the latest step sent for it (None
# before the first).
_Candidate = tuple[uuid.UUID, Any, Any, str, str, date, int, datetime | None, int | None]


@dataclass(frozen=True, slots=True)
class _Org:
    name: str
    steps: tuple[int, ...]  # ascending
    payment_instructions: str
    formats: Formats
    brand: layout.Branding
    footer: tuple[str, ...]
    by_card: bool  # the organization takes card payments: the reminder's link offers to pay


class _Due(NamedTuple):
    """An invoice that gets a reminder in this sweep, and at which step (a tuple: thousands are made per batch)."""

    id: uuid.UUID
    org_id: uuid.UUID
    client_id: uuid.UUID
    number: str
    currency: str
    due_date: date
    amount_due_minor: int
    step: int


def schedule_steps(raw: object) -> tuple[int, ...]:
    """The usable steps of a stored schedule: whole days within a year of the due date, each once, ascending."""
    if not isinstance(raw, list):
        return ()
    return tuple(
        sorted({s for s in raw if isinstance(s, int) and not isinstance(s, bool) and abs(s) <= MAX_OFFSET_DAYS})
    )


def step_to_send(
    steps: tuple[int, ...], due_date: date, sent_on: date | None, today: date, latest_sent: int | None
) -> int | None:
    """The most recent due step, unless it (or a later one) went out already; older due steps are skipped.

    Steps ascend, so the most recent due one is the last whose day is on or before today. If its day is not
    after the day the invoice went out, no earlier step's day is either: then nothing is due.
    """
    latest_index = bisect_right(steps, (today - due_date).days) - 1
    if latest_index < 0:
        return None
    latest = steps[latest_index]
    if sent_on is not None and latest <= (sent_on - due_date).days:
        return None
    if latest_sent is not None and latest_sent >= latest:
        return None
    return latest


async def sweep(now: datetime | None = None, batch: int = BATCH) -> int:
    """Queue the reminders that are due now; returns how many invoices were reminded. This is the `reminders` job."""
    now = now or clock.now()
    today = now.date()
    async with unit_of_work(SWEEPER) as session:
        orgs = await _organizations(session)
        postgres = session.get_bind().dialect.name == "postgresql"
    earliest_step = min((org.steps[0] for org in orgs.values() if org.steps), default=None)
    if earliest_step is None:
        return 0
    # No invoice due later than this has a step due yet.
    pages = _Pages(today - timedelta(days=earliest_step), batch, by_bounds=postgres)
    writer = _MailWriter(orgs, today)
    ids = _Ids()
    # On PostgreSQL two batches are in flight at once, each in its own transaction: while the server stores one,
    # Python prepares the other. SQLite has one writer at a time, and its thread runs in this process anyway.
    workers = POSTGRES_WORKERS if postgres else 1
    return await _total_of([_work(pages, orgs, ids, writer, now) for _ in range(workers)])


async def _total_of(work: list[Coroutine[Any, Any, int]]) -> int:
    """The sum of the results of `work`, run side by side. If one fails (or this is cancelled), the others are
    cancelled and awaited, their transactions rolled back, before the error goes on."""
    tasks = [asyncio.ensure_future(w) for w in work]
    try:
        return sum(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class _Pages:
    """The candidates in batches of about `batch`, in the order of their ids; each worker takes the next in turn.
    Each batch is read in a transaction of its own: the claim, not this read, decides what is sent.

    On SQLite a batch is the next `batch` candidates after the last id seen, found from the primary key. PostgreSQL
    may find such a page by reading and sorting every candidate (through the status index), a cost that grows with
    the square of the candidates: there a batch is the range of ids from one bound to the next, the bounds (every
    `batch`-th candidate's id) read by one query first, and a range it reads from the primary key.
    """

    def __init__(self, window_end: date, batch: int, *, by_bounds: bool) -> None:
        self._window_end = window_end
        self._batch = batch
        self._by_bounds = by_bounds
        self._bounds: deque[uuid.UUID] | None = None
        self._after: uuid.UUID | None = None
        self._done = False
        self._turn = asyncio.Lock()

    async def next(self) -> Sequence[_Candidate] | None:
        """The next batch (perhaps empty: paid meanwhile), None when there is none."""
        async with self._turn, unit_of_work(SWEEPER) as session:
            return await (self._next_range(session) if self._by_bounds else self._next_page(session))

    async def _next_range(self, session: AsyncSession) -> Sequence[_Candidate] | None:
        if self._bounds is None:
            self._bounds = deque(await _batch_bounds(session, self._window_end, self._batch))
        if not self._bounds:
            return None
        first = self._bounds.popleft()
        before = [_INVOICES.c.id < self._bounds[0]] if self._bounds else []
        return await _candidates(session, self._window_end, _INVOICES.c.id >= first, *before)

    async def _next_page(self, session: AsyncSession) -> Sequence[_Candidate] | None:
        if self._done:
            return None
        after = [_INVOICES.c.id > self._after] if self._after is not None else []
        rows = await _candidates(session, self._window_end, *after, limit=self._batch)
        self._done = len(rows) < self._batch
        if rows:
            self._after = rows[-1][0]
        return rows


async def _work(pages: _Pages, orgs: dict[uuid.UUID, _Org], ids: _Ids, writer: _MailWriter, now: datetime) -> int:
    """Batches until there are none left, each in its own transaction; how many invoices this reminded."""
    reminded = 0
    while True:
        with _cyclic_gc_paused():
            rows = await pages.next()
            if rows is None:
                return reminded
            due = _due_now(rows, orgs, ids, now.date())
            if due:
                async with unit_of_work(SWEEPER) as session:
                    reminded += await _send(session, due, writer, now)


_gc_pauses = 0  # batches running now with the collector paused by `_cyclic_gc_paused`


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a batch runs. A batch makes a few hundred thousand objects (rows,
    ids, mails) that live until it ends; meanwhile the collector would run again and again, move them to its oldest
    generation and so set off full collections of the whole process: a third of the sweep's CPU time. Objects
    are still freed as soon as nothing refers to them. Batches may overlap (two workers, two sweeps): the last to
    end turns the collector back on; if it was off before any began, it stays off."""
    global _gc_pauses
    if _gc_pauses == 0 and not gc.isenabled():
        yield
        return
    _gc_pauses += 1
    gc.disable()
    try:
        yield
    finally:
        _gc_pauses -= 1
        if _gc_pauses == 0:
            gc.enable()


def _due_now(rows: Sequence[_Candidate], orgs: dict[uuid.UUID, _Org], ids: _Ids, today: date) -> list[_Due]:
    due = []
    for invoice_id, org_key, client_key, number, currency, due_date, amount_due, sent_at, latest_step in rows:
        org_id = ids[org_key]
        org = orgs.get(org_id)
        if org is None:
            continue
        sent_on = sent_at.date() if sent_at else None
        step = step_to_send(org.steps, due_date, sent_on, today, latest_step)
        if step is not None:
            due.append(_Due(invoice_id, org_id, ids[client_key], number, currency, due_date, amount_due, step))
    return due


class _Ids(dict[Any, uuid.UUID]):
    """Organization and client ids by their value as the database returns it (a UUID on PostgreSQL, hex on
    SQLite): one UUID made per organization and client rather than one per row, and rows that share it share one
    object, which `bulk.driver_values` converts once."""

    def __missing__(self, key: Any) -> uuid.UUID:
        value = self[key] = key if isinstance(key, uuid.UUID) else uuid.UUID(key)
        return value


async def _organizations(session: AsyncSession) -> dict[uuid.UUID, _Org]:
    return {
        org.id: _Org(
            org.name,
            schedule_steps(org.reminder_schedule),
            org.payment_instructions,
            Formats(org.locale, org.timezone),
            layout.Branding.of(org),
            tuple(layout.sender_footer(org)),
            how_to_pay.card_payments_offered(org),
        )
        for org in await session.scalars(select(Organization))  # the logo's bytes are deferred: not read
    }


def _open_by(window_end: date) -> list[ColumnElement[bool]]:
    """Open invoices with money due by `window_end`."""
    return [
        _INVOICES.c.status.in_(OPEN_STATUSES),
        _INVOICES.c.due_date <= window_end,
        _INVOICES.c.total_minor > _INVOICES.c.amount_paid_minor,
    ]


async def _batch_bounds(session: AsyncSession, window_end: date, batch: int) -> list[uuid.UUID]:
    """The ids that start the batches: the first candidate's, then every `batch`-th one's."""
    numbered = (
        select(_INVOICES.c.id, func.row_number().over(order_by=_INVOICES.c.id).label("n"))
        .where(*_open_by(window_end))
        .subquery()
    )
    return list(
        await session.scalars(select(numbered.c.id).where((numbered.c.n - 1) % batch == 0).order_by(numbered.c.id))
    )


async def _candidates(
    session: AsyncSession, window_end: date, *in_range: ColumnElement[bool], limit: int | None = None
) -> Sequence[_Candidate]:
    """The candidates with ids `in_range`, the first `limit` of them by id, with their latest step sent.

    A Core select of the table's columns: plain rows, no ORM loading. The sweep's actor is a platform actor
    that works across organizations, so the scoping hook would add no criteria to an ORM select either.
    """
    latest_step = select(func.max(_SENT.c.step)).where(_SENT.c.invoice_id == _INVOICES.c.id).scalar_subquery()
    result = await session.execute(
        select(
            _INVOICES.c.id,
            type_coerce(_INVOICES.c.org_id, String),  # as the database returns it: see `_Ids`
            type_coerce(_INVOICES.c.client_id, String),
            _INVOICES.c.number,
            _INVOICES.c.currency,
            _INVOICES.c.due_date,
            _INVOICES.c.total_minor - _INVOICES.c.amount_paid_minor,
            _INVOICES.c.sent_at,
            latest_step,
        )
        .where(*_open_by(window_end), *in_range)
        .order_by(_INVOICES.c.id)
        .limit(limit)
    )
    return result.all()


async def _send(session: AsyncSession, due: list[_Due], writer: _MailWriter, now: datetime) -> int:
    to = await invoices.recipients_by_client(session, {d.client_id for d in due})
    due = [d for d in due if to.get(d.client_id)]  # no one to remind: the step stays unsent, for a later contact
    if not due:
        return 0
    claimed, written = await _claim_while_writing(session, due, to, writer, now)
    mails: list[outbox.QueuedMail] = []
    templates: dict[_TemplateKey, uuid.UUID] = {}  # this transaction's: the HTML of each wording, stored once
    audit_rows: list[dict[str, Any]] = []
    audit_bases: dict[uuid.UUID, dict[str, Any]] = {}
    details: dict[tuple[uuid.UUID, int], dict[str, Any]] = {}  # shared by a client's rows: serialized once
    for d, mail in zip(due, written, strict=True):
        if d.id not in claimed:
            continue  # another sweep got there first
        template = templates.get(mail.template)
        if template is None:
            template = templates[mail.template] = outbox.add_template(session, d.org_id, writer.html(mail.template))
        mails += [
            outbox.QueuedMail(r.email, mail.subject, text, d.org_id, "", template, values)
            for r, text, values in zip(to[d.client_id], mail.texts, mail.html_values, strict=True)
        ]
        base = audit_bases.get(d.org_id) or audit_bases.setdefault(d.org_id, _audit_base(d.org_id))
        detail = details.get((d.client_id, d.step)) or details.setdefault(
            (d.client_id, d.step), {"step": d.step, "to": [r.email for r in to[d.client_id]]}
        )
        # An invoice number (40 characters at most) fits the label as it is; `audit.row` would cut it at 254.
        audit_rows.append({**base, "target_id": d.id, "target_label": d.number, "detail": detail})
    # Set-based: one bulk INSERT each for the mails and the audit rows of this batch of invoices (after the few
    # templates the mails point at).
    await session.flush()
    await outbox.queue_many(session, mails)
    await audit.record_many(session, audit_rows)
    return len(claimed)


async def _claim_while_writing(
    session: AsyncSession, due: list[_Due], to: dict[uuid.UUID, list[Recipient]], writer: _MailWriter, now: datetime
) -> tuple[set[uuid.UUID], list[_Written]]:
    """The claim, and each due reminder's subject and its bodies for each recipient, written while the claim's INSERT runs in the database
    (in SQLite's thread, in PostgreSQL's server). Nearly every reminder written is claimed; the few that are not
    (another sweep got there first) are dropped."""
    claiming = asyncio.ensure_future(_claim(session, due, now))
    written: list[_Written] = []
    try:
        for start in range(0, len(due), _WRITE_BETWEEN_YIELDS):
            # The claim's statement takes a few round trips to the driver's thread (cursor, execute, fetch):
            # yielding now and then lets each go out, and the database works while the mails are written.
            await asyncio.sleep(0)
            written += [writer.mail(d, to[d.client_id]) for d in due[start : start + _WRITE_BETWEEN_YIELDS]]
    except BaseException:
        await asyncio.gather(claiming, return_exceptions=True)  # never leave a statement running on the session
        raise
    return await claiming, written


async def _claim(session: AsyncSession, due: list[_Due], now: datetime) -> set[uuid.UUID]:
    """Insert each due step into reminders_sent unless it is there already; the invoices whose row this inserted."""
    if session.get_bind().dialect.name != "postgresql":
        return await _claim_sqlite(session, due, now)
    result = await session.execute(
        _PG_CLAIM,
        {
            "sent_at": now,
            "org_ids": [d.org_id for d in due],
            "invoice_ids": [d.id for d in due],
            "steps": [d.step for d in due],
        },
    )
    return set(result.scalars())


async def _claim_sqlite(session: AsyncSession, due: list[_Due], now: datetime) -> set[uuid.UUID]:
    """The claim as multi-row INSERTs of values bound as the driver takes them (see `bulk.insert_rows`): through
    SQLAlchemy's "insertmanyvalues", converting each row's parameters cost more than SQLite's work on the row.

    The rows' ids are new, so the rows this inserted are those with its ids. When a statement inserted all of its
    rows (the count says so: nearly always) there is nothing to read back; otherwise they are looked up by id.
    """
    connection = await session.connection()
    rows = bulk.driver_values(
        connection.dialect,
        _SENT,
        _CLAIM_COLUMNS,
        [(row_id, d.org_id, d.id, d.step, now) for row_id, d in zip(bulk.new_ids(len(due)), due, strict=True)],
    )
    per_statement = _SQLITE_MAX_PARAMETERS // len(_CLAIM_COLUMNS)
    inserted: set[Any] = set()  # invoice ids as bound in `rows`: nothing to convert
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        result = await connection.exec_driver_sql(_sqlite_claim(len(chunk)), tuple(chain.from_iterable(chunk)))
        if rows_affected(result) == len(chunk):
            inserted.update(row[2] for row in chunk)
        else:
            inserted.update(await _inserted_by_id(connection, [row[0] for row in chunk]))
    return {d.id for d, row in zip(due, rows, strict=True) if row[2] in inserted}


async def _inserted_by_id(connection: AsyncConnection, row_ids: list[Any]) -> list[Any]:
    marks = ", ".join(["?"] * len(row_ids))
    statement = f"SELECT invoice_id FROM reminders_sent WHERE id IN ({marks})"  # noqa: S608 (no input in it)
    return [invoice_id for (invoice_id,) in await connection.exec_driver_sql(statement, tuple(row_ids))]


@lru_cache(maxsize=4)  # a full batch's statement, and the last one's
def _sqlite_claim(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?)"] * rows)
    return (
        f"INSERT INTO reminders_sent ({', '.join(_CLAIM_COLUMNS)}) VALUES {values} "  # noqa: S608 (no input in it)
        "ON CONFLICT (invoice_id, step) DO NOTHING"
    )


def _audit_base(org_id: uuid.UUID) -> dict[str, Any]:
    """The fields every reminder's audit row in this organization shares; each row adds its invoice."""
    return audit.row(SystemActor(org_id=org_id, label="reminders"), "invoice.reminder_sent", target_type="invoice")


_TemplateKey = tuple[uuid.UUID, date]  # an organization and a due date: one wording


class _Written(NamedTuple):
    """A reminder's subject, and per recipient its plain text and the values its HTML template is filled with."""

    subject: str
    template: _TemplateKey
    texts: list[str]
    html_values: list[dict[str, str]]


class _MailWriter:
    """Reminder subjects and bodies. The wording depends only on the organization and the due date (for one
    sweep's today), so each pair gets one template, rendered once; each mail fills in its invoice's number, amount
    and link and its recipient's name.
    """

    def __init__(self, orgs: dict[uuid.UUID, _Org], today: date) -> None:
        self._orgs = orgs
        self._today = today
        self._templates: dict[tuple[uuid.UUID, date], tuple[str, layout.Template]] = {}

    def html(self, key: _TemplateKey) -> str:
        """The HTML template of a wording `mail` used (stored once per transaction, filled when each mail is sent)."""
        return self._templates[key][1].html

    def mail(self, d: _Due, recipients: list[Recipient]) -> _Written:
        key = (d.org_id, d.due_date)
        org = self._orgs[d.org_id]
        templates = self._templates.get(key)
        if templates is None:
            templates = self._templates[key] = _reminder_templates(org, d.due_date, self._today)
        subject, body = templates
        fields = {
            "number": d.number,
            "amount": org.formats.money(d.amount_due_minor, d.currency),
            "url": public_url(d.id),
        }
        return _Written(
            subject.format_map(fields),
            key,
            [body.fill_text(r.name, fields) for r in recipients],
            [body.html_values(r.name, fields) for r in recipients],
        )


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def _literal(value: str) -> str:
    """Text that goes into a template as it is: braces doubled, so that filling in the template leaves them be."""
    return value.replace("{", "{{").replace("}", "}}")


_FIELDS = ("number", "amount", "url")


def _reminder_templates(org: _Org, due_date: date, today: date) -> tuple[str, layout.Template]:
    """The subject (with {number} to fill in) and the bodies (with the number, amount, link and greeting to fill in):
    the wording depends on whether the invoice is due soon, today, or overdue."""
    due_on = org.formats.day(due_date)
    late = (today - due_date).days
    number, amount = layout.field("number"), layout.field("amount")
    if late < 0:
        subject = f"Reminder: invoice {{number}} is due on {_literal(due_on)}"
        opening = f"a friendly reminder that invoice {number} for {amount} is due on {due_on}, in {_days(-late)}."
    elif late == 0:
        subject = "Invoice {number} is due today"
        opening = f"invoice {number} for {amount} is due today, {due_on}."
    else:
        subject = f"Overdue: invoice {{number}} was due on {_literal(due_on)}"
        opening = f"invoice {number} was due on {due_on}, {_days(late)} ago, and {amount} is still outstanding."
    instructions = org.payment_instructions.strip()
    body = layout.compose(
        org.brand,
        layout.TEMPLATE_NAME,
        [
            f"This is {org.name}: {opening}",
            "View, download or pay it here:" if org.by_card else "View or download it here:",
            layout.Button("View the invoice", layout.field("url")),
            *(["How to pay:", instructions] if instructions else []),
            "If you have paid already, thank you, and please ignore this reminder.",
        ],
        footer=org.footer,
    )
    return subject, layout.template(body, _FIELDS)
