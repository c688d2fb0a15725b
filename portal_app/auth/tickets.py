"""One-time tickets: a sign-in form (a websocket event, which cannot set cookies) hands one to an HTTP route.

A ticket lives 60 seconds, is used once, and is kept only as its hash, in this process's memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Generic, TypeVar

from services.common import hash_secret, new_secret

T = TypeVar("T")
TICKET_TTL = 60.0


@dataclass
class _Entry(Generic[T]):
    value: T
    expires: float


class TicketBox(Generic[T]):
    def __init__(self, ttl: float = TICKET_TTL) -> None:
        self.ttl = ttl
        self._entries: dict[str, _Entry[T]] = {}

    def issue(self, value: T) -> str:
        self._sweep()
        ticket = new_secret()
        self._entries[hash_secret(ticket)] = _Entry(value, time.monotonic() + self.ttl)
        return ticket

    def redeem(self, ticket: str) -> T | None:
        entry = self._entries.pop(hash_secret(ticket), None) if ticket else None
        if entry is None or entry.expires < time.monotonic():
            return None
        return entry.value

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, e in self._entries.items() if e.expires < now]:
            del self._entries[key]
