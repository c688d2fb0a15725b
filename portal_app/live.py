"""Pages that follow changes: redraw an open page when something it shows changes, here or in another session.

`follow` subscribes the current page to one type of after-commit event (services/core/events.py), filters with
the page's rule, runs the redraw in the page's context (coalesced: a burst of events costs at most two
redraws), and unsubscribes when the page goes. The rules of who may hear what are written once, below.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from nicegui import background_tasks, ui

from services.core import events
from services.core.actors import PortalActor, StaffActor

Event = TypeVar("Event")


class Coalesced:
    """Runs `action` now, or once more after the run in progress: a burst of events costs at most two redraws."""

    def __init__(self, action: Callable[[], Awaitable[None]]) -> None:
        self.action = action
        self.running = False
        self.again = False

    async def __call__(self) -> None:
        if self.running:
            self.again = True
            return
        self.running = True
        try:
            while True:
                self.again = False
                await self.action()
                if not self.again:
                    break
        finally:
            self.running = False


def follow(event_type: type[Event], concerns: Callable[[Event], bool], redraw: Callable[[], Awaitable[None]]) -> None:
    """In the page being built: call `redraw` for each published `event_type` that `concerns` it."""
    client = ui.context.client
    run = redraw if isinstance(redraw, Coalesced) else Coalesced(redraw)

    def on_event(item: object) -> None:
        if isinstance(item, event_type) and not client.is_deleted and concerns(item):
            background_tasks.create(run(), name=f"follow {client.page.path}", context=client)

    client.on_delete(events.subscribe(on_event))


Heard = events.ProjectActivity | events.InvoicePaymentChanged | events.FilesChanged | events.QuotesChanged


def staff_hears(actor: StaffActor, event: Heard) -> bool:
    """Staff hear everything of their own organization, internal activity included; nothing of another."""
    return event.org_id == actor.org_id


def portal_hears(actor: PortalActor, event: Heard) -> bool:
    """The portal's rule: the same organization, the same client, and never internal activity."""
    internal = isinstance(event, events.ProjectActivity | events.FilesChanged) and event.internal
    return (event.org_id, event.client_id) == (actor.org_id, actor.client_id) and not internal


def inbox_hears(actor: StaffActor, event: events.InboxChanged) -> bool:
    """New items concern every staff user of the organization; what one user has read concerns that user only."""
    return event.org_id == actor.org_id and event.user_id in (None, actor.user_id)
