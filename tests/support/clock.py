"""The instant frozen-clock tests start from."""

from datetime import UTC, datetime

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
