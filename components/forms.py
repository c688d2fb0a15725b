"""Form helpers: show a service's validation message on the field it names, dialog buttons, one press."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from nicegui import ui
from nicegui.element import Element
from nicegui.events import ClickEventArguments


class FieldErrors:
    """Maps field names to inputs; `show(field, message)` marks the field, or notifies when no field matches.

    A marked field tells assistive technology too (WCAG 3.3.1, 4.1.3): Quasar writes the message in a
    `role="alert"` element, announced as it appears, inside the `<label>` that wraps the input, so the message is
    part of the input's name; the input itself says `aria-invalid="true"` until the field is cleared."""

    def __init__(self, **fields: Element) -> None:
        self.fields = fields

    def clear(self) -> None:
        for field in self.fields.values():
            field.props.pop("error", None)
            field.props.pop("error-message", None)
            field.props.pop("aria-invalid", None)
            field.update()

    def show_all(self, problems: list[tuple[str | None, str]]) -> None:
        """Every message on its field at once; those naming no field here are notified."""
        self.clear()
        for field, message in problems:
            target = self.fields.get(field or "")
            if target is None:
                ui.notify(message, type="negative")
                continue
            target.props["error"] = True
            target.props["error-message"] = message
            target.props["aria-invalid"] = "true"
            target.update()

    def show(self, field: str | None, message: str) -> None:
        self.show_all([(field, message)])


def dialog_actions(dialog: ui.dialog, label: str, on_save: Callable[[], Awaitable[None]]) -> ui.button:
    """The Cancel / save buttons at the foot of a form dialog; returns the save button."""
    with ui.row().classes("w-full justify-end"):
        ui.button("Cancel", on_click=dialog.close).props("flat")
        return ui.button(label, on_click=on_save)


@asynccontextmanager
async def pressed(event: ClickEventArguments) -> AsyncIterator[None]:
    """The pressed button stays disabled while its work runs: one press, one action (one mail, one payment)."""
    button = event.sender
    assert isinstance(button, ui.button)
    button.disable()
    try:
        yield
    finally:
        if not button.is_deleted:
            button.enable()
