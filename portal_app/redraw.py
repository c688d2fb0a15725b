"""Redrawing open pages when something they show changes: shared by the staff workspace and the portal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable


class Coalesced:
    """Runs `action` now, or once more after the run in progress: a burst of events costs at most two redraws."""

    def __init__(self, action: Callable[[], Awaitable[None]]) -> None:
        self.action = action
        self.running = False
        self.again = False

    async def __call__(self) -> None:
        if self.running:
            self.again = True
            return
        self.running = True
        try:
            while True:
                self.again = False
                await self.action()
                if not self.again:
                    break
        finally:
            self.running = False
