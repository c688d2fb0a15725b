"""Time: my week (Monday to Sunday) with its daily and weekly totals, a quick log form, a running timer, and
"Copy last week". Entries show their status (and a rejection's reason); those I may still change have Edit and
Delete. The page redraws when time changes, here or in another session.
"""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.events import ClickEventArguments

from components.confirm import confirm
from components.forms import dialog_actions, pressed
from models.time import TimeStatus
from portal_app.live import Coalesced, follow
from portal_app.staff.layout import StaffPage, frame, staff_page
from portal_app.staff.time_common import (
    STATUS_COLORS,
    EntryFields,
    hours_label,
    project_choices,
    save_entry,
    weekday,
)
from portal_app.staff.time_timer import RunningTimer
from services.core import clock
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.core.events import TimeChanged
from services.core.formatting import Formats
from services.time import entries
from services.time.entries import EntryView, Week

TIMER_TICK_SECONDS = 1.0


def may_change(actor: StaffActor, entry: EntryView) -> bool:
    """What the service lets this person change (it refuses the rest anyway): never billed time; approved time
    for owners and admins only."""
    if entry.invoice_id is not None:
        return False
    return actor.is_admin or (entry.status != TimeStatus.approved and entry.user_id == actor.user_id)


def week_title(week: Week, formats: Formats) -> str:
    return f"{formats.day(week.start)} – {formats.day(week.start + timedelta(days=6))}"


def entries_word(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


class MyWeek:
    """The week shown (any day of it in `shown`), read again by `redraw` after each change."""

    def __init__(self, actor: StaffActor, formats: Formats, choices: dict[str, str], week: Week, today: date):
        self.actor, self.formats, self.choices, self.week, self.today = actor, formats, choices, week, today
        self.shown = today
        self.redraw = Coalesced(self._reload)

    async def _reload(self) -> None:
        self.week = await entries.my_week(self.actor, self.shown)
        self.draw.refresh()

    async def go_to(self, day: date) -> None:
        self.shown = day
        await self.redraw()

    async def logged(self, day: date) -> None:
        """After a save: the entry's week comes into view (time logged for last week shows last week)."""
        if entries.monday_of(day) != entries.monday_of(self.shown):
            await self.go_to(day)
        else:
            await self.redraw()

    async def copy_last_week(self, event: ClickEventArguments) -> None:
        async with pressed(event):
            try:
                copied = await entries.copy_last_week(self.actor, self.shown)
            except ServiceError as exc:
                ui.notify(exc.message, type="negative")
                return
        if copied:
            ui.notify(f"Copied {entries_word(copied)} from the week before", type="positive")
        else:
            ui.notify("Nothing to copy: no time on active projects the week before", type="warning")
        await self.redraw()

    async def edit(self, entry: EntryView) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-2xl"):
            ui.label("Edit time").classes("text-lg font-semibold")
            with ui.row().classes("w-full items-start gap-3"):
                fields = EntryFields(self.choices, self.formats, day=entry.work_date, existing=entry)

            async def save() -> None:
                view = await save_entry(fields, self.actor, entry.id)
                if view is None:
                    return
                dialog.close()
                again = " and submitted again" if entry.status == TimeStatus.rejected else ""
                ui.notify(f"Saved{again}", type="positive")
                await self.logged(view.work_date)

            dialog_actions(dialog, "Save", save).mark("entry-save")
        dialog.on("hide", dialog.delete)
        dialog.open()

    async def delete(self, entry: EntryView) -> None:
        if not await confirm(
            "Delete this time entry?",
            f"{hours_label(entry.minutes, self.formats)} on {entry.project_name}, "
            f"{self.formats.day(entry.work_date)}: “{entry.description}”.",
            "Delete",
        ):
            return
        try:
            await entries.delete_entry(self.actor, entry.id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return
        ui.notify("Deleted the time entry", type="positive")
        await self.redraw()

    def entry_row(self, entry: EntryView) -> None:
        with ui.row().classes("w-full items-center gap-3 py-1 border-b border-gray-100").mark(f"entry-{entry.id}"):
            ui.label(hours_label(entry.minutes, self.formats)).classes("w-16 text-right tabular-nums font-medium")
            with ui.column().classes("gap-0 flex-1 min-w-0"):
                ui.label(entry.description).classes("break-words")
                extra = [entry.project_name, entry.client_name]
                if not entry.billable:
                    extra.append("not billable")
                if entry.invoice_id is not None:
                    extra.append("billed")
                ui.label(" · ".join(extra)).classes("text-sm text-gray-500")
                if entry.note:
                    ui.label(f"Note: {entry.note}").classes("text-sm text-gray-500 whitespace-pre-line")
                if entry.status == TimeStatus.rejected and entry.reject_reason:
                    ui.label(f"Rejected: {entry.reject_reason}").classes("text-sm text-negative").mark("reject-reason")
            if entry.questioned:
                ui.badge("Questioned", color="warning").props("outline").mark("questioned")
            ui.badge(entry.status_label, color=STATUS_COLORS[entry.status]).mark("entry-status")
            if may_change(self.actor, entry):
                ui.button(icon="edit", on_click=lambda: self.edit(entry)).props(
                    "flat dense round aria-label=Edit"
                ).mark("entry-edit")
                ui.button(icon="delete", on_click=lambda: self.delete(entry)).props(
                    "flat dense round color=negative aria-label=Delete"
                ).mark("entry-delete")

    def navigation(self) -> None:
        with ui.row().classes("w-full items-center gap-2"):
            ui.button(icon="chevron_left", on_click=lambda: self.go_to(self.shown - timedelta(days=7))).props(
                "flat round aria-label='Previous week'"
            ).mark("week-previous")
            ui.label(week_title(self.week, self.formats)).classes("text-lg font-semibold").mark("week-title")
            ui.button(icon="chevron_right", on_click=lambda: self.go_to(self.shown + timedelta(days=7))).props(
                "flat round aria-label='Next week'"
            ).mark("week-next")
            ui.button("Today", on_click=lambda: self.go_to(self.today)).props("flat").mark("week-today")
            ui.space()
            total = hours_label(self.week.total_minutes, self.formats)
            ui.label(f"Week total: {total}").classes("font-semibold").mark("week-total")

    @ui.refreshable_method
    def draw(self) -> None:
        self.navigation()
        by_day: dict[date, list[EntryView]] = {day: [] for day in self.week.days}
        for entry in self.week.entries:
            by_day[entry.work_date].append(entry)
        for day in self.week.days:
            with ui.card().classes("w-full gap-1").props("flat bordered").mark(f"day-{day.isoformat()}"):
                with ui.row().classes("w-full items-baseline justify-between"):
                    ui.label(weekday(day, self.formats)).classes(
                        "font-semibold" + (" text-primary" if day == self.today else "")
                    )
                    ui.label(hours_label(self.week.minutes_by_day[day], self.formats)).classes("tabular-nums").mark(
                        f"day-total-{day.isoformat()}"
                    )
                for entry in by_day[day]:
                    self.entry_row(entry)


def log_form(actor: StaffActor, formats: Formats, choices: dict[str, str], week: MyWeek) -> None:
    """The quick log form: every problem marked on its field; after a save it is ready for the next entry."""

    async def log(event: ClickEventArguments) -> None:
        async with pressed(event):
            view = await save_entry(fields, actor)
        if view is None:
            return
        fields.clear_after_save()
        ui.notify(f"Logged {hours_label(view.minutes, formats)} on {view.project_name}", type="positive")
        await week.logged(view.work_date)

    with ui.card().classes("w-full").props("flat bordered").mark("log-form"):
        with ui.row().classes("w-full items-center justify-between"):
            ui.label("Log time").classes("text-lg font-semibold")
            if not choices:
                ui.label("There are no active projects to log time on.").classes("text-sm text-gray-500")
        with ui.row().classes("w-full items-start gap-3"):
            fields = EntryFields(choices, formats, day=week.today)
            ui.button("Log time", icon="add", on_click=log).props("unelevated").classes("self-center").mark("entry-log")


@staff_page("/time")
async def time_page(context: StaffPage) -> RedirectResponse | None:
    actor, formats = context.actor, context.org.formats
    today = formats.local(clock.now()).date()
    choices = await project_choices(actor)
    week = MyWeek(actor, formats, choices, await entries.my_week(actor, today), today)
    with frame(context, "Time"):
        log_form(actor, formats, choices, week)
        timer = RunningTimer(actor, formats, choices, week.logged)
        timer.draw()
        with ui.row().classes("w-full justify-end"):
            ui.button("Copy last week", icon="content_copy", on_click=week.copy_last_week).props("flat").mark(
                "copy-week"
            )
        week.draw()
    # Anyone's change may touch this week (an approval, a rejection, a bill): it is one statement to read again.
    follow(TimeChanged, lambda event: event.org_id == actor.org_id, week.redraw)
    ui.timer(TIMER_TICK_SECONDS, timer.tick)
    return None
