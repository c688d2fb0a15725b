"""How late the event loop wakes up: a cheap gauge of blocking work in `serve`, shown on /healthz.

Every page, websocket, webhook and job of a `serve` process shares one event loop; anything that holds it (a
slow synchronous call, a big page build, a CPU-bound render) delays everything else at once, and nothing in a
request's own timing shows it. A task that sleeps `INTERVAL` and notes how much later than asked it woke up
measures exactly that delay, at the cost of ten wake-ups a second. It keeps the worst delay since it started
and the worst of each of the last `WINDOW` seconds (one number per second, so the memory is fixed), which
is what a health check or a soak test wants to read: "has the loop ever stalled, and is it stalling now".
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque

INTERVAL = 0.1  # seconds between wake-ups: fine enough to see a 100 ms stall, cheap enough to leave on
WINDOW = 60  # seconds of "recent" worst lag


class LoopWatch:
    """Measures the lateness of its own wake-ups on the running loop; `worst` and `last_minute` in seconds."""

    def __init__(self, interval: float = INTERVAL, window: int = WINDOW) -> None:
        self.interval, self.window = interval, window
        self.worst = 0.0
        # (whole second of the loop clock, worst lag in that second), oldest first; at most `window` entries
        self._seconds: deque[tuple[int, float]] = deque(maxlen=window)
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start watching the running loop (from a start-up hook); a new start forgets what the last one saw."""
        if self.running:
            return
        self.worst = 0.0
        self._seconds.clear()
        self._task = asyncio.get_running_loop().create_task(self._watch(), name="loop-watch")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def record(self, now: float, lag: float) -> None:
        """Note one wake-up `lag` seconds late at `now` (time.monotonic(), the clock asyncio's loop keeps)."""
        self.worst = max(self.worst, lag)
        second = math.floor(now)
        if self._seconds and self._seconds[-1][0] == second:
            self._seconds[-1] = (second, max(self._seconds[-1][1], lag))
        else:
            self._seconds.append((second, lag))

    def last_minute(self, now: float | None = None) -> float:
        """The worst lag of the last `window` seconds (0.0 when nothing was recorded in them)."""
        oldest = math.floor(time.monotonic() if now is None else now) - self.window
        return max((lag for second, lag in self._seconds if second > oldest), default=0.0)

    def milliseconds(self) -> dict[str, float]:
        """`{"worst": .., "last_minute": ..}` in milliseconds, as /healthz shows them."""
        return {"worst": round(self.worst * 1000, 1), "last_minute": round(self.last_minute() * 1000, 1)}

    async def _watch(self) -> None:
        while True:
            due = time.monotonic() + self.interval
            await asyncio.sleep(self.interval)
            now = time.monotonic()
            self.record(now, max(0.0, now - due))


# The one watch of this process: started and stopped with the app (portal_app/app.py), read by /healthz.
watch = LoopWatch()
