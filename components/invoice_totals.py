"""An invoice's totals as a right-aligned two-column grid, from rows the billing presentation made."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from nicegui import ui

_EMPHASIS_CLASSES = {
    "": "",
    "total": " font-semibold",
    "due": " font-semibold text-base",
    "credit": " font-semibold text-amber-800",
}


class TotalsLine(Protocol):
    @property
    def label(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def emphasis(self) -> str: ...


def invoice_totals(rows: Sequence[TotalsLine]) -> None:
    with ui.grid(columns=2).classes("ml-auto gap-x-8 gap-y-1 text-sm").mark("invoice-totals"):
        for row in rows:
            emphasis = _EMPHASIS_CLASSES.get(row.emphasis, "")
            ui.label(row.label).classes("text-gray-600" + emphasis)
            # Tabular figures line the amounts up in the reader's own font (money is never monospace).
            amount = ui.label(row.text).classes("text-right tabular-nums whitespace-nowrap" + emphasis)
            if row.emphasis == "credit":  # money to refund or credit: never hidden behind a zero "Amount due"
                amount.mark("overpaid")
