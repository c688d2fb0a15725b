"""A status badge in the colour the billing presentation gave it: the same on staff pages and in the portal."""

from __future__ import annotations

from nicegui import ui

# A table cell's badge (PagedTable.cell), where the row carries `status` (the label) and `status_color`.
STATUS_CELL = '<q-badge :style="{backgroundColor: props.row.status_color, color: \'#fff\'}" :label="props.value" />'


def status_badge(label: str, color: str) -> ui.badge:
    return ui.badge(label).style(f"background-color: {color}; color: #fff")
