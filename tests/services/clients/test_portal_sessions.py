"""Portal sessions: resolved per organization, idle and absolute limits, ended at once, announced after commit."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from models import Contact, PortalSession
from services.clients import contacts, portal_sessions
from services.clients.contacts import ContactChanges, ContactInput
from services.clients.portal_sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from services.core import audit, clock, events
from services.core.actors import PortalActor, SystemActor
from services.core.audit import AuditFilter
from services.core.db import unit_of_work
from services.core.errors import NotFound
from services.core.events import PortalSessionsEnded
from tests.support.clock import T0
from tests.support.factories import OrgWorld, make_world

IP, AGENT = "198.51.100.7", "Safari on iPhone"


@pytest.fixture
def heard() -> Iterator[list[object]]:
    """The portal sessions `services.events` says ended while the test runs (its other events, such as a new
    project owing its welcome packet, are other tests' business)."""
    delivered: list[object] = []

    def hear(item: object) -> None:
        if isinstance(item, PortalSessionsEnded):
            delivered.append(item)

    unsubscribe = events.subscribe(hear)
    yield delivered
    unsubscribe()


async def sign_in(contact_id: uuid.UUID, *, ip: str = IP, agent: str = AGENT) -> str:
    async with unit_of_work(SystemActor()) as session:
        contact = await session.get(Contact, contact_id)
        assert contact is not None
        return await portal_sessions.start(session, contact, ip=ip, user_agent=agent)


async def find_row(token: str) -> PortalSession | None:
    async with unit_of_work(SystemActor()) as session:
        return await session.scalar(
            select(PortalSession).where(PortalSession.token_hash == hashlib.sha256(token.encode()).hexdigest())
        )


async def row_of(token: str) -> PortalSession:
    row = await find_row(token)
    assert row is not None, "no session row for the token"
    return row


async def resolve(world: OrgWorld, token: str | None) -> portal_sessions.ResolvedPortalSession | None:
    return await portal_sessions.resolve(world.actor.org_id, token, ip=IP)


async def actions(world: OrgWorld, action: str) -> list[audit.AuditRow]:
    return (await audit.list_events(world.actor, AuditFilter(action=action))).items


async def add_contact(world: OrgWorld, email: str) -> contacts.ContactView:
    data = ContactInput(email=email, name=email.split("@")[0].title(), portal_enabled=True)
    return await contacts.create_contact(world.actor, world.client.id, data)


async def test_resolve_gives_the_contact_of_its_organization(database, at):
    world, other = await make_world("alpha"), await make_world("bravo")
    token = await sign_in(world.contact.id)
    resolved = await resolve(world, token)
    assert resolved is not None
    assert resolved.actor == PortalActor(world.actor.org_id, world.client.id, world.contact.id, world.contact.email, IP)
    row = await row_of(token)
    assert (row.id, row.ip, row.user_agent) == (resolved.session_id, IP, AGENT)
    assert (row.created_at, row.last_seen_at, row.expires_at) == (T0, T0, T0 + ABSOLUTE_TIMEOUT)
    for column in PortalSession.__table__.columns:
        assert token not in str(getattr(row, column.key)), column.key
    assert await portal_sessions.is_live(row.id)
    assert await portal_sessions.resolve(other.actor.org_id, token) is None  # org B's portal
    for bad in (None, "", token[:-1], token + "x", "x" * 500):
        assert await resolve(world, bad) is None
    [signed_in] = await actions(world, "portal.signed_in")
    assert (signed_in.actor_type, signed_in.actor_label, signed_in.ip) == ("portal", world.contact.email, IP)

    assert (await contacts.get_contact(world.actor, world.contact.id)).last_sign_in_at == T0
    at(timedelta(days=2))
    await sign_in(world.contact.id)
    assert (await contacts.get_contact(world.actor, world.contact.id)).last_sign_in_at == T0 + timedelta(days=2)


async def test_idle_timeout_of_7_days(database, at):
    world = await make_world("alpha")
    used, unused = await sign_in(world.contact.id), await sign_in(world.contact.id)
    at(timedelta(seconds=30))
    assert await resolve(world, used) is not None
    assert (await row_of(used)).last_seen_at == T0  # touched at most once a minute
    at(IDLE_TIMEOUT - timedelta(seconds=1))
    assert await resolve(world, used) is not None  # this use moves the idle deadline
    assert (await row_of(used)).last_seen_at == T0 + IDLE_TIMEOUT - timedelta(seconds=1)
    at(IDLE_TIMEOUT)
    assert await resolve(world, unused) is None
    assert not await portal_sessions.is_live((await row_of(unused)).id)
    assert await resolve(world, used) is not None
    at(3 * IDLE_TIMEOUT)
    assert await resolve(world, used) is None


async def test_absolute_timeout_of_30_days_holds_even_when_active(database, at):
    world = await make_world("alpha")
    token = await sign_in(world.contact.id)
    session_id = (await row_of(token)).id
    step, offset = IDLE_TIMEOUT - timedelta(minutes=1), timedelta(0)
    while offset + step < ABSOLUTE_TIMEOUT:  # used every few days
        offset += step
        at(offset)
        assert await resolve(world, token) is not None, offset
    at(ABSOLUTE_TIMEOUT - timedelta(seconds=1))
    assert await portal_sessions.is_live(session_id)
    at(ABSOLUTE_TIMEOUT)
    assert await resolve(world, token) is None
    assert not await portal_sessions.is_live(session_id)


async def test_sign_out_ends_the_session_and_says_so(database, at, heard):
    world, other = await make_world("alpha"), await make_world("bravo")
    token, kept = await sign_in(world.contact.id), await sign_in(world.contact.id)
    session_id = (await row_of(token)).id
    await portal_sessions.sign_out(other.actor.org_id, token)  # another organization's sign-out page
    await portal_sessions.sign_out(world.actor.org_id, "unknown")
    await portal_sessions.sign_out(world.actor.org_id, None)
    assert heard == []
    assert await resolve(world, token) is not None

    await portal_sessions.sign_out(world.actor.org_id, token, ip=IP)
    assert heard == [PortalSessionsEnded(world.actor.org_id, frozenset({session_id}))]
    assert await resolve(world, token) is None
    assert not await portal_sessions.is_live(session_id)
    row = await row_of(token)
    assert (row.ended_at, row.ended_reason) == (T0, "signed_out")
    assert await resolve(world, kept) is not None  # the contact's other browser
    await portal_sessions.sign_out(world.actor.org_id, token)
    assert len(heard) == 1
    [signed_out] = await actions(world, "portal.signed_out")
    assert (signed_out.actor_label, signed_out.ip) == (world.contact.email, IP)


@pytest.mark.parametrize(
    ("changes", "reason"), [({"active": False}, "deactivated"), ({"portal_enabled": False}, "access_removed")]
)
async def test_losing_access_ends_every_session_of_the_contact(database, at, heard, changes, reason):
    world, other = await make_world("alpha"), await make_world("bravo")
    sam = await add_contact(world, "sam@client-alpha.test")
    tokens = [await sign_in(world.contact.id, agent=f"browser {n}") for n in range(3)]
    await portal_sessions.sign_out(world.actor.org_id, tokens[0])
    heard.clear()
    sams, bravo = await sign_in(sam.id), await sign_in(other.contact.id)
    live_ids = frozenset([(await row_of(t)).id for t in tokens[1:]])

    await contacts.update_contact(world.actor, world.contact.id, ContactChanges(**changes))
    assert heard == [PortalSessionsEnded(world.actor.org_id, live_ids)]
    assert [await resolve(world, t) for t in tokens] == [None, None, None]
    assert [(await row_of(t)).ended_reason for t in tokens] == ["signed_out", reason, reason]
    sams_session = await resolve(world, sams)
    assert sams_session is not None and sams_session.actor.contact_id == sam.id  # a colleague at the same client
    assert await portal_sessions.resolve(other.actor.org_id, bravo) is not None

    await contacts.update_contact(world.actor, world.contact.id, ContactChanges(active=True, portal_enabled=True))
    assert [await resolve(world, t) for t in tokens] == [None, None, None]  # ended, not merely hidden
    assert await resolve(world, await sign_in(world.contact.id)) is not None
    assert len(heard) == 1


async def test_staff_list_and_revoke_sessions(database, at, heard):
    world, other = await make_world("alpha"), await make_world("bravo")
    sam = await add_contact(world, "sam@client-alpha.test")
    phone = await sign_in(world.contact.id, ip="192.0.2.1", agent="Phone")
    laptop = await sign_in(world.contact.id, ip="192.0.2.2", agent="Laptop")
    ended = await sign_in(world.contact.id)
    await portal_sessions.sign_out(world.actor.org_id, ended)
    heard.clear()
    at(timedelta(hours=1))
    await resolve(world, laptop)
    rows = await portal_sessions.list_for_contact(world.actor, str(world.contact.id))
    assert [(r.user_agent, r.ip, r.created_at, r.last_seen_at) for r in rows] == [
        ("Laptop", "192.0.2.2", T0, T0 + timedelta(hours=1)),
        ("Phone", "192.0.2.1", T0, T0),
    ]
    assert await portal_sessions.list_for_contact(world.actor, sam.id) == []

    laptop_id, phone_id = rows[0].id, rows[1].id
    for who, call in (
        (other.actor, lambda who: portal_sessions.list_for_contact(who, world.contact.id)),
        (other.actor, lambda who: portal_sessions.revoke(who, phone_id)),
        (world.portal_actor(), lambda who: portal_sessions.list_for_contact(who, world.contact.id)),
        (world.portal_actor(), lambda who: portal_sessions.revoke(who, phone_id)),
        (world.actor, lambda who: portal_sessions.list_for_contact(who, other.contact.id)),
        (world.actor, lambda who: portal_sessions.list_for_contact(who, "not-an-id")),
        (world.actor, lambda who: portal_sessions.revoke(who, uuid.uuid4())),
        (world.actor, lambda who: portal_sessions.revoke(who, "not-an-id")),
    ):
        with pytest.raises(NotFound):
            await call(who)
    assert heard == []
    assert await resolve(world, phone) is not None

    await portal_sessions.revoke(world.actor, laptop_id)
    assert heard == [PortalSessionsEnded(world.actor.org_id, frozenset({laptop_id}))]
    assert await resolve(world, laptop) is None
    assert (await row_of(laptop)).ended_reason == "revoked"
    assert [r.id for r in await portal_sessions.list_for_contact(world.actor, world.contact.id)] == [phone_id]
    with pytest.raises(NotFound):
        await portal_sessions.revoke(world.actor, laptop_id)
    [revoked] = await actions(world, "portal.session_revoked")
    assert (revoked.actor_label, revoked.target_label) == (world.actor.email, world.contact.email)
    other_session = await sign_in(other.contact.id)
    with pytest.raises(NotFound):
        await portal_sessions.revoke(world.actor, (await row_of(other_session)).id)
    assert await portal_sessions.resolve(other.actor.org_id, other_session) is not None


async def test_purge_deletes_dead_sessions_only(database, at):
    world = await make_world("alpha")
    expired = await sign_in(world.contact.id)
    at(ABSOLUTE_TIMEOUT - 2 * IDLE_TIMEOUT)
    idle = await sign_in(world.contact.id)
    at(ABSOLUTE_TIMEOUT - timedelta(minutes=10))
    ended, live = await sign_in(world.contact.id), await sign_in(world.contact.id)
    await portal_sessions.sign_out(world.actor.org_id, ended)
    async with unit_of_work(SystemActor()) as session:  # in use all month: only its absolute limit ends it
        await session.execute(
            update(PortalSession).where(PortalSession.id == (await row_of(expired)).id).values(last_seen_at=clock.now())
        )
    assert await resolve(world, expired) is not None
    at(ABSOLUTE_TIMEOUT)
    assert await portal_sessions.purge_expired() == 3
    assert [await find_row(t) for t in (expired, idle, ended)] == [None, None, None]
    assert await resolve(world, live) is not None
    assert await portal_sessions.purge_expired() == 0


async def test_an_event_of_a_rolled_back_transaction_is_never_delivered(database, at, heard):
    world = await make_world("alpha")
    token, other = await sign_in(world.contact.id), await sign_in(world.contact.id)
    with pytest.raises(RuntimeError, match="boom"):
        async with unit_of_work(SystemActor()) as session:
            contact = await session.get(Contact, world.contact.id)
            assert contact is not None
            assert await portal_sessions.end_for_contact(session, contact, "deactivated") == 2
            raise RuntimeError("boom")
    assert heard == []
    assert await resolve(world, token) is not None
    await portal_sessions.sign_out(world.actor.org_id, other)  # the next commit delivers its own event only
    assert heard == [PortalSessionsEnded(world.actor.org_id, frozenset({(await row_of(other)).id}))]


async def test_a_failing_listener_does_not_stop_the_others(database, at):
    def broken(_: object) -> None:
        raise ValueError("a page that went away")

    world = await make_world("alpha")
    token = await sign_in(world.contact.id)
    delivered: list[object] = []
    unsubscribe = [events.subscribe(broken), events.subscribe(delivered.append)]  # the broken one first
    try:
        await portal_sessions.sign_out(world.actor.org_id, token)
    finally:
        for remove in unsubscribe:
            remove()
    assert delivered == [PortalSessionsEnded(world.actor.org_id, frozenset({(await row_of(token)).id}))]
    assert await resolve(world, token) is None
