"""Staff password reset: neutral requests, a hashed 30-minute single-use link, every session ended, limits."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from models import Membership, OutboxMail, Role, StaffUser
from models.team import PasswordReset
from portal_app.auth import password_reset as reset_auth
from services.core import audit, db, events
from services.core.actors import StaffActor, SystemActor
from services.core.audit import AuditFilter
from services.core.db import unit_of_work
from services.core.errors import Invalid
from services.staff import password_reset, staff, staff_sessions
from services.staff.staff import SignedInStaff
from tests.support.factories import PASSWORD, add_member, make_org

IP, AGENT = "203.0.113.7", "Firefox"
NEW_PASSWORD = "Granite orbit lantern 47"
LINK = re.compile(r"^http://portico\.test/reset-password/([A-Za-z0-9_-]{43})$", re.MULTILINE)
TTL = timedelta(minutes=30)
# The request as a caller sees it, read as a value: whatever happened, it answers None.
answer: Callable[[str, str], Awaitable[object]] = password_reset.request_reset


async def mails() -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(OutboxMail).order_by(OutboxMail.created_at)))


async def resets() -> list[PasswordReset]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(PasswordReset)))


async def ask(email: str) -> str:
    """Ask for a link for `email`; it must queue exactly one mail, whose link's token is returned."""
    before = {m.id for m in await mails()}
    assert await answer(email, IP) is None
    [mail] = [m for m in await mails() if m.id not in before]
    [token] = LINK.findall(mail.body_text)
    return token


async def reset(token: str, password: str = NEW_PASSWORD) -> SignedInStaff | None:
    return await password_reset.reset_password(token, password, ip=IP, user_agent=AGENT)


async def join(org_id: uuid.UUID, user_id: uuid.UUID, role: Role = Role.member) -> None:
    async with unit_of_work(SystemActor(org_id=org_id)) as session:
        session.add(Membership(org_id=org_id, user_id=user_id, role=role))


async def sign_in(email: str, password: str, org_id: uuid.UUID | None = None) -> str | None:
    """A session cookie value for the user (in `org_id` when given), or None when the password is wrong."""
    who = await staff.check_password(email, password)
    if who is None:
        return None
    if org_id is not None:
        actor = await staff.actor_for(who.user_id, org_id)
        assert actor is not None
        who = SignedInStaff(who.user_id, org_id, who.email, actor.role)
    return await staff_sessions.start_session(who, ip=IP, user_agent=AGENT)


async def test_the_answer_is_the_same_for_anyone_and_only_a_real_account_gets_mail(database) -> None:
    acme = await make_org("acme")
    ana = await add_member(acme.org_id, "ana@acme.test", name="Ana Lima")
    gone = await add_member(acme.org_id, "gone@acme.test")
    async with unit_of_work(SystemActor()) as session:
        await session.execute(update(StaffUser).where(StaffUser.id == gone.user_id).values(is_active=False))

    answers = [
        await answer(email, IP)
        for email in ("nobody@acme.test", "gone@acme.test", "not an email", "", " ANA@acme.test ")
    ]
    assert answers == [None] * 5
    [mail] = await mails()
    assert mail.to_addr == "ana@acme.test" and mail.org_id is None  # Portico's sender, not one organization's
    assert mail.subject == "Reset your Portico password"
    assert [r.user_id for r in await resets()] == [ana.user_id]


async def test_the_mail_greets_by_name_and_its_plain_part_holds_the_link(database) -> None:
    acme = await make_org("acme")
    await add_member(acme.org_id, "ana@acme.test", name="Ana Lima")
    token = await ask("ana@acme.test")
    [mail] = await mails()
    text = mail.body_text
    assert text.startswith("Hello Ana Lima,")
    assert f"\nhttp://portico.test/reset-password/{token}\n" in text  # on a line of its own
    assert "expires in 30 minutes" in text
    assert "If you did not ask, ignore this mail" in text
    assert f"http://portico.test/reset-password/{token}" in mail.body_html
    assert "<html" in mail.body_html.lower()


async def test_the_token_is_stored_only_as_its_hash_and_lives_30_minutes(database, at: Callable[..., None]) -> None:
    at()
    acme = await make_org("acme")
    token = await ask(acme.email)
    [row] = await resets()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    for column in PasswordReset.__table__.columns:
        assert token not in str(getattr(row, column.key)), column.key
    assert row.expires_at - row.created_at == TTL and row.ip == IP

    at(TTL - timedelta(seconds=1))
    assert await password_reset.reset_is_usable(token)
    at(TTL)
    assert not await password_reset.reset_is_usable(token)
    assert await reset(token) is None
    assert await sign_in(acme.email, PASSWORD) is not None  # the old password still works
    assert await sign_in(acme.email, NEW_PASSWORD) is None


async def test_a_link_works_once_and_sets_the_password(database) -> None:
    acme = await make_org("acme")
    token = await ask(acme.email)
    assert await password_reset.reset_is_usable(token)
    assert await password_reset.reset_is_usable(token)  # looking changes nothing
    who = await reset(token)
    assert who == SignedInStaff(acme.user_id, acme.org_id, acme.email, Role.owner)
    assert not await password_reset.reset_is_usable(token)
    assert await reset(token, "Another fine passphrase 9") is None
    assert await sign_in(acme.email, PASSWORD) is None
    assert await sign_in(acme.email, NEW_PASSWORD) is not None
    for junk in ("", "x" * 500, token[:-1]):
        assert not await password_reset.reset_is_usable(junk)
        assert await reset(junk) is None


async def test_a_new_link_voids_the_earlier_one(database) -> None:
    acme = await make_org("acme")
    first = await ask(acme.email)
    second = await ask(acme.email)
    assert not await password_reset.reset_is_usable(first)
    assert await reset(first) is None
    assert await reset(second) is not None


async def test_a_refused_password_leaves_the_link_usable(database) -> None:
    acme = await make_org("acme")
    await add_member(acme.org_id, "ana.lima@acme.test", name="Ana Lima")
    token = await ask("ana.lima@acme.test")
    for weak, reason in (
        ("short", "at least 10 characters"),
        ("password1234", "most common passwords"),
        ("ana.lima@acme.test", "your email or name"),
    ):
        with pytest.raises(Invalid) as refused:
            await reset(token, weak)
        assert refused.value.field == "password" and reason in refused.value.message
    assert await password_reset.reset_is_usable(token)
    assert await reset(token) is not None


async def test_reset_ends_every_session_of_the_user_in_every_organization(database) -> None:
    acme, beta = await make_org("acme"), await make_org("beta")
    await join(beta.org_id, acme.user_id, Role.admin)
    mine = [await sign_in(acme.email, PASSWORD), await sign_in(acme.email, PASSWORD, beta.org_id)]
    theirs = await sign_in(beta.email, PASSWORD)
    heard: list[object] = []
    unsubscribe = events.subscribe(heard.append)
    try:
        who = await reset(await ask(acme.email))
    finally:
        unsubscribe()
    assert who is not None and who.org_id == acme.org_id  # signed in to their first organization
    for token in mine:
        assert await staff_sessions.resolve(token) is None
    assert await staff_sessions.resolve(theirs) is not None  # another user's session is untouched
    [ended] = [e for e in heard if isinstance(e, events.StaffSessionsEnded)]
    assert ended.user_id == acme.user_id and len(ended.session_ids) == 2

    # Each organization's log records the request and the reset, with only its own sessions counted.
    for org in (acme, beta):
        reader = StaffActor(org.org_id, org.user_id, role=Role.owner, email=org.email)
        [asked] = (await audit.list_events(reader, AuditFilter(action="staff.password_reset_requested"))).items
        [done] = (await audit.list_events(reader, AuditFilter(action="staff.password_reset"))).items
        assert asked.target_label == done.target_label == acme.email
        assert done.ip == IP and done.detail["sessions_ended"] == 1


async def test_a_user_without_an_organization_or_deactivated_after_asking_cannot_reset(database) -> None:
    acme = await make_org("acme")
    ana = await add_member(acme.org_id, "ana@acme.test")
    token = await ask("ana@acme.test")
    async with unit_of_work(SystemActor()) as session:
        await session.execute(update(StaffUser).where(StaffUser.id == ana.user_id).values(is_active=False))
    assert not await password_reset.reset_is_usable(token)
    assert await reset(token) is None


async def test_requests_are_limited_per_address_and_per_ip(database) -> None:
    await make_org("acme")
    spellings = ["owner@acme.test", "OWNER@ACME.TEST", " owner@ａｃｍｅ.test", "Owner@Acme\uff0eTest"]
    for n in range(reset_auth.request_email_limiter.limit + 3):
        await reset_auth.request_reset(spellings[n % len(spellings)], ip=f"10.1.0.{n}")
    assert len(await mails()) == reset_auth.request_email_limiter.limit  # 5 per address, whatever its spelling

    await reset_auth.request_email_limiter.reset()
    for n in range(reset_auth.request_ip_limiter.limit):
        await reset_auth.request_reset(f"someone{n}@acme.test", ip="10.9.9.9")
    await reset_auth.request_reset("owner@acme.test", ip="10.9.9.9")
    assert len(await mails()) == reset_auth.request_email_limiter.limit  # the IP's bucket is full
    await reset_auth.request_reset("owner@acme.test", ip="10.9.9.8")
    assert len(await mails()) == reset_auth.request_email_limiter.limit + 1


@pytest.mark.postgres
async def test_two_concurrent_submits_consume_the_link_once(postgres_url) -> None:
    db.configure(postgres_url)
    try:
        acme = await make_org("acme")
        for racers in (2, 10):
            token = await ask(acme.email)
            results = await asyncio.gather(*(reset(token, f"{NEW_PASSWORD} {n}") for n in range(racers)))
            [winner] = [r for r in results if r is not None]
            assert winner.user_id == acme.user_id
            [used] = [r for r in await resets() if r.token_hash == hashlib.sha256(token.encode()).hexdigest()]
            assert used.used_at is not None
            # The password that won is the one set.
            winning = next(f"{NEW_PASSWORD} {n}" for n, r in enumerate(results) if r is not None)
            assert await sign_in(acme.email, winning) is not None
    finally:
        await db.close()
