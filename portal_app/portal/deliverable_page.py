"""/portal/{slug}/deliverables/{id}: a deliverable sent for review — its latest version previewed, earlier
versions readable, and while it waits for the client "Approve" or "Request changes".

A decision names the version this page shows, so nobody approves a version they have not seen: if a newer one
arrived meanwhile the service refuses, the page says so and shows the newer one. Approval records the browser's
User-Agent from the request that opened the page (the IP comes with the contact's session). A draft, another
client's deliverable or a made-up id all answer the same "not found": the page never tells them apart.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.events import ClickEventArguments

from components.confirm import confirm
from components.forms import FieldErrors, pressed
from models.files import Decision, DeliverableStatus
from portal_app.auth.requests import user_agent
from portal_app.file_links import portal_certificate, portal_file
from portal_app.live import Coalesced, follow, portal_hears
from portal_app.portal.attachments import type_label
from portal_app.portal.layout import PortalPage, empty_state, frame, portal_page
from services.core.errors import Conflict, NotFound, ServiceError
from services.core.events import ProjectActivity
from services.files import deliverables
from services.files.deliverables import DecisionView, DeliverableView, VersionView

EARLIER_SHOWN = 50  # earlier versions listed; a deliverable has a handful, the page stays bounded all the same
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/webm")


def not_found(page: PortalPage) -> None:
    with frame(page, "Deliverable", "/projects"):
        ui.context.client.status_code = 404
        empty_state("search_off", "Deliverable not found", "It may have been removed, or the link is wrong.")


def preview(slug: str, version: VersionView) -> None:
    """The version shown in the page when the portal may show it inline (images, PDF, video); else a download.
    Uploaded HTML and SVG are never inline (file_types.INLINE leaves them out)."""
    source = portal_file(slug, version.file_id, inline=True)
    with ui.element("div").classes("w-full rounded border border-gray-200 bg-gray-50 p-2").mark("preview"):
        if version.content_type in IMAGE_TYPES:
            image = ui.element("img").classes("max-w-full max-h-[70vh] mx-auto block object-contain")
            image.props["src"], image.props["alt"] = source, f"Version {version.number}: {version.file_name}"
        elif version.content_type == "application/pdf":
            frame_ = ui.element("iframe").classes("w-full h-[70vh] border-0")
            frame_.props["src"], frame_.props["title"] = source, f"Version {version.number}: {version.file_name}"
        elif version.content_type in VIDEO_TYPES:
            video = ui.element("video").classes("w-full max-h-[70vh]")
            video.props["src"], video.props["controls"], video.props["preload"] = source, True, "metadata"
        else:
            with ui.column().classes("w-full items-center py-8 gap-2"):
                ui.icon("description", size="xl").classes("text-gray-400")
                ui.label(f"No preview for a {type_label(version.content_type)} file: download it to look.").classes(
                    "text-sm text-gray-600"
                )
                ui.link(version.file_name, portal_file(slug, version.file_id)).classes("break-all")


class DeliverablePanel:
    """Everything under the title, drawn from one `DeliverableView`; `show` swaps in a fresh one."""

    def __init__(self, page: PortalPage, view: DeliverableView, agent: str) -> None:
        self.page, self.view, self.agent = page, view, agent
        self.comment_text = ""  # what is typed in "Comment" survives a live redraw
        self.asking = False  # "Request changes" pressed: the comment box is open

    def show(self, view: DeliverableView) -> None:
        if view != self.view:
            self.view = view
            self.draw.refresh()

    async def reload(self) -> None:
        try:
            fresh = await deliverables.get_deliverable(self.page.actor, self.view.id)
        except NotFound:  # removed meanwhile: the page says so the way a fresh load would
            ui.navigate.reload()
            return
        self.show(fresh)

    @ui.refreshable_method
    def draw(self) -> None:
        view, fmt, slug = self.view, self.page.org.formats, self.page.org.slug
        latest = view.latest
        with ui.row().classes("w-full items-center gap-3"):
            ui.label(f"Version {view.version}").classes("text-lg font-medium").mark("version")
            ui.badge(view.status_label).props("outline").mark("deliverable-status")
            ui.link(view.project_name, self.page.href(f"/projects/{view.project_id}")).classes("text-sm")
        if latest is not None:
            preview(slug, latest)
            ui.link(
                f"Download {latest.file_name} ({fmt.size(latest.size)})", portal_file(slug, latest.file_id)
            ).classes("break-all").mark("download")
        self._decision(view)
        self._history(view)

    def _decision(self, view: DeliverableView) -> None:
        with ui.card().classes("w-full gap-2").props("flat bordered").mark("decision"):
            if view.awaiting_decision:
                self._ask(view)
            elif view.status == DeliverableStatus.approved:
                self._approved(view)
            elif view.status == DeliverableStatus.changes_requested:
                self._changes_requested(view)

    def _ask(self, view: DeliverableView) -> None:
        ui.label(f"Please review version {view.version}.").classes("text-lg font-semibold")
        ui.label("Approve it if it is ready, or tell the team what should change.").classes("text-sm text-gray-600")
        with ui.row().classes("gap-2"):
            ui.button("Approve", icon="check", on_click=self._approve).props("unelevated no-caps").mark("approve")
            ui.button("Request changes", icon="edit", on_click=self._open_comment).props("outline no-caps").mark(
                "request-changes"
            )
        with ui.column().classes("w-full gap-2") as box:
            comment = ui.textarea("Comment", value=self.comment_text).props("outlined autogrow").classes("w-full")
            comment.mark("comment")
            comment.on_value_change(lambda e: setattr(self, "comment_text", e.value or ""))
            errors = FieldErrors(comment=comment)

            async def send(event: ClickEventArguments) -> None:
                async with pressed(event):
                    await self._decide(Decision.changes_requested, comment.value or "", errors)

            with ui.row().classes("w-full justify-end"):
                ui.button("Send", icon="send", on_click=send).props("unelevated no-caps").mark("send")
        box.set_visibility(self.asking)

    def _open_comment(self) -> None:
        self.asking = True
        self.draw.refresh()

    async def _approve(self, event: ClickEventArguments) -> None:
        view = self.view
        sure = await confirm(
            f"Approve version {view.version} of “{view.title}”?",
            "Your approval is recorded with your name, the time and this exact file, and the deliverable is "
            "then final: no further versions.",
            "Approve",
            destructive=False,
        )
        if sure:
            async with pressed(event):
                await self._decide(Decision.approved, "", None)

    async def _decide(self, decision: Decision, comment: str, errors: FieldErrors | None) -> None:
        try:
            fresh = await deliverables.decide(
                self.page.actor,
                self.view.id,
                decision,
                version=self.view.version,  # the version this page shows, never "whatever is latest"
                comment=comment,
                user_agent=self.agent,
            )
        except Conflict as exc:  # a newer version, or someone else decided meanwhile: show what is there now
            ui.notify(exc.message, type="warning", multi_line=True)
            await self.reload()
            return
        except NotFound:
            ui.navigate.reload()
            return
        except ServiceError as exc:
            if errors is not None:
                errors.show(getattr(exc, "field", None) or "comment", exc.message)
            else:
                ui.notify(exc.message, type="negative")
            return
        self.comment_text, self.asking = "", False
        ui.notify("Approved. Thank you!" if decision == Decision.approved else "Sent to the team", type="positive")
        self.view = fresh
        self.draw.refresh()

    def _approved(self, view: DeliverableView) -> None:
        approval = view.approval
        with ui.row().classes("items-center gap-2"):
            ui.icon("verified", color="positive", size="md")
            ui.label("Approved").classes("text-lg font-semibold text-positive").mark("approved")
        if approval is not None:
            ui.label(
                f"Version {approval.version_number} ({approval.file_name}) approved by "
                f"{approval.contact_name or approval.contact_email} on {self.page.org.formats.moment(approval.decided_at)}."
            ).classes("text-sm break-words").mark("approved-by")
            ui.label(f"SHA-256 {approval.sha256}").classes("text-xs text-gray-500 break-all font-mono")
        ui.link("Approval certificate", portal_certificate(self.page.org.slug, view.id)).mark("certificate")

    def _changes_requested(self, view: DeliverableView) -> None:
        ui.label("Changes requested").classes("text-lg font-semibold").mark("changes-requested")
        asked = next((d for d in view.decisions if d.decision == Decision.changes_requested), None)
        if asked is not None:
            _decision_line(asked, self.page.org.formats.moment(asked.decided_at))
        ui.label("The team is working on a new version; you will get an email when it is ready.").classes(
            "text-sm text-gray-600"
        )

    def _history(self, view: DeliverableView) -> None:
        earlier = view.versions[1 : 1 + EARLIER_SHOWN]
        if earlier:
            with ui.card().classes("w-full gap-1").props("flat bordered").mark("earlier-versions"):
                ui.label("Earlier versions").classes("text-lg font-semibold")
                fmt = self.page.org.formats
                for version in earlier:
                    with ui.row().classes("w-full items-baseline gap-2"):
                        ui.link(
                            f"Version {version.number}: {version.file_name}",
                            portal_file(self.page.org.slug, version.file_id),
                        ).classes("break-all")
                        sent = version.sent_at or version.created_at
                        ui.label(f"{fmt.size(version.size)} · sent {fmt.day(sent)}").classes("text-xs text-gray-500")
        decisions = [d for d in view.decisions if d.decision == Decision.changes_requested]
        if view.status == DeliverableStatus.changes_requested:
            decisions = decisions[1:]  # the latest is shown above, with the status
        if decisions:
            with ui.card().classes("w-full gap-2").props("flat bordered").mark("feedback-history"):
                ui.label("Your earlier feedback").classes("text-lg font-semibold")
                for decision in decisions[:EARLIER_SHOWN]:
                    _decision_line(decision, self.page.org.formats.moment(decision.decided_at))


def _decision_line(decision: DecisionView, when: str) -> None:
    with ui.column().classes("w-full gap-0"):
        ui.label(
            f"On version {decision.version_number}, {decision.contact_name or decision.contact_email} · {when}"
        ).classes("text-xs text-gray-600")
        ui.label(decision.comment).classes("whitespace-pre-line break-words text-sm").mark("decision-comment")


@portal_page("/portal/{slug}/deliverables/{deliverable_id}")
async def portal_deliverable(page: PortalPage, request: Request, deliverable_id: str) -> RedirectResponse | None:
    try:
        view = await deliverables.get_deliverable(page.actor, deliverable_id)
    except NotFound:  # a draft, another client's or no such id: one answer for all
        not_found(page)
        return None
    panel = DeliverablePanel(page, view, user_agent(request))
    with frame(page, view.title, "/projects"):
        ui.link(f"← {view.project_name}", page.href(f"/projects/{view.project_id}")).classes("text-sm")
        panel.draw()
    # A new version, a decision from another session, a rename: redrawn; internal (draft) activity never is.
    follow(
        ProjectActivity,
        lambda event: portal_hears(page.actor, event) and event.project_id == view.project_id,
        Coalesced(panel.reload),
    )
    return None
