"""A count with its label, for the home page."""

from __future__ import annotations

from nicegui import ui


def stat_card(label: str, value: int | str, *, icon: str, href: str | None = None) -> None:
    with ui.card().classes("min-w-[12rem] flex-1").props("flat bordered"):
        with ui.row().classes("items-center gap-3 no-wrap"):
            ui.icon(icon, size="md").classes("text-primary")
            with ui.column().classes("gap-0"):
                ui.label(str(value)).classes("text-2xl font-semibold")
                if href:
                    ui.link(label, href).classes("text-sm text-gray-600")
                else:
                    ui.label(label).classes("text-sm text-gray-600")
