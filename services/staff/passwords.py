"""Argon2id password hashing. Verification of an unknown user still costs one hash, so timing tells nothing."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

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


# zxcvbn's score (0–4) a new password must reach: 3 is "safely unguessable" against an online attacker and
# well beyond the 30,000 most common passwords, names, dates and keyboard patterns its lists hold.
MIN_STRENGTH = 3
STRENGTH_CHECKED = 100  # characters zxcvbn looks at: its cost grows with the length, and 100 are plenty


def check_new_password(password: str, *, email: str = "", name: str = "") -> None:
    """A password someone is choosing: long enough, and not common or built from their own email or name
    (zxcvbn, Dropbox's estimator with its bundled lists). Raises `Invalid` on the "password" field, saying why."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"Use at least {MIN_PASSWORD_LENGTH} characters for the password.", "password")
    if len(password) > 1024:
        raise Invalid("That password is too long.", "password")
    result = zxcvbn(password[:STRENGTH_CHECKED], user_inputs=[x for x in (email, name, *email.split("@")) if x])
    if result["score"] >= MIN_STRENGTH:
        return
    common = any(m.get("dictionary_name") == "passwords" for m in result["sequence"])
    own = any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"])
    if common:
        reason = "it is one of the most common passwords"
    elif own:
        reason = "it is built from your email or name"
    else:
        reason = "it is too easy to guess"
    raise Invalid(f"Choose another password: {reason}. A few unrelated words make a strong one.", "password")


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(_hasher), password[:1024]) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
