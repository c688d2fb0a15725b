"""Argon2id password hashing. Verification of an unknown user still costs one hash, so timing tells nothing."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.core.errors import Invalid

_hasher = PasswordHasher()


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """What an unknown user is checked against: made on first use, not at import (it costs a full hash)."""
    return hasher.hash("portico-timing-equaliser")


MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"Use at least {MIN_PASSWORD_LENGTH} characters for the password.", "password")
    if len(password) > 1024:
        raise Invalid("That password is too long.", "password")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(_hasher), password[:1024]) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
