"""Generated documents on the staff project page and in Settings (SPEC §17), and the staff preview route."""

from __future__ import annotations

import httpx
from nicegui import ui
from nicegui.testing.user import User

from components.file_list import ACTIONS_CELL, UPLOADER_CELL
from models.organizations import Role
from portal_app.staff.files_section import file_row
from services.core.formatting import Formats
from services.documents import making, wording
from services.files import files
from tests.support.documents import document_files
from tests.support.factories import add_member, make_world
from tests.support.pages import eventually, sees_within, signed_in
from tests.support.signin import staff_cookie


async def test_the_project_page_lists_its_documents_live_and_shares_and_regenerates_them(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/projects/{world.project.id}")
    await user.should_see(marker="documents-card", retries=50)
    await user.should_see("Being made", retries=50)
    assert await making.make_due() == 1  # the job, as `serve` runs it; the page hears of it
    await user.should_see("Made", retries=50)
    [row] = await document_files(world.project.id)
    marker = f"document-{(await the_request_id(world))}"
    await sees_within(user, marker, marker="document-open")

    with user.scope(marker=marker):
        user.find(marker="document-share").click()  # "Unshare"
    await eventually(lambda: not_shared(world, row.id))
    await sees_within(user, marker, "not shared with the client")

    with user.scope(marker=marker):
        user.find(marker="document-regenerate").click()
    await user.should_see(marker="confirm", retries=50)
    user.find(marker="confirm").click()
    await sees_within(user, marker, "Being made")
    assert await making.make_due() == 1
    await sees_within(user, marker, "Made")


async def the_request_id(world) -> str:
    from services.documents import documents

    [view] = await documents.list_documents(world.actor, world.project.id)
    return str(view.id)


async def not_shared(world, file_id) -> bool:
    return not (await files.get_file(world.actor, file_id)).shared


async def test_owners_set_the_wording_of_each_kind(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/settings")
    await user.should_see(marker="documents-settings-card", retries=50)
    with user.scope(marker="documents-progress"):
        user.find(marker="document-enabled").click()  # off
        user.find(ui.input).type("Where {project} stands")
        user.find(marker="document-save").click()
    await eventually(lambda: progress_is(world, enabled=False, title="Where {project} stands"))


async def test_members_only_read_the_documents_settings(user: User) -> None:
    world = await make_world("acme")
    member = await add_member(world.actor.org_id, "member@acme.test", Role.member)
    await signed_in(user, member.email)
    await user.open("/settings")
    await user.should_see("Only owners and admins can change these settings.", retries=50)
    saves = list(user.find(kind=ui.button, marker="document-save").elements)
    assert len(saves) == 3 and not any(button.enabled for button in saves)


async def progress_is(world, *, enabled: bool, title: str) -> bool:
    own = {w.kind.value: w for w in await wording.list_own_wordings(world.actor)}
    return own["progress"].enabled is enabled and own["progress"].title == title


async def test_the_preview_route_draws_for_staff_of_the_project_only(app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    other = await make_world("bravo")
    async with httpx.AsyncClient(transport=app_client._transport, base_url="http://test") as visitor:
        url = f"/projects/{world.project.id}/documents/welcome/preview.pdf"
        signed_out = await visitor.get(url)
        assert signed_out.status_code in (302, 303, 307) and "/login" in signed_out.headers["location"]
        await staff_cookie(visitor, world.owner_email)
        preview = await visitor.get(url)
        assert preview.status_code == 200 and preview.content.startswith(b"%PDF")
        assert (
            preview.headers["content-type"] == "application/pdf" and "inline" in preview.headers["content-disposition"]
        )
        for bad in (
            f"/projects/{other.project.id}/documents/welcome/preview.pdf",  # another organization's project
            f"/projects/{world.project.id}/documents/invoice/preview.pdf",
            f"/projects/{world.project.id}/documents/progress/preview.pdf",  # needs a milestone
            f"/projects/{world.project.id}/documents/progress/preview.pdf?milestone=not-an-id",
            "/projects/not-an-id/documents/welcome/preview.pdf",
        ):
            answer = await visitor.get(bad)
            assert answer.status_code == 404 and b"%PDF" not in answer.content, bad
    assert await document_files(world.project.id) == []  # a preview stores nothing


async def test_the_files_table_marks_a_document_and_offers_it_no_rename_or_delete(database, file_store) -> None:
    world = await make_world("acme")
    await making.make_due()
    [document] = (await files.list_files(world.actor, project_id=world.project.id)).items
    row = file_row(document, Formats("en_US", "UTC"))
    assert row["generated"] is True and row["uploader"] == "Acme" and row["shared"] is True
    assert 'v-if="!props.row.generated"' in ACTIONS_CELL and "props.row.generated" in UPLOADER_CELL
