"""Generated documents on the staff project page (SPEC §17): what was made or is owed, a preview of each kind,
sharing, and making one again from the project as it stands.

The section redraws on DocumentsChanged of the project (made, remade, asked for), which the documents job
publishes from whichever process made it.
"""

from __future__ import annotations

import uuid

from nicegui import ui

from components.confirm import confirm
from models.documents import DocumentKind, DocumentStatus
from portal_app import file_links
from portal_app.live import Coalesced, follow
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.core.events import DocumentsChanged
from services.core.formatting import Formats
from services.documents import documents, wording
from services.documents.documents import DocumentView
from services.files import files

STATUS_WORDS = {
    DocumentStatus.pending: ("Being made", "primary"),
    DocumentStatus.working: ("Being made", "primary"),
    DocumentStatus.done: ("Made", "positive"),
    DocumentStatus.failed: ("Failed", "negative"),
    DocumentStatus.skipped: ("Off when due", "grey-7"),
}


def preview_url(project_id: uuid.UUID, kind: DocumentKind, milestone_id: uuid.UUID | None = None) -> str:
    url = f"/projects/{project_id}/documents/{kind.value}/preview.pdf"
    return f"{url}?milestone={milestone_id}" if milestone_id else url


class DocumentsSection:
    def __init__(self, actor: StaffActor, project_id: uuid.UUID, formats: Formats) -> None:
        self.actor, self.project_id, self.formats = actor, project_id, formats
        self._redraw = Coalesced(self._refresh)

    async def draw(self) -> None:
        with ui.card().classes("w-full gap-3").props("flat bordered").mark("documents-card"):
            with ui.row().classes("w-full items-center justify-between"):
                ui.label("Documents").classes("text-lg font-semibold")
                with ui.row().classes("gap-1"):
                    for kind in (DocumentKind.welcome, DocumentKind.completion):
                        ui.link(f"Preview {wording.LABELS[kind].lower()}", preview_url(self.project_id, kind), True)
            ui.label(
                "Portico writes these when the project starts, a milestone is done and the project is completed, "
                "shares them with the client and tells them. Wording: Settings → Documents."
            ).classes("text-sm text-gray-600")
            await self.items()
        follow(
            DocumentsChanged,
            lambda event: event.org_id == self.actor.org_id and event.project_id == self.project_id,
            self._redraw,
        )

    async def reload(self) -> None:
        await self._redraw()

    async def _refresh(self) -> None:
        await self.items.refresh()

    @ui.refreshable_method
    async def items(self) -> None:
        views = await documents.list_documents(self.actor, self.project_id)
        if not views:
            ui.label("No documents yet.").classes("text-sm text-gray-500")
        for view in views:
            self._row(view)

    def _row(self, view: DocumentView) -> None:
        word, colour = STATUS_WORDS[view.status]
        with ui.row().classes("w-full items-center gap-3 border-b border-gray-200 pb-2").mark(f"document-{view.id}"):
            with ui.column().classes("gap-0 flex-1 min-w-0"):
                title = f"{view.label}: {view.about}" if view.about else view.label
                ui.label(title).classes("font-medium break-words")
                when = view.made_at or view.requested_at
                detail = f"{'Made' if view.made_at else 'Asked for'} {self.formats.moment(when)}"
                if view.status == DocumentStatus.failed and view.error:
                    detail += f" · {view.error}"
                if view.file_id and not view.shared:
                    detail += " · not shared with the client"
                ui.label(detail).classes("text-xs text-gray-600 break-words")
            ui.badge(word, color=colour).mark("document-status")
            if view.file_id:
                ui.link("Open", file_links.staff_file(view.file_id, inline=True), new_tab=True).mark("document-open")
                ui.button(
                    "Unshare" if view.shared else "Share", on_click=lambda v=view: self._share(v, not v.shared)
                ).props("flat dense no-caps").mark("document-share")
            ui.link("Preview", preview_url(self.project_id, view.kind, view.milestone_id), new_tab=True)
            ui.button("Regenerate", icon="refresh", on_click=lambda v=view: self._regenerate(v)).props(
                "flat dense no-caps"
            ).mark("document-regenerate")

    async def _share(self, view: DocumentView, shared: bool) -> None:
        assert view.file_id is not None
        try:
            await files.set_shared(self.actor, view.file_id, shared)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return
        ui.notify("Shared with the client" if shared else "No longer shared with the client", type="positive")
        await self.reload()

    async def _regenerate(self, view: DocumentView) -> None:
        told = "The client is not told again." if view.file_id else "The client is told when it is made."
        question = f"Make the {view.label.lower()} again?"
        consequence = f"It is drawn from the project as it is now, into the same file. {told}"
        if not await confirm(question, consequence, "Regenerate", destructive=False):
            return
        try:
            await documents.regenerate(self.actor, self.project_id, view.kind, view.milestone_id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return
        ui.notify(f"The {view.label.lower()} is being made again", type="positive")
        await self.reload()
