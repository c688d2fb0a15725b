"""Small shared pieces: pages of results, secret tokens, input normalisation."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

from email_validator import EmailNotValidError, validate_email

from services.core.errors import Invalid, NotFound

T = TypeVar("T")

MAX_PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def page_window(limit: int, offset: int) -> tuple[int, int]:
    """Clamp a requested window: at most MAX_PAGE_SIZE rows, never negative."""
    if limit < 1 or limit > MAX_PAGE_SIZE:
        raise Invalid(f"limit must be between 1 and {MAX_PAGE_SIZE}", "limit")
    if offset < 0:
        raise Invalid("offset must not be negative", "offset")
    return limit, offset


def new_secret() -> str:
    """256 bits from the OS random source, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Secrets are stored only as their SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def normalize_email(value: str, field: str = "email") -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid("Enter an email address.", field)
    try:
        return validate_email(value, check_deliverability=False, test_environment=True).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(f"That email address is not valid: {exc}", field) from exc


def email_identity(value: str) -> str:
    """The one form of an address that lookups and rate limits share.

    A valid address is keyed exactly as the lookup finds it (`normalize_email`: Unicode-normalised
    domain, lower case), so "a@ｅxample.test" and "A@example。test " count against one bucket and reach
    one mailbox. Anything else is folded on its own; it matches no account, but is still counted.
    """
    try:
        return normalize_email(value)
    except Invalid:
        return "invalid:" + " ".join((value or "").split()).casefold()


# Characters that end a line somewhere (mail headers, PDFs, browsers): a single-line field refuses them all.
_LINE_BREAK = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Other control characters have no place in typed text (PostgreSQL cannot even store NUL); tab is allowed.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
# Multi-line fields are bounded in lines as well as characters, so everything saved can be laid out on paper.
LONG_TEXT_LINES = 200
ADDRESS_LINES = 12


def _clean_text(value: str | None, field: str, label: str, max_length: int, max_lines: int) -> str:
    value = (value or "").strip()
    if _CONTROL.search(value):
        raise Invalid(f"{label} contains a character that is not allowed.", field)
    if max_lines == 1:
        if _LINE_BREAK.search(value):
            raise Invalid(f"{label} must be on one line.", field)
    else:
        value = _LINE_BREAK.sub("\n", value.replace("\r\n", "\n"))
        if value.count("\n") >= max_lines:
            raise Invalid(f"{label} has too many lines (at most {max_lines}).", field)
    if len(value) > max_length:
        raise Invalid(f"{label} is too long (at most {max_length} characters).", field)
    return value


def required_text(value: str | None, field: str, label: str, max_length: int, *, max_lines: int = 1) -> str:
    """Typed text that must be there: one line unless `max_lines` allows more, trimmed, bounded."""
    value = _clean_text(value, field, label, max_length, max_lines)
    if not value:
        raise Invalid(f"{label} is required.", field)
    return value


def optional_text(value: str | None, field: str, label: str, max_length: int, *, max_lines: int = 1) -> str:
    """Typed text that may be empty: one line unless `max_lines` allows more, trimmed, bounded."""
    return _clean_text(value, field, label, max_length, max_lines)


def one_line(value: str, max_length: int = 300) -> str:
    """Text already stored, made safe for one line (a mail subject): breaks and controls become spaces."""
    flat = " ".join(_CONTROL.sub(" ", _LINE_BREAK.sub(" ", value)).split())
    return flat if len(flat) <= max_length else flat[: max_length - 1] + "…"


def parse_id(value: str | uuid.UUID, what: str = "Not found") -> uuid.UUID:
    """An id from a URL or form: a malformed one is simply not found."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise NotFound(what) from None


def like_pattern(term: str) -> str:
    """A LIKE pattern for a contains-search, with the wildcards of the user's text escaped."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
