"""Magic links: hashed tokens and keyed codes, 15 minutes (7 days for an invitation), single use, bound to their
contact and organization."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from models import MagicLink, OutboxMail, PortalSession
from models.base import Base
from services.clients import contacts, magic_links, portal_sessions
from services.clients.contacts import ContactChanges, ContactInput
from services.core import audit, config, db
from services.core.actors import SystemActor
from services.core.audit import AuditFilter
from services.core.db import unit_of_work
from services.core.errors import Invalid, NotFound
from services.mail import outbox
from services.organizations import organizations
from tests.support.clock import T0
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import set_org
from tests.support.mail import HOSTILE_NAME, html_part, plain_text, sender_name

IP, AGENT = "203.0.113.5", "Firefox"
LINK = re.compile(r"^http://portico\.test/portal/([a-z0-9-]+)/link/([A-Za-z0-9_-]+)$", re.MULTILINE)
CODE = re.compile(r"^(\d{6})$", re.MULTILINE)
ALMOST = timedelta(minutes=14, seconds=59)
TTL = timedelta(minutes=15)


async def outbox_rows() -> dict[uuid.UUID, OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return {m.id: m for m in await session.scalars(select(OutboxMail))}


async def new_mail(call: Awaitable[Any]) -> tuple[Any, OutboxMail]:
    """Run `call`; it must queue exactly one mail."""
    before = await outbox_rows()
    result = await call
    [mail] = [m for key, m in (await outbox_rows()).items() if key not in before]
    return result, mail


def secrets_in(mail: OutboxMail, slug: str) -> tuple[str, str]:
    [(link_slug, token)] = LINK.findall(mail.body_text)
    [code] = CODE.findall(mail.body_text)
    assert link_slug == slug
    return token, code


async def request(world: OrgWorld, email: str | None = None) -> tuple[str, str]:
    email = email or world.contact.email
    sent, mail = await new_mail(magic_links.request_link(world.actor.org_id, email, ip=IP))
    assert sent is True
    assert mail.to_addr == email
    return secrets_in(mail, world.slug)


async def use(world: OrgWorld, token: str) -> str | None:
    return await magic_links.consume_link(world.actor.org_id, token, ip=IP, user_agent=AGENT)


async def type_code(world: OrgWorld, code: str, email: str | None = None) -> str | None:
    email = email or world.contact.email
    return await magic_links.consume_code(world.actor.org_id, email, code, ip=IP, user_agent=AGENT)


async def signed_in_as(world: OrgWorld, session_token: str | None, contact_id: uuid.UUID | None = None) -> bool:
    assert session_token is not None
    resolved = await portal_sessions.resolve(world.actor.org_id, session_token)
    return resolved is not None and resolved.actor.contact_id == (contact_id or world.contact.id)


async def links() -> list[MagicLink]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(MagicLink).order_by(MagicLink.created_at, MagicLink.code_attempts)))


async def count(model: type[Base]) -> int:
    async with unit_of_work(SystemActor()) as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def actions(world: OrgWorld, action: str) -> list[audit.AuditRow]:
    return (await audit.list_events(world.actor, AuditFilter(action=action))).items


async def add_contact(world: OrgWorld, email: str, *, portal: bool = True) -> contacts.ContactView:
    data = ContactInput(email=email, name=email.split("@")[0].title(), portal_enabled=portal)
    return await contacts.create_contact(world.actor, world.client.id, data)


def other_code(*codes: str) -> str:
    return next(c for c in (f"{n:06d}" for n in range(10)) if c not in codes)


# --- issuing ---------------------------------------------------------------------------------------------------


async def test_only_a_hash_of_the_token_and_a_keyed_hash_of_the_code_are_stored(database, at, service_config):
    world = await make_world("alpha")
    token, code = await request(world)
    assert len(token) >= 43  # token_urlsafe(32): 256 bits
    [row] = await links()
    assert (row.org_id, row.client_id, row.contact_id) == (world.actor.org_id, world.client.id, world.contact.id)
    assert (row.purpose, row.expires_at, row.requested_ip, row.used_at) == ("sign_in", T0 + TTL, IP, None)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.code_hash not in (code, hashlib.sha256(code.encode()).hexdigest())
    for column in MagicLink.__table__.columns:
        assert token not in str(getattr(row, column.key)), column.key
        assert code not in str(getattr(row, column.key)), column.key

    config.configure(config.ServiceConfig(base_url=service_config.base_url, secret_key="another key"))
    assert await type_code(world, code) is None  # the stored hash is keyed: another key does not match it
    config.configure(service_config)
    assert await signed_in_as(world, await type_code(world, code))


async def test_request_link_mails_the_link_and_the_code(database, at):
    world = await make_world("alpha")
    sent, mail = await new_mail(magic_links.request_link(world.actor.org_id, " JANE@Client-Alpha.TEST ", ip=IP))
    assert sent is True
    assert (mail.to_addr, mail.subject) == (world.contact.email, "Your sign-in link for Alpha")
    token, code = secrets_in(mail, "alpha")
    assert f"\nhttp://portico.test/portal/alpha/link/{token}\n" in mail.body_text
    assert f"\n{code}\n" in mail.body_text
    assert await magic_links.link_is_usable(world.actor.org_id, token)
    [row] = await actions(world, "portal.link_requested")
    assert (row.actor_type, row.actor_label, row.target_label, row.ip) == ("portal", *[world.contact.email] * 2, IP)


async def test_request_link_refuses_quietly(database, at):
    world, other = await make_world("alpha"), await make_world("bravo")
    gone = await add_contact(world, "gone@client-alpha.test")
    await contacts.update_contact(world.actor, gone.id, ContactChanges(active=False))
    await add_contact(world, "staff-only@client-alpha.test", portal=False)
    before = set(await outbox_rows())
    for email in (
        "nobody@client-alpha.test",
        "gone@client-alpha.test",
        "STAFF-ONLY@client-alpha.test",
        other.contact.email,  # a contact of another organization
        "not an email",
        "",
    ):
        assert await magic_links.request_link(world.actor.org_id, email, ip=IP) is False, email
    assert set(await outbox_rows()) == before
    assert await count(MagicLink) == 0
    refused = await actions(world, "portal.link_refused")
    assert sorted((r.target_label, r.detail["active"], r.detail["portal_enabled"]) for r in refused) == [
        ("gone@client-alpha.test", False, True),
        ("staff-only@client-alpha.test", True, False),
    ]
    assert await actions(world, "portal.link_requested") == []
    assert await actions(other, "portal.link_refused") == []


# --- using a link ----------------------------------------------------------------------------------------------


async def test_a_second_link_does_not_break_the_first(database, at):
    world = await make_world("alpha")
    first, second = await request(world), await request(world)
    assert first[0] != second[0]
    assert await signed_in_as(world, await use(world, first[0]))
    assert await signed_in_as(world, await use(world, second[0]))
    assert [await use(world, first[0]), await use(world, second[0])] == [None, None]
    assert await count(PortalSession) == 2


async def test_a_link_lives_15_minutes(database, at):
    world = await make_world("alpha")
    (early, _), (late, late_code) = await request(world), await request(world)
    at(ALMOST)
    assert await magic_links.link_is_usable(world.actor.org_id, early)
    assert await magic_links.link_is_usable(world.actor.org_id, late)
    assert await signed_in_as(world, await use(world, early))
    at(TTL)
    assert not await magic_links.link_is_usable(world.actor.org_id, late)
    assert await use(world, late) is None
    assert await type_code(world, late_code) is None
    at(TTL + timedelta(days=1))
    assert await use(world, late) is None
    assert await count(PortalSession) == 1


async def test_a_link_works_once_and_for_its_organization_only(database, at):
    world, other = await make_world("alpha"), await make_world("bravo")
    token, code = await request(world)
    assert await use(other, token) is None  # org A's link with org B's id
    assert not await magic_links.link_is_usable(other.actor.org_id, token)
    for bad in ("", token[:-1], token + "x", "x" * 500):
        assert await use(world, bad) is None
        assert not await magic_links.link_is_usable(world.actor.org_id, bad)
    assert await magic_links.link_is_usable(world.actor.org_id, token)  # none of that used it up
    assert await signed_in_as(world, await use(world, token))
    assert await use(world, token) is None
    assert not await magic_links.link_is_usable(world.actor.org_id, token)
    assert await type_code(world, code) is None  # the code of a used link is spent too
    [row] = await links()
    assert row.used_at == T0
    assert (await contacts.get_contact(world.actor, world.contact.id)).last_sign_in_at == T0


async def test_a_link_of_a_contact_who_lost_access_signs_nobody_in(database, at):
    world = await make_world("alpha")
    sam = await add_contact(world, "sam@client-alpha.test")
    jane_token, jane_code = await request(world)
    sam_token, sam_code = await request(world, sam.email)
    await contacts.update_contact(world.actor, world.contact.id, ContactChanges(active=False))
    await contacts.update_contact(world.actor, sam.id, ContactChanges(portal_enabled=False))
    assert await type_code(world, jane_code) is None
    assert await use(world, jane_token) is None
    assert await type_code(world, sam_code, sam.email) is None
    assert await use(world, sam_token) is None
    assert await count(PortalSession) == 0


# --- the code --------------------------------------------------------------------------------------------------


async def test_sign_in_with_the_code(database, at):
    world = await make_world("alpha")
    sam = await add_contact(world, "sam@client-alpha.test")
    token, code = await request(world)
    await request(world, sam.email)
    assert await type_code(world, code, "nobody@client-alpha.test") is None
    assert await type_code(world, code, sam.email) is None  # right code, wrong person
    assert await type_code(world, code, "not an email") is None
    spaced = f" {code[:3]} {code[3:]} "
    assert await signed_in_as(world, await type_code(world, spaced, "Jane@CLIENT-alpha.test"))
    assert await type_code(world, code) is None
    assert not await magic_links.link_is_usable(world.actor.org_id, token)


async def test_wrong_codes_count_against_every_live_link_and_void_them(database, at):
    world = await make_world("alpha")
    sam = await add_contact(world, "sam@client-alpha.test")
    first_token, first = await request(world)
    _, sams = await request(world, sam.email)
    for _ in range(3):
        assert await type_code(world, other_code(first)) is None
    _, second = await request(world)
    for _ in range(2):
        assert await type_code(world, other_code(first, second)) is None
    assert sorted((r.contact_id == sam.id, r.code_attempts) for r in await links()) == [
        (False, 2),
        (False, 5),
        (True, 0),
    ]
    assert await type_code(world, first) is None  # five wrong codes voided the first link, its code is wrong now
    assert await use(world, first_token) is None
    assert not await magic_links.link_is_usable(world.actor.org_id, first_token)
    assert await signed_in_as(world, await type_code(world, second))
    assert await signed_in_as(world, await type_code(world, sams, sam.email), sam.id)  # Jane's mistakes are hers

    (third_token, third), (fourth_token, fourth) = await request(world), await request(world)
    for _ in range(magic_links.MAX_CODE_ATTEMPTS):
        assert await type_code(world, other_code(third, fourth)) is None
    assert [await type_code(world, third), await type_code(world, fourth)] == [None, None]
    assert [await use(world, third_token), await use(world, fourth_token)] == [None, None]
    assert await count(PortalSession) == 2


# --- invitations -----------------------------------------------------------------------------------------------


async def test_staff_send_an_invitation(database, smtp, at):
    world = await make_world("alpha")
    changes = organizations.OrganizationChanges(name="Alpha", slug="alpha", welcome_message="Glad to have you.")
    await organizations.update_organization(world.actor, changes)
    await magic_links.send_invitation(world.actor, world.contact.id)
    assert await outbox.send_due() == 1
    [message] = smtp.inbox.wait_for(1)
    assert (message["To"], message["Subject"]) == (world.contact.email, "Alpha invited you to its client portal")
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # SMTP line ends
    assert "Alpha has invited you to its client portal" in text
    assert "Glad to have you." in text
    [(slug, token)], [_] = LINK.findall(text), CODE.findall(text)
    [row] = await links()
    assert (slug, row.purpose, row.token_hash) == ("alpha", "invitation", hashlib.sha256(token.encode()).hexdigest())
    assert await signed_in_as(world, await use(world, token))
    [sent] = await actions(world, "portal.invitation_sent")
    assert (sent.actor_label, sent.target_label) == (world.actor.email, world.contact.email)


async def test_invitations_are_refused(database, at):
    world, other = await make_world("alpha"), await make_world("bravo")
    gone = await add_contact(world, "gone@client-alpha.test")
    await contacts.update_contact(world.actor, gone.id, ContactChanges(active=False))
    staff_only = await add_contact(world, "staff-only@client-alpha.test", portal=False)
    portal = world.portal_actor()
    for who, contact_id in ((portal, world.contact.id), (world.actor, other.contact.id), (world.actor, "nope")):
        with pytest.raises(NotFound):
            await magic_links.send_invitation(who, contact_id)
    for contact_id, field in ((gone.id, "active"), (staff_only.id, "portal_enabled")):
        with pytest.raises(Invalid) as info:
            await magic_links.send_invitation(world.actor, contact_id)
        assert info.value.field == field
    assert (await count(MagicLink), await count(OutboxMail)) == (0, 0)
    assert await actions(world, "portal.invitation_sent") == []


# --- housekeeping and races ------------------------------------------------------------------------------------


async def test_purge_deletes_expired_used_and_voided_links_only(database, at):
    world = await make_world("alpha")
    sam = await add_contact(world, "sam@client-alpha.test")
    await request(world)  # expires at 15:00
    at(timedelta(minutes=10))
    used, _ = await request(world)
    assert await use(world, used) is not None
    _, sams = await request(world, sam.email)
    for _ in range(magic_links.MAX_CODE_ATTEMPTS):
        assert await type_code(world, other_code(sams), sam.email) is None
    live, _ = await request(world)
    at(TTL)
    assert await magic_links.purge_expired() == 3
    [kept] = await links()
    assert kept.token_hash == hashlib.sha256(live.encode()).hexdigest()
    assert await magic_links.purge_expired() == 0
    assert await signed_in_as(world, await use(world, live))


@pytest.mark.postgres
@pytest.mark.parametrize("racers", [2, 10])
async def test_concurrent_uses_of_one_link_make_one_session(postgres_url, racers):
    db.configure(postgres_url)
    try:
        world = await make_world("alpha")
        token, code = await request(world)
        results = await asyncio.gather(*(use(world, token) for _ in range(racers)))
        winners = [r for r in results if r is not None]
        assert len(winners) == 1
        assert await signed_in_as(world, winners[0])
        assert await count(PortalSession) == 1

        token, code = await request(world)  # the link and its code, raced against each other
        results = await asyncio.gather(
            *(use(world, token) for _ in range(racers)), *(type_code(world, code) for _ in range(racers))
        )
        assert len([r for r in results if r is not None]) == 1
        assert await count(PortalSession) == 2
    finally:
        await db.close()


@pytest.mark.postgres
async def test_concurrent_wrong_codes_still_stop_at_five(postgres_url):
    db.configure(postgres_url)
    try:
        world = await make_world("alpha")
        token, code = await request(world)
        assert await asyncio.gather(*(type_code(world, other_code(code)) for _ in range(20))) == [None] * 20
        [row] = await links()
        assert row.code_attempts == magic_links.MAX_CODE_ATTEMPTS  # the guesses past the fifth were never checked
        assert await type_code(world, code) is None
        assert await use(world, token) is None
    finally:
        await db.close()


async def test_an_invitation_lives_7_days_and_a_requested_link_15_minutes(database, at):
    world = await make_world("alpha")
    _, invitation = await new_mail(magic_links.send_invitation(world.actor, world.contact.id))
    invited, invited_code = secrets_in(invitation, "alpha")
    asked, _ = await request(world)
    assert {(row.purpose, row.expires_at) for row in await links()} == {
        ("invitation", T0 + timedelta(days=7)),
        ("sign_in", T0 + TTL),
    }
    assert "expire in 7 days" in invitation.body_text
    at(TTL)
    assert not await magic_links.link_is_usable(world.actor.org_id, asked)
    assert await use(world, asked) is None
    at(timedelta(days=7) - timedelta(seconds=1))
    assert await magic_links.link_is_usable(world.actor.org_id, invited)
    assert await signed_in_as(world, await type_code(world, invited_code))  # the code lives as long as its link
    _, again = await new_mail(magic_links.send_invitation(world.actor, world.contact.id))
    at(timedelta(days=14))
    assert not await magic_links.link_is_usable(world.actor.org_id, secrets_in(again, "alpha")[0])
    assert await use(world, secrets_in(again, "alpha")[0]) is None


async def test_sign_in_mails_are_branded_greet_by_name_and_escape_names(database, smtp, at):
    world = await make_world("alpha")
    await set_org(world.actor.org_id, name=HOSTILE_NAME, accent_color="#0f766e", support_email="help@alpha.test")
    await contacts.update_contact(world.actor, world.contact.id, ContactChanges(name='Jane "<b>" Doe'))
    await request(world)
    await magic_links.send_invitation(world.actor, world.contact.id)
    assert await outbox.send_due() == 2
    for message in smtp.inbox.wait_for(2):
        text, html = plain_text(message), html_part(message)
        assert text.startswith('Hello Jane "<b>" Doe,\n\n')
        [(slug, token)], [code] = LINK.findall(text), CODE.findall(text)
        assert slug == "alpha"
        assert f'href="http://portico.test/portal/alpha/link/{token}"' in html and code in html
        assert "<script>" not in html and "<b>" not in html
        assert "Hello Jane &quot;&lt;b&gt;&quot; Doe," in html and "&lt;script&gt;" in html
        assert "#0f766e" in html and "help@alpha.test" in text and "help@alpha.test" in html
        assert sender_name(message) == HOSTILE_NAME
