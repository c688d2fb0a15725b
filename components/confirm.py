"""One way to ask before a change that takes something away: a dialog with the question, what it does, Cancel and
a red button that names the action."""

from __future__ import annotations

from nicegui import ui


async def confirm(question: str, consequence: str, action: str, *, destructive: bool = True) -> bool:
    """True when the person pressed `action`; False for Cancel, Escape or a click outside. The action button is red
    for what removes or ends something, the accent colour for a commitment such as an approval."""
    with ui.dialog() as dialog, ui.card().classes("max-w-md"):
        ui.label(question).classes("text-lg font-semibold break-words")
        ui.label(consequence).classes("text-sm text-gray-600")
        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=lambda: dialog.submit(False)).props("flat").mark("cancel")
            ui.button(action, on_click=lambda: dialog.submit(True)).props(
                "color=negative" if destructive else "color=primary"
            ).mark("confirm")
    answer = await dialog
    dialog.delete()
    return bool(answer)
