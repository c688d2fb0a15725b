"""Deliverables on the staff project page: create with version 1, send for review, a new version that goes back
to review, the client's approval showing live with its certificate link, and deletion behind a confirmation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from nicegui import ui
from nicegui.testing.user import User

from models.files import DeliverableStatus
from services.files import deliverables
from services.projects import milestones
from tests.support.factories import OrgWorld, make_world
from tests.support.pages import eventually, sees_within, signed_in, the

V1 = b"%PDF-1.7\n% homepage design, first cut\n" + bytes(2000)
V2 = b"%PDF-1.7\n% homepage design, with the client's changes\n" + bytes(2000)


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def open_project(user: User, world: OrgWorld) -> None:
    await signed_in(user, world.owner_email)
    await user.open(f"/projects/{world.project.id}")
    await user.should_see(marker="deliverables-card", retries=50)


async def drop(user: User, marker: str, name: str, data: bytes) -> None:
    uploader = await the(user, marker, ui.upload)
    await uploader.handle_uploads([ui.upload.SmallFileUpload(name, "application/pdf", data)])


async def only_deliverable(world: OrgWorld) -> deliverables.DeliverableView | None:
    rows = await deliverables.list_deliverables(world.actor, world.project.id)
    return await deliverables.get_deliverable(world.actor, rows[0].id) if len(rows) == 1 else None


async def test_create_send_and_a_new_version_that_goes_back_to_review(user: User) -> None:
    world = await make_world("acme")
    launch = await milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput("Launch"))
    await open_project(user, world)
    await user.should_see("No deliverables yet")

    user.find(marker="new-deliverable").click()
    title = await the(user, "deliverable-title", ui.input)
    await drop(user, "deliverable-upload", "homepage-v1.pdf", V1)  # no title yet: refused before any byte is kept
    await eventually(lambda: title.props.get("error-message") == "Title is required.")
    assert await deliverables.list_deliverables(world.actor, world.project.id) == []
    title.value = "Homepage design"
    (await the(user, "deliverable-milestone", ui.select)).value = str(launch.id)
    await drop(user, "deliverable-upload", "homepage-v1.pdf", V1)
    await user.should_see("Created “Homepage design” (a draft)", retries=50)
    created = await eventually(lambda: only_deliverable(world))
    assert (created.status, created.version, created.milestone_id) == (DeliverableStatus.draft, 1, launch.id)
    card = f"deliverable-{created.id}"
    await sees_within(user, card, "Draft")
    await sees_within(user, card, "Milestone: Launch")
    await sees_within(user, card, "Not sent")
    await sees_within(user, card, f"SHA-256 {created.versions[0].sha256[:12]}…")

    user.find(marker="send-for-review").click()
    await user.should_see("Sent “Homepage design” (version 1) to the client for review", retries=50)
    await sees_within(user, card, "In review")
    await user.should_not_see(marker="send-for-review")  # only drafts are sent by hand
    assert (await deliverables.get_deliverable(world.actor, created.id)).status == DeliverableStatus.in_review

    # The sending's live event redraws the whole project page once more, this card too: between clearing and
    # drawing it the card has no buttons.
    await user.should_see(marker="new-version", retries=50)
    user.find(marker="new-version").click()
    note = await the(user, "new-version-note", ui.label)
    assert "they are asked to review it again" in note.text
    await drop(user, "version-upload", "homepage-v2.pdf", V2)
    await user.should_see("Uploaded version 2 of “Homepage design” and sent it for review", retries=50)
    await sees_within(user, card, "Version 2")
    await sees_within(user, card, "homepage-v2.pdf")
    await sees_within(user, card, "homepage-v1.pdf")  # earlier versions stay readable
    now = await deliverables.get_deliverable(world.actor, created.id)
    assert (now.status, [v.number for v in now.versions]) == (DeliverableStatus.in_review, [2, 1])
    assert all(v.sent_at is not None for v in now.versions)


async def test_the_clients_approval_shows_live_with_its_certificate_and_locks_it(user: User) -> None:
    world = await make_world("acme")
    view = await deliverables.create(world.actor, world.project.id, "Logo", "logo.pdf", chunks(V1))
    await deliverables.send_for_review(world.actor, view.id)
    await open_project(user, world)
    card = f"deliverable-{view.id}"
    await sees_within(user, card, "In review")
    await sees_within(user, card, marker="new-version")

    await deliverables.decide(world.portal_actor(), view.id, "changes_requested", version=1, comment="Bigger, please")
    await sees_within(user, card, "Changes requested")
    await sees_within(user, card, "Bigger, please")
    await sees_within(user, card, "The client asked for changes: upload a new version")

    await deliverables.add_version(world.actor, view.id, "logo-v2.pdf", chunks(V2))
    await deliverables.decide(world.portal_actor(), view.id, "approved", version=2)
    await sees_within(user, card, "Approved")
    await sees_within(user, card, marker="approved-by")
    [approved] = user.find(marker="approved-by").elements
    assert isinstance(approved, ui.label) and approved.text.startswith("Approved by Jane Doe on version 2, ")
    [certificate] = user.find(marker="certificate").elements
    assert isinstance(certificate, ui.link) and certificate.props["href"] == f"/deliverables/{view.id}/certificate.pdf"
    # locked: no new version, no deletion
    await user.should_not_see(marker="new-version")
    await user.should_not_see(marker="delete-deliverable")


async def test_a_new_version_of_a_draft_stays_a_draft(user: User) -> None:
    world = await make_world("acme")
    view = await deliverables.create(world.actor, world.project.id, "Copy deck", "copy.pdf", chunks(V1))
    await open_project(user, world)
    user.find(marker="new-version").click()
    note = await the(user, "new-version-note", ui.label)
    assert "nothing is sent until you send it" in note.text
    await drop(user, "version-upload", "copy-v2.pdf", V2)
    await user.should_see("Uploaded version 2 of “Copy deck”", retries=50)
    now = await deliverables.get_deliverable(world.actor, view.id)
    assert (now.status, now.version, now.versions[0].sent_at) == (DeliverableStatus.draft, 2, None)


async def test_delete_asks_first(user: User) -> None:
    world = await make_world("acme")
    await deliverables.create(world.actor, world.project.id, "Old idea", "idea.pdf", chunks(V1))
    await open_project(user, world)
    await user.should_see("Old idea", retries=50)
    user.find(marker="delete-deliverable").click()
    await user.should_see("Delete the deliverable “Old idea”?", retries=50)
    user.find(marker="cancel").click()
    await asyncio.sleep(0.1)
    assert len(await deliverables.list_deliverables(world.actor, world.project.id)) == 1
    user.find(marker="delete-deliverable").click()
    await user.should_see(marker="confirm", retries=50)
    user.find(marker="confirm").click()
    await user.should_see("Deleted “Old idea”", retries=50)
    await user.should_see("No deliverables yet", retries=50)
    assert await deliverables.list_deliverables(world.actor, world.project.id) == []
