"""The request-size guard: no body past the largest allowed file (+1 MiB of multipart framing) reaches the disk."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from models.files import File
from portal_app import upload_limit
from portal_app.upload_limit import BodyLimit
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.files import uploads
from services.staff import api_tokens
from tests.support.factories import OrgWorld

MB = 1024 * 1024
PDF = b"%PDF-1.4\n" + b"x" * 1000


async def body(total: int, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    """A streamed body without a Content-Length (chunked)."""
    sent = 0
    while sent < total:
        piece = min(chunk, total - sent)
        sent += piece
        yield b"-" * piece


BOUNDARY = "xyz"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


async def multipart_body(total: int) -> AsyncIterator[bytes]:
    """A well-formed multipart file part that goes on for `total` bytes, streamed (no Content-Length)."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    ).encode()
    async for chunk in body(total):
        yield chunk


@pytest.fixture
def one_mb_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(uploads, "MAX_LIMIT_MB", 1)
    return upload_limit.max_body()


def test_the_cap_is_the_largest_file_plus_framing() -> None:
    assert upload_limit.max_body() == uploads.MAX_LIMIT_MB * MB + MB


# --- the middleware on its own -------------------------------------------------------------------------------------


def reader_app() -> Starlette:
    read: list[int] = []

    async def take(request: Request) -> JSONResponse:
        async with request.form() as form:  # Starlette spools the file to disk as it parses
            read.append(len(form))
        return JSONResponse({"ok": True})

    async def whole(request: Request) -> JSONResponse:
        return JSONResponse({"size": len(await request.body())})

    app = Starlette(routes=[Route("/form", take, methods=["POST"]), Route("/raw", whole, methods=["POST"])])
    app.state.read = read
    return app


def guarded(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(BodyLimit(app)), base_url="http://test")


async def test_a_declared_length_past_the_cap_is_refused_before_reading(one_mb_limit: int) -> None:
    app = reader_app()
    async with guarded(app) as http:
        response = await http.post("/form", content=b"x", headers={"content-length": str(one_mb_limit + 1)})
    assert response.status_code == 413
    assert response.json() == {"detail": "The upload is too large: no file may be larger than 1 MB."}
    assert app.state.read == []


@pytest.mark.parametrize("path", ["/form", "/raw"])
async def test_a_streamed_body_is_cut_off_at_the_cap(one_mb_limit: int, path: str) -> None:
    app = reader_app()
    async with guarded(app) as http:
        response = await http.post(path, content=multipart_body(3 * MB), headers=MULTIPART)
        assert response.status_code == 413
        assert app.state.read == []
        under = await http.post("/raw", content=body(one_mb_limit))  # exactly the cap still goes through
        assert under.status_code == 200 and under.json() == {"size": one_mb_limit}


async def test_other_kinds_of_traffic_pass_untouched(one_mb_limit: int) -> None:
    async with guarded(reader_app()) as http:
        assert (await http.post("/raw", content=b"small")).json() == {"size": 5}


# --- in the app: the API's uploads and NiceGUI's upload route ---------------------------------------------------------


async def file_rows() -> int:
    async with unit_of_work(SystemActor()) as session:
        return await session.scalar(select(func.count()).select_from(File)) or 0


async def test_the_app_refuses_a_declared_oversize_upload(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    huge = str(upload_limit.max_body() + 1)
    for path in (
        f"/api/v1/projects/{acme.project.id}/files",
        f"/api/v1/projects/{acme.project.id}/deliverables",
        "/api/v1/deliverables/5f0c1f7e-2b1a-4c1e-9a57-0c7d6a3b9e11/versions",
        "/_nicegui/client/5f0c1f7e/upload/12",
    ):
        response = await app_client.post(path, content=b"x", headers={"content-length": huge})
        assert response.status_code == 413, path
        assert "too large" in response.json()["detail"]
        assert response.headers["x-content-type-options"] == "nosniff"  # still marked by the outer middleware


async def test_the_app_cuts_off_a_streamed_upload(app_client: httpx.AsyncClient, acme: OrgWorld, one_mb_limit) -> None:
    token = await api_tokens.create_token(acme.actor, "limit")
    headers = {"Authorization": f"Bearer {token}", **MULTIPART}
    url = f"/api/v1/projects/{acme.project.id}/files"
    response = await app_client.post(url, content=multipart_body(3 * MB), headers=headers)
    assert response.status_code == 413
    assert await file_rows() == 0
    fits = await app_client.post(url, files={"file": ("a.pdf", PDF)}, headers={"Authorization": f"Bearer {token}"})
    assert fits.status_code == 201, fits.text
