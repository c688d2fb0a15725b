"""The app's routes as the route walkers see them (the page guards, the accessibility audit)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def get_paths(routes: Iterable[object]) -> Iterator[str]:
    """The GET paths of the app, through included routers; NiceGUI's own assets and the API mount aside."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            yield from get_paths(original.routes)
        elif "GET" in (getattr(route, "methods", None) or ()) and not route.path.startswith("/_nicegui"):  # type: ignore[attr-defined]
            yield route.path  # type: ignore[attr-defined]
