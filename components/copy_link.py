"""A link shown read-only with a copy button."""

from __future__ import annotations

from nicegui import ui


def copy_link(label: str, url: str) -> ui.input:
    field = ui.input(label, value=url).props("readonly outlined dense").classes("w-full")
    with field.add_slot("append"):
        ui.button(icon="content_copy", on_click=lambda: _copy(field.value)).props(
            "flat round dense aria-label='Copy'"
        ).tooltip("Copy")
    return field


def _copy(value: str) -> None:
    ui.clipboard.write(value)
    ui.notify("Copied", type="positive")
