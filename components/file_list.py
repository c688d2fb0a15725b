"""A paginated table of files, fed with plain rows: name (a link), size, type, who uploaded it (marked when the
client did), when, a "Shared with client" switch and Rename / Delete.

The switch and buttons live in the table's cell templates and reach the page as table events ("share",
"rename", "delete", each with the row's id), so the page decides what they do and the rows stay view data.
Each row is a dict with: id, name, href, size, type, uploader, by_client, generated, date, shared, shared_tip,
and, when the project column is shown, project and project_href.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import events

from components.paged_table import Fetch, PagedTable
from components.table_columns import column

RowAction = Callable[[str], Awaitable[None]]
ShareAction = Callable[[str, bool], Awaitable[None]]

# "client" after the uploader's name when one of the client's contacts uploaded the file.
# "document" when Portico made the file (a welcome packet, a progress report, a certificate): it is remade, not
# renamed or deleted, so its row has no such buttons.
UPLOADER_CELL = (
    '{{ props.value }}<q-badge v-if="props.row.by_client" outline color="primary" label="client" class="q-ml-xs" />'
    '<q-badge v-if="props.row.generated" outline color="grey-8" label="document" class="q-ml-xs" />'
)
# A client's own upload stays visible to them: the switch is on and disabled, and its tooltip says why. The
# tooltip hangs on a wrapper, since a disabled control does not receive the pointer.
SHARED_CELL = (
    '<span class="inline-block">'
    '<q-toggle dense :model-value="props.row.shared" :disable="props.row.by_client"'
    " :aria-label=\"'Shared with client: ' + props.row.name\""
    " @update:model-value=\"(value) => $parent.$emit('share', {id: props.row.id, shared: value})\" />"
    "<q-tooltip>{{ props.row.shared_tip }}</q-tooltip></span>"
)
ACTIONS_CELL = (
    '<template v-if="!props.row.generated">'
    '<q-btn flat round dense size="sm" icon="edit" :aria-label="\'Rename \' + props.row.name"'
    " @click=\"() => $parent.$emit('rename', {id: props.row.id})\"><q-tooltip>Rename</q-tooltip></q-btn>"
    '<q-btn flat round dense size="sm" icon="delete" color="negative" :aria-label="\'Delete \' + props.row.name"'
    " @click=\"() => $parent.$emit('delete', {id: props.row.id})\"><q-tooltip>Delete</q-tooltip></q-btn>"
    "</template>"
)


def file_columns(*, show_project: bool) -> list[dict[str, Any]]:
    columns = [column("name", "Name")]
    if show_project:  # a client's list gathers the files of all its projects
        columns.append(column("project", "Project"))
    columns += [
        column("size", "Size", align="right"),
        column("type", "Type"),
        column("uploader", "Uploaded by"),
        column("date", "Date"),
        column("shared", "Shared with client", align="center"),
        column("actions", "", align="right"),
    ]
    return columns


class FileTable:
    """The table and its row events; `load` fetches the current page again (after a change, or a live event)."""

    def __init__(
        self,
        fetch: Fetch,
        *,
        on_share: ShareAction,
        on_rename: RowAction,
        on_delete: RowAction,
        show_project: bool = False,
        rows_per_page: int = 10,
    ) -> None:
        self.paged = PagedTable(file_columns(show_project=show_project), fetch, rows_per_page=rows_per_page)
        self.table = self.paged.table
        self.table.props('no-data-label="No files yet."')
        self.paged.link_column("name", "props.row.href")
        if show_project:
            self.paged.cell(
                "project",
                '<a v-if="props.row.project_href" class="text-primary hover:underline" :href="props.row.project_href">'
                '{{ props.value }}</a><span v-else class="text-grey-6">Client</span>',
            )
        self.paged.cell("uploader", UPLOADER_CELL)
        self.paged.cell("shared", SHARED_CELL)
        self.paged.cell("actions", ACTIONS_CELL)
        self.table.on("share", lambda e: on_share(_row_id(e), bool(e.args.get("shared"))))
        self.table.on("rename", lambda e: on_rename(_row_id(e)))
        self.table.on("delete", lambda e: on_delete(_row_id(e)))

    async def load(self) -> None:
        await self.paged.load()

    def rows(self) -> list[dict[str, Any]]:
        return list(self.table.rows)


def _row_id(event: events.GenericEventArguments) -> str:
    return str(event.args.get("id", "")) if isinstance(event.args, dict) else ""
