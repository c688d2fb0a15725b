"""Portal sign-in: the neutral login page, the code, the link's landing and POST, cookies, sign-out."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from nicegui import ui
from nicegui.testing.user import User
from sqlalchemy import select

from models.audit import AuditEvent
from models.mail import OutboxMail
from models.portal import MagicLink, PortalSession
from models.staff import StaffSession
from portal_app.auth import portal as portal_auth
from portal_app.auth import staff as staff_auth
from portal_app.auth.browser import BROWSER_COOKIE
from portal_app.auth.portal import CODE_ERROR, CONTINUE_COOKIE, NEUTRAL_SENT, PORTAL_COOKIE
from services.clients import contacts
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.mail import outbox
from services.organizations import organizations
from tests.support.db import count
from tests.support.factories import PASSWORD, OrgWorld, make_world
from tests.support.mail import plain_text
from tests.support.pages import eventually
from tests.support.portal import NONCE, continue_link, issue_link, link_and_code, mails_to, sign_in_contact
from tests.support.signin import browser_of, staff_cookie
from tests.support.smtp import SmtpServer

PAGE_IP = "127.0.0.1"  # the simulated browser's address (httpx's ASGI transport)


def path_of(user: User) -> str:
    """The path of the page the simulated user has open."""
    assert user.client is not None
    return user.client.request.url.path


def page_state(user: User) -> list[tuple[str, ...]]:
    """What the visitor sees: visible texts, field labels (and their errors) and buttons, not the typed values."""
    labels: list[tuple[str, ...]] = [("label", e.text) for e in user.find(ui.label).elements]
    inputs: list[tuple[str, ...]] = [
        ("input", e.props.get("label", ""), str(e.props.get("error-message"))) for e in user.find(ui.input).elements
    ]
    buttons: list[tuple[str, ...]] = [("button", e.text, str(e.enabled)) for e in user.find(ui.button).elements]
    return sorted(labels + inputs + buttons)


async def ask_for_link(user: User, slug: str, email: str) -> list[tuple[str, ...]]:
    await user.open(f"/portal/{slug}/login")
    user.find("Email").type(email)
    user.find(kind=ui.button, content="Send sign-in link").click()
    await user.should_see(kind=ui.label, content=NEUTRAL_SENT, retries=100)
    await eventually(lambda: next(iter(user.find(kind=ui.button, content="Send sign-in link").elements)).enabled)
    return page_state(user)


def visible_code_field(user: User) -> ui.input:
    return next(e for e in user.find(ui.input).elements if e.props.get("label") == "Code")


async def staff_session_count() -> int:
    return await count(StaffSession)


async def session_rows() -> list[PortalSession]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(PortalSession)))


async def test_login_page_asks_for_the_email_then_for_the_code(user: User) -> None:
    world = await make_world("acme")
    await user.open("/portal/acme/login")
    await user.should_see(kind=ui.input, content="Email")
    await user.should_see(kind=ui.button, content="Send sign-in link")
    await user.should_not_see(kind=ui.button, content="Sign in")
    await user.should_not_see(NEUTRAL_SENT)
    await ask_for_link(user, "acme", world.contact.email)
    neutral = [e.text for e in user.find(ui.label).elements if "check your email" in e.text.lower()]
    assert neutral == [NEUTRAL_SENT]
    assert visible_code_field(user)
    await user.should_see(kind=ui.button, content="Sign in")
    assert len(await mails_to(world.contact.email)) == 1


async def _unknown(world: OrgWorld) -> str:
    return "nobody@client-acme.test"


async def _deactivated(world: OrgWorld) -> str:
    await contacts.update_contact(world.actor, world.contact.id, contacts.ContactChanges(active=False))
    return world.contact.email


async def _without_access(world: OrgWorld) -> str:
    await contacts.update_contact(world.actor, world.contact.id, contacts.ContactChanges(portal_enabled=False))
    return world.contact.email


async def _over_the_email_limit(world: OrgWorld) -> str:
    org = await organizations.find_by_slug(world.slug)
    assert org is not None
    for _ in range(portal_auth.link_email_limiter.limit):  # five links, from anywhere
        await portal_auth.request_link(org, world.contact.email, ip="10.0.0.9")
    assert len(await mails_to(world.contact.email)) == portal_auth.link_email_limiter.limit
    return world.contact.email


async def _over_the_ip_limit(world: OrgWorld) -> str:
    org = await organizations.find_by_slug(world.slug)
    assert org is not None
    for n in range(portal_auth.link_ip_limiter.limit):
        await portal_auth.request_link(org, f"probe{n}@elsewhere.test", ip=PAGE_IP)
    return world.contact.email


@pytest.mark.parametrize(
    "case",
    [_unknown, _deactivated, _without_access, _over_the_email_limit, _over_the_ip_limit],
    ids=lambda f: f.__name__[1:],
)
async def test_every_refusal_looks_like_the_enabled_case(user: User, app_client: httpx.AsyncClient, case) -> None:
    world = await make_world("acme")
    sam = await contacts.create_contact(
        world.actor,
        world.client.id,
        contacts.ContactInput(email="sam@client-acme.test", name="Sam", portal_enabled=True),
    )
    reference_get = await app_client.get("/portal/acme/login")
    reference = await ask_for_link(user, "acme", sam.email)
    assert len(await mails_to(sam.email)) == 1  # the enabled contact gets a link
    assert await count(MagicLink) == 1

    email = await case(world)
    mails, links = await count(OutboxMail), await count(MagicLink)
    get = await app_client.get("/portal/acme/login")
    assert (get.status_code, get.headers["content-type"]) == (
        reference_get.status_code,
        reference_get.headers["content-type"],
    )
    assert await ask_for_link(user, "acme", email) == reference
    assert (await count(OutboxMail), await count(MagicLink)) == (mails, links)  # nothing was sent or issued


async def test_sign_in_with_the_code_from_the_mail(user: User, smtp: SmtpServer) -> None:
    world = await make_world("acme")
    await ask_for_link(user, "acme", world.contact.email)
    assert await outbox.send_due() == 1
    [message] = smtp.inbox.wait_for(1)
    _, code = link_and_code(plain_text(message))
    user.find("Code").type(code)
    user.find(kind=ui.button, content="Sign in").click()
    await eventually(lambda: path_of(user) == "/portal/acme/")
    await user.should_see(kind=ui.label, content="Acme Website", retries=50)
    assert user.http_client.cookies.get(PORTAL_COOKIE)
    assert len(await session_rows()) == 1


async def test_a_wrong_code_shows_the_error_and_sets_no_cookie(user: User) -> None:
    world = await make_world("acme")
    await ask_for_link(user, "acme", world.contact.email)
    _, code = link_and_code((await mails_to(world.contact.email))[-1])
    user.find("Code").type(f"{(int(code) + 1) % 10**6:06d}")
    user.find(kind=ui.button, content="Sign in").click()
    await user.should_see(kind=ui.label, content=CODE_ERROR, retries=100)
    assert path_of(user) == "/portal/acme/login"
    assert user.http_client.cookies.get(PORTAL_COOKIE) is None
    assert await session_rows() == []


async def test_the_link_page_changes_nothing(app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    token, _ = await issue_link(world.actor.org_id, world.contact.email)
    audits = await count(AuditEvent)
    response = await app_client.get(f"/portal/acme/link/{token}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "Continue to Acme" in response.text
    assert '<button type="submit">Continue</button>' in response.text
    assert NONCE.search(response.text)
    assert await count(MagicLink, MagicLink.used_at.is_(None)) == 1
    assert await session_rows() == []
    assert await count(AuditEvent) == audits


async def test_dead_links_answer_410_with_a_way_to_a_new_one(app_client: httpx.AsyncClient, at) -> None:
    world = await make_world("acme")
    used, _ = await issue_link(world.actor.org_id, world.contact.email)
    assert (await continue_link(app_client, "acme", used)).status_code == 303
    expired, _ = await issue_link(world.actor.org_id, world.contact.email)
    at(timedelta(minutes=16))
    for token in (used, expired, "not-a-real-token"):
        response = await app_client.get(f"/portal/acme/link/{token}")
        assert response.status_code == 410, token
        assert "no longer works" in response.text
        assert 'href="/portal/acme/login"' in response.text
    assert (await app_client.get(f"/portal/nowhere/link/{used}")).status_code == 404
    await make_world("globex")
    fresh, _ = await issue_link(world.actor.org_id, world.contact.email)
    elsewhere = await app_client.get(f"/portal/globex/link/{fresh}")  # a link is bound to its organization
    assert elsewhere.status_code == 410 and 'href="/portal/globex/login"' in elsewhere.text


async def test_continue_consumes_the_link_once_and_sets_the_cookie(app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    token, _ = await issue_link(world.actor.org_id, world.contact.email)
    landing = await app_client.get(f"/portal/acme/link/{token}")
    nonce = NONCE.search(landing.text).group(1)  # type: ignore[union-attr]
    response = await app_client.post(f"/portal/acme/link/{token}", data={"nonce": nonce})
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/acme/"
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{PORTAL_COOKIE}=")]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/portal/acme;" in cookie + ";"
    assert "Secure" not in cookie  # BASE_URL is http here
    assert await count(MagicLink, MagicLink.used_at.is_not(None)) == 1
    assert len(await session_rows()) == 1
    assert (await app_client.get("/portal/acme/")).status_code == 200
    app_client.cookies.set(CONTINUE_COOKIE, nonce)  # even with the nonce again, the link is spent
    again = await app_client.post(f"/portal/acme/link/{token}", data={"nonce": nonce})
    assert again.status_code == 410
    assert len(await session_rows()) == 1


async def test_secure_cookies_when_base_url_is_https(app_settings, app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    app_settings.base_url = "https://portico.example.com"
    token, _ = await issue_link(world.actor.org_id, world.contact.email)
    async with httpx.AsyncClient(transport=app_client._transport, base_url="https://test") as https:
        response = await continue_link(https, "acme", token)
    assert response.status_code == 303
    [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{PORTAL_COOKIE}=")]
    assert "Secure" in cookie


async def test_a_cross_site_post_only_shows_the_continue_page(app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    token, _ = await issue_link(world.actor.org_id, world.contact.email)
    nonce = NONCE.search((await app_client.get(f"/portal/acme/link/{token}")).text).group(1)  # type: ignore[union-attr]
    app_client.cookies.clear()  # another site's form: the SameSite=Strict nonce cookie is not sent
    response = await app_client.post(f"/portal/acme/link/{token}", data={"nonce": nonce})
    assert response.status_code == 200
    assert "Continue to Acme" in response.text
    assert PORTAL_COOKIE not in response.headers.get("set-cookie", "")
    assert await count(MagicLink, MagicLink.used_at.is_(None)) == 1
    assert await session_rows() == []


async def test_staff_and_portal_cookies_open_only_their_own_side(app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    await make_world("globex")
    portal_token = await sign_in_contact(app_client, "acme", world.actor.org_id, world.contact.email)
    assert (await app_client.get("/portal/acme/")).status_code == 200
    app_client.cookies.clear()

    staff_token = await staff_cookie(app_client, world.owner_email)
    assert (await app_client.get("/")).status_code == 200
    # The staff cookie (and its value under the portal's name) opens no portal page.
    app_client.cookies.set(PORTAL_COOKIE, staff_token)
    for path in ("/portal/acme/", "/portal/acme/projects", f"/portal/acme/projects/{world.project.id}"):
        response = await app_client.get(path)
        assert (response.status_code, response.headers["location"]) == (303, "/portal/acme/login"), path
    app_client.cookies.clear()

    # The portal cookie (sent everywhere, under either name) opens no staff page.
    app_client.cookies.set(PORTAL_COOKIE, portal_token)
    app_client.cookies.set(staff_auth.STAFF_COOKIE, portal_token)
    for path in ("/", "/clients", f"/projects/{world.project.id}"):
        response = await app_client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    # Nor another organization's portal.
    for path in ("/portal/globex/", "/portal/globex/projects"):
        response = await app_client.get(path)
        assert (response.status_code, response.headers["location"]) == (303, "/portal/globex/login"), path
    assert (await app_client.get("/portal/acme/")).status_code == 200  # the cookie itself is fine


async def test_sign_out_ends_the_session_on_the_server(app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    token = await sign_in_contact(app_client, "acme", world.actor.org_id, world.contact.email)
    assert (await app_client.get("/portal/acme/sign-out")).status_code == 405
    assert (await app_client.get("/portal/acme/")).status_code == 200  # the GET ended nothing
    signed_out = await app_client.post("/portal/acme/sign-out")
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/portal/acme/login")
    cleared = signed_out.headers["set-cookie"]
    assert cleared.startswith(f'{PORTAL_COOKIE}=""') and "Path=/portal/acme" in cleared and "Max-Age=0" in cleared
    [row] = await session_rows()
    assert row.ended_at is not None and row.ended_reason == "signed_out"
    app_client.cookies.set(PORTAL_COOKIE, token)  # the old value, replayed
    replay = await app_client.get("/portal/acme/")
    assert (replay.status_code, replay.headers["location"]) == (303, "/portal/acme/login")


async def test_deactivating_the_contact_sends_the_open_tab_to_the_login_page(user: User) -> None:
    world = await make_world("acme")
    token = await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    await user.open("/portal/acme/")
    await user.should_see(kind=ui.label, content="Acme Website", retries=50)
    await contacts.update_contact(world.actor, world.contact.id, contacts.ContactChanges(active=False))
    await eventually(lambda: path_of(user) == "/portal/acme/login")
    await user.should_see(kind=ui.button, content="Send sign-in link", retries=50)
    await user.should_not_see(kind=ui.label, content="Acme Website")
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url="http://test") as other:
        other.cookies.set(PORTAL_COOKIE, token)
        response = await other.get("/portal/acme/")
    assert (response.status_code, response.headers["location"]) == (303, "/portal/acme/login")


def spellings(email: str) -> list[str]:
    """One address written eleven ways that all reach one mailbox: case, spaces, full-width and ideographic dots."""
    local, domain = email.split("@")
    name, tld = domain.rsplit(".", 1)
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isalpha() else c for c in name)  # ａｂｃ…
    return [
        email,
        f" {email.upper()} ",
        f"{local}@{wide}.{tld}",
        f"{local}@{name}\u3002{tld}",  # ideographic full stop
        f"{local}@{name}\uff0e{tld}",  # full-width full stop
        f"{local.title()}@{wide}\u3002{tld.upper()}",
        f"\t{local}@{domain}\n",
        f"{local}@{domain.upper()}",
        f"{local}@{wide.upper()}.{tld}",
        f"{local}@{name}\uff61{tld}",  # half-width ideographic full stop
        f"{local.upper()}@{name}.{tld}",
    ]


async def test_spellings_of_one_address_share_one_link_limit(app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    org = await organizations.find_by_slug("acme")
    assert org is not None
    for n, spelling in enumerate(spellings(world.contact.email)):
        await portal_auth.request_link(org, spelling, ip=f"10.1.0.{n}")  # every one from another address
    assert len(await mails_to(world.contact.email)) == portal_auth.link_email_limiter.limit == 5
    assert await count(MagicLink) == 5


async def test_spellings_of_one_address_share_one_code_limit(app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    org = await organizations.find_by_slug("acme")
    assert org is not None
    wrong = {"ip": "10.2.0.1", "agent": "test", "browser": "b"}
    for n, spelling in enumerate(spellings(world.contact.email)[: portal_auth.code_email_limiter.limit]):
        assert await portal_auth.sign_in_with_code(org, spelling, "000000", **{**wrong, "ip": f"10.2.0.{n}"}) is None
    _, code = await issue_link(world.actor.org_id, world.contact.email)
    # Over the address's limit, even the right code from a fresh IP signs nobody in.
    assert await portal_auth.sign_in_with_code(org, world.contact.email, code, **{**wrong, "ip": "10.3.0.1"}) is None
    assert await session_rows() == []


async def test_the_login_page_gives_the_browser_an_id_cookie(app_client: httpx.AsyncClient) -> None:
    await make_world("acme")
    response = await app_client.get("/portal/acme/login")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{BROWSER_COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # BASE_URL is http here
    again = await app_client.get("/portal/acme/login")
    assert "set-cookie" not in again.headers  # kept, not replaced
    for machine_path in ("/healthz", "/api/v1/clients"):
        assert "set-cookie" not in (await app_client.get(machine_path)).headers


async def test_a_code_ticket_signs_in_only_the_browser_that_earned_it(app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    org = await organizations.find_by_slug("acme")
    assert org is not None
    _, code = await issue_link(world.actor.org_id, world.contact.email)
    async with (
        httpx.AsyncClient(transport=app_client._transport, base_url="http://test") as attacker,
        httpx.AsyncClient(transport=app_client._transport, base_url="http://test") as victim,
    ):
        ticket = await portal_auth.sign_in_with_code(
            org, world.contact.email, code, ip="10.0.0.5", agent="attacker", browser=browser_of(attacker)
        )
        assert ticket is not None
        browser_of(victim)
        # The attacker sends the victim's browser to the ticket URL: nothing happens there.
        response = await victim.get(portal_auth.ticket_url("acme", ticket))
        assert (response.status_code, response.headers["location"]) == (303, "/portal/acme/login")
        assert PORTAL_COOKIE not in response.cookies
        assert (await victim.get("/portal/acme/")).status_code == 303
        # A browser with no id at all is refused the same way, and the ticket is spent for everyone.
        anonymous = await attacker.get(portal_auth.ticket_url("acme", ticket))
        assert anonymous.headers["location"] == "/portal/acme/login" and PORTAL_COOKIE not in anonymous.cookies


async def test_a_staff_ticket_signs_in_only_the_browser_that_earned_it(app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    async with (
        httpx.AsyncClient(transport=app_client._transport, base_url="http://test") as attacker,
        httpx.AsyncClient(transport=app_client._transport, base_url="http://test") as victim,
    ):
        ticket = await staff_auth.sign_in(world.owner_email, PASSWORD, ip="10.0.0.5", browser=browser_of(attacker))
        assert ticket is not None
        browser_of(victim)
        response = await victim.get(staff_auth.ticket_url(ticket, "/clients"))
        assert (response.status_code, response.headers["location"]) == (303, "/login?expired=1")
        assert staff_auth.STAFF_COOKIE not in response.cookies
        assert (await attacker.get(staff_auth.ticket_url(ticket))).headers["location"] == "/login?expired=1"
    assert await staff_session_count() == 0
