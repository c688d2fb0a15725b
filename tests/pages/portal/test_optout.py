"""The signed opt-out link in notification mails: GET only asks, POST (or a one-click POST) turns mail off."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from services.organizations import organizations
from services.projects import discussion, notifications
from services.projects.notifications import Preferences
from tests.support.factories import OrgWorld, make_world
from tests.support.portal import mails_to

ON, OFF = Preferences(True, True), Preferences(False, False)


@pytest.fixture
async def acme(app_client: httpx.AsyncClient) -> OrgWorld:
    return await make_world("acme")


def link(world: OrgWorld, *, slug: str = "", contact_id: str = "", token: str | None = None) -> str:
    """The contact's opt-out link as mailed, or with one part replaced."""
    contact = contact_id or str(world.contact.id)
    signed = notifications.opt_out_token(world.contact.id) if token is None else token
    return f"/portal/{slug or world.slug}/notifications/off?{urlencode({'c': contact, 't': signed})}"


async def preferences(world: OrgWorld) -> Preferences:
    return await notifications.get_preferences(world.portal_actor())


async def test_opening_the_link_asks_and_changes_nothing(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    response = await app_client.get(link(acme))
    assert response.status_code == 200
    assert "Stop these emails" in response.text and 'method="post"' in response.text
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert await preferences(acme) == ON


async def test_the_button_turns_both_kinds_of_mail_off(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    page = (await app_client.get(link(acme))).text
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    assert action is not None
    response = await app_client.post(action.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert "You will no longer get these emails." in response.text
    assert response.headers["referrer-policy"] == "no-referrer"
    assert await preferences(acme) == OFF


async def test_a_one_click_post_from_the_mail_header_works(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    """RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click` to the header's URL, taken from a real digest."""
    await discussion.post_update(acme.actor, acme.project.id, "We shipped it.", "public")
    assert await notifications.send_digests() == 1
    [mail] = [m for m in await mails_to(acme.contact.email) if "We shipped it." in m]
    url = re.search(r"To stop these emails: (\S+)", mail)
    assert url is not None
    target = urlsplit(url.group(1))
    response = await app_client.post(
        f"{target.path}?{target.query}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200 and "You will no longer get these emails." in response.text
    assert await preferences(acme) == OFF


@pytest.mark.parametrize(
    "bad",
    [
        {"token": "0" * 64},
        {"token": ""},
        {"token": "ünïcode"},
        {"contact_id": "not-a-uuid"},
        {"contact_id": "00000000-0000-0000-0000-000000000000"},
    ],
    ids=["wrong-token", "no-token", "non-ascii-token", "bad-contact", "other-contact"],
)
async def test_a_bad_link_is_refused_and_changes_nothing(
    app_client: httpx.AsyncClient, acme: OrgWorld, bad: dict
) -> None:
    url = link(acme, **bad)
    for response in (await app_client.get(url), await app_client.post(url)):
        assert response.status_code == 400
        assert "This link is not valid." in response.text and "Stop these emails" not in response.text
    assert await preferences(acme) == ON


async def test_another_organizations_link_and_an_unknown_portal_are_refused(
    app_client: httpx.AsyncClient, acme: OrgWorld
) -> None:
    globex = await make_world("globex")
    foreign = link(globex, slug="acme")  # a genuine Globex link, sent to Acme's portal
    assert (await app_client.post(foreign)).status_code == 400
    assert await preferences(globex) == ON
    for method in ("GET", "POST"):
        response = await app_client.request(method, link(acme, slug="nowhere"))
        assert response.status_code == 404
    assert await preferences(acme) == ON


async def test_the_page_escapes_the_organization_name(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    evil = "<script>alert(1)</script>"
    await organizations.update_organization(acme.actor, organizations.OrganizationChanges(name=evil, slug="acme"))
    text = (await app_client.get(link(acme))).text
    assert evil not in text and "&lt;script&gt;" in text
