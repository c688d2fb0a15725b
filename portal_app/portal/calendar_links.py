"""The portal's "Add to calendar" (SPEC §17): a link to the contact's own ICS feed of a project (or of all their
projects), the URL to subscribe to, and a reset that ends the old URL and makes a new one.

Drawing it reads nothing: "Add to calendar" goes through `/portal/{slug}/…/calendar`, which makes the contact's
feed when first followed and sends the browser on to it, and the subscription URL is fetched only when asked
for. So a page view makes no feed, and the page's statement budget (SPEC §9) is untouched.
"""

from __future__ import annotations

import uuid

from nicegui import ui

from components.confirm import confirm
from portal_app.portal.layout import PortalPage
from services.core.errors import ServiceError
from services.projects import calendar_feeds
from services.projects.calendar_feeds import FeedLink


def calendar_card(page: PortalPage, project_id: uuid.UUID | None = None) -> None:
    """For one project, or (None) for all the contact's projects."""
    whose = "this project's" if project_id else "all your projects'"
    path = f"/projects/{project_id}/calendar" if project_id else "/calendar"

    async def reveal() -> None:
        try:
            link = await calendar_feeds.feed_link(page.actor, project_id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return
        show.delete()
        draw(link)

    async def reset() -> None:
        if not await confirm(
            "Reset the calendar link?",
            "The current link stops working at once: calendars subscribed to it stop updating. "
            "You get a new link to subscribe to.",
            "Reset link",
        ):
            return
        try:
            link = await calendar_feeds.reset_link(page.actor, project_id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return
        draw(link)
        ui.notify("Calendar link reset: the old one no longer works.", type="positive")

    def draw(link: FeedLink) -> None:
        details.clear()
        with details:
            ui.input("Calendar URL", value=link.url).props("readonly outlined dense").classes("w-full").mark(
                "calendar-url"
            )
            ui.label("Anyone with this link can see these dates: keep it to yourself.").classes("text-xs text-gray-500")
            with ui.row().classes("w-full items-center gap-3"):
                ui.link("Open in calendar app", link.webcal_url).classes("text-sm").mark("calendar-webcal")
                ui.space()
                ui.button("Reset calendar link", on_click=reset).props("flat dense no-caps color=negative").mark(
                    "calendar-reset"
                )

    with ui.card().classes("w-full gap-2").props("flat bordered").mark("calendar"):
        ui.label("Calendar").classes("text-lg font-semibold")
        ui.label(f"See {whose} milestones and due dates in your own calendar; it stays up to date.").classes(
            "text-sm text-gray-600"
        )
        ui.link("Add to calendar", page.href(path)).classes("text-sm").mark("add-to-calendar")
        details = ui.column().classes("w-full gap-1")
        show = ui.button("Show link to subscribe", on_click=reveal).props("flat dense no-caps").mark("calendar-show")
