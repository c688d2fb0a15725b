"""Downloads, previews and approval certificates over HTTP against the whole app, on local disk and on S3 (moto)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, unquote, urlparse

import httpx
import pytest
from sqlalchemy import func, select, update

from models.files import File
from portal_app import file_responses
from services.adapters import storage
from services.adapters.storage import S3Storage
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.files import deliverables, files
from services.files.files import Download
from tests.support.factories import OrgWorld
from tests.support.s3 import objects_in, unreachable_s3

PDF = b"%PDF-1.4\n" + b"a portable document\n" * 50
NOT_FOUND_TEXT = "This file is not available."


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
async def store(app_client: httpx.AsyncClient, both_stores: storage.Storage) -> storage.Storage:
    """The back end under test, set after the app (whose start-up configures its own)."""
    storage.configure(both_stores)
    return both_stores


async def upload(world: OrgWorld, name: str, data: bytes = PDF, *, shared: bool = True) -> files.FileView:
    return await files.upload(world.actor, name, chunks(data), project_id=world.project.id, shared=shared)


def assert_file_headers(response: httpx.Response, *, inline: bool, pdf: bool = False) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    # everything is sandboxed but a PDF preview, which Chrome's viewer cannot show sandboxed
    assert ("sandbox" in policy) is not (inline and pdf)
    assert response.headers["content-disposition"].startswith("inline;" if inline else "attachment;")


def name_in(disposition: str) -> str:
    """The exact name a browser saves as: the RFC 8187 `filename*`."""
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    return unquote(encoded, encoding="utf-8", errors="strict")


# --- downloads on both back ends -------------------------------------------------------------------------------------


async def test_staff_and_contacts_download_a_shared_file(store, acme, staff_http, portal_http) -> None:
    shared = await upload(acme, "Brief.pdf")
    for http, url in (
        (staff_http, f"/files/{shared.id}"),
        (portal_http, f"/portal/acme/files/{shared.id}"),
    ):
        response = await http.get(url)
        assert_file_headers(response, inline=False)
        assert name_in(response.headers["content-disposition"]) == "Brief.pdf"
        if isinstance(store, S3Storage):
            assert response.status_code == 302, response.text
            location = response.headers["location"]
            expires = int(parse_qs(urlparse(location).query)["Expires"][0])
            assert 0 < expires - time.time() <= 61  # the link lives a minute
            fetched = httpx.get(location)
            assert fetched.status_code == 200 and fetched.content == PDF
            assert fetched.headers["content-type"] == "application/pdf"
            assert fetched.headers["content-disposition"] == response.headers["content-disposition"]
        else:
            assert response.status_code == 200
            assert response.content == PDF
            assert response.headers["content-type"] == "application/pdf"
            assert response.headers["content-length"] == str(len(PDF))


async def test_a_preview_is_inline_only_for_images_pdf_and_video(store, acme, staff_http, portal_http) -> None:
    pdf = await upload(acme, "Brief.pdf")
    text = await upload(acme, "notes.txt", b"plain words, nothing to run\n")
    inline = await portal_http.get(f"/portal/acme/files/{pdf.id}?inline=1")
    assert_file_headers(inline, inline=True, pdf=True)
    refused = await portal_http.get(f"/portal/acme/files/{text.id}?inline=1")
    assert_file_headers(refused, inline=False)
    if isinstance(store, S3Storage):
        assert httpx.get(refused.headers["location"]).headers["content-type"] == "application/octet-stream"
        assert httpx.get(inline.headers["location"]).headers["content-disposition"].startswith("inline;")
    else:
        assert inline.headers["content-type"] == "application/pdf"
        assert refused.headers["content-type"] == "application/octet-stream"
        assert refused.content == b"plain words, nothing to run\n"


@pytest.mark.parametrize("kind", ["text/html", "image/svg+xml", "text/plain", "text/xml"])
async def test_markup_is_never_shown_inline(acme, staff_http, portal_http, kind) -> None:
    """Markup is refused at upload; a row that says it is markup all the same (an older rule, a future type) is
    still only ever an attachment typed application/octet-stream."""
    row = await upload(acme, "page.png", b"hello\n")
    async with unit_of_work(SystemActor()) as session:
        await session.execute(update(File).where(File.id == row.id).values(content_type=kind))
    for http, url in (
        (staff_http, f"/files/{row.id}?inline=1"),
        (portal_http, f"/portal/acme/files/{row.id}?inline=1"),
    ):
        response = await http.get(url)
        assert response.status_code == 200
        assert_file_headers(response, inline=False)
        assert response.headers["content-type"] == "application/octet-stream"
    for requested in (True, False):
        shown, sent_as = file_responses.presentation(Download("x", kind, 1, "k"), inline_requested=requested)
        assert (shown, sent_as) == (False, "application/octet-stream")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ('Résumé "final".pdf', "Résumé final.pdf"),
        ("../../x", "x"),
        ("d" * 296 + ".pdf", "d" * 251 + ".pdf"),
        ("报告 2026.pdf", "报告 2026.pdf"),
    ],
)
async def test_the_download_name_is_safe_and_exact(acme, staff_http, given, kept) -> None:
    row = await upload(acme, given)
    response = await staff_http.get(f"/files/{row.id}")
    disposition = response.headers["content-disposition"]
    assert name_in(disposition) == kept
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback and fallback.isascii() and "\\" not in fallback and "/" not in fallback
    assert len(fallback) <= file_responses.MAX_FALLBACK


@pytest.mark.parametrize(
    "name", ['Résumé "final".pdf', "../../x", "a\\b\r\nSet-Cookie: x=1", "e" * 300, "\x00\x7f.txt", ""]
)
def test_content_disposition_quotes_nothing_it_should_not(name: str) -> None:
    disposition = file_responses.content_disposition(name)
    assert disposition.isascii() and not any(c in disposition for c in "\r\n\x00\x7f")
    head, _, star = disposition.partition("; filename*=UTF-8''")
    fallback = head.removeprefix('attachment; filename="').removesuffix('"')
    assert '"' not in fallback and "\\" not in fallback and "/" not in fallback and fallback
    assert unquote(star) == name
    assert file_responses.content_disposition("Résumé.pdf") == (
        "attachment; filename=\"Resume.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf"
    )


# --- what may not be seen: one page for every case -----------------------------------------------------------------


async def test_unseen_files_answer_one_plain_404(acme, staff_http, portal_http) -> None:
    hidden = await upload(acme, "internal.pdf", shared=False)
    answers = [
        await portal_http.get(f"/portal/acme/files/{hidden.id}"),
        await portal_http.get(f"/portal/acme/files/{hidden.id}?inline=1"),
        await portal_http.get("/portal/acme/files/5f0c1f7e-2b1a-4c1e-9a57-0c7d6a3b9e11"),
        await portal_http.get("/portal/acme/files/not-an-id"),
        await staff_http.get("/files/5f0c1f7e-2b1a-4c1e-9a57-0c7d6a3b9e11"),
    ]
    assert {(r.status_code, r.text) for r in answers} == {(404, answers[0].text)}
    assert NOT_FOUND_TEXT in answers[0].text
    assert (await staff_http.get(f"/files/{hidden.id}")).status_code == 200  # staff see it


async def test_signed_out_visitors_are_sent_to_sign_in(app_client, acme) -> None:
    row = await upload(acme, "Brief.pdf")
    async with httpx.AsyncClient(transport=app_client._transport, base_url="http://test") as visitor:
        staff = await visitor.get(f"/files/{row.id}?inline=1")
        portal = await visitor.get(f"/portal/acme/files/{row.id}")
    assert (staff.status_code, staff.headers["location"]) == (303, f"/login?next=/files/{row.id}%3Finline%3D1")
    assert (portal.status_code, portal.headers["location"]) == (303, "/portal/acme/login")


# --- the store is down ---------------------------------------------------------------------------------------------


async def test_a_store_that_is_down_says_so_and_changes_nothing(app_client, acme, staff_http, portal_http) -> None:
    row = await upload(acme, "Brief.pdf")  # stored while the store worked
    async with unit_of_work(SystemActor()) as session:
        before = await session.scalar(select(func.count()).select_from(File))
    storage.configure(unreachable_s3())
    for http, url in ((staff_http, f"/files/{row.id}"), (portal_http, f"/portal/acme/files/{row.id}?inline=1")):
        response = await http.get(url)
        assert response.status_code == 503, response.text
        assert "The file store is not reachable right now. Try again in a moment." in response.text
        assert "location" not in response.headers
    async with unit_of_work(SystemActor()) as session:
        assert await session.scalar(select(func.count()).select_from(File)) == before
    assert (await files.get_file(acme.actor, row.id)).sha256 == row.sha256


async def test_a_local_read_error_says_the_same(app_client, acme, staff_http, tmp_path) -> None:
    row = await upload(acme, "Brief.pdf")
    blocked = tmp_path / "not-a-directory"
    blocked.write_bytes(b"")
    storage.configure(storage.LocalStorage(blocked))  # the disk answers, every read fails (not "missing")
    response = await staff_http.get(f"/files/{row.id}")
    assert response.status_code == 503
    assert file_responses.STORE_DOWN in response.text


def row_key(row: files.FileView, world: OrgWorld) -> str:
    return storage.object_key(world.actor.org_id, world.client.id, row.id)


async def test_missing_bytes_are_not_found(store, acme, staff_http) -> None:
    row = await upload(acme, "Brief.pdf")
    await store.delete(row_key(row, acme))
    assert objects_in(store) == []
    response = await staff_http.get(f"/files/{row.id}")
    assert response.status_code == 404 and NOT_FOUND_TEXT in response.text


# --- approval certificates -----------------------------------------------------------------------------------------


async def test_the_certificate_exists_once_approved_and_is_the_same_for_both_sides(
    acme, staff_http, portal_http
) -> None:
    made = await deliverables.create(acme.actor, acme.project.id, "Homepage", "home.pdf", chunks(PDF))
    staff_url, portal_url = (
        f"/deliverables/{made.id}/certificate.pdf",
        f"/portal/acme/deliverables/{made.id}/certificate.pdf",
    )
    for http, url in ((staff_http, staff_url), (portal_http, portal_url)):
        assert (await http.get(url)).status_code == 404  # a draft
    await deliverables.send_for_review(acme.actor, made.id)
    for http, url in ((staff_http, staff_url), (portal_http, portal_url)):
        response = await http.get(url)
        assert response.status_code == 404 and NOT_FOUND_TEXT in response.text  # in review
    await deliverables.decide(acme.portal_actor(), made.id, "approved", version=1, user_agent="Firefox")
    staff, portal = await staff_http.get(staff_url), await portal_http.get(portal_url)
    assert staff.status_code == portal.status_code == 200
    assert staff.content.startswith(b"%PDF") and staff.content == portal.content
    assert staff.headers["content-type"] == "application/pdf"
    assert staff.headers["content-disposition"].startswith('attachment; filename="approval-certificate-')
    assert staff.headers["cache-control"] == "private, no-store"
    assert staff.headers["x-content-type-options"] == "nosniff"
