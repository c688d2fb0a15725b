"""Pages declared with their guard: `staff_page(path)` and `portal_page(path)` build on `guarded_page` here.

A guarded page function receives its context (who is looking) as its first argument; the guard has run
before it, so a page cannot forget it. Declared pages are collected here and mounted by the app factory
with `page_router()`, literal paths before parameterised ones ("/invoices/new" before "/invoices/{id}"),
whatever order their modules were imported in.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import APIRouter

from portal_app.liveness import PAGE_BUILD_SECONDS

Context = TypeVar("Context")
# What a guard answers: the page's context, or what to answer instead (a redirect, or None when it drew the page).
Guard = Callable[..., Awaitable[Any]]
PageFunction = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class DeclaredPage:
    path: str
    endpoint: Callable[..., Awaitable[Any]]
    kind: str  # "staff" or "portal": which sign-in the guard asks for
    options: dict[str, Any] = field(default_factory=dict)


DECLARED: list[DeclaredPage] = []


def guarded_page(
    path: str, *, kind: str, guard: Guard, context_type: type, **options: Any
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
    """Declare a page whose function takes the guard's context first, then the path and query parameters.

    `guard(request, **path_params)` returns the context (an instance of `context_type`) or what the page answers
    instead. The page function may also take `request`.
    """

    def declare(build: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        # Annotations resolved in the page's own module: FastAPI would look names up in this one.
        hints = typing.get_type_hints(build)
        own = [
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in list(inspect.signature(build).parameters.values())[1:]  # the first is the context
        ]
        own_names = {p.name for p in own}
        guard_hints = typing.get_type_hints(guard)
        from_guard = [
            p.replace(annotation=guard_hints.get(p.name, p.annotation))
            for p in inspect.signature(guard).parameters.values()
            if p.name != "request"
        ]

        async def endpoint(request: Request, **params: Any) -> Any:
            context = await guard(request, **{p.name: params[p.name] for p in from_guard})
            if not isinstance(context, context_type):
                return context
            params["request"] = request
            return await build(context, **{k: v for k, v in params.items() if k in own_names})

        # What NiceGUI and FastAPI read to pass path and query parameters: the request, the guard's, the page's.
        exposed = {"request": inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request)}
        for parameter in [*from_guard, *own]:
            exposed.setdefault(parameter.name, parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
        endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            list(exposed.values()), return_annotation=RedirectResponse | None
        )
        endpoint.__name__ = build.__name__
        endpoint.__doc__ = build.__doc__
        DECLARED.append(DeclaredPage(path, endpoint, kind, options))
        return build

    return declare


def _specific_first(page: DeclaredPage) -> int:
    return page.path.count("{")


def page_router() -> APIRouter:
    """Every declared page on one router; the app factory includes it (again after each test's reset)."""
    router = APIRouter()
    for page in sorted(DECLARED, key=_specific_first):
        router.page(page.path, **{"response_timeout": PAGE_BUILD_SECONDS, **page.options})(page.endpoint)
    return router
