"""Form helpers: show a service's validation message on the field it names."""

from __future__ import annotations

from nicegui import ui
from nicegui.element import Element


class FieldErrors:
    """Maps field names to inputs; `show(field, message)` marks the field, or notifies when no field matches."""

    def __init__(self, **fields: Element) -> None:
        self.fields = fields

    def clear(self) -> None:
        for field in self.fields.values():
            field.props.pop("error", None)
            field.props.pop("error-message", None)
            field.update()

    def show(self, field: str | None, message: str) -> None:
        self.clear()
        target = self.fields.get(field or "")
        if target is None:
            ui.notify(message, type="negative")
            return
        target.props["error"] = True
        target.props["error-message"] = message
        target.update()
