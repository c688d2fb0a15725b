"""A contact's calendar feeds on the client page (SPEC §17): which ICS URLs they have, and a way to end each.

Shown even while the contact's portal access is off: their feeds answer nothing then, but come back with access,
so this is where staff end one for good.
"""

from __future__ import annotations

from nicegui import ui
from nicegui.events import ValueChangeEventArguments

from components.confirm import confirm
from services.clients.contacts import ContactView
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.core.formatting import Formats
from services.projects import calendar_feeds
from services.projects.calendar_feeds import FeedRow


def calendar_feeds_panel(actor: StaffActor, contact: ContactView, formats: Formats) -> None:
    """Loaded when opened (one query per click, not one per contact on every page load)."""

    @ui.refreshable
    async def feed_list() -> None:
        rows = await calendar_feeds.list_contact_feeds(actor, contact.id)
        if not rows:
            ui.label("No calendar links.").classes("text-sm text-gray-500")
        for row in rows:
            with ui.row().classes("w-full items-center gap-4 text-sm").mark(f"calendar-feed-{row.id}"):
                ui.label(row.project_name).classes("flex-1 truncate")
                ui.label(f"Created {formats.moment(row.created_at)}").classes("w-52")
                fetched = (
                    f"Last fetched {formats.moment(row.last_fetched_at)}" if row.last_fetched_at else "Never fetched"
                )
                ui.label(fetched).classes("w-52 text-gray-600")
                ui.button("Revoke", on_click=lambda r=row: revoke(r)).props("flat dense color=negative").mark(
                    f"revoke-calendar-feed-{row.id}"
                )

    async def revoke(row: FeedRow) -> None:
        if not await confirm(
            f"Revoke {contact.name}'s calendar link for {row.project_name}?",
            "Calendars subscribed to it stop updating at once. They can make a new link in the portal.",
            "Revoke",
        ):
            return
        try:
            await calendar_feeds.revoke_feed(actor, row.id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
        else:
            ui.notify("Calendar link revoked; it no longer works.", type="positive")
        await feed_list.refresh()

    loaded = False

    async def opened(event: ValueChangeEventArguments) -> None:
        nonlocal loaded
        if event.value and not loaded:
            loaded = True
            with body:
                await feed_list()

    with ui.expansion("Calendar links", icon="event", on_value_change=opened).classes("w-full text-sm").props("dense"):
        body = ui.column().classes("w-full gap-1").mark(f"calendar-feeds-{contact.id}")
