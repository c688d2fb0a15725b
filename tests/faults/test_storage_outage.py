"""The S3 store goes away during uploads and downloads, and comes back: nothing is half-stored, every refusal says
what happened, and what was stored before is all there afterwards.

The store is moto's S3 server on a port of its own, stopped and started again there by the test (the buckets
live on in moto, as a real store's objects would). Uploads and downloads go through the REST API.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from models import File
from services.adapters import storage
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.files import uploads
from services.staff import api_tokens
from tests.support.api import api_http
from tests.support.factories import OrgWorld, make_world
from tests.support.s3 import RestartableS3, objects_in

STORE_DOWN_UPLOAD = "Files cannot be stored right now, so nothing was saved. Try again in a moment."
STORE_DOWN_DOWNLOAD = "The file store is not reachable right now. Try again in a moment."
# Three parts of a multipart upload (8 + 8 + 4 MiB): the store can die between them.
LARGE = b"%PDF-1.7\n" + os.urandom(20 * 1024 * 1024)


@pytest.fixture
def s3() -> Iterator[RestartableS3]:
    server = RestartableS3()
    yield server
    server.stop()


@pytest.fixture
async def world(database) -> OrgWorld:
    return await make_world("acme")


@pytest.fixture
async def api(world: OrgWorld, s3: RestartableS3) -> AsyncIterator[httpx.AsyncClient]:
    storage.configure(s3.new_store())
    async with api_http(await api_tokens.create_token(world.actor, "faults")) as http:
        yield http


async def upload(api: httpx.AsyncClient, world: OrgWorld, name: str, data: bytes) -> httpx.Response:
    return await api.post(f"/api/v1/projects/{world.project.id}/files", files={"file": (name, data, "application/pdf")})


async def file_rows() -> int:
    async with unit_of_work(SystemActor()) as session:
        return int(await session.scalar(select(func.count()).select_from(File)) or 0)


async def test_an_upload_while_the_store_is_down_is_refused_clearly_and_works_once_it_is_back(
    api, world, s3: RestartableS3
) -> None:
    kept = await upload(api, world, "Before.pdf", b"%PDF-1.7\nstored before the outage")
    assert kept.status_code == 201, kept.text
    with s3.down():
        refused = await upload(api, world, "Brief.pdf", b"%PDF-1.7\nduring the outage")
        assert (refused.status_code, refused.json()["detail"]) == (503, STORE_DOWN_UPLOAD)
        assert await file_rows() == 1
        download = await api.get(f"/api/v1/files/{kept.json()['id']}/content")
        assert (download.status_code, download.json()["detail"]) == (503, STORE_DOWN_DOWNLOAD)
    assert await file_rows() == 1
    assert len(objects_in(storage.get())) == 1  # the refused upload left nothing behind

    again = await upload(api, world, "Brief.pdf", b"%PDF-1.7\nduring the outage")
    assert again.status_code == 201, again.text
    before = await api.get(f"/api/v1/files/{kept.json()['id']}/content")
    assert (before.status_code, before.content) == (200, b"%PDF-1.7\nstored before the outage")
    assert await file_rows() == 2


async def test_a_store_dying_between_the_parts_of_a_large_upload_leaves_no_file_and_its_parts_are_swept(
    api, world, s3: RestartableS3
) -> None:
    store = storage.get()
    assert isinstance(store, storage.S3Storage)
    parts_sent: list[int] = []

    def die_after_the_first_part(**_: object) -> None:
        """boto3's hook after a part went up: the server stops before the next one (once)."""
        parts_sent.append(1)
        if len(parts_sent) == 1:
            s3.stop()

    store.client.meta.events.register("after-call.s3.UploadPart", die_after_the_first_part)
    try:
        refused = await upload(api, world, "Drawings.pdf", LARGE)
    finally:
        store.client.meta.events.unregister("after-call.s3.UploadPart", die_after_the_first_part)
        s3.start()
    assert (refused.status_code, refused.json()["detail"]) == (503, STORE_DOWN_UPLOAD)
    assert await file_rows() == 0
    # The abort could not reach the store either: the first part waits in an unfinished multipart upload, which
    # no file row points at. The `purge` job's sweep drops it once it is old enough to be abandoned for sure.
    assert len(objects_in(store)) == 1
    # (moto dates every multipart upload in 2010, so the sweep's age cutoff is shown on local disk, below.)
    assert await uploads.purge_unfinished(datetime.now(UTC) + uploads.UNFINISHED_AFTER + timedelta(minutes=1)) == 1
    assert objects_in(store) == []

    stored = await upload(api, world, "Drawings.pdf", LARGE)
    assert stored.status_code == 201, stored.text
    assert stored.json()["sha256"] == hashlib.sha256(LARGE).hexdigest()
    download = await api.get(f"/api/v1/files/{stored.json()['id']}/content")
    assert download.status_code == 200 and hashlib.sha256(download.content).digest() == hashlib.sha256(LARGE).digest()
    assert len(objects_in(store)) == 1


async def test_a_local_write_cut_short_leaves_a_temporary_file_that_the_sweep_removes(world, tmp_path) -> None:
    """A process killed mid-upload on local disk leaves its temporary file (never the file itself): swept too."""
    store = storage.LocalStorage(tmp_path / "files")
    storage.configure(store)
    key = storage.object_key(world.actor.org_id, world.client.id, world.project.id)
    target = store.path_of(key)
    target.parent.mkdir(parents=True)
    leftover = target.parent / f"{storage.UNFINISHED_PREFIX}abc123"
    leftover.write_bytes(b"half of a file")
    assert await uploads.purge_unfinished(datetime.now(UTC)) == 0
    assert await uploads.purge_unfinished(datetime.now(UTC) + uploads.UNFINISHED_AFTER + timedelta(minutes=1)) == 1
    assert not leftover.exists() and objects_in(store) == []
