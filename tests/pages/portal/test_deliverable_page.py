"""The portal's deliverable page: a preview of the version in review, "Approve" and "Request changes" only while
it waits for the client, the decision recorded for the version shown, and one "not found" for drafts, other
clients' deliverables and made-up ids."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nicegui import ui
from nicegui.testing.user import User

from models.files import DeliverableStatus
from portal_app.file_links import portal_certificate, portal_file
from services.clients import clients
from services.core import events
from services.core.db import get_database
from services.files import deliverables, files
from services.files.deliverables import DeliverableView
from services.projects import projects
from tests.support.db import counted
from tests.support.factories import OrgWorld, make_world
from tests.support.pages import eventually, the
from tests.support.portal import sign_in_contact

V1 = b"%PDF-1.7\n% homepage design, first cut\n" + bytes(2000)
V2 = b"%PDF-1.7\n% homepage design, with the changes\n" + bytes(2000)
ZIP = b"PK\x03\x04" + bytes(300)


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
async def acme(user: User) -> OrgWorld:
    world = await make_world("acme")
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    return world


async def in_review(world: OrgWorld, data: bytes = V1, name: str = "homepage.pdf") -> DeliverableView:
    made = await deliverables.create(world.actor, world.project.id, "Homepage design", name, chunks(data))
    return await deliverables.send_for_review(world.actor, made.id)


def shows(user: User, marker: str) -> bool:
    try:
        return bool(user.find(marker=marker).elements)
    except AssertionError:
        return False


async def test_a_deliverable_in_review_shows_its_preview_and_asks_for_a_decision(user: User, acme: OrgWorld) -> None:
    sent = await in_review(acme)
    version = sent.latest
    assert version is not None
    await user.open(f"/portal/acme/deliverables/{sent.id}")
    await user.should_see("Homepage design")
    await user.should_see("Version 1")
    [frame] = [e for e in (await the(user, "preview")).descendants() if e.tag == "iframe"]
    assert frame.props["src"] == portal_file("acme", version.file_id, inline=True)
    assert (await the(user, "download", ui.link)).props["href"] == portal_file("acme", version.file_id)
    await user.should_see(kind=ui.button, content="Approve")
    await user.should_see(kind=ui.button, content="Request changes")
    # the project page lists it, with its status and a link here
    await user.open(f"/portal/acme/projects/{acme.project.id}")
    link = await the(user, f"deliverable-{sent.id}", ui.link)
    assert link.props["href"] == f"/portal/acme/deliverables/{sent.id}"
    await user.should_see("In review")


async def test_a_file_the_portal_may_not_show_inline_is_only_a_download(user: User, acme: OrgWorld) -> None:
    sent = await in_review(acme, ZIP, "source.zip")
    await user.open(f"/portal/acme/deliverables/{sent.id}")
    preview = await the(user, "preview")
    assert not [e for e in preview.descendants() if e.tag in ("iframe", "img", "video")]
    [link] = [e for e in preview.descendants() if isinstance(e, ui.link)]
    assert (link.text, link.props["href"]) == ("source.zip", portal_file("acme", sent.latest.file_id))  # type: ignore[union-attr]


async def test_requesting_changes_needs_a_comment_and_then_says_changes_requested(user: User, acme: OrgWorld) -> None:
    sent = await in_review(acme)
    await user.open(f"/portal/acme/deliverables/{sent.id}")
    user.find(kind=ui.button, content="Request changes").click()
    comment = await the(user, "comment", ui.textarea)
    user.find(kind=ui.button, content="Send").click()
    await eventually(lambda: comment.props.get("error-message") == "Say what should change.")
    (await the(user, "comment", ui.textarea)).value = "Bigger logo, please."
    user.find(kind=ui.button, content="Send").click()
    await user.should_see(marker="changes-requested")
    await user.should_see("Changes requested")
    await user.should_see("Bigger logo, please.")
    await user.should_not_see(kind=ui.button, content="Approve")
    assert (await deliverables.get_deliverable(acme.actor, sent.id)).status == DeliverableStatus.changes_requested

    # a new version goes back to review and the open page shows it, with the first one among earlier versions
    await deliverables.add_version(acme.actor, sent.id, "homepage-v2.pdf", chunks(V2))
    await user.should_see("Version 2", retries=100)
    await user.should_see(kind=ui.button, content="Approve")
    await user.should_see("Version 1: homepage.pdf")


async def test_approving_asks_first_then_records_the_version_shown_with_a_certificate(
    user: User, acme: OrgWorld
) -> None:
    sent = await in_review(acme)
    await user.open(f"/portal/acme/deliverables/{sent.id}")
    user.find(kind=ui.button, content="Approve").click()
    await user.should_see("Approve version 1 of “Homepage design”?")
    user.find(marker="cancel").click()
    await eventually(lambda: not shows(user, "cancel"))
    assert (await deliverables.get_deliverable(acme.actor, sent.id)).status == DeliverableStatus.in_review
    user.find(kind=ui.button, content="Approve").click()
    await user.should_see(marker="confirm")
    user.find(marker="confirm").click()
    await user.should_see(marker="approved")
    await user.should_see("Approved")
    certificate = await the(user, "certificate", ui.link)
    assert (certificate.text, certificate.props["href"]) == (
        "Approval certificate",
        portal_certificate("acme", sent.id),
    )
    await user.should_not_see(kind=ui.button, content="Request changes")
    approval = (await deliverables.get_deliverable(acme.actor, sent.id)).approval
    assert approval is not None
    assert (approval.version_number, approval.contact_email) == (1, acme.contact.email)
    assert "Version 1 (homepage.pdf) approved by Jane Doe" in (await the(user, "approved-by", ui.label)).text


async def test_a_decision_on_a_version_that_was_replaced_is_refused_and_the_page_shows_the_new_one(
    user: User, acme: OrgWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = await in_review(acme)
    await user.open(f"/portal/acme/deliverables/{sent.id}")
    await user.should_see("Version 1")
    # a newer version arrives unannounced: the page still shows version 1 when the contact approves
    with monkeypatch.context() as quiet:
        quiet.setattr(events, "publish", lambda *args, **kwargs: None)
        await deliverables.add_version(acme.actor, sent.id, "homepage-v2.pdf", chunks(V2))
    user.find(kind=ui.button, content="Approve").click()
    await user.should_see(marker="confirm")
    user.find(marker="confirm").click()
    await user.should_see("A newer version was sent: please review version 2.")
    await user.should_see("Version 2")
    await user.should_see("Version 1: homepage.pdf")
    assert (await deliverables.get_deliverable(acme.actor, sent.id)).status == DeliverableStatus.in_review


async def test_drafts_other_clients_deliverables_and_made_up_ids_are_not_found(user: User, acme: OrgWorld) -> None:
    draft = await deliverables.create(acme.actor, acme.project.id, "Secret draft", "draft.pdf", chunks(V1))
    globex = await clients.create_client(acme.actor, clients.ClientInput(name="Globex"))
    project = await projects.create_project(acme.actor, globex.id, projects.ProjectInput(name="Globex Shop"))
    theirs = await deliverables.create(acme.actor, project.id, "Globex logo", "logo.pdf", chunks(V1))
    await deliverables.send_for_review(acme.actor, theirs.id)
    for wanted in (draft.id, theirs.id, "00000000-0000-0000-0000-000000000000", "not-an-id"):
        response = await user.http_client.get(f"/portal/acme/deliverables/{wanted}")
        assert response.status_code == 404, wanted
        assert "Deliverable not found" in response.text
        assert "Secret draft" not in response.text and "Globex logo" not in response.text
        assert "Approve" not in response.text
    # nor does the project page list the draft
    await user.open(f"/portal/acme/projects/{acme.project.id}")
    await user.should_see("Nothing to review yet: work we send you for approval appears here.")
    await user.should_not_see("Secret draft")


async def test_the_page_and_the_files_page_read_a_fixed_number_of_statements(user: User, acme: OrgWorld) -> None:
    sent = await in_review(acme)

    async def statements() -> dict[str, int]:
        found = {}
        for path in (f"/deliverables/{sent.id}", "/files", f"/projects/{acme.project.id}"):
            with counted(get_database()) as seen:
                await user.open(f"/portal/acme{path}")
            found[path] = len(seen)
        return found

    await user.open("/portal/acme/")  # the guard's organization lookup is cached from here on
    few = await statements()
    for n in range(4):  # more versions, decisions, deliverables and files
        await deliverables.decide(acme.portal_actor(), sent.id, "changes_requested", version=n + 1, comment=f"No {n}")
        await deliverables.add_version(acme.actor, sent.id, f"v{n + 2}.pdf", chunks(V2))
        await in_review(acme)
        await files.upload(acme.actor, f"f{n}.pdf", chunks(V1), project_id=acme.project.id, shared=True)
    # pages opened earlier in this test still redraw for the changes just made, in the background: their
    # statements would be counted too, so count again until they are done
    for _ in range(20):
        many = await statements()
        if many == few:
            break
    assert many == few and max(many.values()) <= 8, (few, many)
