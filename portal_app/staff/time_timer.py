"""The Time page's running timer: Start on a project, see it run, Stop to log the minutes it ran.

What is running lives in NiceGUI's per-browser storage (`app.storage.user`), keyed by organization and person, so
the timer survives a reload or a walk through other pages; its start is the app clock's (services.core.clock), so
tests move time the same way the services see it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime

from nicegui import app, ui
from nicegui.events import ClickEventArguments

from components.forms import FieldErrors, pressed
from services.core import clock
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.core.formatting import Formats
from services.time import entries
from services.time.entries import EntryInput

OnLogged = Callable[[date], Awaitable[None]]


def timer_key(actor: StaffActor) -> str:
    # two people may share a browser: each has a timer of their own
    return f"time-timer:{actor.org_id}:{actor.user_id}"


def elapsed_text(seconds: int) -> str:
    """A running clock: "0:04:05", "12:00:00"."""
    seconds = max(seconds, 0)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def minutes_run(seconds: float) -> int:
    """The minutes a stopped timer logs: to the nearest minute, and at least one."""
    return max(1, round(seconds / 60))


class RunningTimer:
    def __init__(self, actor: StaffActor, formats: Formats, choices: dict[str, str], on_logged: OnLogged) -> None:
        self.actor, self.formats, self.choices, self.on_logged = actor, formats, choices, on_logged
        self.key = timer_key(actor)
        self.elapsed: ui.label | None = None

    def running(self) -> dict | None:
        found = app.storage.user.get(self.key)
        return found if isinstance(found, dict) and found.get("started") else None

    def seconds(self, state: dict) -> float:
        return (clock.now() - datetime.fromisoformat(state["started"])).total_seconds()

    def tick(self) -> None:
        """Each second: the running clock moves on (nothing is read from the database)."""
        state = self.running()
        if state and self.elapsed is not None and not self.elapsed.is_deleted:
            self.elapsed.text = elapsed_text(int(self.seconds(state)))

    @ui.refreshable_method
    def draw(self) -> None:
        with ui.card().classes("w-full").props("flat bordered").mark("timer"):
            ui.label("Timer").classes("text-lg font-semibold")
            state = self.running()
            if state:
                self._running(state)
            else:
                self._idle()

    def _running(self, state: dict) -> None:
        with ui.row().classes("w-full items-center gap-4"):
            ui.icon("timer").classes("text-primary")
            with ui.column().classes("gap-0 flex-1 min-w-0"):
                ui.label(state.get("description", "")).classes("font-medium break-words")
                ui.label(state.get("project", "")).classes("text-sm text-gray-500")
            self.elapsed = ui.label(elapsed_text(int(self.seconds(state)))).classes("text-2xl tabular-nums")
            self.elapsed.mark("timer-elapsed")
            ui.button("Stop", icon="stop", on_click=self._stop).props("unelevated").mark("timer-stop")
            ui.button("Discard", on_click=self._discard).props("flat color=negative").mark("timer-discard")

    def _idle(self) -> None:
        self.elapsed = None
        with ui.row().classes("w-full items-start gap-3"):
            project = ui.select(self.choices, label="Project", with_input=True).props("outlined dense")
            project.classes("min-w-[16rem]").mark("timer-project")
            description = ui.input("What are you working on?").props("outlined dense").classes("flex-1")
            description.mark("timer-description")
            errors = FieldErrors(project_id=project, description=description)

            def start() -> None:
                problems: list[tuple[str | None, str]] = []
                if not project.value:
                    problems.append(("project_id", "Choose a project."))
                if not (description.value or "").strip():
                    problems.append(("description", "Say what you are working on."))
                if problems:
                    errors.show_all(problems)
                    return
                app.storage.user[self.key] = {
                    "project_id": project.value,
                    "project": self.choices.get(project.value, ""),
                    "description": description.value.strip(),
                    "started": clock.now().isoformat(),
                }
                self.draw.refresh()

            ui.button("Start", icon="play_arrow", on_click=start).props("unelevated").mark("timer-start")

    async def _stop(self, event: ClickEventArguments) -> None:
        state = self.running()
        if not state:  # stopped in another tab meanwhile
            self.draw.refresh()
            return
        started = datetime.fromisoformat(state["started"])
        data = EntryInput(
            project_id=state["project_id"],
            work_date=self.formats.local(started).date(),  # the day the work began, the organization's day
            hours=f"{minutes_run(self.seconds(state))}m",
            description=state["description"],
        )
        async with pressed(event):
            try:
                view = await entries.log_entry(self.actor, data)
            except ServiceError as exc:  # e.g. more than a day: the timer stays, to be discarded or logged by hand
                ui.notify(exc.message, type="negative")
                return
        app.storage.user.pop(self.key, None)
        ui.notify(f"Logged {view.minutes} min on {view.project_name}", type="positive")
        self.draw.refresh()
        await self.on_logged(view.work_date)

    def _discard(self) -> None:
        app.storage.user.pop(self.key, None)
        ui.notify("Timer discarded", type="warning")
        self.draw.refresh()
