"""Files: uploads judged on their bytes, stored on both back ends, seen by the right people, and nothing left behind
by a refusal or a failure."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from models import AuditEvent, File, InboxItem
from services.adapters import storage
from services.adapters.storage import S3Storage
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Invalid, NotFound, Unavailable
from services.files import files, upload_settings, uploads
from services.projects import discussion, work_requests
from tests.support.factories import Team
from tests.support.s3 import objects_in

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 400
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
MB = 1024 * 1024


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def cut_off(data: bytes) -> AsyncIterator[bytes]:
    """A browser that goes away mid-upload."""
    yield data
    raise ConnectionResetError("the browser went away")


async def file_rows() -> int:
    async with unit_of_work(SystemActor()) as session:
        return await session.scalar(select(func.count()).select_from(File)) or 0


async def test_a_staff_upload_is_stored_with_what_its_bytes_say(team: Team, both_stores: storage.Storage) -> None:
    project = team.world.project
    view = await files.upload(team.staff, "Brief v2.pdf", chunks(PDF), project_id=project.id, shared=True)
    assert (view.name, view.size, view.content_type) == ("Brief v2.pdf", len(PDF), "application/pdf")
    assert view.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (view.shared, view.by_client, view.uploader_name, view.project_name) == (True, False, "owner", project.name)
    assert view.previewable
    download = await files.open_download(team.staff, view.id)
    assert b"".join([c async for c in both_stores.read(download.key)]) == PDF
    # the key is made of ids, never of the name
    assert download.key == storage.object_key(team.staff.org_id, project.client_id, view.id)
    async with unit_of_work(SystemActor()) as session:
        [action] = await session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == view.id))
    assert action == "file.uploaded"


@pytest.mark.parametrize(
    ("name", "stored_as"),
    [
        ("../../x", "x"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("evil\x00name.pdf", "evilname.pdf"),
        ("  spaced   out  .pdf ", "spaced out .pdf"),
        ("", "file"),
        ("..", "file"),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
        ("b" * 300, "b" * 255),
    ],
)
async def test_names_that_look_like_paths_are_stored_as_plain_names(team: Team, name: str, stored_as: str) -> None:
    view = await files.upload(team.staff, name, chunks(PDF), project_id=team.world.project.id)
    assert view.name == stored_as
    download = await files.open_download(team.staff, view.id)
    assert download.key.endswith(str(view.id)) and ".." not in download.key


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200), "it is application/x-msdownload"),
        (b"<!DOCTYPE html><script>alert(1)</script>", "it is text/html"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', r"it is image/svg\+xml"),
        (b"", "The file is empty."),
    ],
)
async def test_a_refused_type_says_why_and_stores_nothing(
    team: Team, both_stores: storage.Storage, data: bytes, message: str
) -> None:
    with pytest.raises(Invalid, match=message):
        await files.upload(team.staff, "invoice.pdf", chunks(data), project_id=team.world.project.id)
    assert await file_rows() == 0
    assert objects_in(both_stores) == []


async def test_the_organizations_limit_and_kinds_apply(team: Team, both_stores: storage.Storage) -> None:
    await upload_settings.update_upload_settings(team.staff, 1, ["images"])
    with pytest.raises(Invalid, match="not accepted here: it is application/pdf"):
        await files.upload(team.staff, "a.pdf", chunks(PDF), project_id=team.world.project.id)
    big = PNG + bytes(MB)
    with pytest.raises(Invalid, match="larger than the limit of 1 MB"):
        await files.upload(team.staff, "big.png", chunks(big), project_id=team.world.project.id)
    assert await file_rows() == 0 and objects_in(both_stores) == []
    assert (await files.upload(team.staff, "ok.png", chunks(PNG), project_id=team.world.project.id)).size == len(PNG)


async def test_an_upload_cut_off_midway_leaves_nothing(team: Team, both_stores: storage.Storage) -> None:
    with pytest.raises(Invalid, match="The upload broke off before the whole file arrived, so nothing was saved"):
        await files.upload(team.staff, "a.pdf", cut_off(PDF), project_id=team.world.project.id)
    assert await file_rows() == 0 and objects_in(both_stores) == []


async def test_a_store_that_is_down_gives_a_clear_error_and_records_nothing(team: Team) -> None:
    import boto3
    from botocore.config import Config

    # a port nothing listens on: every request is refused at once
    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    storage.configure(S3Storage("down", client=client))
    with pytest.raises(Unavailable, match="Files cannot be stored right now, so nothing was saved"):
        await files.upload(team.staff, "a.pdf", chunks(PDF), project_id=team.world.project.id)
    assert await file_rows() == 0


async def test_a_row_that_cannot_be_recorded_takes_its_object_with_it(
    team: Team, both_stores: storage.Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def project_gone(*args: object, **kwargs: object) -> None:
        raise NotFound("Project not found")

    # the project disappears while the bytes stream: the second check refuses, and the object goes
    real = files._target
    calls = 0

    async def second_check_fails(*args: object, **kwargs: object) -> files.Target:
        nonlocal calls
        calls += 1
        if calls == 2:
            await project_gone()
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files, "_target", second_check_fails)
    with pytest.raises(NotFound):
        await files.upload(team.staff, "a.pdf", chunks(PDF), project_id=team.world.project.id)
    assert await file_rows() == 0 and objects_in(both_stores) == []


async def test_contacts_upload_to_their_projects_and_requests_and_their_client_sees_it(team: Team) -> None:
    project = team.world.project
    card = await work_requests.create_request(team.jane, project.id, work_requests.RequestInput("Logo", ""))
    mine = await files.upload(team.jane, "logo.png", chunks(PNG), request_id=card.id, shared=False)
    assert (mine.shared, mine.by_client, mine.uploader_name, mine.request_id) == (True, True, "Jane Doe", card.id)
    # John (same client) sees it on the request and in the client's files; staff get an inbox item
    assert [f.id for f in (await files.list_files(team.john, request_id=card.id)).items] == [mine.id]
    assert [f.id for f in (await files.list_files(team.john)).items] == [mine.id]
    async with unit_of_work(SystemActor()) as session:
        [summary] = await session.scalars(select(InboxItem.summary).where(InboxItem.kind == "file"))
    assert summary == "Uploaded logo.png to “Logo”"
    with pytest.raises(Invalid, match="stays visible"):
        await files.set_shared(team.staff, mine.id, False)
    with pytest.raises(NotFound):  # contacts do not manage files
        await files.rename(team.jane, mine.id, "x.png")
    with pytest.raises(Invalid, match="Choose a project"):
        await files.upload(team.jane, "x.png", chunks(PNG), client_id=team.world.client.id)


async def test_attachments_on_comments_follow_the_comments_visibility(team: Team) -> None:
    card = await work_requests.create_request(team.staff, team.world.project.id, work_requests.RequestInput("Copy", ""))
    note = await discussion.add_comment(team.staff, "our note", request_id=card.id, visibility="internal")
    reply = await discussion.add_comment(team.jane, "see attached", request_id=card.id)
    hidden = await files.upload(
        team.staff, "internal.pdf", chunks(PDF), request_id=card.id, comment_id=note.id, shared=True
    )
    attached = await files.upload(team.jane, "draft.pdf", chunks(PDF), request_id=card.id, comment_id=reply.id)
    assert (hidden.shared, attached.shared) == (False, True)
    async with unit_of_work(team.jane) as session:
        seen = await files.files_of_comments(session, team.jane, [note.id, reply.id])
    assert {k: [f.name for f in v] for k, v in seen.items()} == {reply.id: ["draft.pdf"]}
    with pytest.raises(NotFound):  # a contact cannot attach to a comment it cannot see
        await files.upload(team.jane, "x.pdf", chunks(PDF), request_id=card.id, comment_id=note.id)


async def test_unshared_files_do_not_exist_for_the_portal_until_shared(team: Team) -> None:
    secret = await files.upload(team.staff, "plan.pdf", chunks(PDF), project_id=team.world.project.id)
    for probe in (files.get_file, files.open_download):
        with pytest.raises(NotFound):
            await probe(team.jane, secret.id)
    assert (await files.list_files(team.jane)).items == []
    await files.set_shared(team.staff, secret.id, True)
    assert (await files.get_file(team.jane, secret.id)).name == "plan.pdf"
    assert [f.name for f in (await files.list_files(team.jane, project_id=team.world.project.id)).items] == ["plan.pdf"]


async def test_staff_rename_and_delete_and_the_bytes_go_with_the_row(team: Team, both_stores: storage.Storage) -> None:
    view = await files.upload(team.staff, "a.pdf", chunks(PDF), client_id=team.world.client.id)
    assert view.project_id is None
    renamed = await files.rename(team.staff, view.id, "../Final brief.pdf")
    assert renamed.name == "Final brief.pdf"
    with pytest.raises(Invalid, match="Enter a file name"):
        await files.rename(team.staff, view.id, "   ")
    await files.delete(team.staff, view.id)
    assert await file_rows() == 0 and objects_in(both_stores) == []
    with pytest.raises(NotFound):
        await files.get_file(team.staff, view.id)


async def test_a_delete_while_the_store_is_down_keeps_the_file(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    view = await files.upload(team.staff, "a.pdf", chunks(PDF), project_id=team.world.project.id)

    async def refused(key: str) -> None:
        raise ConnectionError("store down")

    monkeypatch.setattr(storage.get(), "delete", refused)
    with pytest.raises(Unavailable, match="the file was not deleted"):
        await files.delete(team.staff, view.id)
    assert (await files.get_file(team.staff, view.id)).name == "a.pdf"


async def test_lists_are_paged_newest_first_with_the_total(team: Team) -> None:
    for n in range(5):
        await files.upload(team.staff, f"{n}.pdf", chunks(PDF), project_id=team.world.project.id)
    page = await files.list_files(team.staff, project_id=team.world.project.id, limit=2, offset=1)
    assert ([f.name for f in page.items], page.total) == (["3.pdf", "2.pdf"], 5)
    with pytest.raises(Invalid):
        await files.list_files(team.staff)


def test_names_are_cleaned_without_a_storage_key_in_sight() -> None:
    assert uploads.clean_name("C:\\fakepath\\photo.jpg") == "photo.jpg"
    assert uploads.clean_name('quote"s<>|?*.txt') == "quotes.txt"
    assert uploads.clean_name("Résumé final.pdf") == "Résumé final.pdf"
