"""A ui.table paginated on the server: the page asks `fetch` for one window of rows at a time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import events, ui

Fetch = Callable[[int, int], Awaitable[tuple[list[dict[str, Any]], int]]]


class PagedTable:
    """`count_cap`: `fetch` counts at most that many rows and one more; a total above it reads "10,000+".

    On a phone (Quasar's `xs` screen, under 600 px) the rows stack as cards, one "label: value" line per column,
    so no column is cut off; a column drawn by a slot (`cell`, `link_column`, `tooltip_column`) is drawn the same
    way in its card.
    """

    def __init__(
        self,
        columns: list[dict[str, Any]],
        fetch: Fetch,
        *,
        rows_per_page: int = 25,
        row_key: str = "id",
        count_cap: int | None = None,
    ) -> None:
        self.fetch = fetch
        self.count_cap = count_cap
        self.table = ui.table(
            columns=columns,
            rows=[],
            row_key=row_key,
            pagination={"page": 1, "rowsPerPage": rows_per_page, "rowsNumber": 0},
        ).classes("w-full")
        self.table.props(
            'flat bordered binary-state-sort no-data-label="Nothing here yet." :rows-per-page-options="[10,25,50,100]"'
        )
        self.table.on("request", self._on_request)
        self.cells: dict[str, str] = {}  # column name -> the cell's inner template, over `props.row` and `props.value`
        self.table.props(':grid="Quasar.Screen.lt.sm"')
        self._stack()

    def cell(self, name: str, inner: str) -> None:
        """Draw column `name` with a Vue template over `props.row` and `props.value` (Vue escapes interpolations)."""
        self.cells[name] = inner
        self.table.add_slot(f"body-cell-{name}", f'<q-td :props="props">{inner}</q-td>')
        self._stack()

    def link_column(self, name: str, href: str) -> None:
        """Render column `name` as a link; `href` is a JS expression over `props.row`. Vue escapes the text."""
        self.cell(name, f'<a class="text-primary font-medium hover:underline" :href="{href}">{{{{ props.value }}}}</a>')

    def tooltip_column(self, name: str, tooltip_field: str) -> None:
        """Column `name` with a tooltip showing the row's `tooltip_field` (the raw code behind a sentence)."""
        self.cell(name, f"{{{{ props.value }}}}<q-tooltip>{{{{ props.row.{tooltip_field} }}}}</q-tooltip>")

    def _stack(self) -> None:
        """The card a row becomes on a phone: each column's label and its value, or its cell's template."""
        custom = "".join(
            f"<span v-{'if' if n == 0 else 'else-if'}=\"col.name === '{name}'\">"
            + inner.replace("props.value", "col.value")
            + "</span>"
            for n, (name, inner) in enumerate(self.cells.items())
        )
        plain = "<span v-else>{{ col.value }}</span>" if self.cells else "<span>{{ col.value }}</span>"
        self.table.add_slot(
            "item",
            '<div class="q-pa-xs col-12"><q-card flat bordered><q-card-section class="q-py-sm">'
            '<div v-for="col in props.cols" :key="col.name" class="row no-wrap justify-between items-start q-py-xs"'
            ' style="gap: 1rem; min-height: 28px">'
            '<span class="text-grey-8 text-caption" style="flex: none">{{ col.label }}</span>'
            f'<span class="text-right" style="min-width: 0; overflow-wrap: anywhere">{custom}{plain}</span>'
            "</div></q-card-section></q-card></div>",
        )

    async def _on_request(self, event: events.GenericEventArguments) -> None:
        pagination = event.args["pagination"]
        await self.load(page=pagination.get("page", 1), rows_per_page=pagination.get("rowsPerPage", 25))

    async def load(self, page: int | None = None, rows_per_page: int | None = None) -> None:
        current = dict(self.table.pagination or {})
        page = max(int(page or current.get("page", 1)), 1)
        size = int(rows_per_page or current.get("rowsPerPage", 25)) or 25
        size = min(size, 200)
        rows, total = await self.fetch(size, (page - 1) * size)
        if not rows and total and page > 1:  # the page ran past the end (rows were removed): show the last one
            page = (total - 1) // size + 1
            rows, total = await self.fetch(size, (page - 1) * size)
        if self.count_cap is not None:
            total = self._capped(total, self.count_cap)
        self.table.rows = rows
        self.table.pagination = {**current, "page": page, "rowsPerPage": size, "rowsNumber": total}
        self.table.update()

    def _capped(self, total: int, cap: int) -> int:
        """Pages up to the cap, and a label that says when there are more rows than that."""
        more = "+" if total > cap else ""
        self.table.props(
            f":pagination-label=\"(first, end, total) => first + '-' + end + ' of ' + total.toLocaleString('en-US') + '{more}'\""
        )
        return min(total, cap)

    async def reset(self) -> None:
        await self.load(page=1)
