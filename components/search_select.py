"""A select whose options come from the server as the user types: for lists too long to send whole (an
organization's thousand clients). Fed with a `search` callback, so it knows nothing of services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import events, ui

Search = Callable[[str], Awaitable[dict[str, str]]]  # typed text -> {value: label}, a short list


def search_select(
    options: dict[str, str], value: str | None, label: str, search: Search, *, pinned: dict[str, str] | None = None
) -> ui.select:
    """`options` are the first choices (they must hold `value`); typing asks `search` for matching ones. `pinned`
    choices ("All clients") always come first, the chosen one stays whatever is typed next, and only the latest
    answer is shown."""
    pinned = pinned or {}
    select = ui.select({**pinned, **options}, value=value, label=label, with_input=True)
    asked = 0

    async def typed(event: events.GenericEventArguments) -> None:
        nonlocal asked
        asked += 1
        mine = asked
        found = await search(str(event.args or "").strip())
        if mine != asked or select.is_deleted:
            return  # a later keystroke's answer is on its way, or the form is gone
        shown = select.options if isinstance(select.options, dict) else {}
        chosen = {k: v for k, v in shown.items() if k == select.value}
        select.set_options({**pinned, **chosen, **found}, value=select.value)

    select.on("input-value", typed, throttle=0.25, leading_events=False)
    return select
