"""One-time tickets: a sign-in form (a websocket event, which cannot set cookies) hands one to an HTTP route.

A ticket lives 60 seconds, is used once, works only in the browser that earned it (`browser.py`), and is
kept only as its hash, in this process's memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Generic, TypeVar

from services.core.common import hash_secret, new_secret, same_secret

T = TypeVar("T")
TICKET_TTL = 60.0


@dataclass
class _Entry(Generic[T]):
    value: T
    browser_hash: str
    expires: float


class TicketBox(Generic[T]):
    def __init__(self, ttl: float = TICKET_TTL) -> None:
        self.ttl = ttl
        self._entries: dict[str, _Entry[T]] = {}

    def issue(self, value: T, *, browser: str) -> str:
        """A ticket for `value` that only the browser with id `browser` can redeem."""
        if not browser:
            raise ValueError("a ticket must be bound to a browser")
        self._sweep()
        ticket = new_secret()
        self._entries[hash_secret(ticket)] = _Entry(value, hash_secret(browser), time.monotonic() + self.ttl)
        return ticket

    def redeem(self, ticket: str, *, browser: str) -> T | None:
        """The ticket's value, once, in its own browser; a ticket tried from another browser is spent as well."""
        entry = self._entries.pop(hash_secret(ticket), None) if ticket else None
        if entry is None or entry.expires < time.monotonic():
            return None
        if not (browser and same_secret(entry.browser_hash, hash_secret(browser))):
            return None
        return entry.value

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, e in self._entries.items() if e.expires < now]:
            del self._entries[key]
