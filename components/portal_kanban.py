"""The portal's requests board: three columns of cards, read-only (staff move cards on their own board).

Fed with plain `KanbanCard`s so it knows nothing of services. A card can be opened (to read and reply to its
discussion) by click or keyboard; nothing can be dragged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from nicegui import ui


@dataclass(frozen=True, slots=True)
class KanbanCard:
    id: str
    title: str
    requester: str
    comments: int


@dataclass(frozen=True, slots=True)
class KanbanColumn:
    key: str
    title: str
    cards: Sequence[KanbanCard]
    hidden: int = 0  # cards of the column beyond those shown


OnOpen = Callable[[str], Awaitable[None]]
OnMore = Callable[[str], Awaitable[None]]  # a column's key: show more of its cards


def _card(card: KanbanCard, on_open: OnOpen | None) -> None:
    # Three elements a card: a board page holds dozens and every open tab keeps each one in the server's memory.
    with ui.card().classes("w-full gap-1 p-3").props("flat bordered").mark(f"request-{card.id}") as box:
        ui.label(card.title).classes("font-medium break-words")
        comments = f"{card.comments} comment{'' if card.comments == 1 else 's'}"
        ui.label(f"From {card.requester} · {comments}" if card.requester else comments).classes("text-xs text-gray-600")
    if on_open is None:
        return
    box.classes("cursor-pointer hover:shadow-md")
    # Named by what it shows (title, who asked, comments): a name of the title alone would leave out text a
    # person sees and may say to a voice control (WCAG 2.5.3).
    box.props["role"], box.props["tabindex"] = "button", "0"

    async def open_card() -> None:
        await on_open(card.id)

    box.on("click", open_card)
    box.on("keydown.enter", open_card)
    box.on("keydown.space.prevent", open_card)  # a role=button answers both keys


def more_button(column_key: str, hidden: int, on_more: OnMore | None) -> None:
    """Under a column that shows only its first cards: how many more there are, and a button that shows them."""
    if not hidden:
        return
    if on_more is None:
        ui.label(f"{hidden} more").classes("text-sm text-gray-500")
        return

    async def more() -> None:
        await on_more(column_key)

    ui.button(f"Show more ({hidden})", on_click=more).props("flat dense no-caps").classes("self-center").mark(
        f"more-{column_key}"
    )


def portal_kanban(
    columns: Sequence[KanbanColumn], on_open: OnOpen | None = None, on_more: OnMore | None = None
) -> None:
    with ui.element("div").classes("w-full grid grid-cols-1 md:grid-cols-3 gap-4").mark("kanban"):
        for column in columns:
            with (
                ui.column().classes("bg-gray-50 rounded-lg p-3 gap-2 min-h-[6rem]").mark(f"column-{column.key}") as lane
            ):
                lane.props["role"], lane.props["aria-label"], lane.props["data-column"] = (
                    "region",
                    column.title,
                    column.key,
                )
                with ui.row().classes("w-full items-center justify-between"):
                    ui.label(column.title).classes("font-semibold")
                    ui.badge(str(len(column.cards) + column.hidden)).props("color=grey-6 rounded")
                if not column.cards:
                    ui.label("Nothing here").classes("text-sm text-gray-400")
                for card in column.cards:
                    _card(card, on_open)
                more_button(column.key, column.hidden, on_more)
