"""One-time tickets: a sign-in form (a websocket event, which cannot set cookies) hands one to an HTTP route.

A ticket lives 60 seconds, is used once, works only in the browser that earned it (`browser.py`), and is kept
only as its hash, in the state every `serve` process shares (`services.core.shared_state`): the route that
redeems it may run in another process than the form that earned it. Its value is kept as JSON, through the
box's `encode` and `decode`, beside the hash of the browser it is bound to.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from services.core import shared_state
from services.core.common import hash_secret, new_secret, same_secret

T = TypeVar("T")
TICKET_TTL = 60.0


def _as_is(value: Any) -> Any:
    return value


class TicketBox(Generic[T]):
    """Tickets of one kind, in a bucket of their own: a ticket of one box is unknown to every other.

    `encode` turns a value into something `json.dumps` takes and `decode` turns that back; by default the value
    is stored as it is (strings, numbers, lists and dicts of them).
    """

    def __init__(
        self,
        bucket: str,
        *,
        encode: Callable[[T], Any] = _as_is,
        decode: Callable[[Any], T] = _as_is,
        ttl: float = TICKET_TTL,
    ) -> None:
        self.bucket = bucket
        self.ttl = ttl
        self._encode = encode
        self._decode = decode

    async def issue(self, value: T, *, browser: str) -> str:
        """A ticket for `value` that only the browser with id `browser` can redeem."""
        if not browser:
            raise ValueError("a ticket must be bound to a browser")
        ticket = new_secret()
        payload = json.dumps({"browser": hash_secret(browser), "value": self._encode(value)})
        await shared_state.put_ticket(self.bucket, hash_secret(ticket), payload, self.ttl)
        return ticket

    async def redeem(self, ticket: str, *, browser: str) -> T | None:
        """The ticket's value, once, in its own browser; a ticket tried from another browser is spent as well."""
        payload = await shared_state.take_ticket(self.bucket, hash_secret(ticket)) if ticket else None
        if payload is None:
            return None
        entry = json.loads(payload)
        if not (browser and same_secret(entry["browser"], hash_secret(browser))):
            return None
        return self._decode(entry["value"])
