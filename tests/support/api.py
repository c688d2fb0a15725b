"""An HTTP client for the REST API, mounted at /api as the app mounts it, in-process."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from portal_app.routes.api import build_api


def api_http(token: str | None = None, **headers: str) -> httpx.AsyncClient:
    app = FastAPI()
    app.mount("/api", build_api())
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers)
