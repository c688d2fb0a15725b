"""Approvals: the submitted time this person may decide (everyone's for owners and admins, their projects' for
leads), oldest day first, paged; tick entries, then "Approve selected" or "Reject selected" with a reason."""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.events import ClickEventArguments

from components.forms import FieldErrors, dialog_actions, pressed
from components.paged_table import PagedTable
from components.table_columns import column
from portal_app.live import follow
from portal_app.staff.layout import StaffPage, frame, staff_page
from portal_app.staff.time_common import hours_label
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.core.events import TimeChanged
from services.core.formatting import Formats
from services.time import entries
from services.time.entries import EntryView

COLUMNS = [
    column("date", "Date"),
    column("person", "Person"),
    column("project", "Project"),
    column("description", "Description"),
    column("hours", "Hours", align="right"),
    column("billable", "Billable"),
]
NO_PROJECTS = (
    "You approve time on the projects you lead, and you lead none yet. Owners and admins approve time on every project."
)


def queue_row(entry: EntryView, formats: Formats) -> dict:
    return {
        "id": str(entry.id),
        "date": formats.day(entry.work_date),
        "person": entry.user_name,
        "project": f"{entry.client_name} · {entry.project_name}",
        "description": entry.description + (f" (note: {entry.note})" if entry.note else ""),
        "hours": hours_label(entry.minutes, formats),
        "billable": "Yes" if entry.billable else "No",
    }


def entries_word(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def reject_dialog(actor: StaffActor, chosen, done) -> ui.dialog:
    """Asks for the reason the authors will read; `chosen()` names the entries, `done(count)` follows."""
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        ui.label("Reject the selected time").classes("text-lg font-semibold")
        ui.label("The people who logged it see your reason and can change and submit it again.").classes(
            "text-sm text-gray-600"
        )
        reason = ui.textarea("Reason").props("outlined autogrow").classes("w-full").mark("reject-reason-input")
        errors = FieldErrors(reason=reason)

        async def reject() -> None:
            try:
                count = await entries.reject(actor, chosen(), reason.value or "")
            except ServiceError as exc:
                errors.show(getattr(exc, "field", None), exc.message)
                return
            dialog.close()
            reason.value = ""
            errors.clear()
            await done(count)

        dialog_actions(dialog, "Reject", reject).props("color=negative").mark("confirm-reject")
    return dialog


@staff_page("/time/approvals")
async def approvals_page(context: StaffPage) -> RedirectResponse | None:
    actor, formats = context.actor, context.org.formats

    async def fetch(limit: int, offset: int) -> tuple[list[dict], int]:
        page = await entries.approval_queue(actor, limit=limit, offset=offset)
        rows = [queue_row(entry, formats) for entry in page.items]
        shown = {row["id"] for row in rows}
        # what was ticked and is gone (decided here or elsewhere) is no longer selected
        table.table.selected = [row for row in table.table.selected if row["id"] in shown]
        return rows, page.total

    def chosen() -> list[str]:
        return [row["id"] for row in table.table.selected]

    async def approve(event: ClickEventArguments) -> None:
        if not chosen():
            ui.notify("Tick the entries to approve first", type="warning")
            return
        async with pressed(event):
            try:
                count = await entries.approve(actor, list(chosen()))
            except ServiceError as exc:
                ui.notify(exc.message, type="negative")
                return
        ui.notify(f"Approved {entries_word(count)}", type="positive")
        await table.load()

    async def rejected(count: int) -> None:
        ui.notify(f"Rejected {entries_word(count)}", type="positive")
        await table.load()

    def open_reject() -> None:
        if not chosen():
            ui.notify("Tick the entries to reject first", type="warning")
            return
        reject.open()

    with frame(context, "Approvals"):
        if not context.may_approve:
            with ui.card().classes("w-full").props("flat bordered").mark("no-approvals"):
                ui.label(NO_PROJECTS).classes("text-gray-600")
                ui.link("Back to my time", "/time")
            return None
        with ui.row().classes("w-full items-center gap-3"):
            ui.label("Submitted time, the longest waiting first.").classes("text-gray-600")
            ui.space()
            ui.button("Approve selected", icon="done_all", on_click=approve).props("unelevated").mark("approve")
            ui.button("Reject selected", icon="block", on_click=open_reject).props("flat color=negative").mark("reject")
        reject = reject_dialog(actor, chosen, rejected)
        table = PagedTable(COLUMNS, fetch, rows_per_page=50)
        table.table.set_selection("multiple")
        # Quasar's selection boxes have no names: a screen reader would announce "checkbox", not whose time it is.
        table.table.add_slot(
            "header-selection",
            '<q-checkbox v-model="props.selected" dense aria-label="Select every entry on this page" />',
        )
        table.table.add_slot(
            "body-selection",
            '<q-checkbox v-model="props.selected" dense'
            " :aria-label=\"'Select ' + props.row.person + ', ' + props.row.date + ': ' + props.row.description\" />",
        )
        table.table.props('no-data-label="Nothing waiting for approval."')
        await table.load()
    follow(TimeChanged, lambda event: event.org_id == actor.org_id, table.load)
    return None
