"""The staff inbox: what clients sent (requests, feedback, comments, replies), newest first, unread per user.

Opening an item marks it read for the signed-in user only and goes to its project, with the request open when
the item is about one. The list follows the inbox live: new items, and reads made in this user's other tabs.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from fastapi.responses import RedirectResponse
from nicegui import ui

from portal_app.live import Coalesced, follow, inbox_hears
from portal_app.staff.layout import StaffPage, frame, staff_page
from services.core.common import Page
from services.core.errors import NotFound
from services.core.events import InboxChanged
from services.core.formatting import Formats
from services.projects import inbox
from services.projects.inbox import InboxItemView

PAGE_SIZE = 25  # items a page shows; "Older" and "Newer" move a page at a time


def target_of(item: InboxItemView) -> str:
    """Where an opened item leads: its project page, with the request's dialog open when it is about one."""
    path = f"/projects/{item.project_id}"
    return f"{path}?request_id={item.request_id}" if item.request_id else path


def item_row(item: InboxItemView, formats: Formats, on_open: Callable[[uuid.UUID], Awaitable[None]]) -> None:
    weight = "font-normal text-gray-600" if item.read else "font-semibold"
    with (
        ui.item(on_click=lambda: on_open(item.id))
        .props("clickable")
        .classes("w-full rounded border border-gray-200 " + ("bg-white" if item.read else "bg-indigo-50"))
        .mark(f"inbox-{item.id}")
    ):
        with ui.item_section().props("avatar"):
            ui.icon("circle" if not item.read else "radio_button_unchecked", size="xs").classes(
                "text-primary" if not item.read else "text-gray-300"
            ).props(f"aria-label={'Unread' if not item.read else 'Read'}")
        with ui.item_section():
            with ui.row().classes("items-center gap-2 no-wrap"):
                ui.badge(item.kind_label).props("outline")
                ui.label(item.summary).classes(weight + " truncate")
            ui.label(f"{item.author_name} · {item.client_name} · {item.project_name}").classes("text-sm text-gray-500")
        with ui.item_section().props("side"):
            ui.label(formats.moment(item.created_at)).classes("text-xs text-gray-500")


@staff_page("/inbox")
async def inbox_page(context: StaffPage) -> RedirectResponse | None:
    actor, formats = context.actor, context.org.formats
    offset = 0
    page: Page[InboxItemView] = await inbox.list_items(actor, limit=PAGE_SIZE)

    async def reload() -> None:
        nonlocal page, offset
        page = await inbox.list_items(actor, unread_only=bool(unread_only.value), limit=PAGE_SIZE, offset=offset)
        if not page.items and offset:  # the page ran past the end: show the last one
            offset = max((page.total - 1) // PAGE_SIZE * PAGE_SIZE, 0)
            page = await inbox.list_items(actor, unread_only=bool(unread_only.value), limit=PAGE_SIZE, offset=offset)
        items.refresh()

    redraw = Coalesced(reload)

    async def move(to: int) -> None:
        nonlocal offset
        offset = max(to, 0)
        await redraw()

    async def filtered() -> None:
        await move(0)

    async def open_item(item_id: uuid.UUID) -> None:
        try:
            item = await inbox.open_item(actor, item_id)
        except NotFound:
            ui.notify("That item is no longer there.", type="warning")
            await redraw()
            return
        ui.navigate.to(target_of(item))

    async def mark_all() -> None:
        marked = await inbox.mark_all_read(actor)
        ui.notify(f"Marked {marked} item{'s' if marked != 1 else ''} read.", type="positive")
        await redraw()

    @ui.refreshable
    def items() -> None:
        if not page.items:
            with ui.column().classes("items-center w-full py-12 gap-2").mark("inbox-empty"):
                ui.icon("inbox", size="xl").classes("text-gray-400")
                ui.label("Nothing unread." if unread_only.value else "Nothing in the inbox yet.").classes("text-lg")
                ui.label("New client requests, feedback, comments and replies show up here.").classes(
                    "text-sm text-gray-500"
                )
            return
        with ui.list().classes("w-full gap-2").mark("inbox-items"):
            for item in page.items:
                item_row(item, formats, open_item)
        with ui.row().classes("w-full items-center justify-end gap-3"):
            last = min(offset + len(page.items), page.total)
            ui.label(f"{offset + 1}–{last} of {page.total}").classes("text-sm text-gray-500")
            newer = ui.button("Newer", icon="chevron_left", on_click=lambda: move(offset - PAGE_SIZE))
            newer.props("flat dense no-caps").set_enabled(offset > 0)
            older = ui.button("Older", icon="chevron_right", on_click=lambda: move(offset + PAGE_SIZE))
            older.props("flat dense no-caps").set_enabled(last < page.total)

    with frame(context, "Inbox"):
        with ui.row().classes("w-full items-center gap-3"):
            unread_only = ui.switch("Unread only", on_change=filtered)
            ui.space()
            ui.button("Mark all read", icon="done_all", on_click=mark_all).props("flat no-caps").mark("mark-all-read")
        items()
    follow(InboxChanged, lambda event: inbox_hears(actor, event), redraw)
    return None
