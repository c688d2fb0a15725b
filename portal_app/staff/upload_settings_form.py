"""The Uploads card of the settings page: the largest file the organization accepts and the kinds of file.

Everyone on the team sees what is accepted; only owners and admins change it (the service says so too).
"""

from __future__ import annotations

from nicegui import ui

from components.forms import FieldErrors
from services.adapters.file_types import FILE_KINDS
from services.core.actors import StaffActor
from services.core.errors import Invalid, ServiceError
from services.files import upload_settings
from services.files.uploads import MAX_LIMIT_MB


def uploads_form(actor: StaffActor, settings: upload_settings.UploadSettings) -> None:
    editable = actor.is_admin
    with ui.card().classes("w-full").props("flat bordered").mark("uploads-card"):
        ui.label("Uploads").classes("text-lg font-semibold")
        ui.label(
            "What staff and clients may upload. Files are judged on their content, not their name; "
            "web pages and SVG are never accepted as a kind of their own and are only ever downloaded."
        ).classes("text-sm text-gray-600")
        if not editable:
            ui.label("Only owners and admins can change these settings.").classes("text-sm text-gray-600")
        limit = ui.number("Largest file (MB)", value=settings.limit_mb, min=1, max=MAX_LIMIT_MB, step=1, precision=0)
        limit.props(f'outlined hint="From 1 to {MAX_LIMIT_MB} MB per file"').classes("w-56").mark("upload-limit")
        ui.label("Accepted kinds of file").classes("font-medium mt-2")
        boxes = {
            key: ui.checkbox(label, value=key in settings.kinds).mark(f"kind-{key}")
            for key, (label, _) in FILE_KINDS.items()
        }
        # The kinds are one field to the service: its message shows under the boxes.
        kinds_error = ui.label().classes("text-sm text-negative").mark("kinds-error")
        kinds_error.set_visibility(False)
        errors = FieldErrors(upload_limit_mb=limit)

        async def save() -> None:
            chosen = [key for key, box in boxes.items() if box.value]
            kinds_error.set_visibility(False)
            try:
                saved = await upload_settings.update_upload_settings(
                    actor, limit.value if limit.value is not None else "", chosen
                )
            except Invalid as exc:
                shown = [(p.field, p.message) for p in exc.problems if p.field != "allowed_file_kinds"]
                for problem in exc.problems:
                    if problem.field == "allowed_file_kinds":
                        kinds_error.text = problem.message
                        kinds_error.set_visibility(True)
                errors.show_all(shown)
                return
            except ServiceError as exc:  # Forbidden for a member, should the page be older than their role
                ui.notify(exc.message, type="negative")
                return
            errors.clear()
            limit.value = saved.limit_mb
            for key, box in boxes.items():
                box.value = key in saved.kinds
            ui.notify("Upload settings saved", type="positive")

        save_button = ui.button("Save upload settings", on_click=save).mark("save-uploads")
        if not editable:
            for field in (limit, *boxes.values(), save_button):
                field.disable()
