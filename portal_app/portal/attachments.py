"""Files on portal pages: a file's line (a download link, its type, size, date and who shared it), attachment
links under a request or a comment, the project page's "Upload" control, and the picker that holds files chosen
in a form until what they belong to (a new request, a reply) exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.elements.upload_files import FileUpload
from nicegui.events import MultiUploadEventArguments

from portal_app.file_links import portal_file
from services.core.actors import PortalActor
from services.core.errors import ServiceError
from services.core.formatting import Formats
from services.files import files
from services.files.files import FileView

MAX_ATTACHMENTS = 10  # files one request or reply carries at most; more is a Files-page job

# What a contact reads instead of a MIME type; anything else shows its subtype ("ZIP", "MSWORD").
TYPE_LABELS = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "video/mp4": "MP4 video",
    "video/webm": "WebM video",
    "video/quicktime": "QuickTime video",
    "text/plain": "Text",
    "application/zip": "ZIP archive",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint presentation",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation",
    "application/octet-stream": "File",
}


def type_label(content_type: str) -> str:
    return TYPE_LABELS.get(content_type) or content_type.rpartition("/")[2].upper() or "File"


def uploader(actor: PortalActor, file: FileView, agency: str) -> str:
    """Who shared it, as the contact reads it: "You", a colleague's name, or the agency."""
    if file.uploader_contact_id == actor.contact_id:
        return "You"
    if file.by_client:
        return file.uploader_name or "Your team"
    return agency


def file_line(slug: str, actor: PortalActor, file: FileView, formats: Formats, agency: str) -> None:
    """One file in a list: its name (a download), then what it is and where it comes from."""
    with ui.row().classes("w-full items-center gap-3 no-wrap py-1").mark(f"file-{file.id}"):
        ui.icon("description" if not file.previewable else "image", size="sm").classes("text-gray-500")
        with ui.column().classes("gap-0 flex-1 min-w-0"):
            ui.link(file.name, portal_file(slug, file.id)).classes("break-all font-medium")
            details = [
                type_label(file.content_type),
                formats.size(file.size),
                file.project_name,
                formats.day(file.created_at),
                f"by {uploader(actor, file, agency)}",
            ]
            ui.label(" · ".join(d for d in details if d)).classes("text-xs text-gray-600")


def attachment_links(slug: str, attached: list[FileView], formats: Formats) -> None:
    """Downloads under a request or a reply: a paper clip, the name, the size."""
    if not attached:
        return
    with ui.column().classes("gap-0"):
        for file in attached:
            with ui.row().classes("items-center gap-1 no-wrap").mark(f"attachment-{file.id}"):
                ui.icon("attach_file", size="xs").classes("text-gray-500")
                ui.link(file.name, portal_file(slug, file.id)).classes("text-sm break-all")
                ui.label(formats.size(file.size)).classes("text-xs text-gray-500")


def project_upload(
    actor: PortalActor, project_id: uuid.UUID, uploaded: Callable[[], Awaitable[None]] | None = None
) -> ui.upload:
    """The project page's "Upload": each file picked streams into the store as the contact's, shared with their
    client and the agency; a refused one says why and leaves nothing behind (files.upload)."""

    async def received(event: MultiUploadEventArguments) -> None:
        # The picker's own list is emptied once the batch is in: this page says what became of each file.
        control.reset()
        stored = 0
        for file in event.files:
            try:
                view = await files.upload(actor, file.name, file.iterate(), project_id=project_id)
            except ServiceError as exc:
                ui.notify(f"{file.name or 'The file'} was not uploaded: {exc.message}", type="negative")
                continue
            stored += 1
            ui.notify(f"Uploaded {view.name}", type="positive")
        if stored and uploaded is not None:
            await uploaded()

    # One request per pick (batch): the whole pick arrives before the list is reset, so no upload is cut off.
    control = ui.upload(label="Upload", multiple=True, auto_upload=True, on_multi_upload=received)
    control.props("flat bordered").classes("w-full").mark("project-upload")
    return control


class PendingAttachments:
    """Files picked in a form before it is sent. NiceGUI holds them (in memory, or spooled to a temporary file
    when large) until `send_to` streams them to what the form created; nothing is stored before that. The picks
    live here, not in the elements, so a live redraw of the form (`draw` again) keeps them."""

    def __init__(self, label: str = "Attach files", marker: str = "attachments-picker") -> None:
        self.label, self.marker = label, marker
        self.picked: list[FileUpload] = []
        self.pickers: list[ui.upload] = []

    def draw(self) -> None:
        picker = ui.upload(label=self.label, multiple=True, auto_upload=True, on_multi_upload=self._picked)
        picker.props("flat bordered").classes("w-full").mark(self.marker)
        self.pickers = [p for p in self.pickers if not p.is_deleted] + [picker]
        self.names()

    def _picked(self, event: MultiUploadEventArguments) -> None:
        room = MAX_ATTACHMENTS - len(self.picked)
        if len(event.files) > room:
            ui.notify(f"At most {MAX_ATTACHMENTS} files at a time.", type="warning")
        self.picked.extend(event.files[: max(room, 0)])
        self._reset_pickers()  # the list below is the one that counts: a file removed there is not sent
        self.names.refresh()

    def _reset_pickers(self) -> None:
        for picker in self.pickers:
            if not picker.is_deleted:
                picker.reset()

    def _drop(self, index: int) -> None:
        if 0 <= index < len(self.picked):
            del self.picked[index]
            self.names.refresh()

    @ui.refreshable_method
    def names(self) -> None:
        for index, file in enumerate(self.picked):
            with ui.row().classes("items-center gap-1 no-wrap").mark(f"{self.marker}-file"):
                ui.icon("attach_file", size="xs").classes("text-gray-500")
                ui.label(file.name or "file").classes("text-sm break-all")
                ui.button(icon="close", on_click=lambda i=index: self._drop(i)).props(
                    f'flat dense round size=sm aria-label="Remove {file.name}"'
                )

    def clear(self) -> None:
        self.picked = []
        self._reset_pickers()
        self.names.refresh()

    async def send_to(
        self, actor: PortalActor, *, request_id: uuid.UUID, comment_id: uuid.UUID | None = None
    ) -> list[str]:
        """Upload every picked file to the request (and comment); what was refused, one line per file."""
        problems = []
        picked, self.picked = self.picked, []
        for file in picked:
            try:
                await files.upload(actor, file.name, file.iterate(), request_id=request_id, comment_id=comment_id)
            except ServiceError as exc:
                problems.append(f"{file.name or 'A file'} was not attached: {exc.message}")
        self.clear()
        return problems

    def notify(self, problems: list[str]) -> None:
        for problem in problems:
            ui.notify(problem, type="negative", multi_line=True)
