"""Pages are gzipped; stored files are sent as they were stored (portal_app/compression.py)."""

from __future__ import annotations

import uuid

import httpx
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from portal_app import file_links
from portal_app.compression import PagesOnlyGZip

BODY = b"0123456789abcdef" * 4096  # 64 KiB that compress well


def _app() -> PagesOnlyGZip:
    async def answer(request: object) -> Response:
        return Response(BODY, media_type="application/octet-stream")

    return PagesOnlyGZip(Starlette(routes=[Route("/{path:path}", answer)]))


async def encoding_of(path: str) -> str:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.content == BODY  # httpx undoes the gzip: the bytes arrive either way
    return response.headers.get("content-encoding", "")


async def test_stored_files_go_out_uncompressed_and_pages_gzipped() -> None:
    some = uuid.uuid4()
    for path in (
        file_links.staff_file(some),
        file_links.portal_file("acme", some),
        f"/api/v1/files/{some}/content",
    ):
        assert await encoding_of(path) == "", path
    for path in ("/portal/acme/files", "/projects/x", "/api/v1/projects/x/files", "/_nicegui/x.js"):
        assert await encoding_of(path) == "gzip", path


def test_inline_previews_match_too() -> None:
    some = uuid.uuid4()
    assert file_links.STORED_FILE_PATH.match(file_links.portal_file("acme", some, inline=True).split("?")[0])
