"""The portal's files: the Files page lists what is shared with this client only, a page at a time; a contact
uploads on a project page (shared with their client and the agency) and attaches files to a new request and to
a reply; a refused upload says why and stores nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nicegui import ui
from nicegui.testing.user import User
from sqlalchemy import select

from models.files import File
from portal_app.file_links import portal_file
from portal_app.portal.files_page import FILES_PAGE
from services.clients import clients, contacts
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.files import files
from services.projects import discussion, projects, work_requests
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world
from tests.support.pages import eventually, the
from tests.support.portal import sign_in_contact

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 40
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
HTML = b"<!doctype html><script>alert('hi')</script>"  # never accepted by default: it could run in a browser


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
async def acme(user: User) -> OrgWorld:
    world = await make_world("acme")
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    return world


def links(user: User) -> dict[str, str]:
    """Each link's text and where it goes."""
    return {link.text: link.props["href"] for link in user.find(ui.link).elements}


def marked(user: User, marker: str) -> int:
    """How many elements carry `marker` now (none is an answer, not a failure)."""
    try:
        return len(user.find(marker=marker).elements)
    except AssertionError:
        return 0


def labels_in(user: User, marker: str) -> list[str]:
    [box] = user.find(marker=marker).elements
    return [e.text for e in box.descendants() if isinstance(e, ui.label)]


async def rows(**where: object) -> list[File]:
    async with unit_of_work(SystemActor()) as session:
        found = await session.scalars(select(File).filter_by(**where))
        return list(found)


async def test_the_files_page_lists_only_what_is_shared_with_this_client(user: User, acme: OrgWorld) -> None:
    staff, pid = acme.actor, acme.project.id
    shared = await files.upload(staff, "Brief.pdf", chunks(PDF), project_id=pid, shared=True)
    await files.upload(staff, "Internal notes.pdf", chunks(PDF), project_id=pid, shared=False)
    mine = await files.upload(acme.portal_actor(), "Logo.png", chunks(PNG), project_id=pid)
    # another client of the same agency, with its own shared file
    globex = await clients.create_client(staff, clients.ClientInput(name="Globex"))
    theirs = await projects.create_project(staff, globex.id, projects.ProjectInput(name="Globex Shop"))
    await files.upload(staff, "Globex plan.pdf", chunks(PDF), project_id=theirs.id, shared=True)

    await user.open("/portal/acme/files")
    await user.should_see("Brief.pdf")
    shown = links(user)
    assert shown["Brief.pdf"] == portal_file("acme", shared.id)
    assert shown["Logo.png"] == portal_file("acme", mine.id)
    assert "Internal notes.pdf" not in shown and "Globex plan.pdf" not in shown
    await user.should_not_see("Internal notes.pdf")
    await user.should_not_see("Globex plan.pdf")
    # what, how big, where and who: the agency for its file, "You" for the contact's own
    [brief] = labels_in(user, f"file-{shared.id}")
    assert brief.startswith("PDF · ") and "Acme Website" in brief and brief.endswith("by Acme"), brief
    [logo] = labels_in(user, f"file-{mine.id}")
    assert logo.startswith("PNG image · ") and logo.endswith("by You"), logo


async def test_a_colleagues_upload_shows_their_name_and_a_new_shared_file_appears_live(
    user: User, acme: OrgWorld
) -> None:
    john = await contacts.create_contact(
        acme.actor, acme.client.id, contacts.ContactInput(email="john@client-acme.test", name="John Roe")
    )
    await user.open("/portal/acme/files")
    await user.should_see("No files yet")
    await user.should_see("Files we share with you, and files you upload on a project page, will be listed here.")
    await files.upload(
        acme.portal_actor(john), "Photos.zip", chunks(b"PK\x03\x04" + bytes(200)), project_id=acme.project.id
    )
    await user.should_see("Photos.zip")
    await the(user, "files")
    texts = labels_in(user, "files")
    assert any(t.endswith("by John Roe") for t in texts), texts
    # unsharing a staff file takes it off the page without a reload
    staff_file = await files.upload(acme.actor, "Draft.pdf", chunks(PDF), project_id=acme.project.id, shared=True)
    await user.should_see("Draft.pdf")
    await files.set_shared(acme.actor, staff_file.id, False)
    await user.should_not_see("Draft.pdf", retries=50)


async def test_the_files_page_is_paginated_and_filtered_by_project(user: User, acme: OrgWorld) -> None:
    staff = acme.actor
    other = await projects.create_project(staff, acme.client.id, projects.ProjectInput(name="Brand Refresh"))
    for n in range(FILES_PAGE + 2):
        await files.upload(staff, f"Site {n:02}.pdf", chunks(PDF), project_id=acme.project.id, shared=True)
    await files.upload(staff, "Brand book.pdf", chunks(PDF), project_id=other.id, shared=True)

    await user.open("/portal/acme/files")
    await user.should_see(f"1–{FILES_PAGE} of {FILES_PAGE + 3}")
    [listing] = user.find(marker="files").elements
    assert len(list(listing.descendants())) < 10 * FILES_PAGE  # bounded per page, whatever the client has
    await user.should_see("Brand book.pdf")  # newest first
    await user.should_not_see("Site 00.pdf")
    pager = await the(user, "files-pages", ui.pagination)
    pager.value = 2
    await user.should_see("Site 00.pdf")
    await user.should_see(f"{FILES_PAGE + 1}–{FILES_PAGE + 3} of {FILES_PAGE + 3}")

    await user.open(f"/portal/acme/files?project={other.id}")
    await user.should_see("Brand book.pdf")
    await user.should_see("1–1 of 1")
    await user.should_not_see("Site 26.pdf")
    choose = await the(user, "files-project", ui.select)
    choose.value = ""  # all projects
    await user.should_see("Site 26.pdf")


async def test_an_upload_on_the_project_page_is_shared_with_the_client_and_listed(user: User, acme: OrgWorld) -> None:
    await user.open(f"/portal/acme/projects/{acme.project.id}")
    upload = await the(user, "project-upload", ui.upload)
    assert upload.props["label"] == "Upload"
    await upload.handle_uploads([ui.upload.SmallFileUpload("Moodboard.png", "image/png", PNG)])
    await user.should_see("Uploaded Moodboard.png")
    [row] = await eventually(lambda: rows(name="Moodboard.png"))
    assert (row.shared, row.project_id, row.uploaded_by_contact_id) == (True, acme.project.id, acme.contact.id)
    assert links(user)["This project's files"] == f"/portal/acme/files?project={acme.project.id}"
    await user.open(f"/portal/acme/files?project={acme.project.id}")
    await user.should_see("Moodboard.png")


async def test_a_refused_upload_says_why_and_stores_nothing(user: User, acme: OrgWorld) -> None:
    await user.open(f"/portal/acme/projects/{acme.project.id}")
    upload = await the(user, "project-upload", ui.upload)
    await upload.handle_uploads([ui.upload.SmallFileUpload("page.html", "text/html", HTML)])
    await user.should_see("page.html was not uploaded: ", retries=50)
    assert [m for m in user.notify.messages if "not accepted" in m], user.notify.messages
    assert await count(File) == 0


async def test_a_new_request_carries_its_attachments(user: User, acme: OrgWorld) -> None:
    await user.open(f"/portal/acme/projects/{acme.project.id}")
    user.find("New request").click()
    (await the(user, "request-title", ui.input)).value = "New hero image"
    picker = await the(user, "request-attachments", ui.upload)
    await picker.handle_uploads(
        [
            ui.upload.SmallFileUpload("hero.png", "image/png", PNG),
            ui.upload.SmallFileUpload("evil.html", "text/html", HTML),
        ]
    )
    await eventually(lambda: marked(user, "request-attachments-file") == 2)
    assert await count(File) == 0  # nothing is stored before the request exists
    user.find(kind=ui.button, content="Submit").click()
    await user.should_see("Request added to the backlog: New hero image")
    await user.should_see("evil.html was not attached: ", retries=50)
    [card] = (await work_requests.list_project_requests(acme.actor, acme.project.id)).items
    [attached] = await eventually(lambda: rows(request_id=card.id))
    assert (attached.name, attached.comment_id, attached.shared) == ("hero.png", None, True)

    # the request's dialog lists it; a reply carries its own
    await user.open(f"/portal/acme/projects/{acme.project.id}")
    user.find(marker=f"request-{card.id}").click()
    await user.should_see(marker=f"attachment-{attached.id}")
    (await the(user, f"reply-request-{card.id}", ui.textarea)).value = "Here is the brief too."
    reply_picker = await the(user, "reply-attachments", ui.upload)
    await reply_picker.handle_uploads([ui.upload.SmallFileUpload("brief.pdf", "application/pdf", PDF)])
    await eventually(lambda: marked(user, "reply-attachments-file") == 1)
    user.find(marker=f"send-request-{card.id}").click()
    [comment] = await eventually(lambda: discussion.request_discussion(acme.actor, card.id))
    [brief] = await eventually(lambda: rows(comment_id=comment.id))
    assert (brief.name, brief.request_id) == ("brief.pdf", card.id)
    await user.should_see(marker=f"attachment-{brief.id}")
