"""The one-click opt-out link that every notification digest carries: `/portal/{slug}/notifications/off?c=&t=`.

A plain route, not a NiceGUI page: mail scanners open links, so the GET only shows a button and changes
nothing; the POST (from that button, or a mail client's RFC 8058 one-click POST with the body
`List-Unsubscribe=One-Click`) turns the contact's mail off. The signed token is the credential, so no
sign-in and no CSRF token are needed: a forged POST cannot know it.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal_app.auth.requests import client_ip
from portal_app.responses import html_document
from services.organizations import organizations
from services.organizations.organizations import OrganizationView
from services.projects import notifications

router = APIRouter(include_in_schema=False)

PATH = "/portal/{slug}/notifications/off"
INVALID = "This link is not valid."
DONE = "You will no longer get these emails."
AGAIN = "You can switch them on again on any of your project pages in the client portal."


def _e(value: str) -> str:
    return html.escape(value, quote=True)


def _page(org: OrganizationView | None, heading: str, body: str, status_code: int = 200) -> HTMLResponse:
    title = f"Email notifications · {org.name}" if org else "Email notifications"
    return html_document(title, f"<h1>{_e(heading)}</h1>{body}", status_code)


def _invalid(org: OrganizationView | None, status_code: int = 400) -> HTMLResponse:
    notice = f'<p class="notice bad" role="alert">{INVALID}</p>'
    return _page(org, "Email notifications", f"{notice}<p class='muted'>{AGAIN}</p>", status_code)


@router.get(PATH)
async def opt_out_page(slug: str, c: str = "", t: str = "") -> HTMLResponse:
    org = await organizations.find_by_slug(slug)
    if org is None:
        return _invalid(None, 404)
    if notifications.signed_contact(c, t) is None:
        return _invalid(org)
    action = f"/portal/{org.slug}/notifications/off?{urlencode({'c': c, 't': t})}"
    body = (
        f"<p>Stop the emails about your projects with {_e(org.name)}: new updates and replies to your requests.</p>"
        f'<div class="actions"><form method="post" action="{_e(action)}">'
        '<button class="button" type="submit">Stop these emails</button></form></div>'
        f'<p class="muted" style="margin-top:1rem">{AGAIN}</p>'
    )
    return _page(org, "Email notifications", body)


@router.post(PATH)
async def opt_out(request: Request, slug: str, c: str = "", t: str = "") -> HTMLResponse:
    # The body (our form's, or "List-Unsubscribe=One-Click") carries nothing we need: the link's query is the proof.
    org = await organizations.find_by_slug(slug)
    if org is None:
        return _invalid(None, 404)
    if not await notifications.opt_out(org.id, c, t, ip=client_ip(request)):
        return _invalid(org)
    body = f'<p class="notice good" role="status">{DONE}</p><p class="muted" style="margin-top:1rem">{AGAIN}</p>'
    return _page(org, "Email notifications", body)
