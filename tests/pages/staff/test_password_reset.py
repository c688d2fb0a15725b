"""The password reset pages: a neutral request, a link whose GET changes nothing, a new password that signs in."""

from __future__ import annotations

import re

import httpx
from nicegui import ui
from nicegui.testing.user import User
from sqlalchemy import select

from models import OutboxMail
from portal_app.auth.password_reset import NEUTRAL_SENT
from portal_app.staff.password_reset_page import DEAD_LINK
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.staff import password_reset, staff
from tests.support.factories import PASSWORD, make_org
from tests.support.pages import eventually, sign_in, signed_in
from tests.support.ui import new_user

NEW_PASSWORD = "Granite orbit lantern 47"
LINK = re.compile(r"^http://portico\.test(/reset-password/[A-Za-z0-9_-]{43})$", re.MULTILINE)


async def mailed_paths() -> list[str]:
    """The reset links' paths, from every mail queued so far."""
    async with unit_of_work(SystemActor()) as session:
        texts = await session.scalars(select(OutboxMail.body_text).order_by(OutboxMail.created_at))
        return [path for text in texts for path in LINK.findall(text)]


async def ask_on_the_page(user: User, email: str) -> None:
    await user.open("/forgot-password")
    user.find("Email").type(email)
    user.find(kind=ui.button, content="Send reset link").click()
    await user.should_see(NEUTRAL_SENT, retries=50)


async def choose(user: User, new: str, confirm: str | None = None) -> None:
    user.find("New password").clear().type(new)
    user.find("Confirm password").clear().type(new if confirm is None else confirm)
    user.find(kind=ui.button, content="Set password").click()


async def test_the_login_page_links_to_the_reset(user: User) -> None:
    await user.open("/login")
    user.find("Forgot your password?").click()
    await user.should_see("Send reset link")


async def test_the_request_answers_the_same_for_anyone_and_mails_only_a_real_account(user: User) -> None:
    await make_org("acme")
    await ask_on_the_page(user, "nobody@acme.test")
    assert await mailed_paths() == []
    await ask_on_the_page(user, "owner@acme.test")
    assert len(await mailed_paths()) == 1


async def test_a_full_reset_signs_in_and_the_new_password_works(user: User, app_client: httpx.AsyncClient) -> None:
    await make_org("acme")
    await ask_on_the_page(user, "owner@acme.test")
    [path] = await mailed_paths()
    assert (await app_client.get(path)).status_code == 200  # a mail scanner's GET spends nothing
    await user.open(path)
    await choose(user, NEW_PASSWORD)
    await user.should_see("Sign out", retries=50)  # on the workspace, signed in
    await user.should_see("Client portal")

    other = new_user(app_client)
    await sign_in(other, "owner@acme.test", PASSWORD)
    await other.should_see("That email and password did not work", retries=50)
    await sign_in(other, "owner@acme.test", NEW_PASSWORD)
    await other.should_see("Sign out", retries=50)

    await user.open(path)  # spent
    await user.should_see(DEAD_LINK)


async def test_a_dead_link_says_so_and_offers_a_new_one(user: User) -> None:
    await user.open("/reset-password/not-a-real-token")
    await user.should_see(DEAD_LINK)
    user.find("Ask for a new link").click()
    await user.should_see("Send reset link")


async def test_mismatched_or_weak_passwords_are_refused_and_the_link_still_works(user: User) -> None:
    await make_org("acme")
    await ask_on_the_page(user, "owner@acme.test")
    [path] = await mailed_paths()
    await user.open(path)
    await choose(user, NEW_PASSWORD, "Granite orbit lantern 48")
    await eventually(lambda: user.find("Confirm password").elements.pop().props.get("error-message"))
    await choose(user, "password1234")
    await eventually(lambda: "common" in str(user.find("New password").elements.pop().props.get("error-message")))
    assert await password_reset.reset_is_usable(path.rsplit("/", 1)[1])
    await choose(user, NEW_PASSWORD)
    await user.should_see("Sign out", retries=50)


async def test_an_open_tab_of_the_user_leaves_when_the_password_is_reset(user: User) -> None:
    await make_org("acme")
    await signed_in(user, "owner@acme.test")
    await password_reset.request_reset("owner@acme.test", "10.0.0.9")
    [path] = await mailed_paths()
    token = path.rsplit("/", 1)[1]
    assert await password_reset.reset_password(token, NEW_PASSWORD, ip="10.0.0.9", user_agent="x") is not None
    await user.should_see("Sign in to your workspace", retries=100)
    assert await staff.check_password("owner@acme.test", NEW_PASSWORD) is not None
