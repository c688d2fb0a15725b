"""The Files card on the staff client and project pages: uploads through the page's uploader, refusals that say
why and store nothing, sharing, renaming, deleting, a client's own upload, and the live redraw."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from nicegui import ui
from nicegui.testing.user import User

from services.adapters import storage
from services.files import files
from tests.support.factories import OrgWorld, make_world
from tests.support.pages import eventually, signed_in, the

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 40


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def stored_objects() -> list[Path]:
    """The objects in the store the app configured (a directory under the test's var dir)."""
    store = storage.get()
    assert isinstance(store, storage.LocalStorage)
    root = Path(store.root)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def drop(user: User, *uploads: tuple[str, str, bytes]) -> None:
    """Files dropped on the Files card's uploader, as the browser would post them."""
    uploader = await the(user, "files-upload", ui.upload)
    await uploader.handle_uploads([ui.upload.SmallFileUpload(name, kind, data) for name, kind, data in uploads])


def files_table(user: User) -> ui.table:
    [table] = user.find(marker="files-table").elements
    assert isinstance(table, ui.table)
    return table


async def rows_named(user: User, *names: str) -> list[dict[str, Any]]:
    """The table's rows, once they are exactly the files named (newest first)."""

    def ready() -> tuple[list[dict[str, Any]]] | None:  # a tuple: an empty list of rows is a result too
        rows = files_table(user).rows
        return (rows,) if [r["name"] for r in rows] == list(names) else None

    await user.should_see(marker="files-table", retries=50)
    [rows] = await eventually(ready)
    return rows


async def open_client(user: User, world: OrgWorld) -> None:
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    await user.should_see(marker="files-card", retries=50)


async def open_project(user: User, world: OrgWorld) -> None:
    await signed_in(user, world.owner_email)
    await user.open(f"/projects/{world.project.id}")
    await user.should_see(marker="files-card", retries=50)


async def test_files_dropped_on_the_client_page_are_stored_and_listed(user: User) -> None:
    world = await make_world("acme")
    await open_client(user, world)
    await user.should_see("Up to 50 MB per file")
    await drop(user, ("brief.pdf", "application/pdf", PDF), ("logo.png", "image/png", PNG))
    await user.should_see("Uploaded brief.pdf", retries=50)
    await user.should_see("Uploaded logo.png", retries=50)
    rows = await rows_named(
        user, *[f.name for f in (await files.list_files(world.actor, client_id=world.client.id)).items]
    )
    assert {r["name"] for r in rows} == {"brief.pdf", "logo.png"}
    pdf = next(r for r in rows if r["name"] == "brief.pdf")
    assert pdf["href"] == f"/files/{pdf['id']}"
    assert (pdf["type"], pdf["shared"], pdf["by_client"], pdf["project"]) == ("application/pdf", False, False, "")
    assert pdf["size"] == "1.4 kB"  # 1,449 bytes
    assert len(stored_objects()) == 2
    stored = await files.get_file(world.actor, pdf["id"])
    assert (stored.client_id, stored.project_id, stored.size, stored.shared) == (world.client.id, None, len(PDF), False)


async def test_share_with_client_applies_to_the_files_dropped_then(user: User) -> None:
    world = await make_world("acme")
    await open_project(user, world)
    (await the(user, "share-upload", ui.checkbox)).value = True
    await drop(user, ("plan.pdf", "application/pdf", PDF))
    await user.should_see("Uploaded plan.pdf, shared with the client", retries=50)
    [row] = await rows_named(user, "plan.pdf")
    assert row["shared"] is True
    portal = await files.list_files(world.portal_actor(), project_id=world.project.id)
    assert [f.name for f in portal.items] == ["plan.pdf"]


async def test_a_refused_file_says_why_and_stores_nothing(user: User) -> None:
    world = await make_world("acme")
    await open_project(user, world)
    await drop(user, ("x.png", "image/png", b"<!DOCTYPE html><html><script>alert(1)</script></html>"))
    await user.should_see(
        "x.png was not uploaded: This type of file is not accepted here: it is text/html.", retries=50
    )
    await drop(user, ("empty.pdf", "application/pdf", b""))
    await user.should_see("empty.pdf was not uploaded: The file is empty.", retries=50)
    await asyncio.sleep(0.1)
    assert (await files.list_files(world.actor, client_id=world.client.id)).total == 0
    assert files_table(user).rows == []
    assert stored_objects() == []


async def test_share_rename_and_delete_from_the_list(user: User) -> None:
    world = await make_world("acme")
    view = await files.upload(world.actor, "draft.pdf", chunks(PDF), project_id=world.project.id)
    await open_project(user, world)
    [row] = await rows_named(user, "draft.pdf")
    assert (row["shared"], row["shared_tip"]) == (
        False,
        "Only your team sees this file. Switch on to show it to the client.",
    )
    # the switch in the row's cell posts this event (tests/browser/test_files_journey.py clicks the real one)
    user.find(marker="files-table").trigger("share", {"id": str(view.id), "shared": True})
    await user.should_see("draft.pdf is shared with the client", retries=50)
    await eventually(lambda: files_table(user).rows[0]["shared"] is True)
    assert (await files.get_file(world.actor, view.id)).shared

    user.find(marker="files-table").trigger("rename", {"id": str(view.id)})
    name = await the(user, "file-name", ui.input)
    assert name.value == "draft.pdf"
    name.value = "   "
    user.find(marker="save-file-name").click()
    await eventually(lambda: name.props.get("error-message") == "Enter a file name.")
    name.value = "Final plan.pdf"
    user.find(marker="save-file-name").click()
    await user.should_see("Renamed to Final plan.pdf", retries=50)
    await rows_named(user, "Final plan.pdf")
    assert (await files.get_file(world.actor, view.id)).name == "Final plan.pdf"

    user.find(marker="files-table").trigger("delete", {"id": str(view.id)})
    await user.should_see("Delete “Final plan.pdf”?", retries=50)
    user.find(marker="cancel").click()
    await asyncio.sleep(0.1)
    assert (await files.list_files(world.actor, project_id=world.project.id)).total == 1
    user.find(marker="files-table").trigger("delete", {"id": str(view.id)})
    await user.should_see(marker="confirm", retries=50)
    user.find(marker="confirm").click()
    await user.should_see("Deleted Final plan.pdf", retries=50)
    await rows_named(user)
    assert (await files.list_files(world.actor, project_id=world.project.id)).total == 0
    assert stored_objects() == []


async def test_a_clients_own_upload_is_marked_and_stays_shared(user: User) -> None:
    world = await make_world("acme")
    theirs = await files.upload(world.portal_actor(), "photo.png", chunks(PNG), project_id=world.project.id)
    await open_client(user, world)
    [row] = await rows_named(user, "photo.png")
    assert (row["by_client"], row["shared"], row["uploader"]) == (True, True, "Jane Doe")
    assert row["shared_tip"] == "Uploaded by the client: they always see it."
    assert (row["project"], row["project_href"]) == ("Acme Website", f"/projects/{world.project.id}")
    user.find(marker="files-table").trigger("share", {"id": str(theirs.id), "shared": False})
    await user.should_see("The client uploaded this file, so it stays visible to them.", retries=50)
    assert (await files.get_file(world.actor, theirs.id)).shared


async def test_the_list_follows_uploads_made_elsewhere(user: User) -> None:
    world = await make_world("acme")
    await open_project(user, world)
    await rows_named(user)
    await files.upload(world.actor, "elsewhere.pdf", chunks(PDF), project_id=world.project.id)
    await rows_named(user, "elsewhere.pdf")
    # a file of the client but not of this project is not this page's
    await files.upload(world.actor, "client-level.pdf", chunks(PDF), client_id=world.client.id)
    await asyncio.sleep(0.2)
    assert [r["name"] for r in files_table(user).rows] == ["elsewhere.pdf"]
