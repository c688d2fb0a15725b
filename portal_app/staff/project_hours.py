"""The project page's "Hours" card: approved, waiting, billed and questioned time, the budget used, the hourly rate
(staff pages only: no portal page shows a rate), the "Rate and budget" dialog and "Draft invoice from hours"."""

from __future__ import annotations

import uuid

from nicegui import ui
from nicegui.events import ClickEventArguments

from components.date_input import date_input
from components.forms import FieldErrors, dialog_actions, pressed
from portal_app.staff.line_editor import currency_choices
from portal_app.staff.time_common import hours_label, problems_of
from services.billing import hours_invoices
from services.core import clock
from services.core.actors import StaffActor
from services.core.errors import NotFound, ServiceError
from services.core.formatting import Formats
from services.time import hours, rates
from services.time.hours import ProjectTime


class ProjectHoursSection:
    """`may_set`: owners, admins and the project's lead set the rate and budget (the service says so too)."""

    def __init__(self, actor: StaffActor, project_id: uuid.UUID, formats: Formats, *, may_set: bool) -> None:
        self.actor, self.project_id, self.formats, self.may_set = actor, project_id, formats, may_set
        self.time: ProjectTime | None = None

    async def draw(self) -> None:
        self.time = await hours.project_time(self.actor, self.project_id)
        self.rates_dialog = self._rates_dialog()
        self.draft_dialog = self._draft_dialog()
        self.card()

    async def reload(self) -> None:
        try:
            self.time = await hours.project_time(self.actor, self.project_id)
        except NotFound:  # the project went: the page reloads itself for that
            return
        self.card.refresh()

    @ui.refreshable_method
    def card(self) -> None:
        shown = self.time
        assert shown is not None
        with ui.card().classes("w-full gap-3").props("flat bordered").mark("hours-card"):
            with ui.row().classes("w-full items-center gap-2"):
                ui.label("Hours").classes("text-lg font-semibold")
                ui.space()
                if self.may_set:
                    ui.button("Rate and budget", icon="tune", on_click=self._open_rates).props("flat").mark(
                        "rates-open"
                    )
                ui.button("Draft invoice from hours", icon="receipt_long", on_click=self._open_draft).props(
                    "flat"
                ).mark("draft-open")
            with ui.grid(columns=2).classes("gap-x-8 gap-y-1 text-sm"):
                for label, value, marker in (
                    ("Approved", hours_label(shown.approved_minutes, self.formats), "hours-approved"),
                    ("Waiting for approval", hours_label(shown.submitted_minutes, self.formats), "hours-waiting"),
                    ("Billed", hours_label(shown.billed_minutes, self.formats), "hours-billed"),
                    ("Questioned by the client", str(shown.questioned), "hours-questioned"),
                    ("Hourly rate", self._rate_text(shown), "hours-rate"),
                ):
                    ui.label(label).classes("text-gray-500")
                    ui.label(value).classes("tabular-nums").mark(marker)
            self._budget(shown)

    def _rate_text(self, shown: ProjectTime) -> str:
        if shown.hourly_rate_minor is None:
            return "Not set (each person's default rate applies)"
        return f"{self.formats.money(shown.hourly_rate_minor, shown.rate_currency)} per hour"

    def _budget(self, shown: ProjectTime) -> None:
        share = shown.budget_share
        if share is None or shown.budget_minutes is None:
            ui.label("No hour budget.").classes("text-sm text-gray-500").mark("no-budget")
            return
        over = share > 1
        bar = ui.linear_progress(value=min(share, 1.0), show_value=False, size="8px").props("rounded")
        bar.props(f"color={'negative' if over else 'primary'}").mark("budget-bar", *(["over-budget"] if over else []))
        used = (
            f"{hours_label(shown.approved_minutes, self.formats)} of {hours_label(shown.budget_minutes, self.formats)}"
        )
        percent = round(share * 100)
        bar.props["aria-label"] = f"{percent}% of the budget used"
        ui.label(f"{used} budget used ({percent}%)" + (" — over budget" if over else "")).classes(
            "text-sm " + ("text-negative font-medium" if over else "text-gray-600")
        ).mark("budget-used")

    # --- rate and budget ------------------------------------------------------------------------------------------

    def _rates_dialog(self) -> ui.dialog:
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
            ui.label("Rate and budget").classes("text-lg font-semibold")
            ui.label("Staff only: the client sees the budget in hours, never the rate.").classes(
                "text-sm text-gray-600"
            )
            with ui.row().classes("w-full gap-3"):
                self.rate = ui.input("Hourly rate").props("outlined").classes("flex-1").mark("rate-input")
                self.currency = ui.select(currency_choices(self.formats.locale), label="Currency", with_input=True)
                self.currency.props("outlined").classes("w-56").mark("rate-currency")
            self.budget = ui.input("Budget (hours)").props("outlined").classes("w-full").mark("budget-input")
            ui.label("Leave a field empty to clear it.").classes("text-xs text-gray-500")
            self.rate_errors = FieldErrors(hourly_rate=self.rate, currency=self.currency, budget_hours=self.budget)

            async def save() -> None:
                try:
                    await rates.set_project_rates(
                        self.actor,
                        self.project_id,
                        hourly_rate=(self.rate.value or "").strip() or None,
                        currency=self.currency.value or "",
                        budget_hours=(self.budget.value or "").strip() or None,
                    )
                except ServiceError as exc:
                    self.rate_errors.show_all(problems_of(exc))
                    return
                dialog.close()
                ui.notify("Saved the rate and budget", type="positive")
                await self.reload()

            dialog_actions(dialog, "Save", save).mark("rates-save")
        return dialog

    async def _open_rates(self) -> None:
        try:
            current = await rates.get_project_rates(self.actor, self.project_id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return
        self.rate.value = current.hourly_rate or ""
        self.currency.value = current.currency
        self.budget.value = current.budget_hours or ""
        self.rate_errors.clear()
        self.rates_dialog.open()

    # --- draft invoice from hours ---------------------------------------------------------------------------------

    def _draft_dialog(self) -> ui.dialog:
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
            ui.label("Draft invoice from hours").classes("text-lg font-semibold")
            ui.label("Approved, billable hours not yet billed, at the project's rate. They become billed by the draft.")
            with ui.row().classes("w-full gap-3"):
                self.date_from = date_input("From", mask=self.formats.date_mask).classes("flex-1").mark("draft-from")
                self.date_to = date_input("To", mask=self.formats.date_mask).classes("flex-1").mark("draft-to")
            self.grouping = ui.select(hours_invoices.GROUPINGS, label="Lines", value="entry").props("outlined")
            self.grouping.classes("w-full").mark("draft-grouping")
            self.draft_errors = FieldErrors(date_from=self.date_from, date_to=self.date_to, grouping=self.grouping)

            async def draft(event: ClickEventArguments) -> None:
                async with pressed(event):
                    await self._draft()

            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat")
                ui.button("Draft invoice", on_click=draft).mark("draft-save")
        return dialog

    async def _draft(self) -> None:
        try:
            detail = await hours_invoices.invoice_from_hours(
                self.actor,
                self.project_id,
                date_from=self.formats.read_day(self.date_from.value, "date_from", "From"),
                date_to=self.formats.read_day(self.date_to.value, "date_to", "To"),
                grouping=self.grouping.value or "",
            )
        except ServiceError as exc:
            # no hours (on the From field), no rate (no field here: a notification)
            self.draft_errors.show_all(problems_of(exc))
            return
        self.draft_dialog.close()
        ui.notify(f"Drafted {detail.number}", type="positive")
        ui.navigate.to(f"/invoices/{detail.id}")

    def _open_draft(self) -> None:
        start, end = hours.this_month(self.formats.local(clock.now()).date())
        self.date_from.value = self.formats.input_day(start)
        self.date_to.value = self.formats.input_day(end)
        self.grouping.value = "entry"
        self.draft_errors.clear()
        self.draft_dialog.open()
