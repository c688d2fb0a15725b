"""The unread count beside "Inbox" in the staff navigation, kept live: new items and reads in other tabs."""

from __future__ import annotations

from nicegui import ui

from portal_app.live import follow, inbox_hears
from services.core.actors import StaffActor
from services.core.events import InboxChanged
from services.projects import inbox

INBOX_PATH = "/inbox"


def unread_label(count: int) -> str:
    """The count as the badge shows it: the service stops counting past the cap."""
    return f"{inbox.UNREAD_CAP}+" if count > inbox.UNREAD_CAP else str(count)


def unread_badge(actor: StaffActor, count: int) -> None:
    """In the navigation link being built: the badge, hidden while nothing is unread."""
    badge = ui.badge(unread_label(count), color="red").props("rounded").classes("ml-auto").mark("inbox-unread")
    badge.set_visibility(count > 0)

    async def recount() -> None:
        unread = await inbox.unread_count(actor)
        badge.set_text(unread_label(unread))
        badge.set_visibility(unread > 0)

    follow(InboxChanged, lambda event: inbox_hears(actor, event), recount)
