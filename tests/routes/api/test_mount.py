"""The API as `serve` mounts it at /api: built on its first request, then answering like the API itself."""

from __future__ import annotations

import httpx


async def test_the_mounted_api_answers_from_its_first_request(app_client: httpx.AsyncClient) -> None:
    spec = await app_client.get("/api/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["info"]["title"] == "Portico API"
    assert "/v1/clients" in spec.json()["paths"]
    refused = await app_client.get("/api/v1/clients")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
