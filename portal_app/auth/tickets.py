"""One-time tickets: a sign-in form (a websocket event, which cannot set cookies) hands one to an HTTP route.

A ticket lives 60 seconds, is used once, works only in the browser that earned it (`browser.py`), and is kept
only as its hash, in the state every `serve` process shares (`services.core.shared_state`): the route that
redeems it may run in another process than the form that earned it. Its value is kept as JSON, through the
box's `encode` and `decode`, beside the hash of the browser it is bound to, and sealed (AES-GCM) under a key
derived from the ticket itself: a value can hold a live session token or a PKCE verifier, and what the shared
state keeps (a database row, a Redis key) is unreadable to anyone who does not hold the ticket, which only the
browser that earned it has.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.core import shared_state
from services.core.common import hash_secret, new_secret, same_secret

T = TypeVar("T")
TICKET_TTL = 60.0


def _as_is(value: Any) -> Any:
    return value


def _key(ticket: str, bucket: str) -> bytes:
    """The sealing key: the ticket's own 256 bits, never stored (the shared state has only its hash)."""
    return hashlib.sha256(f"portico-ticket-seal\x1f{bucket}\x1f{ticket}".encode()).digest()


def seal(ticket: str, bucket: str, plain: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(ticket, bucket)).encrypt(nonce, plain.encode(), bucket.encode())
    return base64.b64encode(nonce + sealed).decode()


def unseal(ticket: str, bucket: str, stored: str) -> str | None:
    try:
        raw = base64.b64decode(stored)
        return AESGCM(_key(ticket, bucket)).decrypt(raw[:12], raw[12:], bucket.encode()).decode()
    except (ValueError, InvalidTag):
        return None


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
        await shared_state.put_ticket(self.bucket, hash_secret(ticket), seal(ticket, self.bucket, payload), self.ttl)
        return ticket

    async def redeem(self, ticket: str, *, browser: str) -> T | None:
        """The ticket's value, once, in its own browser; a ticket tried from another browser is spent as well."""
        stored = await shared_state.take_ticket(self.bucket, hash_secret(ticket)) if ticket else None
        payload = unseal(ticket, self.bucket, stored) if stored is not None else None
        if payload is None:
            return None
        entry = json.loads(payload)
        if not (browser and same_secret(entry["browser"], hash_secret(browser))):
            return None
        return self._decode(entry["value"])
