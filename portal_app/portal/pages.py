"""The portal's screens: Home, Projects (list and one project) and Files; the logo its shell shows.

Invoices live in `portal_app.portal.invoices`.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from nicegui import APIRouter, ui

from portal_app.portal.layout import PortalPage, empty_state, frame, guard, portal_off
from portal_app.portal.login import unknown_portal
from portal_app.staff.project_detail import STATUS_LABELS
from services import branding, organizations, projects
from services.errors import NotFound

router = APIRouter()

# Served as images only: an SVG or HTML "logo" could carry script.
LOGO_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


async def open_page(request: Request, slug: str) -> PortalPage | RedirectResponse | None:
    """The page's context, or what to answer instead (login redirect; unknown portal or portal off, drawn: None)."""
    page = await guard(request, slug)
    if page is None:
        unknown_portal()
    elif isinstance(page, PortalPage) and not page.org.portal_enabled:
        portal_off(page)  # before the page asks for any data
        return None
    return page


def project_card(page: PortalPage, project: projects.ProjectView) -> None:
    with ui.link(target=page.href(f"/projects/{project.id}")).classes("no-underline text-inherit w-full"):
        with ui.card().classes("w-full hover:shadow-md").props("flat bordered"):
            with ui.row().classes("w-full items-center justify-between"):
                ui.label(project.name).classes("text-lg font-medium")
                ui.badge(STATUS_LABELS[project.status]).props("outline")
            details = [x for x in (project.phase, f"Due {project.due_date:%d %b %Y}" if project.due_date else "") if x]
            if details:
                ui.label(" · ".join(details)).classes("text-sm text-gray-600")


@router.page("/portal/{slug}/")
async def portal_home(request: Request, slug: str) -> RedirectResponse | None:
    page = await open_page(request, slug)
    if not isinstance(page, PortalPage):
        return page
    listing = await projects.list_projects(page.actor, limit=6)
    with frame(page, "Home", "/"):
        ui.label(page.org.welcome_message or f"Welcome to the {page.org.name} client portal.").classes(
            "text-gray-700 whitespace-pre-line"
        )
        with ui.row().classes("w-full items-center justify-between"):
            ui.label("Your projects").classes("text-lg font-semibold")
            if listing.total:
                ui.link(f"All {listing.total} projects", page.href("/projects")).classes("text-sm")
        if not listing.items:
            empty_state("work_outline", "No projects yet", "When work starts for you, it shows up here.")
        for project in listing.items:
            project_card(page, project)
    return None


@router.page("/portal/{slug}/projects")
async def portal_projects(request: Request, slug: str) -> RedirectResponse | None:
    page = await open_page(request, slug)
    if not isinstance(page, PortalPage):
        return page
    listing = await projects.list_projects(page.actor, limit=200)
    with frame(page, "Projects", "/projects"):
        if not listing.items:
            empty_state("work_outline", "No projects yet", "When work starts for you, it shows up here.")
        for project in listing.items:
            project_card(page, project)
    return None


@router.page("/portal/{slug}/projects/{project_id}")
async def portal_project(request: Request, slug: str, project_id: str) -> RedirectResponse | None:
    page = await open_page(request, slug)
    if not isinstance(page, PortalPage):
        return page
    try:
        project = await projects.get_project(page.actor, project_id)
    except NotFound:
        with frame(page, "Project", "/projects"):
            ui.context.client.status_code = 404
            empty_state("search_off", "Project not found", "It may have been removed, or the link is wrong.")
        return None
    with frame(page, project.name, "/projects"):
        ui.link("← All projects", page.href("/projects")).classes("text-sm")
        with ui.card().classes("w-full").props("flat bordered"):
            with ui.grid(columns=2).classes("gap-x-8 gap-y-1 text-sm"):
                for label, value in (
                    ("Status", STATUS_LABELS[project.status]),
                    ("Phase", project.phase),
                    ("Started", f"{project.start_date:%d %b %Y}" if project.start_date else ""),
                    ("Due", f"{project.due_date:%d %b %Y}" if project.due_date else ""),
                ):
                    ui.label(label).classes("text-gray-500")
                    ui.label(value or "—")
            if project.description:
                ui.label(project.description).classes("whitespace-pre-line mt-2")
    return None


@router.page("/portal/{slug}/files")
async def portal_files(request: Request, slug: str) -> RedirectResponse | None:
    page = await open_page(request, slug)
    if not isinstance(page, PortalPage):
        return page
    with frame(page, "Files", "/files"):
        empty_state("folder_open", "No files", "Files we share with you will be listed here.")
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
