"""Column definitions for `ui.table` and `PagedTable`, written once."""

from __future__ import annotations

from typing import Any, Literal


def column(
    name: str,
    label: str,
    *,
    align: Literal["left", "right", "center"] = "left",
    sortable: bool = False,
    field: str | None = None,
) -> dict[str, Any]:
    """A Quasar table column: `field` defaults to `name`; "sortable" is set only when asked for."""
    spec: dict[str, Any] = {"name": name, "label": label, "field": field or name, "align": align}
    if sortable:
        spec["sortable"] = True
    return spec
