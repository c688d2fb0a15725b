"""Sign-in building blocks: rate limits and one-time tickets (in the shared state, here the test's own SQLite
database), redirect targets, passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models.shared_state import OneTimeTicket
from portal_app.auth.ratelimit import SlidingWindow
from portal_app.auth.requests import safe_next
from portal_app.auth.tickets import TicketBox, unseal
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Invalid
from services.core.shared_state import purge_expired
from services.staff import passwords


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


# --- SlidingWindow ---------------------------------------------------------------------------------------------


async def test_sliding_window_allows_up_to_the_limit_per_key(sqlite_database, at):
    limiter = SlidingWindow("test-limit", limit=3, window=60)
    assert [await limiter.hit("a@x.test") for _ in range(4)] == [True, True, True, False]
    assert await limiter.blocked("a@x.test")
    # Other keys have their own bucket.
    assert not await limiter.blocked("b@x.test")
    assert await limiter.hit("b@x.test")


async def test_sliding_window_frees_slots_as_hits_age_out(sqlite_database, at):
    limiter = SlidingWindow("test-limit", limit=2, window=60)
    assert await limiter.hit("k")
    at(seconds(30))
    assert await limiter.hit("k")
    assert not await limiter.hit("k")
    at(seconds(59.9))  # the first hit is 59.9 s old: still inside the window
    assert await limiter.blocked("k")
    assert not await limiter.hit("k")
    at(seconds(60))  # the first hit is now exactly one window old and drops out
    assert not await limiter.blocked("k")
    assert await limiter.hit("k")
    assert not await limiter.hit("k")  # the second hit (30 s old) and the new one fill the window
    at(seconds(120))
    assert await limiter.hit("k") and await limiter.hit("k")


async def test_refused_attempts_do_not_extend_the_block(sqlite_database, at):
    limiter = SlidingWindow("test-limit", limit=1, window=10)
    assert await limiter.hit("k")
    for n in range(1, 6):
        at(seconds(n))
        assert not await limiter.hit("k")
    at(seconds(10))  # ten seconds after the only counted hit
    assert await limiter.hit("k")


async def test_sliding_window_reset_one_key_or_all(sqlite_database, at):
    limiter = SlidingWindow("test-limit", limit=1, window=60)
    other = SlidingWindow("test-other-limit", limit=1, window=60)
    assert await limiter.hit("a") and await limiter.hit("b") and await other.hit("a")
    await limiter.reset("a")
    assert not await limiter.blocked("a")
    assert await limiter.blocked("b")
    await limiter.reset("unknown")  # harmless
    await limiter.reset()
    assert not await limiter.blocked("b")
    assert await limiter.hit("a") and await limiter.hit("b")
    assert await other.blocked("a")  # a limiter resets its own bucket only


# --- TicketBox -------------------------------------------------------------------------------------------------


BROWSER = "browser-id-of-the-signing-in-browser"


async def test_ticket_is_redeemed_once(sqlite_database, at):
    box: TicketBox[str] = TicketBox("test-tickets", ttl=60)
    ticket = await box.issue("user-1", browser=BROWSER)
    assert await box.redeem(ticket, browser=BROWSER) == "user-1"
    assert await box.redeem(ticket, browser=BROWSER) is None


async def test_tickets_are_distinct_and_bound_to_their_value(sqlite_database, at):
    box: TicketBox[str] = TicketBox("test-tickets", ttl=60)
    first, second = await box.issue("one", browser=BROWSER), await box.issue("two", browser=BROWSER)
    assert first != second
    assert len(first) >= 43  # 256 bits, URL-safe
    assert await box.redeem(second, browser=BROWSER) == "two"
    assert await box.redeem(first, browser=BROWSER) == "one"


async def test_a_ticket_works_only_in_its_own_box(sqlite_database, at):
    staff: TicketBox[str] = TicketBox("test-staff-tickets", ttl=60)
    portal: TicketBox[str] = TicketBox("test-portal-tickets", ttl=60)
    ticket = await staff.issue("staff user", browser=BROWSER)
    assert await portal.redeem(ticket, browser=BROWSER) is None
    assert await staff.redeem(ticket, browser=BROWSER) == "staff user"


async def test_ticket_values_go_through_the_box_codec(sqlite_database, at):
    box: TicketBox[tuple[str, int]] = TicketBox(
        "test-tickets", encode=lambda v: {"name": v[0], "n": v[1]}, decode=lambda d: (d["name"], d["n"])
    )
    ticket = await box.issue(("acme", 3), browser=BROWSER)
    assert await box.redeem(ticket, browser=BROWSER) == ("acme", 3)


async def test_what_the_shared_state_keeps_is_sealed_under_the_ticket(sqlite_database, at):
    """A value may be a live session token: the row holds neither it nor anything usable without the ticket."""
    box: TicketBox[str] = TicketBox("test-tickets", ttl=60)
    ticket = await box.issue("session-token-abc123", browser="browser-1")
    async with unit_of_work(SystemActor()) as session:
        [row] = list(await session.scalars(select(OneTimeTicket)))
    assert "session-token-abc123" not in row.payload and "browser-1" not in row.payload
    assert unseal("another-ticket", "test-tickets", row.payload) is None  # the hash alone opens nothing
    assert unseal(ticket, "other-bucket", row.payload) is None
    tampered = row.payload[:-4] + ("AAAA" if not row.payload.endswith("AAAA") else "BBBB")
    assert unseal(ticket, "test-tickets", tampered) is None
    assert await box.redeem(ticket, browser="browser-1") == "session-token-abc123"


async def test_ticket_expires(sqlite_database, at):
    box: TicketBox[str] = TicketBox("test-tickets", ttl=60)
    fresh, stale = await box.issue("fresh", browser=BROWSER), await box.issue("stale", browser=BROWSER)
    at(seconds(60))
    assert await box.redeem(fresh, browser=BROWSER) == "fresh"  # at the very end of its life it still works
    at(seconds(60.5))
    assert await box.redeem(stale, browser=BROWSER) is None
    assert await box.redeem(stale, browser=BROWSER) is None


async def test_expired_tickets_are_purged_and_stay_dead(sqlite_database, at):
    box: TicketBox[str] = TicketBox("test-tickets", ttl=60)
    old = await box.issue("old", browser=BROWSER)
    at(seconds(61))
    assert await purge_expired() == 1
    at()  # even if the clock were to read earlier again
    assert await box.redeem(old, browser=BROWSER) is None


@pytest.mark.parametrize("ticket", ["", "not-a-ticket", "x" * 500])
async def test_unknown_ticket(sqlite_database, at, ticket):
    box: TicketBox[str] = TicketBox("test-tickets", ttl=60)
    await box.issue("someone", browser=BROWSER)
    assert await box.redeem(ticket, browser=BROWSER) is None


# --- safe_next -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/", "/clients?x=1", "/clients/abc#contacts", "/a/b?next=/c&d=%2F%2Fe"])
def test_safe_next_keeps_same_site_paths(target):
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        "",
        None,
        "//evil.test",
        "//evil.test/clients",
        "https://evil.test",
        "http://evil.test/",
        "/\\evil",
        "/\\/evil.test",
        "javascript:alert(1)",
        "clients",
        "/\t/evil.test",  # browsers drop tabs and newlines from URLs: this would become //evil.test
        "/\n/evil.test",
        "/\r\n/evil.test",
    ],
)
def test_safe_next_refuses_anything_else(target):
    assert safe_next(target) == "/"
    assert safe_next(target, default="/home") == "/home"


# --- passwords -------------------------------------------------------------------------------------------------


def test_password_minimum_length():
    with pytest.raises(Invalid) as info:
        passwords.hash_password("x" * (passwords.MIN_PASSWORD_LENGTH - 1))
    assert info.value.field == "password"
    assert passwords.hash_password("x" * passwords.MIN_PASSWORD_LENGTH)


def test_password_maximum_length():
    with pytest.raises(Invalid) as info:
        passwords.hash_password("x" * 1025)
    assert info.value.field == "password"


def test_verify_password_right_and_wrong():
    hashed = passwords.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "correct horse battery" not in hashed
    assert passwords.verify_password(hashed, "correct horse battery")
    assert not passwords.verify_password(hashed, "correct horse batterz")
    assert not passwords.verify_password(hashed, "")
    assert not passwords.needs_rehash(hashed)


def test_verify_password_without_a_hash_is_false():
    assert passwords.verify_password(None, "portico-timing-equaliser") is False  # not even the dummy's password
    assert passwords.verify_password(None, "anything at all") is False
    assert passwords.verify_password("not-an-argon2-hash", "anything at all") is False


async def test_a_ticket_works_only_in_the_browser_that_earned_it(sqlite_database, at):
    box: TicketBox[str] = TicketBox("test-tickets", ttl=60)
    stolen, mine = await box.issue("attacker", browser="attackers-browser"), await box.issue("me", browser=BROWSER)
    # The attacker's own ticket, opened in the victim's browser (another id, or none), signs nobody in ...
    assert await box.redeem(stolen, browser=BROWSER) is None
    # ... and is spent: not even its own browser can use it afterwards.
    assert await box.redeem(stolen, browser="attackers-browser") is None
    assert await box.redeem(mine, browser="") is None
    assert await box.redeem(mine, browser=BROWSER) is None


async def test_a_ticket_cannot_be_issued_unbound(sqlite_database):
    with pytest.raises(ValueError, match="bound to a browser"):
        await TicketBox[str]("test-tickets", ttl=60).issue("someone", browser="")
