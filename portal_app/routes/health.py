"""Liveness for load balancers: a plain route, no NiceGUI client, one cheap query.

It also shows how late this process's event loop has woken up (portal_app/loop_watch.py), worst since start and
in the last minute, in milliseconds: a stalled loop delays every page and webhook at once, and this is the one
place that says so without a profiler.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from portal_app.loop_watch import watch
from services.core.db import get_database

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> JSONResponse:
    try:
        async with get_database().engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse(
            {"status": "error", "database": type(exc).__name__, "loop_lag_ms": watch.milliseconds()}, status_code=503
        )
    return JSONResponse({"status": "ok", "loop_lag_ms": watch.milliseconds()})
