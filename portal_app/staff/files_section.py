"""The Files card on the staff client and project pages: upload (drag and drop, several at once, shared with the
client or not), the paginated list, share / unshare, rename, delete; redrawn live when anyone changes the files.

The client page lists the client's files of every project; the project page lists the project's. The bytes
stream from the upload straight into `files.upload`, which judges them on their content and says why it refuses.
"""

from __future__ import annotations

import uuid
from typing import Any

from nicegui import events as ui_events
from nicegui import ui

from components.confirm import confirm
from components.file_list import FileTable
from components.forms import FieldErrors, dialog_actions
from portal_app import file_links
from portal_app.live import follow, staff_hears
from services.adapters.file_types import FILE_KINDS
from services.core import events
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.core.formatting import Formats
from services.files import files, upload_settings
from services.files.files import FileView
from services.files.uploads import MEGABYTE

SHARED_TIPS = {
    "client": "Uploaded by the client: they always see it.",
    True: "The client sees this file. Switch off to hide it from them.",
    False: "Only your team sees this file. Switch on to show it to the client.",
}


def file_row(view: FileView, formats: Formats) -> dict[str, Any]:
    """A file as the table shows it: view data only, links made here."""
    return {
        "id": str(view.id),
        "name": view.name,
        "href": file_links.staff_file(view.id),
        "project": view.project_name,
        "project_href": f"/projects/{view.project_id}" if view.project_id else "",
        "size": formats.size(view.size),
        "type": view.content_type,
        "uploader": view.uploader_name or "—",
        "by_client": view.by_client,
        "generated": view.kind in files.DOCUMENT_KINDS,
        "date": formats.moment(view.created_at),
        "shared": view.shared,
        "shared_tip": SHARED_TIPS["client" if view.by_client else view.shared],
    }


def limits_hint(settings: upload_settings.UploadSettings) -> str:
    kinds = ", ".join(FILE_KINDS[k][0] for k in settings.kinds)
    return f"Up to {settings.limit_mb} MB per file. Accepted: {kinds}. Files are checked on their content."


class FilesSection:
    """Files of a client (`project_id` None) or of one of its projects."""

    def __init__(
        self, actor: StaffActor, formats: Formats, *, client_id: uuid.UUID, project_id: uuid.UUID | None = None
    ) -> None:
        self.actor, self.formats = actor, formats
        self.client_id, self.project_id = client_id, project_id
        self.names: dict[str, str] = {}  # row id -> name, as last listed: for the dialogs' wording
        self.table: FileTable

    async def draw(self) -> None:
        """The card, its first page of files, and the live redraw; call once, in the page being built."""
        settings = await upload_settings.get_upload_settings(self.actor)
        with ui.card().classes("w-full gap-3").props("flat bordered").mark("files-card"):
            ui.label("Files").classes("text-lg font-semibold")
            # Dialogs hang off this stable element, outside anything a redraw replaces.
            self.anchor = ui.element("div").classes("hidden")
            with ui.row().classes("w-full items-center gap-4"):
                self.share = ui.checkbox("Share with client", value=False).mark("share-upload")
                self.share.tooltip("Files you upload now are shown to the client's contacts in the portal")
                ui.label(limits_hint(settings)).classes("text-sm text-gray-600 flex-1").mark("upload-limits")
            upload = ui.upload(
                label="Drop files here or click to choose",
                multiple=True,
                auto_upload=True,
                max_file_size=settings.limit_mb * MEGABYTE,
                on_upload=self._uploaded,
                on_rejected=lambda: ui.notify(
                    f"Larger than the {settings.limit_mb} MB limit: not uploaded.", type="negative"
                ),
            )
            upload.props("flat bordered").classes("w-full").mark("files-upload")
            self.table = FileTable(
                self._fetch,
                on_share=self._share,
                on_rename=self._rename,
                on_delete=self._delete,
                show_project=self.project_id is None,
            )
            self.table.table.mark("files-table")
        await self.table.load()
        follow(events.FilesChanged, self._concerns, self.table.load)

    def _concerns(self, event: events.FilesChanged) -> bool:
        if not staff_hears(self.actor, event):
            return False
        if self.project_id is not None:
            return event.project_id == self.project_id
        return event.client_id == self.client_id

    async def _fetch(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        if self.project_id is not None:
            page = await files.list_files(self.actor, project_id=self.project_id, limit=limit, offset=offset)
        else:
            page = await files.list_files(self.actor, client_id=self.client_id, limit=limit, offset=offset)
        self.names = {str(view.id): view.name for view in page.items}
        return [file_row(view, self.formats) for view in page.items], page.total

    async def _uploaded(self, event: ui_events.UploadEventArguments) -> None:
        """One file of a drop: streamed into storage, refused with the reason, or listed."""
        name = event.file.name
        where: dict[str, uuid.UUID] = (
            {"project_id": self.project_id} if self.project_id is not None else {"client_id": self.client_id}
        )
        try:
            view = await files.upload(self.actor, name, event.file.iterate(), shared=bool(self.share.value), **where)
        except ServiceError as exc:
            ui.notify(f"{name or 'The file'} was not uploaded: {exc.message}", type="negative", multi_line=True)
            return
        ui.notify(f"Uploaded {view.name}" + (", shared with the client" if view.shared else ""), type="positive")
        await self.table.load()

    async def _run(self, action: Any, done: str) -> None:
        """Await a service call: a refusal is shown, success said; either way the list shows what is true now."""
        try:
            await action
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
        else:
            ui.notify(done, type="positive")
        await self.table.load()

    async def _share(self, file_id: str, shared: bool) -> None:
        name = self.names.get(file_id, "The file")
        done = f"{name} is shared with the client" if shared else f"{name} is no longer shared with the client"
        await self._run(files.set_shared(self.actor, file_id, shared), done)

    async def _rename(self, file_id: str) -> None:
        with self.anchor, ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
            ui.label("Rename file").classes("text-lg font-semibold")
            name = ui.input("File name", value=self.names.get(file_id, "")).props("outlined autofocus maxlength=255")
            name.classes("w-full").mark("file-name")
            errors = FieldErrors(name=name)

            async def save() -> None:
                try:
                    view = await files.rename(self.actor, file_id, name.value or "")
                except ServiceError as exc:
                    errors.show(getattr(exc, "field", None), exc.message)
                    return
                dialog.submit(view.name)

            dialog_actions(dialog, "Rename", save).mark("save-file-name")
        renamed = await dialog
        if not dialog.is_deleted:
            dialog.delete()
        if renamed:
            ui.notify(f"Renamed to {renamed}", type="positive")
            await self.table.load()

    async def _delete(self, file_id: str) -> None:
        name = self.names.get(file_id, "this file")
        with self.anchor:
            confirmed = await confirm(
                f"Delete “{name}”?", "The file is removed for good, for your team and for the client.", "Delete"
            )
        if confirmed:
            await self._run(files.delete(self.actor, file_id), f"Deleted {name}")
