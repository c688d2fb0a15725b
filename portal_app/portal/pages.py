"""The portal's screens: Home and the Projects list; the logo its shell shows.

One project's page lives in `portal_app.portal.project_page`, invoices in `portal_app.portal.invoices`, files
in `portal_app.portal.files_page`, a deliverable in `portal_app.portal.deliverable_page`.
"""

from __future__ import annotations

import uuid

from fastapi.responses import RedirectResponse, Response
from nicegui import APIRouter, ui

from components.progress import progress_bar
from portal_app.portal import home_sections
from portal_app.portal.calendar_links import calendar_card
from portal_app.portal.layout import PortalPage, empty_state, frame, portal_page
from services.billing import client_overview
from services.core.common import Page
from services.organizations import branding, organizations
from services.projects import milestones, projects
from services.projects.projects import STATUS_LABELS

router = APIRouter()

# Served as images only: an SVG or HTML "logo" could carry script.
LOGO_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def project_card(page: PortalPage, project: projects.ProjectView, summary: milestones.Summary | None) -> None:
    with ui.link(target=page.href(f"/projects/{project.id}")).classes("no-underline text-inherit w-full"):
        with ui.card().classes("w-full gap-2 hover:shadow-md").props("flat bordered").mark(f"project-{project.id}"):
            with ui.row().classes("w-full items-center justify-between"):
                ui.label(project.name).classes("text-lg font-medium")
                ui.badge(STATUS_LABELS[project.status]).props("outline")
            if summary is not None:
                progress_bar(summary.progress.percent)
            deadline = summary.next_deadline if summary else None
            details = [project.phase, f"Next deadline: {page.org.formats.day(deadline)}" if deadline else ""]
            if any(details):
                ui.label(" · ".join(x for x in details if x)).classes("text-sm text-gray-600")


async def summaries_of(page: PortalPage, listing: Page[projects.ProjectView]) -> dict[uuid.UUID, milestones.Summary]:
    """Percent done and next deadline for the whole page of projects at once (no query per card)."""
    return await milestones.summaries(page.actor, [p.id for p in listing.items])


PROJECTS_PAGE = 24  # project cards per page of the Projects list


@portal_page("/portal/{slug}/")
async def portal_home(page: PortalPage) -> RedirectResponse | None:
    overview = await client_overview.overview(page.actor)
    listing = await projects.list_projects(page.actor, limit=6)
    summaries = await summaries_of(page, listing)
    with frame(page, "Home", "/"):
        ui.label(page.org.welcome_message or f"Welcome to the {page.org.name} client portal.").classes(
            "text-gray-700 whitespace-pre-line"
        )
        if overview.any_invoices:
            home_sections.balance_card(page, overview)
        home_sections.awaiting_review(page, overview)
        home_sections.open_requests(page, overview)
        home_sections.recent_updates(page, overview)
        home_sections.recent_files(page, overview)
        with ui.row().classes("w-full items-center justify-between"):
            ui.label("Your projects").classes("text-lg font-semibold")
            if listing.total:
                ui.link(f"All {listing.total} projects", page.href("/projects")).classes("text-sm")
        if not listing.items:
            ui.label("No projects yet: when work starts for you, it shows up here.").classes("text-gray-600")
        for project in listing.items:
            project_card(page, project, summaries.get(project.id))
    return None


@portal_page("/portal/{slug}/projects")
async def portal_projects(page: PortalPage) -> RedirectResponse | None:
    first = await projects.list_projects(page.actor, limit=PROJECTS_PAGE)
    first_summaries = await summaries_of(page, first)
    with frame(page, "Projects", "/projects"):
        if not first.items:
            empty_state("work_outline", "No projects yet", "When work starts for you, it shows up here.")
        cards = ui.column().classes("w-full gap-4")
        with cards:
            for project in first.items:
                project_card(page, project, first_summaries.get(project.id))
        loaded = len(first.items)

        async def more() -> None:
            """The next page of projects, below those shown (newest first, so earlier pages stay in place)."""
            nonlocal loaded
            listing = await projects.list_projects(page.actor, limit=PROJECTS_PAGE, offset=loaded)
            summaries = await summaries_of(page, listing)
            with cards:
                for project in listing.items:
                    project_card(page, project, summaries.get(project.id))
            loaded += len(listing.items)
            if loaded >= listing.total:
                more_button.delete()

        if first.total > loaded:
            more_button = ui.button("Show more projects", on_click=more).props("flat no-caps").mark("more-projects")
        if first.items:
            calendar_card(page)
    return None


@router.get("/portal/{slug}/logo")
async def portal_logo(slug: str) -> Response:
    """The organization's logo for the portal header (and its login page): public, like the slug."""
    org = await organizations.find_by_slug(slug)
    logo = await branding.org_logo(org.id) if org and org.has_logo else None
    if logo is None or logo.content_type not in LOGO_TYPES:
        return Response("Not found", status_code=404, media_type="text/plain")
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "public, max-age=86400",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return Response(logo.content, media_type=logo.content_type, headers=headers)
