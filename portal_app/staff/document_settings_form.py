"""The Documents card of the settings page (SPEC §17): for each kind of generated document, whether Portico
makes it and the wording it uses. Empty fields use Portico's own wording, shown as the placeholder.

Everyone on the team sees the settings; owners and admins change them (the service says so too).
"""

from __future__ import annotations

from nicegui import ui

from components.forms import FieldErrors
from models.documents import DocumentKind
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.documents import wording
from services.documents.wording import OwnWording

HINT = "You may write {project}, {client} and {organization}; they are filled in for each project."


def documents_form(actor: StaffActor, wordings: list[OwnWording]) -> None:
    editable = actor.is_admin
    with ui.card().classes("w-full").props("flat bordered").mark("documents-settings-card"):
        ui.label("Documents").classes("text-lg font-semibold")
        ui.label(
            "Portico writes a welcome packet when a project starts, a progress report when a milestone is done and "
            "a certificate when a project is completed, shares each with the client and tells them. "
            "Preview them on any project's page. " + HINT
        ).classes("text-sm text-gray-600")
        if not editable:
            ui.label("Only owners and admins can change these settings.").classes("text-sm text-gray-600")
        for saved in wordings:
            _kind_form(actor, saved, editable)


def _kind_form(actor: StaffActor, saved: OwnWording, editable: bool) -> None:
    default = wording.DEFAULTS[saved.kind]
    label = wording.LABELS[saved.kind]
    with ui.expansion(label, icon="description").classes("w-full").mark(f"documents-{saved.kind.value}"):
        enabled = ui.switch(f"Make the {label.lower()}", value=saved.enabled).mark("document-enabled")
        title = ui.input("Title", value=saved.title, placeholder=default.title)
        title.props("outlined").classes("w-full")
        intro = ui.textarea("Opening paragraph", value=saved.intro, placeholder=default.intro)
        intro.props("outlined autogrow").classes("w-full")
        closing = ui.textarea("Closing paragraph", value=saved.closing, placeholder=default.closing)
        closing.props("outlined autogrow").classes("w-full")
        errors = FieldErrors(title=title, intro=intro, closing=closing)

        async def save(kind: DocumentKind = saved.kind) -> None:
            try:
                result = await wording.save_wording(
                    actor,
                    kind,
                    enabled=bool(enabled.value),
                    title=title.value or "",
                    intro=intro.value or "",
                    closing=closing.value or "",
                )
            except ServiceError as exc:
                errors.show(getattr(exc, "field", None), exc.message)
                return
            errors.clear()
            ui.notify(f"Saved: {label}" + ("" if result.enabled else " (not made)"), type="positive")

        button = ui.button("Save", on_click=save).props("unelevated no-caps").mark("document-save")
        if not editable:
            for control in (enabled, title, intro, closing, button):
                control.disable()
