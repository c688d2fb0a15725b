"""How far a project is: a bar with "NN% done" beside it, for project cards and the project page."""

from __future__ import annotations

from nicegui import ui


def progress_bar(percent: int, detail: str = "") -> None:
    """`detail` says where the figure comes from (e.g. "2 of 5 milestones done")."""
    percent = max(0, min(100, int(percent)))
    with ui.column().classes("w-full gap-1").mark("progress"):
        bar = ui.linear_progress(value=percent / 100, show_value=False, size="8px").props("rounded")
        bar.props["aria-label"] = f"{percent}% done"  # the bar alone says nothing to a screen reader
        with ui.row().classes("w-full items-baseline justify-between gap-2"):
            ui.label(f"{percent}% done").classes("text-sm font-medium")
            if detail:
                ui.label(detail).classes("text-xs text-gray-500")
