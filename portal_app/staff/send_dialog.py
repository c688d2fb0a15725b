"""The send dialog of invoices and quotes: who will receive the mail, confirmed before any mail leaves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from nicegui import ui

from services.core.errors import ServiceError


class Numbered(Protocol):
    @property
    def number(self) -> str: ...
    @property
    def status(self) -> str: ...


Doc = TypeVar("Doc", bound=Numbered)


def send_dialog(
    current: Callable[[], Doc],
    *,
    recipients: Callable[[Doc], Awaitable[list[str]]],
    send: Callable[[Doc], Awaitable[Doc]],
    refresh: Callable[[Doc], Awaitable[None]],
    goes: str,
    warning: Callable[[Doc], str] = lambda _: "",
    warning_marker: str = "send-warning",
) -> Callable[[], Awaitable[None]]:
    """The dialog for the document `current()` returns; the function it returns opens it. `goes` says what the
    mail holds ("The invoice, its link and its PDF go to:"); `warning` anything staff should know first."""
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        title = ui.label().classes("text-lg font-semibold")
        to = ui.column().classes("gap-1")

        async def confirmed() -> None:
            confirm.disable()  # one click, one mail per recipient
            try:
                done = await send(current())
            except ServiceError as exc:
                ui.notify(exc.message, type="negative")
                return
            finally:
                confirm.enable()
            dialog.close()
            ui.notify(f"Sent {done.number}", type="positive")
            await refresh(done)

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            confirm = ui.button("Send", icon="send", on_click=confirmed).mark("confirm-send")

    async def open_dialog() -> None:
        document = current()
        emails = await recipients(document)
        title.text = f"{'Send' if document.status == 'draft' else 'Resend'} {document.number}"
        to.clear()
        with to:
            if emails:
                ui.label(goes).classes("text-sm text-gray-600")
                for email in emails:
                    ui.label(email).classes("font-medium")
                caution = warning(document)
                if caution:
                    ui.label(caution).classes("text-sm text-warning").mark(warning_marker)
            else:
                ui.label("This client has no billing contact and no email. Add one first.").classes("text-negative")
        confirm.set_enabled(bool(emails))
        dialog.open()

    return open_dialog
