"""Downloads of files encrypted at rest on local disk: decrypted on the fly, byte ranges answered as before (206,
Content-Range, 416), and a damaged file refused with a clear answer instead of its bytes, on the staff and portal
routes and on the API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from portal_app import file_responses
from services.adapters import storage
from services.adapters.file_crypto import CHUNK_SIZE, HEADER_SIZE, TAG_SIZE
from services.files import files
from services.staff import api_tokens
from tests.support.api import api_http
from tests.support.factories import OrgWorld

# A PDF (so it may be previewed inline) of three and a bit chunks, every byte telling where it is.
VIDEO_LIKE = b"%PDF-1.4\n" + b"".join(f"{n:08d}\n".encode() for n in range(22_000))
SIZE = len(VIDEO_LIKE)
SEALED_CHUNK = CHUNK_SIZE + TAG_SIZE


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 100_000):
        yield data[start : start + 100_000]


@pytest.fixture
async def api(acme: OrgWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with api_http(await api_tokens.create_token(acme.actor, "test")) as http:
        yield http


@pytest.fixture
async def stored(acme: OrgWorld) -> files.FileView:
    return await files.upload(
        acme.actor, "Walkthrough.pdf", chunks(VIDEO_LIKE), project_id=acme.project.id, shared=True
    )


def damage(row: files.FileView, world: OrgWorld, at: int | None = None, cut: int | None = None) -> None:
    store = storage.get()
    assert isinstance(store, storage.LocalStorage)
    path = store.path_of(storage.object_key(world.actor.org_id, world.client.id, row.id))
    raw = path.read_bytes()
    if at is not None:
        raw = raw[:at] + bytes([raw[at] ^ 0x80]) + raw[at + 1 :]
    path.write_bytes(raw[:cut] if cut is not None else raw)


def assert_kept_file_headers(response: httpx.Response, *, inline: bool) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["content-disposition"].startswith("inline;" if inline else "attachment;")
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["accept-ranges"] == "bytes"


# --- whole files and ranges ----------------------------------------------------------------------------------------


async def test_a_whole_file_streams_decrypted_with_its_length(stored, staff_http, portal_http, api) -> None:
    for http, url in (
        (staff_http, f"/files/{stored.id}"),
        (portal_http, f"/portal/acme/files/{stored.id}?inline=1"),
        (api, f"/api/v1/files/{stored.id}/content"),
    ):
        response = await http.get(url)
        assert response.status_code == 200, response.text
        assert response.content == VIDEO_LIKE
        assert response.headers["content-length"] == str(SIZE)


@pytest.mark.parametrize(
    ("asked", "first", "last"),
    [
        (f"bytes={CHUNK_SIZE - 10}-{CHUNK_SIZE + 9}", CHUNK_SIZE - 10, CHUNK_SIZE + 9),  # across a chunk boundary
        (f"bytes={CHUNK_SIZE - 1}-{3 * CHUNK_SIZE}", CHUNK_SIZE - 1, 3 * CHUNK_SIZE),  # across three
        ("bytes=0-0", 0, 0),
        (f"bytes={2 * CHUNK_SIZE}-", 2 * CHUNK_SIZE, SIZE - 1),  # to the end
        ("bytes=-100", SIZE - 100, SIZE - 1),  # the last 100 bytes
        (f"bytes=10-{SIZE + 5000}", 10, SIZE - 1),  # past the end: to the end
        (f"bytes=-{SIZE + 1}", 0, SIZE - 1),
    ],
)
async def test_a_range_answers_206_with_exactly_its_bytes(stored, staff_http, portal_http, asked, first, last) -> None:
    for http, url, inline in (
        (staff_http, f"/files/{stored.id}", False),
        (portal_http, f"/portal/acme/files/{stored.id}?inline=1", True),
    ):
        response = await http.get(url, headers={"Range": asked})
        assert response.status_code == 206, response.text
        assert response.content == VIDEO_LIKE[first : last + 1]
        assert response.headers["content-range"] == f"bytes {first}-{last}/{SIZE}"
        assert response.headers["content-length"] == str(last - first + 1)
        assert_kept_file_headers(response, inline=inline)


async def test_a_range_past_the_end_answers_416(stored, staff_http) -> None:
    for asked in (f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"):
        response = await staff_http.get(f"/files/{stored.id}", headers={"Range": asked})
        assert response.status_code == 416, asked
        assert response.headers["content-range"] == f"bytes */{SIZE}"
        assert VIDEO_LIKE[:100] not in response.content


@pytest.mark.parametrize(
    "headers",
    [
        {"Range": "bytes=0-10,20-30"},  # several ranges: the whole file (HTTP lets a server ignore Range)
        {"Range": "lines=1-2"},
        {"Range": "bytes=9-3"},
        {"Range": "bytes=abc"},
        {"Range": "bytes=0-10", "If-Range": '"an-old-etag"'},  # no validator of ours matches
    ],
)
async def test_ranges_not_served_get_the_whole_file(stored, staff_http, headers) -> None:
    response = await staff_http.get(f"/files/{stored.id}", headers=headers)
    assert response.status_code == 200 and response.content == VIDEO_LIKE
    assert "content-range" not in response.headers


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=5-9", (5, 9)),
        ("bytes = 5 - 9", (5, 9)),
        ("bytes=5-", (5, 99)),
        ("bytes=-5", (95, 99)),
        ("bytes=100-", file_responses.UNSATISFIABLE),
        ("bytes=-0", file_responses.UNSATISFIABLE),
        ("bytes=-", None),
        ("bytes=+5-9", None),
        (None, None),
    ],
)
def test_byte_ranges_are_read_as_http_says(header: str | None, expected: tuple[int, int] | None) -> None:
    assert file_responses.byte_range(header, 100) == expected


# --- damaged files -----------------------------------------------------------------------------------------------


DAMAGE = {
    "a byte of the first chunk": {"at": HEADER_SIZE + 10},
    "a byte of the header": {"at": HEADER_SIZE - 3},
    "cut short": {"cut": HEADER_SIZE + 2 * SEALED_CHUNK + 5},
    "cut at a chunk boundary": {"cut": HEADER_SIZE + 2 * SEALED_CHUNK},
}
LATER_CHUNK = HEADER_SIZE + 2 * SEALED_CHUNK + 10  # a byte of chunk 2: found only once that chunk is read


@pytest.mark.parametrize("how", list(DAMAGE), ids=list(DAMAGE))
async def test_a_damaged_file_is_refused_clearly_before_any_byte(
    stored, acme, staff_http, portal_http, api, caplog, how
) -> None:
    damage(stored, acme, **DAMAGE[how])
    key = storage.object_key(acme.actor.org_id, acme.client.id, stored.id)
    for http, url in ((staff_http, f"/files/{stored.id}"), (portal_http, f"/portal/acme/files/{stored.id}")):
        response = await http.get(url)
        assert response.status_code == 500, response.text
        assert "The file is damaged and cannot be downloaded." in response.text
        assert "content-disposition" not in response.headers and b"00000001" not in response.content
    from_api = await api.get(f"/api/v1/files/{stored.id}/content")
    assert (from_api.status_code, from_api.json()["detail"]) == (500, "The file is damaged and cannot be downloaded.")
    assert f"the stored bytes of {key} are damaged" in caplog.text


async def test_a_range_over_a_damaged_chunk_is_refused_before_its_headers(stored, acme, staff_http, caplog) -> None:
    damage(stored, acme, at=LATER_CHUNK)
    response = await staff_http.get(f"/files/{stored.id}", headers={"Range": f"bytes={2 * CHUNK_SIZE + 5}-"})
    assert response.status_code == 500
    assert response.text == "The file is damaged and cannot be downloaded."
    assert "content-disposition" not in response.headers and "content-range" not in response.headers
    assert "chunk 2 failed authentication" in caplog.text
    # a range that does not reach the damaged chunk is still served: only its own chunks are decrypted
    before = await staff_http.get(f"/files/{stored.id}", headers={"Range": f"bytes=0-{2 * CHUNK_SIZE - 1}"})
    assert before.status_code == 206 and before.content == VIDEO_LIKE[: 2 * CHUNK_SIZE]


async def test_a_chunk_damaged_past_the_headers_stops_the_stream_short(stored, acme, staff_http, caplog) -> None:
    """The first chunk is checked before the headers go out; a later one only as it comes: the answer stops there,
    shorter than its Content-Length (a browser sees a failed download), with the failure logged."""
    damage(stored, acme, at=LATER_CHUNK)
    with pytest.raises(storage.Corrupt):  # in-process, the app's failure reaches the client as it happens
        await staff_http.get(f"/files/{stored.id}")
    assert "chunk 2 failed authentication" in caplog.text
