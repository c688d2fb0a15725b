"""The team: invitations by email, accepting them, roles, removal, and the last owner who always stays."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import ApiToken, AuditEvent, Membership, OutboxMail, Role, StaffSession, StaffUser
from models.team import StaffInvitation
from services.core import config, db, events
from services.core.actors import StaffActor, SystemActor
from services.core.common import hash_secret
from services.core.db import unit_of_work
from services.core.errors import Conflict, Forbidden, Invalid, NotFound
from services.staff import api_tokens, staff, staff_sessions, team
from services.staff.staff import SignedInStaff
from tests.support.factories import PASSWORD, add_member, make_org

NEW_PASSWORD = "violet kettle drums quietly"
JOIN = re.compile(r"/join/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")


@pytest.fixture
async def owner(database, at) -> StaffActor:
    return await make_org("acme")


async def mails_to(email: str) -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return list(
            await session.scalars(select(OutboxMail).where(OutboxMail.to_addr == email).order_by(OutboxMail.created_at))
        )


async def last_token(email: str) -> str:
    mails = await mails_to(email)
    assert mails, f"no mail to {email}"
    match = JOIN.search(mails[-1].body_text)
    assert match, mails[-1].body_text
    return match.group(1)


async def audited(org_actor: StaffActor, action: str) -> list[AuditEvent]:
    async with unit_of_work(SystemActor()) as session:
        return list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.org_id == org_actor.org_id, AuditEvent.action == action)
            )
        )


async def role_of(org_id, user_id) -> Role | None:
    async with unit_of_work(SystemActor()) as session:
        return await session.scalar(
            select(Membership.role).where(Membership.org_id == org_id, Membership.user_id == user_id)
        )


async def join(owner: StaffActor, email: str, role: Role = Role.member, name: str = "Colleague") -> SignedInStaff:
    await team.invite(owner, email, role)
    return await team.accept_with_password(await last_token(email), name, NEW_PASSWORD, ip="", user_agent="")


# --- inviting ------------------------------------------------------------------------------------------------------


async def test_an_invitation_mails_a_seven_day_link_stored_only_hashed(owner, at):
    row = await team.invite(owner, "  New.Person@Example.TEST ", "admin")
    assert (row.email, row.role, row.expires_at - row.created_at) == (
        "new.person@example.test",
        Role.admin,
        timedelta(days=7),
    )
    [mail] = await mails_to("new.person@example.test")
    assert mail.body_html and "Admin" in mail.body_text and "7 days" in mail.body_text
    token = JOIN.search(mail.body_text)[1]  # type: ignore[index]
    assert f"{config.get().base_url}/join/{token}" in mail.body_text
    async with unit_of_work(SystemActor()) as session:
        stored = await session.scalar(select(StaffInvitation))
    assert stored is not None and stored.token_hash == hash_secret(token)
    assert all(token not in str(getattr(stored, c.key)) for c in StaffInvitation.__table__.columns)
    view = await team.invitation_for_token(token)
    assert view is not None and (view.org_name, view.email, view.role, view.has_account) == (
        "Acme",
        "new.person@example.test",
        Role.admin,
        False,
    )
    [event] = await audited(owner, "staff.invited")
    assert (event.target_label, event.detail) == ("new.person@example.test", {"role": "admin"})
    assert [i.email for i in await team.list_invitations(owner)] == ["new.person@example.test"]


async def test_the_link_dies_after_seven_days(owner, at):
    await team.invite(owner, "late@example.test", Role.member)
    token = await last_token("late@example.test")
    at(timedelta(days=7) - timedelta(seconds=1))
    assert await team.invitation_for_token(token) is not None
    at(timedelta(days=7))
    assert await team.invitation_for_token(token) is None
    with pytest.raises(NotFound):
        await team.accept_with_password(token, "Late", NEW_PASSWORD, ip="", user_agent="")
    assert [i.expired for i in await team.list_invitations(owner)] == [True]


async def test_a_member_of_the_team_is_refused_and_a_second_invitation_replaces_the_first(owner):
    with pytest.raises(Invalid, match=r"owner@acme.test is already on the team\.") as refused:
        await team.invite(owner, "Owner@acme.test", Role.member)
    assert refused.value.field == "email"
    await team.invite(owner, "twice@example.test", Role.member)
    first = await last_token("twice@example.test")
    await team.invite(owner, "twice@example.test", Role.admin)
    second = await last_token("twice@example.test")
    assert await team.invitation_for_token(first) is None
    assert (await team.invitation_for_token(second)).role is Role.admin  # type: ignore[union-attr]
    assert len(await team.list_invitations(owner)) == 1


async def test_bad_input_lands_on_its_fields(owner):
    with pytest.raises(Invalid) as bad:
        await team.invite(owner, "not an email", "emperor")
    assert {p.field for p in bad.value.problems} == {"email", "role"}


async def test_members_cannot_invite_and_admins_cannot_invite_owners(owner):
    member = await add_member(owner.org_id, "m@acme.test", Role.member)
    admin = await add_member(owner.org_id, "a@acme.test", Role.admin)
    with pytest.raises(Forbidden):
        await team.invite(member, "x@example.test", Role.member)
    with pytest.raises(Invalid, match="Only an owner") as refused:
        await team.invite(admin, "x@example.test", Role.owner)
    assert refused.value.field == "role"
    await team.invite(admin, "x@example.test", Role.admin)
    assert await team.list_invitations(member)  # members read the list


async def test_resend_makes_a_new_link_and_kills_the_old_one(owner, at):
    row = await team.invite(owner, "again@example.test", Role.member)
    old = await last_token("again@example.test")
    at(timedelta(days=6))
    again = await team.resend(owner, row.id)
    new = await last_token("again@example.test")
    assert new != old and again.expires_at == row.expires_at + timedelta(days=6)
    assert await team.invitation_for_token(old) is None
    at(timedelta(days=12))
    assert await team.invitation_for_token(new) is not None
    assert len(await audited(owner, "staff.invitation_resent")) == 1


async def test_revoke_kills_the_link(owner):
    row = await team.invite(owner, "gone@example.test", Role.member)
    token = await last_token("gone@example.test")
    await team.revoke(owner, row.id)
    assert await team.invitation_for_token(token) is None
    assert await team.list_invitations(owner) == []
    with pytest.raises(NotFound):
        await team.revoke(owner, row.id)
    assert len(await audited(owner, "staff.invitation_revoked")) == 1


# --- accepting -----------------------------------------------------------------------------------------------------


async def test_accepting_creates_the_account_and_membership_once(owner):
    await team.invite(owner, "new@example.test", Role.member)
    token = await last_token("new@example.test")
    with pytest.raises(Invalid) as weak:
        await team.accept_with_password(token, "New Person", "password123", ip="", user_agent="")
    assert weak.value.field == "password"
    with pytest.raises(Invalid) as nameless:
        await team.accept_with_password(token, " ", NEW_PASSWORD, ip="", user_agent="")
    assert nameless.value.field == "name"
    who = await team.accept_with_password(token, "New Person", NEW_PASSWORD, ip="10.0.0.1", user_agent="UA")
    assert (who.org_id, who.email, who.role) == (owner.org_id, "new@example.test", Role.member)
    assert await staff.check_password("new@example.test", NEW_PASSWORD) is not None
    assert await team.invitation_for_token(token) is None
    with pytest.raises(NotFound, match="no longer works"):
        await team.accept_with_password(token, "New Person", NEW_PASSWORD, ip="", user_agent="")
    [event] = await audited(owner, "staff.invitation_accepted")
    assert event.target_label == "new@example.test"
    assert [i.email for i in await team.list_invitations(owner)] == []


async def test_two_submits_of_one_link_make_one_membership(owner):
    await team.invite(owner, "double@example.test", Role.member)
    token = await last_token("double@example.test")
    outcomes = await asyncio.gather(
        *(team.accept_with_password(token, "Double", NEW_PASSWORD, ip="", user_agent="") for _ in range(2)),
        return_exceptions=True,
    )
    assert sum(isinstance(o, SignedInStaff) for o in outcomes) >= 1
    async with unit_of_work(SystemActor()) as session:
        users = list(await session.scalars(select(StaffUser.id).where(StaffUser.email == "double@example.test")))
        memberships = list(await session.scalars(select(Membership.id).where(Membership.user_id.in_(users))))
    assert (len(users), len(memberships)) == (1, 1)


async def test_someone_with_an_account_elsewhere_joins_with_its_password(owner):
    other = await make_org("globex")
    await team.invite(owner, other.email, Role.admin)
    token = await last_token(other.email)
    view = await team.invitation_for_token(token)
    assert view is not None and view.has_account
    with pytest.raises(Invalid) as wrong:
        await team.accept_with_password(token, "", "not the password", ip="", user_agent="")
    assert wrong.value.field == "password"
    who = await team.accept_with_password(token, "", PASSWORD, ip="", user_agent="")
    assert (who.user_id, who.org_id, who.role) == (other.user_id, owner.org_id, Role.admin)
    assert await role_of(other.org_id, other.user_id) is Role.owner  # still the owner of their own


async def test_a_verified_email_accepts_its_pending_invitation_only(owner):
    assert await team.accept_for_verified_email(owner.org_id, "nobody@example.test", "Nobody") is None
    await team.invite(owner, "sso@example.test", Role.member)
    other = await make_org("globex")
    assert await team.accept_for_verified_email(other.org_id, "sso@example.test", "Sso") is None  # another org's
    who = await team.accept_for_verified_email(owner.org_id, "SSO@example.test", "Sam Sso")
    assert who is not None and (who.org_id, who.role) == (owner.org_id, Role.member)
    async with unit_of_work(SystemActor()) as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.email == "sso@example.test"))
    assert user is not None and (user.name, user.password_hash) == ("Sam Sso", None)
    assert await team.accept_for_verified_email(owner.org_id, "sso@example.test", "Sam Sso") is None  # used


# --- roles and removal ---------------------------------------------------------------------------------------------


async def test_owners_and_admins_change_roles_within_their_own(owner):
    admin = await add_member(owner.org_id, "a@acme.test", Role.admin)
    member = await add_member(owner.org_id, "m@acme.test", Role.member)
    with pytest.raises(Forbidden):
        await team.change_role(member, admin.user_id, Role.member)
    with pytest.raises(Invalid, match="Only an owner"):
        await team.change_role(admin, member.user_id, Role.owner)
    with pytest.raises(Forbidden):
        await team.change_role(admin, owner.user_id, Role.member)
    with pytest.raises(Forbidden):
        await team.remove_member(admin, owner.user_id)
    await team.change_role(admin, member.user_id, Role.admin)
    assert await role_of(owner.org_id, member.user_id) is Role.admin
    await team.change_role(owner, admin.user_id, Role.owner)
    assert await role_of(owner.org_id, admin.user_id) is Role.owner
    [first, second] = sorted(e.detail["to"] for e in await audited(owner, "staff.role_changed"))
    assert (first, second) == ("admin", "owner")
    with pytest.raises(NotFound):
        await team.change_role(owner, (await make_org("globex")).user_id, Role.member)


async def test_a_demoted_admin_acts_with_the_role_they_have_now(owner):
    admin = await add_member(owner.org_id, "a@acme.test", Role.admin)
    await team.change_role(owner, admin.user_id, Role.member)
    with pytest.raises(Forbidden):
        await team.invite(admin, "x@example.test", Role.member)  # the stale actor still says admin


async def test_the_last_owner_is_never_demoted_or_removed(owner):
    with pytest.raises(Conflict, match="last owner"):
        await team.change_role(owner, owner.user_id, Role.admin)
    with pytest.raises(Conflict, match="last owner"):
        await team.remove_member(owner, owner.user_id)
    second = await add_member(owner.org_id, "second@acme.test", Role.owner)
    await team.change_role(second, owner.user_id, Role.admin)
    with pytest.raises(Forbidden):
        await team.change_role(owner, second.user_id, Role.admin)  # now an admin: an owner is out of reach
    assert await role_of(owner.org_id, second.user_id) is Role.owner


async def test_removal_ends_sessions_and_tokens_in_this_organization_only(owner):
    member = await add_member(owner.org_id, "m@acme.test", Role.member)
    other = await make_org("globex")
    async with unit_of_work(SystemActor()) as session:
        session.add(Membership(org_id=other.org_id, user_id=member.user_id, role=Role.member))
    here = await staff_sessions.start_session(
        SignedInStaff(member.user_id, owner.org_id, member.email, member.role), ip="", user_agent=""
    )
    there = await staff_sessions.start_session(
        SignedInStaff(member.user_id, other.org_id, member.email, member.role), ip="", user_agent=""
    )
    token = await api_tokens.create_token(member, "script")
    heard: list[object] = []
    unsubscribe = events.subscribe(heard.append)
    try:
        await team.remove_member(owner, member.user_id)
    finally:
        unsubscribe()
    assert await staff_sessions.resolve(here) is None and await staff_sessions.resolve(there) is not None
    assert await api_tokens.authenticate(token) is None
    assert await role_of(owner.org_id, member.user_id) is None
    ended = [e for e in heard if isinstance(e, events.StaffSessionsEnded)]
    assert len(ended) == 1 and len(ended[0].session_ids) == 1
    [event] = await audited(owner, "staff.removed")
    assert (event.target_label, event.detail["sessions_ended"], event.detail["tokens_revoked"]) == ("m@acme.test", 1, 1)
    async with unit_of_work(SystemActor()) as session:
        assert await session.scalar(select(StaffUser.name).where(StaffUser.id == member.user_id)) == "m"
        assert (await session.scalar(select(ApiToken.revoked_at))) is not None
        assert len(list(await session.scalars(select(StaffSession.id)))) == 2


@pytest.mark.postgres
async def test_two_owners_demoting_each_other_at_once_leave_one_owner(postgres_url, at):
    db.configure(postgres_url)
    try:
        first = await make_org("acme")
        second = await add_member(first.org_id, "second@acme.test", Role.owner)
        for _ in range(5):
            outcomes = await asyncio.gather(
                team.change_role(first, second.user_id, Role.admin),
                team.change_role(second, first.user_id, Role.admin),
                return_exceptions=True,
            )
            assert sum(o is None for o in outcomes) == 1, outcomes
            assert all(isinstance(o, Conflict | Forbidden) for o in outcomes if o is not None), outcomes
            roles = {await role_of(first.org_id, u.user_id) for u in (first, second)}
            assert roles == {Role.owner, Role.admin}
            # back to two owners for the next round
            async with unit_of_work(SystemActor()) as session:
                for membership in await session.scalars(select(Membership).where(Membership.org_id == first.org_id)):
                    membership.role = Role.owner
    finally:
        await db.close()
