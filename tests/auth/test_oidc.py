"""Staff single sign-on against a real OpenID Connect provider on 127.0.0.1 (oidc-provider-mock)."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from nicegui import ui
from nicegui.testing.user import User
from sqlalchemy import func, select

from models import AuditEvent, Membership, Role, StaffUser
from portal_app.auth import staff as staff_auth
from portal_app.auth.oidc import SSO_ERRORS
from portal_app.settings import Settings
from services.adapters import oidc
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.organizations import organizations
from services.staff import staff, team
from tests.support.factories import PASSWORD, add_member, make_org
from tests.support.oidc import OidcProvider
from tests.support.pages import signed_in, the
from tests.support.signin import browser_of

CLIENT_ID = "portico-test"


@pytest.fixture
def app_settings(sqlite_url: str, tmp_path: Path, oidc_provider: OidcProvider) -> Settings:
    return Settings(
        database_url=sqlite_url,
        var_dir=tmp_path / "var",
        base_url="http://portico.test",
        secret_key="test-secret-key",
        scheduler_enabled=False,
        oidc_issuer=oidc_provider.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret="client-secret",
        _env_file=None,
    )


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def start(http: httpx.AsyncClient, next_path: str = "/") -> str:
    """Begin SSO in `http`'s browser: the provider's authorization URL it is sent to."""
    browser_of(http)
    response = await http.get("/auth/oidc/start", params={"next": next_path})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("http://127.0.0.1:")
    query = parse_qs(urlsplit(location).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://portico.test/auth/oidc/callback"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    return location


async def back_at_portico(http: httpx.AsyncClient, callback_url: str) -> str:
    """The app's answer to the provider's redirect: where it sends the browser."""
    assert callback_url.startswith("http://portico.test/auth/oidc/callback?")
    response = await http.get(local(callback_url))
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def sso_sign_in(http: httpx.AsyncClient, provider: OidcProvider, sub: str) -> str:
    return await back_at_portico(http, provider.approve(await start(http, "/clients"), sub))


async def finish(http: httpx.AsyncClient, location: str) -> str:
    """Exchange the ticket the callback handed out: the staff session cookie."""
    assert location.startswith("/auth/staff/session?ticket="), location
    response = await http.get(location)
    assert response.status_code == 303 and response.headers["location"] == "/clients"
    return response.cookies[staff_auth.STAFF_COOKIE]


async def audit_rows(org_id: uuid.UUID, action: str) -> list[AuditEvent]:
    async with unit_of_work(SystemActor(org_id=org_id)) as session:
        return list(
            await session.scalars(select(AuditEvent).where(AuditEvent.org_id == org_id, AuditEvent.action == action))
        )


async def user_count() -> int:
    async with unit_of_work(SystemActor()) as session:
        return await session.scalar(select(func.count()).select_from(StaffUser)) or 0


async def test_a_verified_email_signs_in_its_staff_user(app_client: httpx.AsyncClient, oidc_provider: OidcProvider):
    owner = await make_org("acme")
    oidc_provider.set_user("owner-acme", email=owner.email, email_verified=True, name="Ona Owner")
    cookie = await finish(app_client, await sso_sign_in(app_client, oidc_provider, "owner-acme"))
    assert cookie
    page = await app_client.get("/clients")
    assert page.status_code == 200
    [signed_in] = await audit_rows(owner.org_id, "staff.signed_in")
    assert signed_in.target_label == owner.email


async def test_a_tampered_state_is_refused(
    app_client: httpx.AsyncClient, oidc_provider: OidcProvider, caplog: pytest.LogCaptureFixture
):
    owner = await make_org("acme")
    oidc_provider.set_user("owner-acme", email=owner.email, email_verified=True)
    callback = oidc_provider.approve(await start(app_client), "owner-acme")
    state = parse_qs(urlsplit(callback).query)["state"][0]
    tampered = callback.replace(f"state={state}", f"state={state[:-2]}xy")
    assert await back_at_portico(app_client, tampered) == "/login?sso_error=expired"
    assert "SSO sign-in refused (state)" in caplog.text
    # Another browser bringing back the genuine callback is refused too (login CSRF), and spends the state.
    async with httpx.AsyncClient(transport=app_client._transport, base_url="http://test") as other:
        browser_of(other)
        assert await back_at_portico(other, callback) == "/login?sso_error=expired"
    assert await back_at_portico(app_client, callback) == "/login?sso_error=expired"
    assert staff_auth.STAFF_COOKIE not in app_client.cookies


async def test_a_replayed_callback_signs_nobody_in(app_client: httpx.AsyncClient, oidc_provider: OidcProvider):
    owner = await make_org("acme")
    oidc_provider.set_user("owner-acme", email=owner.email, email_verified=True)
    callback = oidc_provider.approve(await start(app_client, "/clients"), "owner-acme")
    await finish(app_client, await back_at_portico(app_client, callback))
    assert await back_at_portico(app_client, callback) == "/login?sso_error=expired"


async def test_an_id_token_for_another_client_is_refused(
    app_client: httpx.AsyncClient,
    oidc_provider: OidcProvider,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    owner = await make_org("acme")
    oidc_provider.set_user("owner-acme", email=owner.email, email_verified=True)
    authorization = await start(app_client)
    nonce = parse_qs(urlsplit(authorization).query)["nonce"][0]
    # A genuine ID token from the same provider, with our nonce, but issued to another application: a token
    # endpoint (or someone in between) handing it to Portico must not sign anyone in.
    foreign = oidc_provider.token_for(
        "another-app", "owner-acme", nonce=nonce, redirect_uri="http://portico.test/auth/oidc/callback"
    )

    async def foreign_token(self: object, *args: object, **kwargs: object) -> dict[str, object]:
        return foreign

    monkeypatch.setattr(oidc.AsyncOAuth2Client, "fetch_token", foreign_token)
    callback = oidc_provider.approve(authorization, "owner-acme")
    assert await back_at_portico(app_client, callback) == "/login?sso_error=failed"
    assert "SSO sign-in refused (audience)" in caplog.text
    assert await audit_rows(owner.org_id, "staff.signed_in") == []


async def test_an_unverified_email_is_refused(app_client: httpx.AsyncClient, oidc_provider: OidcProvider):
    owner = await make_org("acme")
    oidc_provider.set_user("unverified", email=owner.email, email_verified=False)
    assert await sso_sign_in(app_client, oidc_provider, "unverified") == "/login?sso_error=unverified"
    [refused] = await audit_rows(owner.org_id, "staff.sso_failed")
    assert refused.detail == {"reason": "unverified"} and refused.target_label == owner.email
    assert await audit_rows(owner.org_id, "staff.signed_in") == []


async def test_an_unknown_email_creates_nobody(
    app_client: httpx.AsyncClient, oidc_provider: OidcProvider, caplog: pytest.LogCaptureFixture
):
    await make_org("acme")
    before = await user_count()
    oidc_provider.set_user("stranger", email="stranger@elsewhere.test", email_verified=True)
    assert await sso_sign_in(app_client, oidc_provider, "stranger") == "/login?sso_error=unknown"
    assert await user_count() == before
    assert "SSO sign-in refused (unknown) for stranger@elsewhere.test" in caplog.text


async def test_a_pending_invitation_is_accepted_by_sso(
    app_client: httpx.AsyncClient, oidc_provider: OidcProvider, file_outbox: Path
):
    owner = await make_org("acme")
    await team.invite(owner, "newbie@acme.test", Role.admin)
    oidc_provider.set_user("newbie", email="newbie@acme.test", email_verified=True, name="Nia Newbie")
    await finish(app_client, await sso_sign_in(app_client, oidc_provider, "newbie"))
    async with unit_of_work(SystemActor(org_id=owner.org_id)) as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.email == "newbie@acme.test"))
        assert user is not None and user.name == "Nia Newbie" and user.password_hash is None
        role = await session.scalar(
            select(Membership.role).where(Membership.user_id == user.id, Membership.org_id == owner.org_id)
        )
    assert role == Role.admin
    assert (await app_client.get("/clients")).status_code == 200


async def test_require_sso_refuses_a_members_password_but_not_an_owners(
    app_client: httpx.AsyncClient, oidc_provider: OidcProvider
):
    owner = await make_org("acme")
    member = await add_member(owner.org_id, "mia@acme.test")
    await organizations.update_organization(
        owner, organizations.OrganizationChanges(name="Acme", slug="acme", require_sso=True)
    )
    [changed] = await audit_rows(owner.org_id, "org.updated")
    assert changed.detail == {"require_sso": [False, True]}

    with pytest.raises(staff.SsoRequired):
        await staff_auth.sign_in(member.email, PASSWORD, ip="127.0.0.1", browser=browser_of(app_client))
    [refused] = await audit_rows(owner.org_id, "staff.sign_in_refused_sso")
    assert refused.target_label == member.email
    # A wrong password still gets the neutral answer: the SSO notice only follows the right one.
    assert await staff_auth.sign_in(member.email, "wrong password!", ip="127.0.0.1", browser="b") is None

    # The owner's password is the break-glass path, audited.
    assert await staff_auth.sign_in(owner.email, PASSWORD, ip="127.0.0.1", browser=browser_of(app_client))
    [glass] = await audit_rows(owner.org_id, "staff.break_glass_sign_in")
    assert glass.target_label == owner.email

    # The member signs in with SSO.
    oidc_provider.set_user("mia", email=member.email, email_verified=True)
    await finish(app_client, await sso_sign_in(app_client, oidc_provider, "mia"))


async def test_the_sign_in_page_offers_sso_and_explains_its_errors(user: User, oidc_provider: OidcProvider):
    await user.open("/login?sso_error=unknown")
    await user.should_see("Sign in with SSO")
    await user.should_see(SSO_ERRORS["unknown"])
    await user.open("/login?sso_error=<b>raw text</b>")
    await user.should_not_see("raw text")


async def test_an_owner_switches_require_sso_on_in_settings(user: User, oidc_provider: OidcProvider):
    owner = await make_org("acme")
    await signed_in(user, owner.email)
    await user.open("/settings")
    switch = await the(user, "require-sso", ui.switch)
    assert switch.value is False
    switch.value = True
    user.find("Save settings").click()
    await user.should_see("Settings saved")
    assert (await organizations.get_organization(owner)).require_sso is True
    [changed] = await audit_rows(owner.org_id, "org.updated")
    assert changed.detail == {"require_sso": [False, True]}
