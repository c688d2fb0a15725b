"""Organizations, staff sign-in, staff sessions and API tokens through the services."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from models import ApiToken, AuditEvent, Membership, Organization, Role, StaffSession, StaffUser
from services.clients import contacts
from services.core import audit, clock
from services.core.actors import StaffActor, SystemActor
from services.core.audit import AuditFilter
from services.core.db import unit_of_work
from services.core.errors import Conflict, Forbidden, Invalid, NotFound
from services.organizations import organizations
from services.organizations.organizations import OrganizationChanges
from services.projects import projects
from services.staff import api_tokens, staff, staff_sessions
from services.staff.staff_sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from tests.support.clock import T0
from tests.support.factories import PASSWORD, add_member, make_org, make_world


async def deactivate(user_id: uuid.UUID) -> None:
    async with unit_of_work(SystemActor()) as session:
        await session.execute(update(StaffUser).where(StaffUser.id == user_id).values(is_active=False))


async def remove_membership(actor: StaffActor) -> None:
    async with unit_of_work(SystemActor()) as session:
        await session.execute(
            delete(Membership).where(Membership.org_id == actor.org_id, Membership.user_id == actor.user_id)
        )


async def counts() -> dict[str, int]:
    async with unit_of_work(SystemActor()) as session:
        return {
            m.__tablename__: (await session.execute(select(func.count()).select_from(m))).scalar_one()
            for m in (Organization, StaffUser, Membership, AuditEvent, StaffSession, ApiToken)
        }


async def actions(actor: StaffActor, action: str) -> list[audit.AuditRow]:
    return (await audit.list_events(actor, AuditFilter(action=action))).items


def assert_only_hash_stored(row: StaffSession | ApiToken, token: str) -> None:
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    for column in type(row).__table__.columns:
        assert token not in str(getattr(row, column.key)), column.key


# --- organizations ---------------------------------------------------------------------------------------------


async def test_create_organization_with_owner(database):
    org_id = await organizations.create_organization(
        SystemActor(label="cli"), name=" Acme ", slug="Acme-Co", owner_email="Boss@Acme.test", owner_password=PASSWORD
    )
    who = await staff.check_password("boss@acme.test", PASSWORD)
    assert who is not None
    assert (who.org_id, who.role, who.email) == (org_id, Role.owner, "boss@acme.test")
    owner = await staff.actor_for(who.user_id, org_id)
    assert owner is not None
    view = await organizations.get_organization(owner)
    assert (view.id, view.name, view.slug, view.portal_enabled) == (org_id, "Acme", "acme-co", True)
    found = await organizations.find_by_slug("ACME-CO")
    assert found is not None and found.id == org_id
    [created] = await actions(owner, "org.created")
    assert (created.actor_type, created.actor_label, created.target_label) == ("system", "cli", "Acme")

    # An existing staff user joins a second organization as its owner and keeps their password.
    second = await organizations.create_organization(
        SystemActor(), name="Beta", slug="beta", owner_email="boss@acme.test", owner_password="another password!"
    )
    assert await staff.check_password("boss@acme.test", "another password!") is None
    assert await staff.actor_for(who.user_id, second) is not None
    assert (await counts())["staff_users"] == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"slug": ""}, "slug"),
        ({"slug": "-acme"}, "slug"),
        ({"slug": "acme-"}, "slug"),
        ({"slug": "ac me"}, "slug"),
        ({"slug": "acme_co"}, "slug"),
        ({"slug": "ácme"}, "slug"),
        ({"slug": "a" * 64}, "slug"),
        ({"name": " "}, "name"),
        ({"owner_email": "boss"}, "owner_email"),
        ({"owner_password": "short"}, "password"),
    ],
)
async def test_create_organization_refuses_bad_input(database, kwargs, field):
    before = await counts()
    values = {"name": "Acme", "slug": "acme", "owner_email": "boss@acme.test", "owner_password": PASSWORD} | kwargs
    with pytest.raises(Invalid) as info:
        await organizations.create_organization(SystemActor(), **values)
    assert info.value.field == field
    assert await counts() == before


async def test_duplicate_slug_is_a_conflict(database):
    await make_org("acme")
    before = await counts()
    for slug in ("acme", "ACME", " acme "):
        with pytest.raises(Conflict):
            await organizations.create_organization(
                SystemActor(), name="Copy", slug=slug, owner_email="new@copy.test", owner_password=PASSWORD
            )
    assert await counts() == before


async def test_admin_updates_the_organization(database):
    owner = await make_org("acme")
    admin = await add_member(owner.org_id, "admin@acme.test", Role.admin)
    await make_org("globex")
    changes = OrganizationChanges("Acme Studio", "acme-studio", "#FF0000", "Hello", "Help@Acme.test", False)
    view = await organizations.update_organization(admin, changes)
    expected = ("Acme Studio", "acme-studio", False, "#ff0000", "Hello", "help@acme.test")
    assert view == organizations.OrganizationView(owner.org_id, *expected)
    assert await organizations.get_organization(owner) == view
    assert await organizations.find_by_slug("acme") is None
    [row] = await actions(owner, "org.updated")
    assert row.actor_label == "admin@acme.test"
    assert row.detail["slug"] == ["acme", "acme-studio"]
    assert set(row.detail) == {"name", "slug", "accent_color", "welcome_message", "support_email", "portal_enabled"}

    before = await counts()
    for changes, error, field in (
        (OrganizationChanges(name="X", slug="globex"), Conflict, None),
        (OrganizationChanges(name="X", slug="acme-studio", accent_color="red"), Invalid, "accent_color"),
        (OrganizationChanges(name="X", slug="acme-studio", support_email="nope"), Invalid, "support_email"),
        (OrganizationChanges(name="X", slug="Bad Slug"), Invalid, "slug"),
        (OrganizationChanges(name="", slug="acme-studio"), Invalid, "name"),
    ):
        with pytest.raises(error) as info:
            await organizations.update_organization(owner, changes)
        assert getattr(info.value, "field", None) == field
    assert await organizations.get_organization(owner) == view
    assert await counts() == before


async def test_member_cannot_update_the_organization(database):
    owner = await make_org("acme")
    member = await add_member(owner.org_id, "member@acme.test")
    before = await organizations.get_organization(owner)
    with pytest.raises(Forbidden):
        await organizations.update_organization(member, OrganizationChanges(name="Taken over", slug="acme"))
    assert await organizations.get_organization(member) == before
    assert await actions(owner, "org.updated") == []


async def test_workspace_counts(database):
    world = await make_world("acme")
    await make_world("globex")  # another organization's rows are not counted
    actor = world.actor
    assert await organizations.workspace_counts(actor) == organizations.WorkspaceCounts(1, 1, 1, 1)
    await contacts.create_contact(actor, world.client.id, contacts.ContactInput(email="b@c.test", name="B"))
    gone = await contacts.create_contact(
        actor, world.client.id, contacts.ContactInput(email="c@c.test", name="C", portal_enabled=True)
    )
    await contacts.update_contact(actor, gone.id, contacts.ContactChanges(active=False))
    await projects.create_project(actor, world.client.id, projects.ProjectInput(name="Paused", status="on_hold"))
    await projects.create_project(actor, world.client.id, projects.ProjectInput(name="Live"))
    assert await organizations.workspace_counts(actor) == organizations.WorkspaceCounts(1, 2, 1, 2)


# --- password sign-in ------------------------------------------------------------------------------------------


async def test_check_password(database):
    owner = await make_org("acme")
    who = await staff.check_password(" OWNER@Acme.TEST ", PASSWORD, ip="203.0.113.9")
    assert who is not None
    assert (who.user_id, who.org_id, who.role) == (owner.user_id, owner.org_id, Role.owner)

    assert await staff.check_password(owner.email, PASSWORD + "!", ip="203.0.113.9") is None
    [failed] = await actions(owner, "staff.sign_in_failed")
    assert (failed.target_label, failed.ip) == (owner.email, "203.0.113.9")

    assert await staff.check_password("nobody@acme.test", PASSWORD) is None
    assert await staff.check_password("not an email", PASSWORD) is None
    assert await staff.check_password(owner.email, "") is None

    await deactivate(owner.user_id)
    assert await staff.check_password(owner.email, PASSWORD) is None


async def test_list_staff(database, at):
    owner = await make_org("acme")
    await add_member(owner.org_id, "zed@acme.test", Role.admin, name="zed")
    member = await add_member(owner.org_id, "amy@acme.test", name="Amy")
    await make_org("globex")
    await staff_sessions.start_session(
        staff.SignedInStaff(member.user_id, member.org_id, member.email, member.role), ip="", user_agent=""
    )
    page = await staff.list_staff(owner)
    assert [(r.name, r.role, r.last_seen_at) for r in page.items] == [
        ("Amy", Role.member, T0),
        ("owner", Role.owner, None),
        ("zed", Role.admin, None),
    ]
    assert page.total == 3
    page = await staff.list_staff(owner, limit=1, offset=2)
    assert ([r.email for r in page.items], page.total) == (["zed@acme.test"], 3)


# --- staff sessions --------------------------------------------------------------------------------------------


async def sign_in(actor: StaffActor) -> str:
    who = staff.SignedInStaff(actor.user_id, actor.org_id, actor.email, actor.role)
    return await staff_sessions.start_session(who, ip="198.51.100.7", user_agent="Firefox")


async def find_session_row(token: str) -> StaffSession | None:
    async with unit_of_work(SystemActor()) as session:
        return await session.scalar(
            select(StaffSession).where(StaffSession.token_hash == hashlib.sha256(token.encode()).hexdigest())
        )


async def session_row(token: str) -> StaffSession:
    row = await find_session_row(token)
    assert row is not None, "no session row for the token"
    return row


async def test_session_start_and_resolve(database, at):
    owner = await make_org("acme")
    token = await sign_in(owner)
    resolved = await staff_sessions.resolve(token, ip="198.51.100.7")
    assert resolved is not None
    assert resolved.actor == StaffActor(owner.org_id, owner.user_id, Role.owner, owner.email, ip="198.51.100.7")
    row = await session_row(token)
    assert row.id == resolved.session_id
    assert (row.ip, row.user_agent, row.expires_at) == ("198.51.100.7", "Firefox", T0 + ABSOLUTE_TIMEOUT)
    assert_only_hash_stored(row, token)
    [event] = await actions(owner, "staff.signed_in")
    assert (event.actor_label, event.ip) == (owner.email, "198.51.100.7")

    again = await sign_in(owner)  # every sign-in is a new session with a new id
    assert again != token
    resolved_again = await staff_sessions.resolve(again)
    assert resolved_again is not None and resolved_again.session_id != resolved.session_id

    for bad in (None, "", token + "x", token[:-1], "x" * 500):
        assert await staff_sessions.resolve(bad) is None


async def test_session_idle_timeout(database, at):
    owner = await make_org("acme")
    used, unused = await sign_in(owner), await sign_in(owner)
    at(IDLE_TIMEOUT - timedelta(seconds=1))
    assert await staff_sessions.resolve(used) is not None  # this use moves the idle deadline
    at(IDLE_TIMEOUT)
    assert await staff_sessions.resolve(unused) is None
    assert not await staff_sessions.is_live((await session_row(unused)).id)
    at(2 * IDLE_TIMEOUT - timedelta(seconds=2))
    assert await staff_sessions.resolve(used) is not None
    at(3 * IDLE_TIMEOUT)
    assert await staff_sessions.resolve(used) is None


async def test_session_touch_is_throttled(database, at):
    owner = await make_org("acme")
    token = await sign_in(owner)
    at(timedelta(seconds=30))
    await staff_sessions.resolve(token)
    assert (await session_row(token)).last_seen_at == T0
    at(timedelta(minutes=2))
    await staff_sessions.resolve(token)
    assert (await session_row(token)).last_seen_at == T0 + timedelta(minutes=2)


async def test_session_absolute_timeout(database, at):
    owner = await make_org("acme")
    token = await sign_in(owner)
    session_id = (await session_row(token)).id
    step = IDLE_TIMEOUT - timedelta(minutes=1)
    offset = timedelta(0)
    while offset + step < ABSOLUTE_TIMEOUT:  # used all day, every day
        offset += step
        at(offset)
        assert await staff_sessions.resolve(token) is not None, offset
    at(ABSOLUTE_TIMEOUT - timedelta(seconds=1))
    assert await staff_sessions.is_live(session_id)
    at(ABSOLUTE_TIMEOUT)
    assert await staff_sessions.resolve(token) is None
    assert not await staff_sessions.is_live(session_id)


async def test_end_session(database, at):
    owner = await make_org("acme")
    token, other = await sign_in(owner), await sign_in(owner)
    resolved = await staff_sessions.resolve(token)
    assert resolved is not None
    session_id = resolved.session_id
    await staff_sessions.end_session(token, ip="198.51.100.7")
    assert await staff_sessions.resolve(token) is None
    assert not await staff_sessions.is_live(session_id)
    assert (await session_row(token)).ended_at == T0
    assert await staff_sessions.resolve(other) is not None  # other browsers stay signed in
    await staff_sessions.end_session(token)  # twice, unknown or empty: harmless
    await staff_sessions.end_session("unknown")
    await staff_sessions.end_session(None)
    [event] = await actions(owner, "staff.signed_out")
    assert (event.ip, event.detail) == ("198.51.100.7", {"user_id": str(owner.user_id)})


async def test_end_all_sessions_of_a_user(database, at):
    owner = await make_org("acme")
    member = await add_member(owner.org_id, "member@acme.test")
    tokens = [await sign_in(member), await sign_in(member)]
    kept = await sign_in(owner)
    assert await staff_sessions.end_all_for_user(owner, member.user_id) == 2
    assert [await staff_sessions.resolve(t) for t in tokens] == [None, None]
    assert await staff_sessions.resolve(kept) is not None
    assert await staff_sessions.end_all_for_user(owner, member.user_id) == 0


async def test_removed_or_inactive_user_loses_sessions_and_tokens(database, at):
    owner = await make_org("acme")
    member = await add_member(owner.org_id, "member@acme.test")
    sessions = {who: await sign_in(who) for who in (owner, member)}
    tokens = {who: await api_tokens.create_token(who, "t") for who in (owner, member)}
    assert await staff_sessions.resolve(sessions[member]) and await api_tokens.authenticate(tokens[member])
    await remove_membership(member)
    assert await staff_sessions.resolve(sessions[member]) is None
    assert await api_tokens.authenticate(tokens[member]) is None
    assert await staff_sessions.resolve(sessions[owner]) and await api_tokens.authenticate(tokens[owner])
    await deactivate(owner.user_id)
    assert await staff_sessions.resolve(sessions[owner]) is None
    assert await api_tokens.authenticate(tokens[owner]) is None


async def test_purge_expired_deletes_dead_sessions_only(database, at):
    owner = await make_org("acme")
    expired = await sign_in(owner)
    at(ABSOLUTE_TIMEOUT - 2 * IDLE_TIMEOUT)
    idle = await sign_in(owner)
    at(ABSOLUTE_TIMEOUT - timedelta(minutes=10))
    ended, live = await sign_in(owner), await sign_in(owner)
    await staff_sessions.end_session(ended)
    async with unit_of_work(SystemActor()) as session:  # in use all month: only its absolute limit ends it
        await session.execute(
            update(StaffSession)
            .where(StaffSession.id == (await session_row(expired)).id)
            .values(last_seen_at=clock.now())
        )
    assert await staff_sessions.resolve(expired) is not None
    at(ABSOLUTE_TIMEOUT)
    assert await staff_sessions.resolve(expired) is None
    live_id = (await session_row(live)).id
    assert await staff_sessions.purge_expired() == 3
    assert [await find_session_row(t) for t in (expired, idle, ended)] == [None, None, None]
    assert await staff_sessions.is_live(live_id)
    assert await staff_sessions.purge_expired() == 0
    assert not await staff_sessions.is_live(uuid.uuid4())


# --- API tokens ------------------------------------------------------------------------------------------------


async def token_row(token_id: uuid.UUID) -> ApiToken:
    async with unit_of_work(SystemActor()) as session:
        row = await session.get(ApiToken, token_id)
        assert row is not None
        return row


async def test_api_token_create_authenticate_revoke(database, at):
    owner = await make_org("acme")
    token = await api_tokens.create_token(owner, "  CI deploy ")
    assert token.startswith(api_tokens.TOKEN_PREFIX)
    [listed] = await api_tokens.list_tokens(owner)
    assert (listed.name, listed.prefix, listed.last_used_at) == ("CI deploy", token[:12], None)
    assert_only_hash_stored(await token_row(listed.id), token)

    at(timedelta(hours=1))
    actor = await api_tokens.authenticate(token, ip="192.0.2.1")
    assert actor == StaffActor(owner.org_id, owner.user_id, Role.owner, owner.email, ip="192.0.2.1", via="api")
    assert (await token_row(listed.id)).last_used_at == T0 + timedelta(hours=1)

    for bad in ("", token + "x", token.removeprefix(api_tokens.TOKEN_PREFIX), api_tokens.TOKEN_PREFIX + "x" * 300):
        assert await api_tokens.authenticate(bad) is None

    colleague = await add_member(owner.org_id, "admin@acme.test", Role.admin)
    with pytest.raises(NotFound):  # a token is revoked by the user it belongs to
        await api_tokens.revoke_token(colleague, listed.id)
    assert await api_tokens.authenticate(token) is not None

    await api_tokens.revoke_token(owner, listed.id)
    assert await api_tokens.authenticate(token) is None
    assert await api_tokens.list_tokens(owner) == []
    with pytest.raises(NotFound):
        await api_tokens.revoke_token(owner, listed.id)
    assert [e.target_label for e in await actions(owner, "api_token.created")] == ["CI deploy"]
    assert [e.target_label for e in await actions(owner, "api_token.revoked")] == ["CI deploy"]


async def test_api_token_for_the_command_line(database):
    owner = await make_org("acme")
    token = await api_tokens.create_token_for("ACME", "Owner@Acme.test", "cli")
    actor = await api_tokens.authenticate(token)
    assert actor is not None and actor.user_id == owner.user_id
    with pytest.raises(NotFound):
        await api_tokens.create_token_for("acme", "nobody@acme.test", "cli")
    with pytest.raises(NotFound):
        await api_tokens.create_token_for("globex", owner.email, "cli")
    with pytest.raises(Invalid) as info:
        await api_tokens.create_token(owner, "  ")
    assert info.value.field == "name"
    assert len(await api_tokens.list_tokens(owner)) == 1
