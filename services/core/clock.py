"""The one clock services read, so tests can freeze or move time."""

from __future__ import annotations

from datetime import UTC, datetime

_frozen: datetime | None = None


def now() -> datetime:
    return _frozen or datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Tests only: pin `now()` to `at` (None lets time run again)."""
    global _frozen
    _frozen = at
