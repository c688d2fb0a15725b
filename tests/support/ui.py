"""NiceGUI's simulated `User` against Portico's real app factory (no browser, same pages and services)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import httpx
from nicegui import Client, core, ui
from nicegui.element import Element
from nicegui.functions.download import download
from nicegui.functions.navigate import Navigate
from nicegui.functions.notify import notify
from nicegui.testing import general
from nicegui.testing.general import nicegui_reset_globals, prepare_simulation
from nicegui.testing.user import User

from portal_app.app import create_app
from portal_app.settings import Settings

# NiceGUI's reset runs a full gc.collect() before and after every test: a quarter of a second each in a process
# that has imported the app, and more as a long session's heap grows; half the time of a page test. Nothing here
# waits on garbage being collected (each test deletes its page clients itself, below), so the reset's collections
# are left to Python's own collector, which runs as memory is allocated.
general.gc = SimpleNamespace(collect=lambda: 0)  # type: ignore[assignment]


@asynccontextmanager
async def simulated_app(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Build the app as `serve` does, run its lifespan, and yield an HTTP client bound to it in-process."""
    # Each app build wraps the router's lifespan once more and NiceGUI's reset does not unwrap it:
    # restore it, or a long test session recurses through hundreds of layers.
    lifespan = core.app.router.lifespan_context
    with nicegui_reset_globals():
        os.environ["NICEGUI_USER_SIMULATION"] = "true"
        try:
            prepare_simulation()
            create_app(settings)
            ui.run(storage_secret="simulated secret")
            async with core.app.router.lifespan_context(core.app):
                async with httpx.AsyncClient(transport=httpx.ASGITransport(core.app), base_url="http://test") as client:
                    yield client
        finally:
            # The simulated browsers never disconnect, and NiceGUI's reset forgets their pages without deleting
            # them: delete them here, so each page's handlers run (`follow` unsubscribes from the after-commit
            # events). Otherwise every page of the session stays subscribed, and reachable, for good: later tests
            # publish to hundreds of dead pages and NiceGUI's per-test gc.collect() walks them all.
            for page_client in list(Client.instances.values()):
                with contextlib.suppress(KeyError):
                    page_client.delete()
            core.app.router.lifespan_context = lifespan
            # The reset would drop the modules of these pages from sys.modules (for apps that declare pages at
            # import): Portico's declarations live in `portal_app.pages` and are mounted again by each app build.
            Client.page_routes.clear()
            os.environ.pop("NICEGUI_USER_SIMULATION", None)
            ui.navigate = Navigate()
            ui.notify = notify
            ui.download = download


# How long `should_see` and `should_not_see` wait by default, in tries 0.1 s apart. NiceGUI's own default is three
# tries: on a loaded two-core machine, a click whose handler writes to the database and redraws the page can take
# longer than 0.3 s, and the assertion failed with the expected element drawn in the tree it printed.
PATIENT_TRIES = 50


class PatientUser(User):
    """NiceGUI's simulated user, waiting up to 5 s for what a page should show (2.5 s for what it should stop showing).
    A passing check returns as soon as it holds, so the longer wait costs only a failing test its time."""

    async def should_see(
        self,
        target: str | type[Element] | None = None,
        *,
        kind: type[Element] | None = None,
        marker: str | list[str] | None = None,
        content: str | list[str] | None = None,
        retries: int = PATIENT_TRIES,
    ) -> None:
        # NiceGUI's overloads split `target` from `kind`/`marker`/`content`; its implementation takes them all.
        await super().should_see(target, kind=kind, marker=marker, content=content, retries=retries)  # type: ignore[call-overload]

    async def should_not_see(
        self,
        target: str | type[Element] | None = None,
        *,
        kind: type[Element] | None = None,
        marker: str | list[str] | None = None,
        content: str | list[str] | None = None,
        retries: int = PATIENT_TRIES,
    ) -> None:
        # NiceGUI's overloads split `target` from `kind`/`marker`/`content`; its implementation takes them all.
        await super().should_not_see(target, kind=kind, marker=marker, content=content, retries=retries)  # type: ignore[call-overload]


def new_user(client: httpx.AsyncClient) -> User:
    """A separate simulated browser sharing the app (own cookies)."""
    return PatientUser(httpx.AsyncClient(transport=client._transport, base_url="http://test"))
