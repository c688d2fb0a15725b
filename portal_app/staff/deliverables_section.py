"""Deliverables on the staff project page: create one with its version 1, send it for review, upload new versions,
and read its history (versions, the client's decisions with their evidence, the approval and its certificate).

Each deliverable is drawn from its full view (versions and decisions); a project has tens of them, not
thousands. The page redraws this section on every ProjectActivity of the project, which the deliverable
services publish on each change, so a decision in the portal shows here at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any

from nicegui import events as ui_events
from nicegui import ui

from components.confirm import confirm
from components.forms import FieldErrors, pressed
from models.files import Decision, DeliverableStatus
from portal_app import file_links
from portal_app.live import Coalesced
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.core.formatting import Formats
from services.files import deliverables
from services.files.deliverables import DecisionView, DeliverableView, VersionView
from services.projects import milestones

STATUS_COLORS = {
    DeliverableStatus.draft: "grey-7",
    DeliverableStatus.in_review: "primary",
    DeliverableStatus.changes_requested: "warning",
    DeliverableStatus.approved: "positive",
}
DECISION_LABELS = {Decision.approved: "Approved", Decision.changes_requested: "Changes requested"}
SHORT_HASH = 12


class DeliverablesSection:
    def __init__(self, actor: StaffActor, project_id: uuid.UUID, formats: Formats) -> None:
        self.actor, self.project_id, self.formats = actor, project_id, formats
        # One redraw at a time: two at once would each empty the list, then each fill it (every card twice).
        self._redraw = Coalesced(self._refresh)

    async def draw(self) -> None:
        with ui.card().classes("w-full gap-3").props("flat bordered").mark("deliverables-card"):
            # Dialogs hang off this stable element: one made inside a redrawn card would vanish with it.
            self.anchor = ui.element("div").classes("hidden")
            with ui.row().classes("w-full items-center justify-between"):
                ui.label("Deliverables").classes("text-lg font-semibold")
                ui.button("New deliverable", icon="add", on_click=self._new).props("flat no-caps").mark(
                    "new-deliverable"
                )
            await self.items()

    async def reload(self) -> None:
        await self._redraw()

    async def _refresh(self) -> None:
        await self.items.refresh()

    @ui.refreshable_method
    async def items(self) -> None:
        views = await deliverables.project_deliverables(self.actor, self.project_id)
        if not views:
            ui.label("No deliverables yet. Upload a piece of work for the client to review and approve.").classes(
                "text-sm text-gray-500"
            )
        for view in views:
            self._card(view)

    # --- one deliverable ---------------------------------------------------------------------------------------

    def _card(self, view: DeliverableView) -> None:
        with ui.column().classes("w-full gap-1 border-b border-gray-200 pb-3").mark(f"deliverable-{view.id}"):
            with ui.row().classes("w-full items-center gap-3"):
                ui.label(view.title).classes("font-medium flex-1 min-w-0 break-words")
                ui.badge(view.status_label, color=STATUS_COLORS[view.status]).mark("deliverable-status")
                ui.label(f"Version {view.version}").classes("text-sm text-gray-600").mark("deliverable-version")
            if view.milestone_title:
                ui.label(f"Milestone: {view.milestone_title}").classes("text-sm text-gray-600")
            approval = view.approval
            if approval is not None:
                with ui.row().classes("items-center gap-3 text-sm"):
                    ui.icon("verified", color="positive")
                    ui.label(
                        f"Approved by {approval.contact_name or approval.contact_email} on version "
                        f"{approval.version_number}, {self.formats.moment(approval.decided_at)}"
                    ).mark("approved-by")
                    ui.link("Approval certificate", file_links.staff_certificate(view.id)).mark("certificate")
            self._actions(view)
            with (
                ui.expansion(f"Versions and decisions ({len(view.versions)}, {len(view.decisions)})")
                .classes("w-full text-sm")
                .props("dense")
            ):
                ui.label("Versions").classes("font-semibold")
                for version in view.versions:
                    self._version(version)
                if view.decisions:
                    ui.label("The client's decisions").classes("font-semibold mt-2")
                for decision in view.decisions:
                    self._decision(decision)

    def _actions(self, view: DeliverableView) -> None:
        if view.status == DeliverableStatus.approved:
            return  # locked: the approved version is the record
        with ui.row().classes("items-center gap-2"):
            if view.status == DeliverableStatus.draft:
                ui.button("Send for review", icon="send", on_click=lambda e: self._send(e, view)).props(
                    "unelevated dense no-caps"
                ).mark("send-for-review")
            ui.button("Upload new version", icon="upload", on_click=lambda: self._new_version(view)).props(
                "flat dense no-caps"
            ).mark("new-version")
            ui.button("Delete", icon="delete", on_click=lambda: self._delete(view)).props(
                "flat dense no-caps color=negative"
            ).mark("delete-deliverable")
        if view.status == DeliverableStatus.changes_requested:
            ui.label("The client asked for changes: upload a new version and it goes back to them for review.").classes(
                "text-sm text-warning"
            )

    def _version(self, version: VersionView) -> None:
        with ui.row().classes("w-full items-center gap-3 no-wrap").mark(f"version-{version.number}"):
            ui.label(f"v{version.number}").classes("font-mono w-8")
            ui.link(version.file_name, file_links.staff_file(version.file_id)).classes("min-w-0 break-all")
            ui.label(self.formats.size(version.size)).classes("text-gray-600")
            digest = ui.label(f"SHA-256 {version.sha256[:SHORT_HASH]}…").classes("font-mono text-gray-600")
            digest.tooltip(version.sha256)
            ui.label(f"{version.created_by_name or '—'}, {self.formats.moment(version.created_at)}").classes(
                "text-gray-600"
            )
            ui.space()
            if version.sent_at:
                ui.label(f"Sent {self.formats.moment(version.sent_at)}").classes("text-gray-600")
            else:
                ui.label("Not sent").classes("text-gray-500 italic")

    def _decision(self, decision: DecisionView) -> None:
        with ui.column().classes("w-full gap-0 border-l-2 pl-2").mark(f"decision-{decision.id}"):
            with ui.row().classes("items-center gap-2"):
                ui.label(decision.contact_name or decision.contact_email).classes("font-medium")
                ui.label(f"version {decision.version_number}").classes("text-gray-600")
                color = "positive" if decision.decision == Decision.approved else "warning"
                ui.badge(DECISION_LABELS[decision.decision], color=color).props("outline")
                ui.label(self.formats.moment(decision.decided_at)).classes("text-gray-600")
                where = ui.label(f"IP {decision.ip or 'unknown'}").classes("text-gray-500")
                if decision.user_agent:
                    where.tooltip(decision.user_agent)
            if decision.comment:
                ui.label(decision.comment).classes("whitespace-pre-line break-words")

    # --- actions -----------------------------------------------------------------------------------------------

    async def _run(self, action: Awaitable[Any], done: str) -> bool:
        try:
            await action
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            await self.reload()  # whatever refused it (approved meanwhile, say) is shown
            return False
        ui.notify(done, type="positive")
        await self.reload()
        return True

    async def _send(self, event: ui_events.ClickEventArguments, view: DeliverableView) -> None:
        async with pressed(event):
            await self._run(
                deliverables.send_for_review(self.actor, view.id),
                f"Sent “{view.title}” (version {view.version}) to the client for review",
            )

    async def _delete(self, view: DeliverableView) -> None:
        with self.anchor:
            confirmed = await confirm(
                f"Delete the deliverable “{view.title}”?",
                "Every version is removed, for your team and for the client.",
                "Delete",
            )
        if confirmed:
            await self._run(deliverables.delete(self.actor, view.id), f"Deleted “{view.title}”")

    async def _settle(self, dialog: ui.dialog) -> None:
        """Show `dialog` until it is submitted or dismissed, then drop it; redraw after a submit."""
        done = await dialog
        if not dialog.is_deleted:
            dialog.delete()
        if done:
            ui.notify(str(done), type="positive")
            await self.reload()

    async def _new(self) -> None:
        choices = {"": "No milestone"} | {
            str(m.id): m.title for m in await milestones.list_milestones(self.actor, self.project_id)
        }
        with self.anchor, ui.dialog() as dialog, ui.card().classes("w-full max-w-lg"):
            ui.label("New deliverable").classes("text-lg font-semibold")
            title = ui.input("Title").props("outlined autofocus maxlength=200").classes("w-full")
            title.mark("deliverable-title")
            milestone = ui.select(choices, value="", label="Milestone (ticked when the client approves)")
            milestone.props("outlined").classes("w-full").mark("deliverable-milestone")
            ui.label(
                "Version 1 is a draft: the client sees it once you send it for review. Enter the title, then drop "
                "the file."
            ).classes("text-sm text-gray-600")
            errors = FieldErrors(title=title, milestone_id=milestone)

            async def uploaded(event: ui_events.UploadEventArguments) -> None:
                try:
                    view = await deliverables.create(
                        self.actor,
                        self.project_id,
                        title.value or "",
                        event.file.name,
                        event.file.iterate(),
                        milestone_id=milestone.value or None,
                    )
                except ServiceError as exc:
                    errors.show(getattr(exc, "field", None), exc.message)
                    upload.reset()  # so the same file can be dropped again once fixed
                    return
                dialog.submit(f"Created “{view.title}” (a draft)")

            upload = ui.upload(label="Drop the file here or click to choose", auto_upload=True, on_upload=uploaded)
            upload.props("flat bordered").classes("w-full").mark("deliverable-upload")
            cancel_row(dialog)
        await self._settle(dialog)

    async def _new_version(self, view: DeliverableView) -> None:
        following = view.version + 1
        with self.anchor, ui.dialog() as dialog, ui.card().classes("w-full max-w-lg"):
            ui.label(f"Upload version {following} of “{view.title}”").classes("text-lg font-semibold break-words")
            if view.status == DeliverableStatus.draft:
                note = "It replaces the draft's file as the latest version; nothing is sent until you send it."
            else:
                note = (
                    "The client has seen this deliverable, so they are asked to review it again: version "
                    f"{following} goes to review as soon as it is uploaded. Earlier versions stay readable."
                )
            ui.label(note).classes("text-sm text-gray-600").mark("new-version-note")

            async def uploaded(event: ui_events.UploadEventArguments) -> None:
                try:
                    saved = await deliverables.add_version(self.actor, view.id, event.file.name, event.file.iterate())
                except ServiceError as exc:
                    ui.notify(exc.message, type="negative", multi_line=True)
                    upload.reset()
                    return
                sent = " and sent it for review" if saved.status == DeliverableStatus.in_review else ""
                dialog.submit(f"Uploaded version {saved.version} of “{saved.title}”{sent}")

            upload = ui.upload(label="Drop the file here or click to choose", auto_upload=True, on_upload=uploaded)
            upload.props("flat bordered").classes("w-full").mark("version-upload")
            cancel_row(dialog)
        await self._settle(dialog)


def cancel_row(dialog: ui.dialog) -> None:
    """An upload dialog's only button: the upload itself is the action."""
    with ui.row().classes("w-full justify-end"):
        ui.button("Cancel", on_click=dialog.close).props("flat")
