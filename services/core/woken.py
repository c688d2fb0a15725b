"""A background pass that runs at once when woken (an after-commit event said there is work), and every
`idle_seconds` anyway: the outbox's sender and the documents' maker inside `serve`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("portico.workers")


class WokenWorker:
    def __init__(self, name: str) -> None:
        self.name = name
        self._wake: asyncio.Event | None = None  # set while `run` runs

    def wake(self) -> None:
        """There is work: the next pass starts now rather than at the next tick. Commits run on the event loop's
        thread, so an after-commit listener may call this."""
        if self._wake is not None:
            self._wake.set()

    async def run(self, work: Callable[[], Awaitable[object]], stop: asyncio.Event, idle_seconds: float) -> None:
        """`work` at once, then whenever woken and every `idle_seconds`, until `stop` is set."""
        self._wake = woken = asyncio.Event()
        try:
            while not stop.is_set():
                woken.clear()
                try:
                    await work()
                except Exception:
                    log.exception("%s worker pass failed", self.name)
                wake_task = asyncio.ensure_future(woken.wait())
                stop_task = asyncio.ensure_future(stop.wait())
                await asyncio.wait({wake_task, stop_task}, timeout=idle_seconds, return_when=asyncio.FIRST_COMPLETED)
                for task in (wake_task, stop_task):
                    task.cancel()
        finally:
            self._wake = None
