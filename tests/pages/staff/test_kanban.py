"""Where a card lands on the staff board: dropped on a column or on a card, moved up or down by the menu."""

from __future__ import annotations

from components.kanban import BoardCard, current_position, drop_position, neighbour_position

A, B, C, D = (BoardCard(id=name, title=name, group="web") for name in "ABCD")
X = BoardCard(id="X", title="X", group="app")  # another project's card in the same column


def test_dropped_on_the_column_it_goes_to_the_bottom() -> None:
    assert drop_position([A, B, C], D, None, after=False) is None


def test_dropped_on_a_card_it_goes_before_or_after_it() -> None:
    column = [A, B, C]
    assert drop_position(column, D, A, after=False) == 0
    assert drop_position(column, D, A, after=True) == 1
    assert drop_position(column, D, C, after=True) == 3


def test_within_a_column_the_dragged_card_does_not_count() -> None:
    column = [A, B, C, D]
    assert drop_position(column, A, C, after=False) == 1  # between B and C once A is out
    assert drop_position(column, A, D, after=True) == 3  # the bottom
    assert drop_position(column, D, A, after=False) == 0  # the top
    assert drop_position(column, B, A, after=True) == current_position(column, B)  # where it already is


def test_positions_count_within_the_cards_project() -> None:
    column = [A, X, B]
    assert drop_position(column, C, X, after=False) == 1  # before X: after A, the only web card above it
    assert drop_position(column, C, X, after=True) == 1  # after another project's card: the same place
    assert drop_position(column, C, B, after=False) == 1
    assert current_position(column, B) == 1


def test_up_and_down_stop_at_the_ends_of_the_cards_project() -> None:
    column = [A, X, B, C]
    assert neighbour_position(column, A, -1) is None
    assert neighbour_position(column, A, 1) == 1
    assert neighbour_position(column, B, -1) == 0  # past X, which is another project's
    assert neighbour_position(column, C, 1) is None
    assert neighbour_position(column, X, -1) is None and neighbour_position(column, X, 1) is None
