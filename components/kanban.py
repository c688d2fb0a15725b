"""The staff requests board: columns of cards that move by drag and drop, and by a "Move" menu on every card.

Fed with plain `BoardCard`s and callbacks, so it knows nothing of services. The menu does everything a drag
does, for keyboards and screen readers. Positions count within a card's `group` (its project): on a client's
board cards of several projects share a column, but each project keeps its own order.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from nicegui import ui

from components.portal_kanban import OnMore, more_button

DRAG_TYPE = "application/x-portico-card"
HIGHLIGHT = "ring-2"
SOURCE_BADGES = {"portal": ("Client request", "teal-8"), "feedback": ("Feedback", "purple-7")}


@dataclass(frozen=True, slots=True)
class BoardCard:
    id: str
    title: str
    requester: str = ""
    assignee: str = ""
    comments: int = 0
    source: str = ""  # "portal" and "feedback" get a badge
    group: str = ""  # the order of cards is kept per group
    group_label: str = ""  # shown on the card when the board spans groups


@dataclass(frozen=True, slots=True)
class BoardColumn:
    key: str
    title: str
    cards: Sequence[BoardCard]
    hidden: int = 0  # cards of the column below those shown


OnMove = Callable[[str, str, int | None], Awaitable[None]]  # card id, column key, position in its group (None: bottom)
OnOpen = Callable[[str], Awaitable[None]]


def drop_position(cards: Sequence[BoardCard], dragged: BoardCard, target: BoardCard | None, after: bool) -> int | None:
    """Where `dragged` lands among its group's cards in a column (`cards`, top to bottom) when dropped on `target`:
    before it, or after it when `after`. Dropped on the column itself (no target): None, the bottom."""
    if target is None:
        return None
    position = 0
    for card in cards:
        if card.id == target.id:
            return position + 1 if after and card.group == dragged.group and card.id != dragged.id else position
        if card.id != dragged.id and card.group == dragged.group:
            position += 1
    return None


def current_position(cards: Sequence[BoardCard], card: BoardCard) -> int:
    """The card's place among its group's cards in its column."""
    return [c.id for c in cards if c.group == card.group].index(card.id)


def neighbour_position(cards: Sequence[BoardCard], card: BoardCard, step: int) -> int | None:
    """The position one place up (-1) or down (+1) within the card's group, or None at either end."""
    siblings = sum(1 for c in cards if c.group == card.group)
    place = current_position(cards, card) + step
    return place if 0 <= place < siblings else None


_DRAG_START = "(e) => {{ e.dataTransfer.setData('{kind}', {id}); e.dataTransfer.effectAllowed = 'move'; }}"
_DRAG_OVER = f"(e) => {{ e.preventDefault(); e.currentTarget.classList.add('{HIGHLIGHT}'); }}"
_DRAG_LEAVE = (
    f"(e) => {{ if (!e.currentTarget.contains(e.relatedTarget)) e.currentTarget.classList.remove('{HIGHLIGHT}'); }}"
)
# Dropped on a card: the upper half puts the dragged card before it, the lower half after it.
_DROP_ON_CARD = (
    "(e) => { e.preventDefault(); e.stopPropagation();"
    f" e.currentTarget.closest('[data-column]')?.classList.remove('{HIGHLIGHT}');"
    " const box = e.currentTarget.getBoundingClientRect();"
    f" emit({{card: e.dataTransfer.getData('{DRAG_TYPE}'), after: e.clientY > box.top + box.height / 2}}); }}"
)
_DROP_ON_COLUMN = (
    f"(e) => {{ e.preventDefault(); e.currentTarget.classList.remove('{HIGHLIGHT}');"
    f" emit({{card: e.dataTransfer.getData('{DRAG_TYPE}')}}); }}"
)


class Kanban:
    """Draws `columns`; `on_move` is called with where a card should go, `on_open` when a card is opened."""

    def __init__(
        self, columns: Sequence[BoardColumn], on_move: OnMove, on_open: OnOpen, on_more: OnMore | None = None
    ) -> None:
        self.columns = columns
        self.on_move = on_move
        self.on_open = on_open
        self.on_more = on_more
        self.cards = {card.id: (column, card) for column in columns for card in column.cards}
        with ui.element("div").classes("w-full grid grid-cols-1 md:grid-cols-3 gap-4 items-start").mark("kanban"):
            for column in columns:
                self._column(column)

    async def drop(self, column: BoardColumn, target: BoardCard | None, args: object) -> None:
        """A card was dropped on `column` (on `target`, or on the column itself); `args` come from the browser."""
        if not isinstance(args, dict):
            return
        found = self.cards.get(str(args.get("card") or ""))
        if found is None or (target is not None and target.id == found[1].id):
            return  # a drag from elsewhere (another tab, a file), or a card dropped on itself
        source, card = found
        position = drop_position(column.cards, card, target, bool(args.get("after")))
        if source.key == column.key and not (position is None and column.hidden):
            if position is None:  # dropped on its own column, all of it shown: to the bottom
                position = sum(1 for c in column.cards if c.group == card.group) - 1
            if position == current_position(column.cards, card):
                return
        await self.on_move(card.id, column.key, position)

    def _column(self, column: BoardColumn) -> None:
        with ui.column().classes("bg-gray-50 rounded-lg p-3 gap-2 min-h-[8rem] ring-primary") as lane:
            lane.mark(f"column-{column.key}")
            lane.props["role"], lane.props["aria-label"], lane.props["data-column"] = "region", column.title, column.key
            lane.on("dragover", js_handler=_DRAG_OVER)
            lane.on("dragleave", js_handler=_DRAG_LEAVE)
            lane.on("drop", lambda e, c=column: self.drop(c, None, e.args), js_handler=_DROP_ON_COLUMN)
            with ui.row().classes("w-full items-center justify-between"):
                ui.label(column.title).classes("font-semibold")
                ui.badge(str(len(column.cards) + column.hidden)).props("color=grey-6 rounded")
            if not column.cards:
                ui.label("Nothing here. Drop a card to move it.").classes("text-sm text-gray-400")
            for card in column.cards:
                self._card(column, card)
            more_button(column.key, column.hidden, self.on_more)

    def _card(self, column: BoardColumn, card: BoardCard) -> None:
        with ui.card().classes("w-full gap-1 p-3 cursor-grab hover:shadow-md").props("flat bordered") as box:
            box.mark(f"request-{card.id}")
            box.props["draggable"] = "true"
            box.on("dragstart", js_handler=_DRAG_START.format(kind=DRAG_TYPE, id=json.dumps(card.id)))
            box.on("drop", lambda e, c=column, t=card: self.drop(c, t, e.args), js_handler=_DROP_ON_CARD)
            # A click anywhere on the card opens it; keyboards and screen readers open it by its title, a real
            # button. The card is no button itself: one holding the Move button would nest controls (WCAG 4.1.2).
            box.on("click", lambda: self.on_open(card.id))
            with ui.row().classes("w-full items-start justify-between gap-1 no-wrap"):
                title = ui.element("button").classes(
                    "font-medium break-words min-w-0 text-left bg-transparent border-0 p-0 cursor-pointer"
                )
                title.props["type"], title.props["aria-label"] = "button", f"Open {card.title}"
                with title:
                    ui.label(card.title)
                self._move_menu(column, card)
            if card.group_label:
                ui.label(card.group_label).classes("text-xs text-primary")
            with ui.row().classes("w-full items-center gap-2 text-xs text-gray-600"):
                if card.source in SOURCE_BADGES:
                    text, color = SOURCE_BADGES[card.source]
                    ui.badge(text, color=color).props("rounded")
                if card.requester:
                    ui.label(f"From {card.requester}")
            with ui.row().classes("w-full items-center justify-between gap-2 text-xs text-gray-600 no-wrap"):
                with ui.row().classes("items-center gap-1 no-wrap min-w-0"):
                    ui.icon("person" if card.assignee else "person_outline", size="xs")
                    ui.label(card.assignee or "Unassigned").classes("truncate").mark(f"assignee-{card.id}")
                with ui.row().classes("items-center gap-1 no-wrap"):
                    ui.icon("chat_bubble_outline", size="xs")
                    count = ui.label(str(card.comments))
                    count.props["aria-label"] = f"{card.comments} comment{'' if card.comments == 1 else 's'}"

    def _move_menu(self, column: BoardColumn, card: BoardCard) -> None:
        # The card underneath opens on click and keys: what happens on its menu button must not reach it.
        button = ui.button(icon="more_vert").props("flat round dense size=sm")
        for kind in ("click.stop", "keydown.enter.stop", "keydown.space.stop"):
            button.on(kind, js_handler="() => {}")
        button.props["aria-label"] = f"Move {card.title}"
        button.tooltip("Move")
        with button, ui.menu().classes("whitespace-nowrap"):
            for other in self.columns:
                if other.key != column.key:
                    ui.menu_item(f"Move to {other.title}", lambda o=other: self.on_move(card.id, o.key, None)).mark(
                        f"move-{card.id}-{other.key}"
                    )
            for text, step in (("Move up", -1), ("Move down", 1)):
                place = neighbour_position(column.cards, card, step)
                if place is not None:
                    ui.menu_item(text, lambda p=place: self.on_move(card.id, column.key, p)).mark(
                        f"move-{card.id}-{'up' if step < 0 else 'down'}"
                    )
