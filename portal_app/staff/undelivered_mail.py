"""The "Mail that could not be sent" card of the settings page: what Portico gave up on, and why."""

from __future__ import annotations

from nicegui import ui

from services.core.actors import StaffActor
from services.core.formatting import Formats
from services.mail import outbox


async def undelivered_section(actor: StaffActor, formats: Formats) -> None:
    undelivered = await outbox.undelivered_mail(actor)
    with ui.card().classes("w-full").props("flat bordered").mark("undelivered-mail"):
        ui.label("Mail that could not be sent").classes("text-lg font-semibold")
        if not undelivered:
            ui.label("Every mail was delivered or is still being tried.").classes("text-sm text-gray-600")
            return
        ui.label(
            "Portico stopped trying these. Reach the people by other means, or fix the cause and act again."
        ).classes("text-sm text-gray-600")
        for mail in undelivered:
            with ui.column().classes("w-full gap-0 border-b border-gray-200 py-1 text-sm"):
                with ui.row().classes("w-full gap-3"):
                    ui.label(formats.day(mail.queued_at)).classes("text-gray-500")
                    ui.label(mail.to).classes("font-medium")
                    ui.label(mail.subject).classes("flex-1")
                ui.label(mail.reason).classes("text-negative text-xs")
