"""The memo of NiceGUI's `expects_arguments` answers as NiceGUI does, and asks `inspect` once per method."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from portal_app import nicegui_speedups


class Handlers:
    def none(self) -> None: ...

    def one(self, event: object) -> None: ...

    def optional(self, event: object = None) -> None: ...

    def star(self, *args: object, **kwargs: object) -> None: ...

    @functools.wraps(one)
    def wrapped(self) -> None: ...


def plain(event: object) -> None: ...


def callables() -> list[Callable[..., Any]]:
    h = Handlers()
    return [h.none, h.one, h.optional, h.star, h.wrapped, plain, lambda: None, functools.partial(plain, 1), print]


@pytest.mark.parametrize("func", callables())
def test_answers_as_nicegui_does(func: Callable[..., Any]) -> None:
    assert nicegui_speedups.expects_arguments(func) is nicegui_speedups._original(func)
    assert nicegui_speedups.expects_arguments(func) is nicegui_speedups._original(func)  # and again, from the memo


def test_a_method_is_inspected_once_whatever_its_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []
    original = nicegui_speedups._original

    def counting(func: Callable[..., Any]) -> bool:
        asked.append(func)
        return original(func)

    monkeypatch.setattr(nicegui_speedups, "_original", counting)
    monkeypatch.setattr(nicegui_speedups, "_by_function", type(nicegui_speedups._by_function)())
    for _ in range(3):
        assert nicegui_speedups.expects_arguments(Handlers().one) is True
    assert len(asked) == 1
