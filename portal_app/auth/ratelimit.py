"""Sliding-window rate limits, counted in the state every `serve` process shares (`services.core.shared_state`)."""

from __future__ import annotations

from services.core import shared_state


class SlidingWindow:
    """At most `limit` hits per `window` seconds for each key, in a bucket of its own."""

    def __init__(self, bucket: str, *, limit: int, window: float) -> None:
        self.bucket = bucket
        self.limit = limit
        self.window = window

    async def hit(self, key: str) -> bool:
        """Count one attempt; False when the key is over its limit (the attempt is then not counted)."""
        return await shared_state.hit(self.bucket, key, self.limit, self.window)

    async def blocked(self, key: str) -> bool:
        return await shared_state.blocked(self.bucket, key, self.limit, self.window)

    async def reset(self, key: str | None = None) -> None:
        await shared_state.reset(self.bucket, key)
