"""What a visitor sees when a request fails on Portico's side: a plain message, never the exception's text.

NiceGUI's own error page prints the exception's class and message, and a database error's message carries the
SQL, its parameters and the server's address: none of that is for a visitor. The failure is logged in full.
While the database cannot be reached (restarting, failing over, the pool exhausted) the answer says so, and
plain routes and the API answer 503 with Retry-After: the request may simply be tried again.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from nicegui import app, ui
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from services.core.db import is_outage

log = logging.getLogger("portico.failures")

DATABASE_DOWN = "Portico cannot reach its database right now. Try again in a moment."
SOMETHING_WENT_WRONG = "Something went wrong on our side. Try again in a moment; if it keeps happening, tell us."
RETRY_AFTER_SECONDS = "5"


def _page_failed(exc: Exception) -> None:
    """Drawn instead of a page whose building failed (NiceGUI answers 500 with it)."""
    message = DATABASE_DOWN if is_outage(exc) else SOMETHING_WENT_WRONG
    with ui.column().classes("w-full items-center gap-4 py-20 px-4 text-center"):
        ui.label("Sorry").classes("text-2xl font-semibold")
        ui.label(message).classes("text-base").mark("failure-message")
        ui.button("Try again", on_click=ui.navigate.reload).props("outline")


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """A database outage on a plain route or the API: 503, JSON with `detail` under /api, text elsewhere."""
    log.warning("database unreachable during %s %s: %s", request.method, request.url.path, type(exc).__name__)
    if not is_outage(exc):
        log.error("unexpected database error", exc_info=exc)
        return _answer(request, SOMETHING_WENT_WRONG, 500)
    return _answer(request, DATABASE_DOWN, 503)


def _answer(request: Request, message: str, status: int) -> Response:
    headers = {"Retry-After": RETRY_AFTER_SECONDS, "Cache-Control": "no-store"} if status == 503 else {}
    if request.scope.get("root_path", "").startswith("/api") or request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    return PlainTextResponse(message, status_code=status, headers=headers)


def install(target: FastAPI | None = None) -> None:
    """On the app (pages and plain routes), or on a sub-application mounted in it (the API), which answers its
    own errors before the app's handlers could."""
    for kind in (DBAPIError, PoolTimeout):
        (target or app).add_exception_handler(kind, database_unavailable)
    if target is None:
        app.on_page_exception(_page_failed)
