"""Downloads, previews and approval certificates, for signed-in staff and for a client's signed-in contacts.

Each route makes the pages' own check: the staff session (as every staff page), or the portal session for this
organization's slug (as every portal page), then the service call through that actor. What the actor may not see
answers the same plain 404 whether it does not exist, is another client's or organization's, or is not shared.
The URLs are built by portal_app.file_links.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal_app import file_responses
from portal_app.auth.portal import base_path, current_portal
from portal_app.auth.staff import current_staff, login_redirect
from portal_app.responses import NO_TRACE, html_document, render_certificate
from services.adapters.storage import Corrupt
from services.core.actors import PortalActor, StaffActor
from services.core.errors import NotFound, Unavailable
from services.files import files
from services.organizations import organizations

router = APIRouter(include_in_schema=False)


def not_found() -> HTMLResponse:
    """One page for every file or certificate the visitor may not have: nothing tells the cases apart."""
    return html_document(
        "Not found",
        "<h1>Not found</h1><p class='muted'>This file is not available. The link may be wrong, "
        "or it is no longer shared with you.</p>",
        404,
    )


def store_down() -> HTMLResponse:
    response = html_document(
        "Try again in a moment", f"<h1>Try again in a moment</h1><p>{file_responses.STORE_DOWN}</p>", 503
    )
    response.headers["Retry-After"] = "30"
    return response


def damaged() -> HTMLResponse:
    """A stored file that fails its integrity check (logged with its key): said plainly, none of its bytes sent."""
    return html_document("File damaged", f"<h1>File damaged</h1><p>{file_responses.DAMAGED}</p>", 500)


def portal_off() -> HTMLResponse:
    return html_document(
        "Portal unavailable", "<h1>Portal unavailable</h1><p>The client portal is currently unavailable.</p>", 403
    )


async def portal_actor(request: Request, slug: str) -> PortalActor | Response:
    """The signed-in contact of this portal, or what to answer instead (as the portal's pages do)."""
    org = await organizations.portal_by_slug(slug)
    if org is None:
        return not_found()
    resolved = await current_portal(request, org)
    if resolved is None:
        return RedirectResponse(f"{base_path(org.slug)}/login", status_code=303)
    if not org.portal_enabled:
        return portal_off()
    return resolved.actor


async def _file(actor: StaffActor | PortalActor, file_id: str, inline: str) -> Response:
    try:
        download = await files.open_download(actor, file_id)
        return await file_responses.send(download, inline_requested=inline == "1")
    except NotFound:
        return not_found()
    except Unavailable:
        return store_down()
    except Corrupt:
        return damaged()


async def _certificate(actor: StaffActor | PortalActor, deliverable_id: str) -> Response:
    # reportlab comes with the certificate module: imported when one is asked for, not at start-up
    from services.files import certificate

    try:
        data = await certificate.certificate_data(actor, deliverable_id)
    except NotFound:
        return not_found()
    document = await render_certificate(data)
    headers = {
        **NO_TRACE,
        "Cache-Control": "private, no-store",
        "Content-Disposition": file_responses.content_disposition(certificate.file_name(data)),
    }
    return Response(document, media_type="application/pdf", headers=headers)


@router.get("/files/{file_id}")
async def staff_file(request: Request, file_id: str, inline: str = "") -> Response:
    context = await current_staff(request)
    if context is None:
        return login_redirect(request)
    return await _file(context.actor, file_id, inline)


@router.get("/portal/{slug}/files/{file_id}")
async def portal_file(request: Request, slug: str, file_id: str, inline: str = "") -> Response:
    actor = await portal_actor(request, slug)
    if not isinstance(actor, PortalActor):
        return actor
    return await _file(actor, file_id, inline)


@router.get("/deliverables/{deliverable_id}/certificate.pdf")
async def staff_certificate(request: Request, deliverable_id: str) -> Response:
    context = await current_staff(request)
    if context is None:
        return login_redirect(request)
    return await _certificate(context.actor, deliverable_id)


@router.get("/portal/{slug}/deliverables/{deliverable_id}/certificate.pdf")
async def portal_certificate(request: Request, slug: str, deliverable_id: str) -> Response:
    actor = await portal_actor(request, slug)
    if not isinstance(actor, PortalActor):
        return actor
    return await _certificate(actor, deliverable_id)
