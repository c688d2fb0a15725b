"""Keep an open staff page current: redraw it when someone changes what it shows, here or in another session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import background_tasks, ui

from services.core import events
from services.core.actors import StaffActor


def follow_projects(
    actor: StaffActor, concerns: Callable[[events.ProjectActivity], bool], redraw: Callable[[], Awaitable[None]]
) -> None:
    """Call `redraw` (in this page's context) for activity in the actor's organization that `concerns` the page.

    Staff see internal activity too, so it is not filtered out here; other organizations' activity always is.
    """
    client = ui.context.client

    def on_event(item: object) -> None:
        if (
            isinstance(item, events.ProjectActivity)
            and item.org_id == actor.org_id
            and concerns(item)
            and not client.is_deleted
        ):
            background_tasks.create(redraw(), name=f"redraw {client.page.path}", context=client)

    unsubscribe = events.subscribe(on_event)
    client.on_delete(unsubscribe)
