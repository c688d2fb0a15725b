"""Sign-in building blocks without a database: rate limits, one-time tickets, redirect targets, passwords."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from portal_app.auth import tickets as tickets_module
from portal_app.auth.ratelimit import SlidingWindow
from portal_app.auth.requests import safe_next
from portal_app.auth.tickets import TicketBox
from services.core.errors import Invalid
from services.staff import passwords


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


# --- SlidingWindow ---------------------------------------------------------------------------------------------


def test_sliding_window_allows_up_to_the_limit_per_key():
    clock = FakeClock()
    limiter = SlidingWindow(limit=3, window=60, clock=clock)
    assert [limiter.hit("a@x.test") for _ in range(4)] == [True, True, True, False]
    assert limiter.blocked("a@x.test")
    # Other keys have their own bucket.
    assert not limiter.blocked("b@x.test")
    assert limiter.hit("b@x.test")


def test_sliding_window_frees_slots_as_hits_age_out():
    clock = FakeClock()
    limiter = SlidingWindow(limit=2, window=60, clock=clock)
    assert limiter.hit("k")
    clock.now += 30
    assert limiter.hit("k")
    assert not limiter.hit("k")
    clock.now += 29.9  # the first hit is 59.9 s old: still inside the window
    assert limiter.blocked("k")
    assert not limiter.hit("k")
    clock.now += 0.1  # the first hit is now exactly one window old and drops out
    assert not limiter.blocked("k")
    assert limiter.hit("k")
    assert not limiter.hit("k")  # the second hit (30 s old) and the new one fill the window
    clock.now += 60
    assert limiter.hit("k") and limiter.hit("k")


def test_refused_attempts_do_not_extend_the_block():
    clock = FakeClock()
    limiter = SlidingWindow(limit=1, window=10, clock=clock)
    assert limiter.hit("k")
    for _ in range(5):
        clock.now += 1
        assert not limiter.hit("k")
    clock.now = 1010  # ten seconds after the only counted hit
    assert limiter.hit("k")


def test_sliding_window_reset_one_key_or_all():
    limiter = SlidingWindow(limit=1, window=60, clock=FakeClock())
    assert limiter.hit("a") and limiter.hit("b")
    limiter.reset("a")
    assert not limiter.blocked("a")
    assert limiter.blocked("b")
    limiter.reset("unknown")  # harmless
    limiter.reset()
    assert not limiter.blocked("b")
    assert limiter.hit("a") and limiter.hit("b")


# --- TicketBox -------------------------------------------------------------------------------------------------


BROWSER = "browser-id-of-the-signing-in-browser"


@pytest.fixture
def ticket_clock(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(tickets_module, "time", SimpleNamespace(monotonic=clock))
    return clock


def test_ticket_is_redeemed_once(ticket_clock):
    box: TicketBox[str] = TicketBox(ttl=60)
    ticket = box.issue("user-1", browser=BROWSER)
    assert box.redeem(ticket, browser=BROWSER) == "user-1"
    assert box.redeem(ticket, browser=BROWSER) is None


def test_tickets_are_distinct_and_bound_to_their_value(ticket_clock):
    box: TicketBox[str] = TicketBox(ttl=60)
    first, second = box.issue("one", browser=BROWSER), box.issue("two", browser=BROWSER)
    assert first != second
    assert len(first) >= 43  # 256 bits, URL-safe
    assert box.redeem(second, browser=BROWSER) == "two"
    assert box.redeem(first, browser=BROWSER) == "one"


def test_ticket_expires(ticket_clock):
    box: TicketBox[str] = TicketBox(ttl=60)
    fresh, stale = box.issue("fresh", browser=BROWSER), box.issue("stale", browser=BROWSER)
    ticket_clock.now += 60
    assert box.redeem(fresh, browser=BROWSER) == "fresh"  # at the very end of its life it still works
    ticket_clock.now += 0.5
    assert box.redeem(stale, browser=BROWSER) is None
    assert box.redeem(stale, browser=BROWSER) is None


def test_expired_tickets_are_swept_and_stay_dead(ticket_clock):
    box: TicketBox[str] = TicketBox(ttl=60)
    old = box.issue("old", browser=BROWSER)
    ticket_clock.now += 61
    box.issue("new", browser=BROWSER)  # issuing sweeps what has expired
    ticket_clock.now = 1000  # even if the clock were to read earlier again
    assert box.redeem(old, browser=BROWSER) is None


@pytest.mark.parametrize("ticket", ["", "not-a-ticket", "x" * 500])
def test_unknown_ticket(ticket_clock, ticket):
    box: TicketBox[str] = TicketBox(ttl=60)
    box.issue("someone", browser=BROWSER)
    assert box.redeem(ticket, browser=BROWSER) is None


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


def test_a_ticket_works_only_in_the_browser_that_earned_it(ticket_clock):
    box: TicketBox[str] = TicketBox(ttl=60)
    stolen, mine = box.issue("attacker", browser="attackers-browser"), box.issue("me", browser=BROWSER)
    # The attacker's own ticket, opened in the victim's browser (another id, or none), signs nobody in ...
    assert box.redeem(stolen, browser=BROWSER) is None
    # ... and is spent: not even its own browser can use it afterwards.
    assert box.redeem(stolen, browser="attackers-browser") is None
    assert box.redeem(mine, browser="") is None
    assert box.redeem(mine, browser=BROWSER) is None


def test_a_ticket_cannot_be_issued_unbound(ticket_clock):
    with pytest.raises(ValueError, match="bound to a browser"):
        TicketBox[str](ttl=60).issue("someone", browser="")
