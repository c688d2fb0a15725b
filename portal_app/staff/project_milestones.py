"""Progress and milestones on the staff project page: the bar and where its figure comes from, setting it by
hand or following the milestones again, and the milestones themselves (add, tick, edit, delete)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date

from nicegui import ui

from components.confirm import confirm
from components.date_input import date_input
from components.forms import FieldErrors, dialog_actions
from components.progress import progress_bar
from services.core import clock
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.core.formatting import Formats
from services.projects import milestones
from services.projects.milestones import MilestoneInput, MilestoneView, ProjectOverview


class MilestonesSection:
    """Refreshes its parts from `overview`; its forms sit outside them, so a live redraw never eats typing."""

    def __init__(
        self,
        actor: StaffActor,
        overview: ProjectOverview,
        changed: Callable[[], Awaitable[None]],
        show_all: Callable[[], Awaitable[None]],
        formats: Formats,
    ) -> None:
        """`overview` holds the first milestones; `show_all` asks the page to load every one."""
        self.actor, self.overview, self.changed, self.show_all = actor, overview, changed, show_all
        self.formats = formats
        # Dialogs hang off this stable element: one made inside a redrawn row would vanish with the row.
        self.anchor = ui.element("div").classes("hidden")

    @property
    def project_id(self) -> uuid.UUID:
        return self.overview.project.id

    def redraw(self, overview: ProjectOverview) -> None:
        self.overview = overview
        self.progress.refresh()
        self.items.refresh()

    async def _run(self, action: Awaitable[object]) -> bool:
        """Await a service call; a refusal is shown, and either way the page redraws what changed."""
        try:
            await action
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return False
        finally:
            await self.changed()
        return True

    # --- progress ----------------------------------------------------------------------------------------------

    @ui.refreshable_method
    def progress(self) -> None:
        progress = self.overview.progress
        progress_bar(progress.percent, progress.explained)
        with ui.row().classes("items-center gap-2"):
            ui.button("Set by hand", icon="tune", on_click=self._set_by_hand).props("flat dense no-caps")
            if progress.source == "manual":
                ui.button(
                    "Follow milestones",
                    icon="checklist",
                    on_click=lambda: self._run(milestones.set_progress(self.actor, self.project_id, None)),
                ).props("flat dense no-caps")

    async def _set_by_hand(self) -> None:
        """A small dialog made on demand and gone when closed."""
        with self.anchor, ui.dialog() as dialog, ui.card().classes("w-full max-w-sm"):
            ui.label("Set progress by hand").classes("text-lg font-semibold")
            ui.label("The page then shows this figure until you follow the milestones again.").classes(
                "text-sm text-gray-600"
            )
            percent = ui.number("Percent done", value=self.overview.progress.percent, min=0, max=100, step=1)
            percent.props("outlined suffix=%").classes("w-full").mark("progress-percent")
            errors = FieldErrors(progress=percent)

            async def save() -> None:
                value = percent.value
                if value is None:
                    errors.show("progress", "Enter a whole percent from 0 to 100.")
                    return
                whole = int(value) if float(value).is_integer() else value
                try:
                    await milestones.set_progress(self.actor, self.project_id, whole)
                except ServiceError as exc:
                    errors.show(getattr(exc, "field", None), exc.message)
                    return
                dialog.submit(True)

            dialog_actions(dialog, "Set progress", save)
        await self._settle(dialog)

    async def _settle(self, dialog: ui.dialog) -> None:
        """Show `dialog` until it is submitted or dismissed, then drop it; redraw after a submit."""
        saved = await dialog
        if not dialog.is_deleted:
            dialog.delete()
        if saved:
            await self.changed()

    # --- milestones --------------------------------------------------------------------------------------------

    @ui.refreshable_method
    def items(self) -> None:
        today = clock.now().date()
        if not self.overview.milestones:
            ui.label("No milestones yet. Add the steps the client can follow.").classes("text-sm text-gray-500")
        for milestone in self.overview.milestones:
            self._row(milestone, today)
        total = self.overview.progress.total
        if total > len(self.overview.milestones):
            ui.button(f"Show all {total} milestones", on_click=self.show_all).props("flat dense no-caps").mark(
                "all-milestones"
            )

    def _row(self, milestone: MilestoneView, today: date) -> None:
        overdue = not milestone.done and milestone.due_date is not None and milestone.due_date < today
        with ui.row().classes("w-full items-center gap-2 no-wrap border-b border-gray-100 py-1") as row:
            row.mark(f"milestone-{milestone.id}")
            done = ui.checkbox(value=milestone.done).mark(f"milestone-done-{milestone.id}")
            done.props["aria-label"] = f"Done: {milestone.title}"
            done.on_value_change(
                lambda e: self._run(milestones.set_milestone_done(self.actor, milestone.id, bool(e.value)))
            )
            ui.label(milestone.title).classes(
                "flex-1 min-w-0 break-words " + ("line-through text-gray-500" if milestone.done else "")
            )
            if overdue:
                ui.badge("Overdue", color="negative").props("rounded").mark("overdue")
            ui.label(f"Due {self.formats.day(milestone.due_date)}" if milestone.due_date else "No due date").classes(
                "text-sm " + ("text-negative font-medium" if overdue else "text-gray-500")
            )
            edit = ui.button(icon="edit", on_click=lambda: self._edit(milestone)).props("flat round dense size=sm")
            edit.props["aria-label"] = f"Edit milestone {milestone.title}"
            remove = ui.button(icon="delete", on_click=lambda: self._delete(milestone)).props(
                "flat round dense size=sm color=negative"
            )
            remove.props["aria-label"] = f"Delete milestone {milestone.title}"

    def add_form(self) -> None:
        """The "Add milestone" button opens the form in place; it stays open for the next one."""
        with ui.column().classes("w-full gap-2") as form:
            with ui.row().classes("w-full items-start gap-2"):
                title = ui.input("Title").props("outlined dense maxlength=200").classes("flex-1 min-w-[12rem]")
                title.mark("milestone-title")
                due = date_input("Due date", mask=self.formats.date_mask, dense=True).mark("milestone-due")
                errors = FieldErrors(title=title, due_date=due)

                async def add() -> None:
                    try:
                        day = self.formats.read_day(due.value, "due_date", "Due date")
                        data = MilestoneInput(title.value or "", day)
                        await milestones.add_milestone(self.actor, self.project_id, data)
                    except ServiceError as exc:
                        errors.show(getattr(exc, "field", None), exc.message)
                        return
                    errors.clear()
                    title.value = due.value = ""
                    await self.changed()

                ui.button("Add", icon="add", on_click=add).props("unelevated no-caps").mark("milestone-add")
        form.visible = False

        def open_form() -> None:
            form.set_visibility(True)
            opener.delete()

        opener = ui.button("Add milestone", icon="add", on_click=open_form).props("flat no-caps")

    async def _edit(self, milestone: MilestoneView) -> None:
        with self.anchor, ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
            ui.label("Edit milestone").classes("text-lg font-semibold")
            title = ui.input("Title", value=milestone.title).props("outlined maxlength=200").classes("w-full")
            due = date_input("Due date", self.formats.input_day(milestone.due_date), mask=self.formats.date_mask)
            done = ui.checkbox("Done", value=milestone.done)
            errors = FieldErrors(title=title, due_date=due)

            async def save() -> None:
                try:
                    day = self.formats.read_day(due.value, "due_date", "Due date")
                    data = MilestoneInput(title.value or "", day, bool(done.value))
                    await milestones.update_milestone(self.actor, milestone.id, data)
                except ServiceError as exc:
                    errors.show(getattr(exc, "field", None), exc.message)
                    return
                dialog.submit(True)

            dialog_actions(dialog, "Save milestone", save)
        await self._settle(dialog)

    async def _delete(self, milestone: MilestoneView) -> None:
        with self.anchor:
            confirmed = await confirm(
                f"Delete the milestone “{milestone.title}”?", "The client will no longer see it.", "Delete"
            )
        if confirmed:
            await self._run(milestones.delete_milestone(self.actor, milestone.id))
