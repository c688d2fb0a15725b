"""Every page of the app turns a signed-out visitor to its sign-in page: walked from the app's routes, not a list."""

from __future__ import annotations

import re
import uuid

import httpx
from nicegui import core

from portal_app.pages import DECLARED
from tests.support.factories import make_world
from tests.support.routes import get_paths

# What a signed-out visitor may open: the sign-in pages and their cookie routes, links that carry their own
# secret (invoice, quote, sign-in, opt-out, calendar feed), the portal's logo, and health and favicon. Everything
# else must redirect.
PUBLIC = {
    "/login",
    "/join/{token}",
    "/auth/staff/session",
    "/auth/oidc/start",
    "/auth/oidc/callback",
    "/forgot-password",
    "/reset-password/{token}",
    "/portal/{slug}/login",
    "/portal/{slug}/link/{token}",
    "/portal/{slug}/auth/session",
    "/portal/{slug}/logo",
    "/portal/{slug}/notifications/off",
    "/portal/{slug}/services",  # the services catalog is open to anyone by design (SPEC §12)
    "/i/{token}",
    "/i/{token}/pdf",
    "/q/{token}",
    "/q/{token}/pdf",
    "/calendar/{token}.ics",  # a calendar feed: its token is the credential (SPEC §17)
    "/healthz",
    "/favicon.ico",
}


def concrete(path: str) -> str:
    """The path with its parameters filled: the factory organization's slug, a fresh id for anything else."""
    return re.sub(r"\{(\w+)\}", lambda m: "acme" if m.group(1) == "slug" else str(uuid.uuid4()), path)


async def test_every_route_asks_a_signed_out_visitor_to_sign_in(app_client: httpx.AsyncClient) -> None:
    await make_world("acme")
    paths = set(get_paths(core.app.routes))
    assert {
        "/",
        "/clients",
        "/invoices/{invoice_id}",
        "/portal/{slug}/",
        "/portal/{slug}/invoices/{invoice_id}/pdf",
    } <= paths
    assert PUBLIC - paths == set(), "the allow-list names routes that no longer exist"
    async with httpx.AsyncClient(transport=app_client._transport, base_url="http://test") as visitor:
        for path in sorted(paths - PUBLIC):
            response = await visitor.get(concrete(path))
            location = response.headers.get("location", "")
            if path.startswith("/portal/"):
                assert (response.status_code, location) == (303, "/portal/acme/login"), path
            else:
                assert response.status_code == 303 and location.startswith("/login"), path


async def test_guarded_pages_are_declared_for_their_side(app_client: httpx.AsyncClient) -> None:
    assert len(DECLARED) >= 18
    for page in DECLARED:
        assert page.kind == ("portal" if page.path.startswith("/portal/") else "staff"), page.path
