"""Calendar feeds (SPEC §17): the ICS a calendar app polls, `/calendar/{token}.ics`, and the portal's
"Add to calendar" links, which lead a signed-in contact to their own feed's URL.

Plain FastAPI routes: calendar apps fetch the feed without a browser, and often. The feed's token is its only
credential; every refusal (malformed, unknown, revoked, a contact who may not use the portal now) is the same
plain 404, so nothing tells the cases apart. The portal links make the contact's feed when first followed (the
project page itself reads nothing for them) and send the browser on to it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from portal_app.file_responses import content_disposition
from portal_app.responses import NO_TRACE
from portal_app.routes.file_downloads import not_found, portal_actor
from services.core.actors import PortalActor
from services.core.errors import NotFound
from services.projects import calendar_feeds

router = APIRouter(include_in_schema=False)

# Calendar apps poll; a few minutes' staleness is fine, and only the subscriber may keep a copy.
FEED_CACHE = "private, max-age=300"


def _no_feed() -> Response:
    return Response("Not found\n", status_code=404, media_type="text/plain; charset=utf-8", headers=NO_TRACE)


@router.get("/calendar/{token}.ics")
async def calendar_feed(token: str) -> Response:
    if not calendar_feeds.well_formed_token(token):
        return _no_feed()
    document = await calendar_feeds.open_feed(token)
    if document is None:
        return _no_feed()
    headers = {
        "Cache-Control": FEED_CACHE,
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex",
        "Content-Disposition": content_disposition(f"{document.name}.ics", inline=True),
    }
    return Response(document.body, media_type="text/calendar; charset=utf-8", headers=headers)


async def _to_feed(request: Request, slug: str, project_id: str | None) -> Response:
    actor = await portal_actor(request, slug)
    if not isinstance(actor, PortalActor):
        return actor
    try:
        link = await calendar_feeds.feed_link(actor, project_id)
    except NotFound:
        return not_found()
    return RedirectResponse(link.url, status_code=303, headers=NO_TRACE)


@router.get("/portal/{slug}/projects/{project_id}/calendar")
async def project_calendar(request: Request, slug: str, project_id: str) -> Response:
    return await _to_feed(request, slug, project_id)


@router.get("/portal/{slug}/calendar")
async def all_projects_calendar(request: Request, slug: str) -> Response:
    return await _to_feed(request, slug, None)
