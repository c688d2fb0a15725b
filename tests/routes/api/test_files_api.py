"""The REST API for files: multipart uploads streamed into the store, lists with `kind`, sharing, content."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from models.files import File
from services.adapters import storage
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.files import files
from tests.support.s3 import objects_in, unreachable_s3

PDF = b"%PDF-1.4\n" + b"a portable document\n" * 100
FILE_KEYS = {
    "id",
    "client_id",
    "project_id",
    "request_id",
    "kind",
    "name",
    "size",
    "content_type",
    "sha256",
    "shared",
    "by_client",
    "uploader_name",
    "created_at",
}


async def file_rows() -> int:
    async with unit_of_work(SystemActor()) as session:
        return await session.scalar(select(func.count()).select_from(File)) or 0


def files_url(world) -> str:
    return f"/api/v1/projects/{world.project.id}/files"


async def post_file(api, world, name="Brief.pdf", data=PDF, **fields):
    return await api.post(files_url(world), files={"file": (name, data, "text/html")}, data=fields)


async def test_upload_answers_201_with_what_was_measured(api, world, both_stores):
    response = await post_file(api, world, shared="true")
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == FILE_KEYS
    uuid.UUID(body["id"])
    assert (body["name"], body["size"], body["content_type"], body["shared"], body["kind"]) == (
        "Brief.pdf",
        len(PDF),
        "application/pdf",  # from the bytes, not the type the client claimed
        True,
        "upload",
    )
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (body["project_id"], body["client_id"]) == (str(world.project.id), str(world.client.id))
    assert len(objects_in(both_stores)) == 1

    hidden = await post_file(api, world, name="notes.txt", data=b"for us only\n")
    assert hidden.status_code == 201 and hidden.json()["shared"] is False  # the default


async def test_list_pages_newest_first_with_kind(api, world):
    for n in range(3):
        assert (await post_file(api, world, name=f"f{n}.txt", data=f"file {n}\n".encode())).status_code == 201
    everything = (await api.get(files_url(world))).json()
    assert set(everything) == {"items", "total"}
    assert everything["total"] == 3
    assert [f["name"] for f in everything["items"]] == ["f2.txt", "f1.txt", "f0.txt"]
    assert {f["kind"] for f in everything["items"]} == {"upload"}
    page = (await api.get(files_url(world), params={"limit": 1, "offset": 1})).json()
    assert ([f["name"] for f in page["items"]], page["total"]) == (["f1.txt"], 3)
    assert (await api.get(files_url(world), params={"limit": 0})).status_code == 422


async def test_patch_shares_and_hides(api, world):
    made = (await post_file(api, world)).json()
    shared = await api.patch(f"/api/v1/files/{made['id']}", json={"shared": True})
    assert shared.status_code == 200 and shared.json()["shared"] is True
    assert (await files.get_file(world.actor, made["id"])).shared is True
    hidden = await api.patch(f"/api/v1/files/{made['id']}", json={"shared": False})
    assert hidden.json()["shared"] is False
    for bad in ({"shared": "yes"}, {}, {"shared": True, "name": "x"}, {"shared": None}):
        assert (await api.patch(f"/api/v1/files/{made['id']}", json=bad)).status_code == 422, bad
    assert (await files.get_file(world.actor, made["id"])).shared is False


async def test_content_streams_the_bytes_with_download_headers(api, world, both_stores):
    made = (await post_file(api, world, name="Résumé (final).pdf")).json()
    response = await api.get(f"/api/v1/files/{made['id']}/content")
    assert response.status_code == 200  # streamed on S3 too: an API client gets the bytes, not a redirect
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"Resume (final).pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%28final%29.pdf"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"
    assert "sandbox" in response.headers["content-security-policy"]
    text = (await post_file(api, world, name="a.txt", data=b"words\n")).json()
    plain = await api.get(f"/api/v1/files/{text['id']}/content")
    assert (plain.content, plain.headers["content-type"]) == (b"words\n", "application/octet-stream")


# --- bad input changes nothing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("send", "field"),
    [
        ({"data": {"shared": "true"}}, "file"),  # no file at all
        ({"json": {"file": "aGVsbG8="}}, "file"),  # not multipart
        ({"data": {"file": "just text", "shared": "false"}}, "file"),  # a text field, not a file
        ({"files": {"file": ("a.pdf", PDF)}, "data": {"shared": "yes"}}, "shared"),
        ({"files": {"file": ("a.pdf", PDF)}, "data": {"shared": "1"}}, "shared"),
        ({"files": {"file": ("empty.pdf", b"")}}, "file"),
        ({"files": {"file": ("x.bin", b"\x00\x01\x02\x03" * 100)}}, "file"),  # not an accepted type
        ({"files": {"file": ("x.html", b"<!doctype html><script>alert(1)</script>")}}, "file"),
    ],
)
async def test_bad_uploads_are_422_with_a_clear_message(api, world, send, field):
    response = await api.post(files_url(world), **send)
    assert response.status_code == 422, response.text
    body = response.json()
    assert isinstance(body["detail"], str) and body["field"] == field
    assert await file_rows() == 0
    assert objects_in(storage.get()) == []


async def test_missing_file_says_what_to_send(api, world):
    response = await api.post(files_url(world), data={"shared": "true"})
    assert response.json()["detail"] == 'Attach the file as the multipart/form-data field "file".'


async def test_the_store_down_during_an_upload_is_503_and_leaves_no_row(api, world):
    storage.configure(unreachable_s3())
    response = await post_file(api, world, shared="true")
    assert response.status_code == 503
    assert response.json()["detail"] == "Files cannot be stored right now, so nothing was saved. Try again in a moment."
    assert await file_rows() == 0


async def test_the_store_down_during_a_download_is_503(api, world):
    made = (await post_file(api, world)).json()
    storage.configure(unreachable_s3())
    response = await api.get(f"/api/v1/files/{made['id']}/content")
    assert response.status_code == 503
    assert response.json()["detail"] == "The file store is not reachable right now. Try again in a moment."


# --- who may reach what ----------------------------------------------------------------------------------------------


async def test_another_organizations_files_are_not_found(api, world, other, other_api):
    made = (await post_file(api, world)).json()
    probes: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/api/v1/files/{made['id']}", {}),
        ("GET", f"/api/v1/files/{made['id']}/content", {}),
        ("PATCH", f"/api/v1/files/{made['id']}", {"json": {"shared": True}}),
        ("GET", files_url(world), {}),
        ("POST", files_url(world), {"files": {"file": ("x.pdf", PDF)}}),
    ]
    for method, url, extra in probes:
        response = await other_api.request(method, url, **extra)
        assert response.status_code == 404, (method, url, response.text)
        assert isinstance(response.json()["detail"], str)
    assert (await files.get_file(world.actor, made["id"])).shared is False
    assert await file_rows() == 1


async def test_unknown_and_malformed_ids_are_404(api):
    for bad in ("not-a-uuid", str(uuid.uuid4())):
        for method, url in (
            ("GET", f"/api/v1/files/{bad}/content"),
            ("GET", f"/api/v1/files/{bad}"),
            ("GET", f"/api/v1/projects/{bad}/files"),
        ):
            assert (await api.request(method, url)).status_code == 404, url
        assert (await api.patch(f"/api/v1/files/{bad}", json={"shared": True})).status_code == 404
        assert (await api.post(f"/api/v1/projects/{bad}/files", files={"file": ("x.pdf", PDF)})).status_code == 404


async def test_no_token_no_upload(world):
    from tests.support.api import api_http

    async with api_http() as anonymous:
        response = await anonymous.post(files_url(world), files={"file": ("x.pdf", PDF)})
    assert response.status_code == 401
    assert await file_rows() == 0
