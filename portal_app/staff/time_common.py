"""What the staff time pages share: hours as the organization writes them, the project choices, the entry form."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import cast

from babel import dates
from nicegui import ui

from components.date_input import date_input
from components.forms import FieldErrors
from models.time import TimeStatus
from services.core.actors import StaffActor
from services.core.common import MAX_PAGE_SIZE
from services.core.errors import Invalid, NotFound, ServiceError
from services.core.formatting import Formats
from services.projects import projects
from services.time import entries
from services.time.entries import EntryInput, EntryView, hours_text

# A status badge's colour: waiting is neutral, approved good news, rejected needs the author's attention.
STATUS_COLORS = {TimeStatus.submitted: "grey-7", TimeStatus.approved: "positive", TimeStatus.rejected: "negative"}


def hours_label(minutes: int, formats: Formats) -> str:
    """Minutes as hours the organization's way, to the hundredth: 90 -> "1.5 h" ("1,5 h" in German)."""
    return f"{formats.number(Decimal(hours_text(minutes)))} h"


def weekday(day: date, formats: Formats) -> str:
    """A day heading in the organization's language: "Tuesday, Mar 10, 2026"."""
    return f"{dates.format_date(day, 'EEEE', locale=formats.locale)}, {formats.day(day)}"


async def project_choices(actor: StaffActor) -> dict[str, str]:
    """Active projects, "Client · Project", by client then project: what time is logged on (one statement)."""
    page = await projects.list_projects(actor, status="active", limit=MAX_PAGE_SIZE)
    found = {str(p.id): f"{p.client_name} · {p.name}" for p in page.items}
    return dict(sorted(found.items(), key=lambda item: item[1].lower()))


def problems_of(exc: ServiceError) -> list[tuple[str | None, str]]:
    """Every problem a service named, each with its field (a form marks them all at once)."""
    found = exc.problems if isinstance(exc, Invalid) else (exc,)
    return [(getattr(p, "field", None), p.message) for p in found]


class EntryFields:
    """The fields of a time entry (project, day, hours, description, billable, internal note) and their errors."""

    def __init__(self, choices: dict[str, str], formats: Formats, *, day: date, existing: EntryView | None = None):
        self.formats = formats
        if existing and str(existing.project_id) not in choices:  # an entry on a project no longer active
            choices = {**choices, str(existing.project_id): f"{existing.client_name} · {existing.project_name}"}
        chosen = str(existing.project_id) if existing else (next(iter(choices), None) if len(choices) == 1 else None)
        self.project = ui.select(choices, label="Project", value=chosen, with_input=True).props("outlined")
        self.project.classes("min-w-[16rem]").mark("entry-project")
        self.day = date_input(
            "Date", formats.input_day(existing.work_date if existing else day), mask=formats.date_mask
        )
        self.day.mark("entry-date")
        self.hours = ui.input("Hours", value=existing.hours if existing else "", placeholder="1.5 or 1:30")
        self.hours.props("outlined").classes("w-32").mark("entry-hours")
        self.description = ui.input("Description", value=existing.description if existing else "")
        self.description.props("outlined").classes("flex-1 min-w-[14rem]").mark("entry-description")
        self.billable = ui.checkbox("Billable", value=existing.billable if existing else True).mark("entry-billable")
        self.note = ui.input("Internal note (optional)", value=existing.note if existing else "")
        self.note.props("outlined").classes("flex-1 min-w-[14rem]").mark("entry-note")
        self.errors = FieldErrors(
            project_id=self.project,
            work_date=self.day,
            hours=self.hours,
            description=self.description,
            note=self.note,
        )

    def read(self) -> tuple[EntryInput, list[tuple[str | None, str]]]:
        """The input for the service, and the problems it cannot see (no project chosen, an unreadable day).

        The service is still asked with what there is, so every other field's problem shows at once; without a
        project it refuses before anything is written."""
        own: list[tuple[str | None, str]] = []
        if not self.project.value:
            own.append(("project_id", "Choose a project."))
        try:
            day = self.formats.read_day(self.day.value, "work_date", "Date")
        except Invalid as exc:
            own.append((exc.field, exc.message))
            day = None
        if day is None and not any(field == "work_date" for field, _ in own):
            own.append(("work_date", "Enter the day the work was done."))
        data = EntryInput(
            project_id=self.project.value or "",
            work_date=cast(date, day),  # None is refused by the service, with the others
            hours=self.hours.value or "",
            description=self.description.value or "",
            billable=bool(self.billable.value),
            note=self.note.value or "",
        )
        return data, own

    def show(self, own: list[tuple[str | None, str]], exc: ServiceError | None) -> None:
        """Mark every problem: ours first, then the service's (its "not found" for a missing project aside)."""
        found = list(own)
        if exc is not None:
            taken = {field for field, _ in own}
            for field, message in problems_of(exc):
                if field in taken or (isinstance(exc, NotFound) and "project_id" in taken):
                    continue
                found.append((field, message))
        self.errors.show_all(found)

    def clear_after_save(self) -> None:
        self.hours.value = self.description.value = self.note.value = ""
        self.errors.clear()


async def save_entry(fields: EntryFields, actor: StaffActor, entry_id: uuid.UUID | None = None) -> EntryView | None:
    """Log (or, with `entry_id`, change) the entry the fields hold; None when refused, every problem marked."""
    data, own = fields.read()
    try:
        if entry_id is None:
            view = await entries.log_entry(actor, data)
        else:
            view = await entries.update_entry(actor, entry_id, data)
    except ServiceError as exc:
        fields.show(own, exc)
        return None
    if own:  # cannot happen (the service refuses the same), but never save past a problem we saw
        fields.show(own, None)
        return None
    fields.errors.clear()
    return view
