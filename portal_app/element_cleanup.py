"""A deleted NiceGUI element lets go of its own change handlers, so it is freed at once, not by a full collection.

Each element keeps three observable collections (classes, style, props), and each holds its own bound `_update`
method as its change handler: a reference cycle per collection, three per element, which only Python's cyclic
collector can free. A page view leaves thousands of them when its client is deleted (3 s after the tab closes),
by then old enough to sit in the oldest generation: under load that garbage set off a full collection of the whole
process every few seconds, each stopping the event loop for 1-2 s with hundreds of tabs open (bench/soak.py).

NiceGUI already clears a deleted element's slots and event listeners; this clears the three handler lists as well.
A deleted element is never drawn again, so nothing is lost: its collections are simply no longer observed.
"""

from __future__ import annotations

from collections.abc import Callable

from nicegui.element import Element

_original: Callable[[Element], None] | None = None


def _handle_delete(element: Element) -> None:
    assert _original is not None
    _original(element)
    for observed in (element._classes, element._style, element._props):
        observed._change_handlers.clear()


def install() -> None:
    """Idempotent: subclasses call `super()._handle_delete()`, which reaches this."""
    global _original
    if _original is None:
        _original = Element._handle_delete
        Element._handle_delete = _handle_delete  # type: ignore[method-assign, assignment]
