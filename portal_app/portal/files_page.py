"""/portal/{slug}/files: the files the agency shares with this client and those its contacts upload, newest
first, a page at a time, for all projects or one; redrawn when one of them is added, shared, renamed or removed.

The list comes through the contact's portal actor, which never returns an unshared file or another client's.
A page is four statements however many files and projects the client has (the session, the projects for the
filter, the files and their count).
"""

from __future__ import annotations

import math
import uuid

from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.events import ValueChangeEventArguments

from portal_app.live import Coalesced, follow, portal_hears
from portal_app.portal.attachments import file_line
from portal_app.portal.layout import PortalPage, empty_state, frame, portal_page
from services.core.common import MAX_PAGE_SIZE, Page
from services.core.events import FilesChanged
from services.files import files
from services.files.files import FileView
from services.projects import projects

FILES_PAGE = 25  # files per page: the page holds a bounded number of elements whatever the client has
ALL = ""  # the filter's value for every project


def _project_key(value: str | None, known: set[uuid.UUID]) -> uuid.UUID | None:
    """The project the address asks for, if it is one of this client's; anything else shows all projects."""
    try:
        key = uuid.UUID(value or "")
    except ValueError:
        return None
    return key if key in known else None


class FilesList:
    """One page of files for the chosen project (None: all); `reload` reads it again (the filter, the pager, a
    live change)."""

    def __init__(self, page: PortalPage, project_id: uuid.UUID | None) -> None:
        self.page, self.project_id = page, project_id
        self.offset = 0
        self.listing: Page[FileView] = Page([], 0, FILES_PAGE, 0)
        self.redraw = Coalesced(self.reload)

    async def load(self) -> None:
        self.listing = await files.list_files(
            self.page.actor, project_id=self.project_id, limit=FILES_PAGE, offset=self.offset
        )
        if not self.listing.items and self.listing.total and self.offset:
            # files went away meanwhile and this page is past the end: show the last page there is
            self.offset = (math.ceil(self.listing.total / FILES_PAGE) - 1) * FILES_PAGE
            self.listing = await files.list_files(
                self.page.actor, project_id=self.project_id, limit=FILES_PAGE, offset=self.offset
            )

    async def reload(self) -> None:
        await self.load()
        self.draw.refresh()

    async def choose_project(self, event: ValueChangeEventArguments) -> None:
        self.project_id = uuid.UUID(event.value) if event.value else None
        self.offset = 0
        await self.redraw()

    async def go_to(self, number: int) -> None:
        self.offset = (max(number, 1) - 1) * FILES_PAGE
        await self.redraw()

    @ui.refreshable_method
    def draw(self) -> None:
        listing, page = self.listing, self.page
        if not listing.items:
            title = "No files on this project yet" if self.project_id else "No files yet"
            empty_state(
                "folder_open",
                title,
                "Files we share with you, and files you upload on a project page, will be listed here.",
            )
            return
        with ui.card().classes("w-full gap-0").props("flat bordered").mark("files"):
            for file in listing.items:
                file_line(page.org.slug, page.actor, file, page.org.formats, page.org.name)
        pages = math.ceil(listing.total / FILES_PAGE)
        first = self.offset + 1
        with ui.row().classes("w-full items-center justify-between"):
            ui.label(f"{first}–{self.offset + len(listing.items)} of {listing.total}").classes(
                "text-sm text-gray-600"
            ).mark("files-range")
            if pages > 1:
                ui.pagination(
                    1,
                    pages,
                    direction_links=True,
                    value=self.offset // FILES_PAGE + 1,
                    on_change=lambda e: self.go_to(int(e.value)),
                ).props("max-pages=7 boundary-numbers").mark("files-pages")


@portal_page("/portal/{slug}/files")
async def portal_files(page: PortalPage, project: str = "") -> RedirectResponse | None:
    # One page of up to MAX_PAGE_SIZE projects for the filter: a client has tens, and the list stays bounded.
    choices = await projects.list_projects(page.actor, limit=MAX_PAGE_SIZE)
    shown = FilesList(page, _project_key(project, {p.id for p in choices.items}))
    await shown.load()
    with frame(page, "Files", "/files"):
        ui.label("Files we share with you, and those your team uploads, newest first.").classes("text-gray-700")
        if choices.items:
            options = {ALL: "All projects", **{str(p.id): p.name for p in choices.items}}
            value = str(shown.project_id) if shown.project_id else ALL
            ui.select(options, value=value, label="Project", on_change=shown.choose_project).props(
                "outlined dense"
            ).classes("w-full max-w-xs").mark("files-project")
        shown.draw()
    # A file shared, uploaded, renamed or removed for this client, here or elsewhere; never an unshared one.
    follow(FilesChanged, lambda event: portal_hears(page.actor, event), shown.redraw)
    return None
