"""The storage adapter on both back ends (a directory, and S3 through moto's server on 127.0.0.1): streamed
writes that hash and count, refusals and failures that leave nothing behind, streamed reads, keys from ids."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from services.adapters import storage
from services.adapters.storage import LocalStorage, S3Storage, Storage, TooLarge, object_key
from tests.support.s3 import S3Server

MB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "local":
        yield LocalStorage(tmp_path / "files")
        return
    server: S3Server = request.getfixturevalue("s3_server")
    client = server.client()
    bucket = f"portico-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    yield S3Storage(bucket, "tenant-files/", client=client)


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def failing_after(data: bytes) -> AsyncIterator[bytes]:
    """A client that goes away mid-upload."""
    yield data
    raise ConnectionResetError("the browser went away")


async def read_all(store: Storage, key: str) -> bytes:
    return b"".join([chunk async for chunk in store.read(key)])


def key() -> str:
    return object_key(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())


async def leftovers(store: Storage, tmp_path: Path) -> list[str]:
    """Every object or file the back end holds."""
    if isinstance(store, LocalStorage):
        return [str(p) for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert isinstance(store, S3Storage)
    listed = store.client.list_objects_v2(Bucket=store.bucket)
    uploads = store.client.list_multipart_uploads(Bucket=store.bucket)
    return [o["Key"] for o in listed.get("Contents", [])] + [u["Key"] for u in uploads.get("Uploads", [])]


async def test_a_streamed_write_is_read_back_with_its_size_and_sha256(store: Storage) -> None:
    data = bytes(range(256)) * 4096 + b"tail"  # 1 MiB and a bit, in 64 KiB chunks
    where = key()
    stored = await store.write(where, chunks_of(data), max_size=50 * MB)
    assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert await store.exists(where)
    assert await read_all(store, where) == data
    await store.delete(where)
    assert not await store.exists(where)


async def test_a_large_write_goes_up_in_parts_and_comes_back_whole(store: Storage) -> None:
    data = b"x" * (storage.PART + 3 * MB)  # two S3 parts
    where = key()
    stored = await store.write(where, chunks_of(data, MB), max_size=50 * MB)
    assert stored.size == len(data)
    assert hashlib.sha256(await read_all(store, where)).hexdigest() == stored.sha256


async def test_a_file_over_the_limit_is_refused_and_nothing_stays(store: Storage, tmp_path: Path) -> None:
    where = key()
    with pytest.raises(TooLarge, match="larger than the limit of 1 MB"):
        await store.write(where, chunks_of(b"y" * (storage.PART + MB), MB), max_size=1 * MB)
    assert not await store.exists(where)
    assert await leftovers(store, tmp_path) == []


async def test_an_upload_cut_off_midway_leaves_nothing(store: Storage, tmp_path: Path) -> None:
    where = key()
    with pytest.raises(ConnectionResetError):
        await store.write(where, failing_after(b"z" * (storage.PART + MB)), max_size=50 * MB)
    assert not await store.exists(where)
    assert await leftovers(store, tmp_path) == []


async def test_an_empty_file_is_a_file(store: Storage) -> None:
    where = key()
    stored = await store.write(where, chunks_of(b""), max_size=MB)
    assert stored == storage.Stored(0, hashlib.sha256(b"").hexdigest())
    assert await read_all(store, where) == b""


def test_keys_are_made_of_ids_only() -> None:
    org, client, file = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert object_key(org, client, file) == f"org/{org}/client/{client}/{file}"


def test_a_local_key_cannot_leave_the_root(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside the storage root"):
        LocalStorage(tmp_path)._path("../../etc/passwd")


async def test_s3_download_urls_are_presigned_and_short_lived(s3_server: S3Server) -> None:
    client = s3_server.client()
    client.create_bucket(Bucket="portico-presign")
    store = S3Storage("portico-presign", "p", client=client)
    where = key()
    await store.write(where, chunks_of(b"hello"), max_size=MB)
    url = store.download_url(where, disposition="attachment; filename*=UTF-8''hello.txt", content_type="text/plain")
    assert url is not None and f"/p/{where}" in url
    expires = int(parse_qs(urlparse(url).query)["Expires"][0])
    assert 0 < expires - time.time() <= 61  # a minute to start the download, then the link is dead
    fetched = httpx.get(url)
    assert fetched.status_code == 200 and fetched.content == b"hello"
    assert fetched.headers["content-disposition"] == "attachment; filename*=UTF-8''hello.txt"
    assert LocalStorage(Path("/nonexistent")).download_url(where, disposition="x", content_type="y") is None


def test_the_storage_url_picks_the_back_end(tmp_path: Path) -> None:
    assert isinstance(storage.from_url("", var_dir=tmp_path), LocalStorage)
    assert storage.from_url("", var_dir=tmp_path).root == tmp_path / "files"  # type: ignore[attr-defined]
    assert storage.from_url("file:///srv/portico", var_dir=tmp_path).root == Path("/srv/portico")  # type: ignore[attr-defined]
    s3 = storage.from_url("s3://agency-files/portico", var_dir=tmp_path, endpoint_url="http://127.0.0.1:9")
    assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix) == ("agency-files", "portico")
    with pytest.raises(ValueError, match="must be file:///path or s3://bucket/prefix"):
        storage.from_url("ftp://nope", var_dir=tmp_path)
