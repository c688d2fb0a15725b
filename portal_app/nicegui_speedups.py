"""A memo for NiceGUI's `expects_arguments`, which every element paid for three times on every page view.

Each NiceGUI element makes three observable collections (classes, style, props), and each asks
`helpers.expects_arguments(self._update)`: a fresh `inspect.signature` of a bound method. On the portal's Invoices
page (46 elements) that was 138 signatures per view, about a tenth of the server's CPU per view.

Whether a bound method expects arguments depends only on its function (the bound object only drops the first
parameter), so the answer is kept per function. Functions carrying `__signature__` or `__wrapped__` (whose
signature could be changed or comes from elsewhere), and every other kind of callable, are asked each time as before.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType, MethodType
from typing import Any
from weakref import WeakKeyDictionary

from nicegui import helpers

_original: Callable[[Callable[..., Any]], bool] = helpers.expects_arguments
# Weak keys: a method of a class made at run time does not keep its function alive here.
_by_function: WeakKeyDictionary[FunctionType, bool] = WeakKeyDictionary()


def _memoizable(func: Callable[..., Any]) -> FunctionType | None:
    """The function behind a plain bound method whose signature cannot change; None for anything else."""
    if type(func) is not MethodType:
        return None
    function = func.__func__
    if type(function) is not FunctionType or hasattr(function, "__signature__") or hasattr(function, "__wrapped__"):
        return None
    return function


def expects_arguments(func: Callable[..., Any]) -> bool:
    """`nicegui.helpers.expects_arguments`, remembered per function for plain bound methods."""
    function = _memoizable(func)
    if function is None:
        return _original(func)
    known = _by_function.get(function)
    if known is None:
        known = _by_function[function] = _original(func)
    return known


def install() -> None:
    """Route NiceGUI's calls (all made as `helpers.expects_arguments(...)`) through the memo. Idempotent."""
    helpers.expects_arguments = expects_arguments
