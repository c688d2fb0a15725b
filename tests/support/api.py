"""An HTTP client for the REST API, mounted at /api as the app mounts it, in-process."""

from __future__ import annotations

import functools

import httpx
from fastapi import FastAPI

from portal_app.routes.api import build_api


@functools.cache
def shared_api() -> FastAPI:
    """One API for the test process: it holds no state of a test's own (its handlers reach the services each test
    configures), and FastAPI analyses each operation on the first request that reaches it: 50 ms or more, in every
    test, for an API built anew."""
    return build_api()


def api_http(token: str | None = None, **headers: str) -> httpx.AsyncClient:
    app = FastAPI()
    app.mount("/api", shared_api())
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers)
