"""Simulated-user helpers for page tests: signing in, waiting for what a page shows, tables, markers, scopes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar, overload
from urllib.parse import urlsplit

from nicegui import ui
from nicegui.element import Element
from nicegui.testing.user import User
from nicegui.testing.user_navigate import UserNavigate

from tests.support.factories import PASSWORD
from tests.support.signin import staff_cookie

E = TypeVar("E", bound=Element)


async def sign_in(user: User, email: str, password: str = PASSWORD, path: str = "/login") -> None:
    await user.open(path)
    user.find("Email").type(email)
    user.find("Password").type(password)
    user.find(kind=ui.button, content="Sign in").click()


async def signed_in(user: User, email: str) -> None:
    """On the home page, signed in with the ticket the sign-in form would get, fetched over HTTP: a form sign-in is a
    ticket and two navigations, which took over 10 s on a loaded machine (the form has its own tests: test_sign_in)."""
    await staff_cookie(user.http_client, email)
    await user.open("/")
    await user.should_see("Sign out")


async def table_rows(user: User, expected: int | None = None, retries: int = 50) -> list[dict[str, Any]]:
    """The rows of the page's one table, once it has loaded them (polls; the table fills after the page is sent)."""
    for _ in range(retries):
        tables = list(user.find(ui.table).elements)
        if tables and tables[0].props["pagination"].get("rowsNumber") is not None:
            rows = tables[0].rows
            if (expected is None and rows) or (expected is not None and len(rows) == expected):
                return rows
        await asyncio.sleep(0.05)
    tables = list(user.find(ui.table).elements)
    return tables[0].rows if tables else []


def the_table(user: User) -> ui.table:
    return next(iter(user.find(ui.table).elements))


async def eventually(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `predicate` (sync or async) until it is truthy; fail after `timeout` seconds (long enough for a loaded
    two-core machine: a check that holds returns at once, so only a failing test waits it out)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def error_of(field: Element) -> Callable[[], str | None]:
    return lambda: field.props.get("error-message")


async def act_until(
    user: User, marker: str, act: Callable[[Any], None], done: Callable[[], Any], tries: int = 20
) -> None:
    """Act on the element marked `marker` until `done()` holds, finding the element afresh each time.

    A live redraw (after this test's own change, or another session's) replaces the elements it draws: one
    found just before a redraw may be gone when the click or drop reaches it. Use for idempotent actions only.
    """
    for _ in range(tries):
        await user.should_see(marker=marker, retries=50)
        act(user.find(marker=marker))
        try:
            await eventually(done, timeout=3.0)
            return
        except AssertionError:
            continue
    raise AssertionError(f"acting on {marker} never had its effect")


@overload
async def the(user: User, marker: str) -> Element: ...


@overload
async def the(user: User, marker: str, kind: type[E]) -> E: ...


async def the(user: User, marker: str, kind: type[Element] = Element) -> Element:
    """The one element with `marker` on the page, once it is there (handlers build dialogs in the background);
    with `kind`, it must be one of those (an input, say, to read or set its value)."""
    await user.should_see(marker=marker, retries=50)
    found = list(user.find(marker=marker).elements)
    assert len(found) == 1, (marker, found)
    assert isinstance(found[0], kind), (marker, found[0])
    return found[0]


async def sees_within(user: User, scope: str, text: str | None = None, *, marker: str | None = None) -> None:
    """`text` (or an element marked `marker`) inside the element marked `scope`, entered afresh on each try:
    live redraws replace elements."""
    for attempt in range(100):
        try:
            with user.scope(marker=scope):
                if text is not None:  # the simulated user looks for text or a marker, never both
                    await user.should_see(text, retries=1)
                else:
                    await user.should_see(marker=marker, retries=1)
            return
        except AssertionError:
            if attempt == 99:
                raise
            # Entering a scope that is not there yet fails without awaiting anything: yield to the event loop, or
            # the redraw being waited for never runs and every try fails at once (a poll of up to 5 s).
            await asyncio.sleep(0.05)


class RecordingNavigate(UserNavigate):
    """The simulated user's navigation, except that a trip to another site (Stripe) is noted, not followed."""

    def __init__(self, user: User) -> None:
        super().__init__(user)
        self.away: list[str] = []

    def to(self, target: Callable[..., Any] | str | ui.element, new_tab: bool = False) -> None:
        if isinstance(target, str) and urlsplit(target).scheme:
            self.away.append(target)
            return
        super().to(target, new_tab)


def recording(user: User) -> RecordingNavigate:
    navigate = RecordingNavigate(user)
    user.navigate = navigate  # the user installs it as ui.navigate on its next use
    return navigate
