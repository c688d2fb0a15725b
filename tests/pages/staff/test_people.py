"""The People page and the invitation link's page, driven by NiceGUI's simulated user."""

from __future__ import annotations

import re

from nicegui import ui
from nicegui.testing.user import User
from sqlalchemy import select

from models import OutboxMail, Role
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.staff import staff, team
from tests.support.factories import add_member, make_org
from tests.support.pages import error_of, eventually, signed_in, the

NEW_PASSWORD = "violet kettle drums quietly"
JOIN = re.compile(r"/join/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")


async def join_token(email: str) -> str:
    async with unit_of_work(SystemActor()) as session:
        texts = list(await session.scalars(select(OutboxMail.body_text).where(OutboxMail.to_addr == email)))
    match = JOIN.search(texts[-1])
    assert match
    return match.group(1)


async def test_an_owner_invites_and_errors_land_on_the_fields(user: User) -> None:
    owner = await make_org("acme")
    await signed_in(user, owner.email)
    await user.open("/people")
    user.find(marker="invite").click()
    email = await the(user, "invite-email", ui.input)
    email.value = "owner@acme.test"
    user.find(kind=ui.button, content="Send invitation").click()
    assert await eventually(error_of(email)) == "owner@acme.test is already on the team."
    email.value = "New@Example.test"
    role = await the(user, "invite-role", ui.select)
    assert set(role.options) == {"owner", "admin", "member"}
    role.value = "admin"
    user.find(kind=ui.button, content="Send invitation").click()
    await user.should_see("new@example.test", retries=50)
    [row] = await team.list_invitations(owner)
    assert (row.email, row.role) == ("new@example.test", Role.admin)


async def test_pending_invitations_are_resent_and_revoked_after_confirming(user: User) -> None:
    owner = await make_org("acme")
    await team.invite(owner, "later@example.test", Role.member)
    first = await join_token("later@example.test")
    await signed_in(user, owner.email)
    await user.open("/people")
    await user.should_see("later@example.test", retries=50)
    user.find(marker="resend").click()
    await user.should_see("Sent a new link to later@example.test", retries=50)
    assert await team.invitation_for_token(first) is None
    user.find(marker="revoke").click()
    await user.should_see(marker="cancel", retries=50)
    user.find(marker="cancel").click()
    await user.should_not_see(marker="cancel", retries=50)
    assert len(await team.list_invitations(owner)) == 1
    user.find(marker="revoke").click()
    await user.should_see(marker="confirm", retries=50)
    user.find(marker="confirm").click()
    await user.should_not_see(marker="invitation", retries=50)
    assert await team.list_invitations(owner) == []


async def test_roles_change_and_access_is_removed_after_confirming(user: User) -> None:
    owner = await make_org("acme")
    member = await add_member(owner.org_id, "m@acme.test", Role.member, name="Mo")
    await signed_in(user, owner.email)
    await user.open("/people")
    await user.should_see("m@acme.test", retries=50)
    selects = {e.value: e for e in user.find(marker="member-role").elements if isinstance(e, ui.select)}
    selects["member"].value = "admin"
    await user.should_see("Mo is now Admin", retries=50)
    assert (await staff.actor_for(member.user_id, owner.org_id)).role is Role.admin  # type: ignore[union-attr]
    owner_select = next(
        e for e in user.find(marker="member-role").elements if isinstance(e, ui.select) and e.value == "owner"
    )
    owner_select.value = "member"  # the last owner
    assert "last owner" in await eventually(error_of(owner_select))
    assert len(list(user.find(marker="remove-access").elements)) == 2
    user.find(marker="remove-m@acme.test").click()
    await user.should_see(marker="confirm", retries=50)
    user.find(marker="confirm").click()
    await user.should_see("Removed Mo", retries=50)
    await user.should_not_see(marker="remove-m@acme.test", retries=50)
    assert await staff.actor_for(member.user_id, owner.org_id) is None


async def test_members_see_the_team_read_only(user: User) -> None:
    owner = await make_org("acme")
    member = await add_member(owner.org_id, "m@acme.test", Role.member)
    await team.invite(owner, "pending@example.test", Role.member)
    await signed_in(user, member.email)
    await user.open("/people")
    await user.should_see("owner@acme.test", retries=50)
    await user.should_see("pending@example.test")
    await user.should_not_see(marker="invite")
    await user.should_not_see(marker="member-role")
    await user.should_not_see(marker="remove-access")
    await user.should_not_see(marker="revoke")


async def test_the_invitation_link_creates_the_account_and_signs_in(user: User) -> None:
    owner = await make_org("acme")
    await team.invite(owner, "new@example.test", Role.member)
    token = await join_token("new@example.test")
    await user.open(f"/join/{token}")
    await user.should_see("Join Acme")
    await user.should_see("You are invited as Member, with the email new@example.test.")
    user.find("Name").type("Nina New")
    user.find("Password").type("password123")
    user.find(kind=ui.button, content="Create account").click()
    password = next(e for e in user.find(ui.input).elements if e.props.get("label") == "Password")
    assert "common" in await eventually(error_of(password))
    password.value = NEW_PASSWORD
    user.find(kind=ui.button, content="Create account").click()
    await user.should_see("Sign out", retries=100)
    await user.should_see("new@example.test")
    assert await team.invitation_for_token(token) is None


async def test_a_dead_invitation_link_says_so(user: User) -> None:
    await make_org("acme")
    await user.open("/join/" + "x" * 43)
    await user.should_see("This invitation cannot be used")
    await user.should_not_see("Create account")
