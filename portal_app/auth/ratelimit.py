"""In-process sliding-window rate limits (Portico runs as one process)."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable


class SlidingWindow:
    """At most `limit` hits per `window` seconds for each key."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._next_sweep = clock() + window

    def _prune(self, key: str, now: float) -> deque[float]:
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return deque()
        return hits

    def blocked(self, key: str) -> bool:
        return len(self._prune(key, self._clock())) >= self.limit

    def hit(self, key: str) -> bool:
        """Count one attempt; False when the key is over its limit (the attempt is then not counted)."""
        now = self._clock()
        self._sweep(now)
        hits = self._prune(key, now)
        if len(hits) >= self.limit:
            return False
        self._hits[key].append(now)
        return True

    def _sweep(self, now: float) -> None:
        """Once a window, forget keys that were not seen again: one-off keys must not pile up in memory."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.window
        for key in list(self._hits):
            self._prune(key, now)

    def __len__(self) -> int:
        return len(self._hits)

    def reset(self, key: str | None = None) -> None:
        if key is None:
            self._hits.clear()
        else:
            self._hits.pop(key, None)
