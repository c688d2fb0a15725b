"""Back to where you were: a portal deep link opened while signed out lands there after signing in, by the mailed
link or by the code, in the same browser; anything but a path inside this portal is ignored (no open redirects)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from portal_app.auth import portal as portal_auth
from portal_app.auth.browser import BROWSER_COOKIE
from portal_app.auth.return_to import RETURN_COOKIE, safe_return
from tests.support.factories import OrgWorld, make_world
from tests.support.portal import continue_link, issue_link


@pytest.mark.parametrize(
    "target",
    [
        "/portal/acme/deliverables/0b4f7e1c-9a53-4c55-8f41-7d7d3f0a9c11",
        "/portal/acme/files?project=0b4f7e1c-9a53-4c55-8f41-7d7d3f0a9c11",
        "/portal/acme/invoices",
    ],
)
def test_a_path_inside_the_portal_is_kept(target: str) -> None:
    assert safe_return("acme", target) == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.test/portal/acme/",
        "//evil.test/portal/acme/",
        "/\\evil.test/",
        "/portal/acme//evil.test",
        "/portal/acme/%2F%2Fevil.test",
        "/portal/acme/..%2F..%2Flogin",
        "/portal/acme/../../login",
        "/portal/acme\\..\\x",
        "/portal/globex/deliverables/1",  # another organization's portal
        "/portal/acmex/",
        "/login",
        "javascript:alert(1)",
        "/portal/acme/x\r\nSet-Cookie: a=b",
        "",
        None,
    ],
)
def test_anything_else_is_refused(target: str | None) -> None:
    assert safe_return("acme", target) is None


@pytest.fixture
async def acme(app_client: httpx.AsyncClient) -> OrgWorld:
    return await make_world("acme")


async def signed_out_visit(browser: httpx.AsyncClient, path: str) -> None:
    response = await browser.get(path)
    assert (response.status_code, response.headers["location"]) == (303, "/portal/acme/login")
    assert RETURN_COOKIE in response.cookies


async def test_the_mailed_link_lands_on_the_page_that_asked_for_sign_in(
    app_client: httpx.AsyncClient, acme: OrgWorld
) -> None:
    deep = f"/portal/acme/projects/{acme.project.id}"
    await signed_out_visit(app_client, deep)
    token, _ = await issue_link(acme.actor.org_id, acme.contact.email)
    response = await continue_link(app_client, "acme", token)
    assert (response.status_code, response.headers["location"]) == (303, deep)
    assert (await app_client.get(deep)).status_code == 200
    # used once: the cookie is cleared, and the next sign-in in this browser lands on Home again
    assert [c for c in response.headers.get_list("set-cookie") if c.startswith(f'{RETURN_COOKIE}=""')]
    await app_client.post("/portal/acme/sign-out")
    token, _ = await issue_link(acme.actor.org_id, acme.contact.email)
    again = await continue_link(app_client, "acme", token)
    assert (again.status_code, again.headers["location"]) == (303, "/portal/acme/")


async def test_the_code_lands_on_the_page_that_asked_for_sign_in(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    deep = f"/portal/acme/files?project={acme.project.id}"
    await signed_out_visit(app_client, deep)
    _, code = await issue_link(acme.actor.org_id, acme.contact.email)
    org = await portal_auth.organizations.find_by_slug("acme")
    assert org is not None
    ticket = await portal_auth.sign_in_with_code(
        org, acme.contact.email, code, ip="10.0.0.1", agent="test", browser=app_client.cookies[BROWSER_COOKIE]
    )
    assert ticket is not None
    response = await app_client.get(portal_auth.ticket_url("acme", ticket))
    assert (response.status_code, response.headers["location"]) == (303, deep)


@pytest.mark.parametrize(
    "forged", ["https://evil.test/", "//evil.test/x", "/portal/globex/", "/portal/acme/..%2F..%2F"]
)
async def test_a_forged_return_cookie_is_ignored(app_client: httpx.AsyncClient, acme: OrgWorld, forged: str) -> None:
    app_client.cookies.set(RETURN_COOKIE, quote(forged, safe=""), path="/portal/acme")
    token, _ = await issue_link(acme.actor.org_id, acme.contact.email)
    response = await continue_link(app_client, "acme", token)
    assert (response.status_code, response.headers["location"]) == (303, "/portal/acme/")


async def test_home_and_sign_out_leave_nothing_to_return_to(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    response = await app_client.get("/portal/acme/")
    assert response.status_code == 303 and RETURN_COOKIE not in response.cookies
    token, _ = await issue_link(acme.actor.org_id, acme.contact.email)
    landed = await continue_link(app_client, "acme", token)
    assert landed.headers["location"] == "/portal/acme/"
