"""A date field written the organization's way ("03/15/2026", "15.03.2026"), typed or picked from a calendar.

Fed with the locale's Quasar date mask (`Formats.date_mask`), so it knows nothing of services: the page shows
the value with `Formats.input_day` and reads it back with `Formats.read_day`, which names a bad date on the field.
"""

from __future__ import annotations

import re

from nicegui import ui


def typing_mask(date_mask: str) -> str:
    """The input's typing mask for a date mask: each day, month and year letter is one digit ("DD.MM.YYYY" →
    "##.##.####"), so separators appear by themselves and nothing but digits can be typed."""
    return re.sub(r"[DMY]", "#", date_mask)


def date_filled(value: str | None, mask: str) -> bool:
    """Empty or typed to the end: a filter acts on these, not on every keystroke of a half-typed date."""
    return not value or len(value) >= len(mask)


def date_input(label: str, value: str = "", *, mask: str, clearable: bool = False, dense: bool = False) -> ui.input:
    """A text input with the locale's typing mask and a calendar button; `value` is already written in `mask`."""
    field = ui.input(label, value=value, placeholder=mask).props(f'outlined stack-label mask="{typing_mask(mask)}"')
    if clearable:
        field.props("clearable")
    if dense:
        field.props("dense")
    with field.add_slot("append"):
        icon = ui.icon("event").classes("cursor-pointer").props(f'aria-label="Pick {label.lower()}"')
        # The calendar speaks the same mask, so a picked day lands in the field as if typed; both share one value.
        with ui.menu().props("no-parent-event") as menu:
            ui.date(mask=mask, on_change=menu.close).bind_value(field)
        icon.on("click", menu.open)
    return field
