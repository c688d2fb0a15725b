"""/portal/{slug}/hours.csv: the Hours page's CSV, exactly `services.time.hours.hours_csv` for its range and
project, for the signed-in contact of this portal (the check every portal page makes).

Signed out: to the portal's login page, as the pages do. Another organization's session is not a session here.
The CSV holds the contact's own client's approved hours only, whatever project id is asked for: the service
reads through the portal actor. A bad date answers 400 with what is wrong, never a 500.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from portal_app.file_responses import content_disposition
from portal_app.responses import NO_TRACE
from portal_app.routes.file_downloads import portal_actor
from services.core.errors import Invalid, NotFound
from services.time import hours

router = APIRouter(include_in_schema=False)


def _day(value: str, field: str, label: str) -> date | None:
    """A date as the page's link writes it (ISO 8601); empty: the service's default (this month)."""
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"“{label}” must be a date like 2026-03-31.", field) from None


def _refused(message: str, status: int) -> PlainTextResponse:
    return PlainTextResponse(message, status_code=status, headers={**NO_TRACE, "Cache-Control": "private, no-store"})


@router.get("/portal/{slug}/hours.csv")
async def portal_hours_csv(
    request: Request, slug: str, date_from: str = "", date_to: str = "", project: str = ""
) -> Response:
    actor = await portal_actor(request, slug)  # the same check as the portal's pages and downloads
    if isinstance(actor, Response):
        return actor
    try:
        start, end = hours.check_range(_day(date_from, "date_from", "From"), _day(date_to, "date_to", "To"))
        text = await hours.hours_csv(actor, date_from=start, date_to=end, project_id=project.strip() or None)
    except Invalid as exc:
        return _refused(" ".join(p.message for p in exc.problems), 400)
    except NotFound:  # a malformed project id: no project of this client by that name
        return _refused("Project not found.", 404)
    headers = {
        **NO_TRACE,
        "Cache-Control": "private, no-store",
        "Content-Disposition": content_disposition(f"hours-{start.isoformat()}-{end.isoformat()}.csv"),
    }
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
