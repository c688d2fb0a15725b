"""Deliverables: draft, review, changes, a new version, approval with its evidence, the lock, the certificate."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from models import AuditEvent, FileKind, InboxItem, OutboxMail
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid, NotFound
from services.files import certificate, deliverables, files
from services.projects import milestones, projects
from tests.support.factories import Team, add_member

V1 = b"%PDF-1.7\n% homepage design, first cut\n" + bytes(2000)
V2 = b"%PDF-1.7\n% homepage design, with the client's changes\n" + bytes(2000)


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def mails_to(address: str) -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(OutboxMail).where(OutboxMail.to_addr == address)))


async def actions() -> list[str]:
    async with unit_of_work(SystemActor()) as session:
        return list(
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.target_type == "deliverable").order_by(AuditEvent.at)
            )
        )


async def test_a_draft_is_staff_only_until_it_is_sent_for_review(team: Team) -> None:
    project = team.world.project
    draft = await deliverables.create(team.staff, project.id, "Homepage design", "home.pdf", chunks(V1))
    assert (draft.status, draft.version, draft.latest.sha256) == (  # type: ignore[union-attr]
        "draft",
        1,
        hashlib.sha256(V1).hexdigest(),
    )
    with pytest.raises(NotFound):
        await deliverables.get_deliverable(team.jane, draft.id)
    assert await deliverables.list_deliverables(team.jane, project.id) == []
    with pytest.raises(NotFound):  # its file is not the client's yet either
        await files.open_download(team.jane, draft.latest.file_id)  # type: ignore[union-attr]
    assert await mails_to(team.jane.email) == []

    sent = await deliverables.send_for_review(team.staff, draft.id)
    assert sent.status == "in_review" and sent.awaiting_decision
    seen = await deliverables.get_deliverable(team.jane, draft.id)
    assert (seen.title, seen.version, seen.status_label) == ("Homepage design", 1, "In review")
    assert (await files.open_download(team.jane, seen.latest.file_id)).name == "home.pdf"  # type: ignore[union-attr]
    # both portal contacts are mailed a link to the deliverable's page
    for who in (team.jane, team.john):
        [mail] = await mails_to(who.email)
        assert mail.subject == "Please review: Homepage design (version 1)"
        assert f"/portal/acme/deliverables/{draft.id}" in mail.body_text
    # deliverable files are not listed among the client's uploads
    assert (await files.list_files(team.jane)).items == []
    # sending again changes nothing and mails nobody again
    await deliverables.send_for_review(team.staff, draft.id)
    assert len(await mails_to(team.jane.email)) == 1


async def test_changes_then_a_new_version_then_approval(team: Team) -> None:
    project = team.world.project
    lead = await add_member(team.staff.org_id, "lead@acme.test", name="Lena Lead")
    await projects.update_project(team.staff, project.id, projects.ProjectChanges(lead_user_id=lead.user_id))
    milestone = await milestones.add_milestone(
        team.staff, project.id, milestones.MilestoneInput("Design signed off", date(2031, 1, 1))
    )
    made = await deliverables.create(
        team.staff, project.id, "Homepage design", "home.pdf", chunks(V1), milestone_id=milestone.id
    )
    await deliverables.send_for_review(team.staff, made.id)

    with pytest.raises(Invalid, match="Say what should change"):
        await deliverables.decide(team.jane, made.id, "changes_requested", version=1, comment="  ")
    changed = await deliverables.decide(
        team.jane, made.id, "changes_requested", version=1, comment="Bigger logo, please."
    )
    assert changed.status_label == "Changes requested" and not changed.awaiting_decision
    with pytest.raises(Conflict, match="upload a new version"):
        await deliverables.send_for_review(team.staff, made.id)
    with pytest.raises(Conflict, match="not waiting for a decision"):
        await deliverables.decide(team.john, made.id, "approved", version=1)

    second = await deliverables.add_version(team.staff, made.id, "home v2.pdf", chunks(V2))
    assert (second.version, second.status) == (2, "in_review")  # back to review by itself
    assert [v.number for v in (await deliverables.get_deliverable(team.jane, made.id)).versions] == [2, 1]
    with pytest.raises(Conflict, match="please review version 2"):  # approving what one did not see
        await deliverables.decide(team.jane, made.id, "approved", version=1)

    approved = await deliverables.decide(team.john, made.id, "approved", version=2, user_agent="Firefox/140")
    evidence = approved.approval
    assert evidence is not None
    assert (evidence.version_number, evidence.contact_email, evidence.file_name) == (2, team.john.email, "home v2.pdf")
    assert evidence.sha256 == hashlib.sha256(V2).hexdigest() and evidence.user_agent == "Firefox/140"
    # the milestone is ticked, the lead is mailed, staff have it in their inbox, the log has every step
    [done] = await milestones.list_milestones(team.staff, project.id)
    assert done.done
    subjects = [m.subject for m in await mails_to("lead@acme.test")]
    assert subjects == [
        "Jane Doe asked for changes to “Homepage design” (version 1) on Acme Website.",
        "John Roe approved “Homepage design” (version 2) on Acme Website.",
    ]
    async with unit_of_work(SystemActor()) as session:
        inbox = list(await session.scalars(select(InboxItem.summary).where(InboxItem.kind == "decision")))
    assert sorted(inbox) == [
        "Approved “Homepage design” (version 2)",
        "Asked for changes to “Homepage design” (version 1): Bigger logo, please.",
    ]
    assert await actions() == [
        "deliverable.created",
        "deliverable.sent",
        "deliverable.changes_requested",
        "deliverable.version_added",
        "deliverable.approved",
    ]


async def test_an_approved_deliverable_is_locked(team: Team) -> None:
    made = await deliverables.create(team.staff, team.world.project.id, "Logo", "logo.pdf", chunks(V1))
    await deliverables.send_for_review(team.staff, made.id)
    await deliverables.decide(team.jane, made.id, "approved", version=1)
    for attempt in (
        deliverables.add_version(team.staff, made.id, "logo2.pdf", chunks(V2)),
        deliverables.delete(team.staff, made.id),
        deliverables.rename(team.staff, made.id, "Other"),
        deliverables.send_for_review(team.staff, made.id),
    ):
        with pytest.raises(Conflict, match="approved, so it is locked"):
            await attempt
    with pytest.raises(Invalid, match="version of a deliverable"):  # nor through the files it is made of
        await files.delete(team.staff, made.latest.file_id)  # type: ignore[union-attr]
    assert (await deliverables.get_deliverable(team.staff, made.id)).status == "approved"


async def test_only_contacts_decide_and_staff_only_make(team: Team) -> None:
    made = await deliverables.create(team.staff, team.world.project.id, "Logo", "logo.pdf", chunks(V1))
    await deliverables.send_for_review(team.staff, made.id)
    with pytest.raises(NotFound):
        await deliverables.decide(team.staff, made.id, "approved", version=1)
    with pytest.raises(NotFound):
        await deliverables.create(team.jane, team.world.project.id, "Mine", "x.pdf", chunks(V1))
    with pytest.raises(Invalid, match="Decision must be"):
        await deliverables.decide(team.jane, made.id, "maybe", version=1)


async def test_a_deliverable_that_is_not_approved_can_be_deleted_with_its_files(team: Team) -> None:
    made = await deliverables.create(team.staff, team.world.project.id, "Logo", "logo.pdf", chunks(V1))
    await deliverables.add_version(team.staff, made.id, "logo2.pdf", chunks(V2))
    await deliverables.delete(team.staff, made.id)
    with pytest.raises(NotFound):
        await deliverables.get_deliverable(team.staff, made.id)
    assert (await files.list_files(team.staff, project_id=team.world.project.id, kinds=tuple(FileKind))).total == 0


async def test_a_milestone_must_be_the_projects_own(team: Team) -> None:
    other = await projects.create_project(team.staff, team.world.client.id, projects.ProjectInput(name="Other"))
    elsewhere = await milestones.add_milestone(team.staff, other.id, milestones.MilestoneInput("Elsewhere", None))
    with pytest.raises(Invalid, match="milestone of this project"):
        await deliverables.create(
            team.staff, team.world.project.id, "Logo", "logo.pdf", chunks(V1), milestone_id=elsewhere.id
        )


async def test_the_certificate_is_the_same_for_both_sides_and_states_the_evidence(team: Team) -> None:
    made = await deliverables.create(team.staff, team.world.project.id, "Homepage design", "home.pdf", chunks(V1))
    await deliverables.send_for_review(team.staff, made.id)
    with pytest.raises(NotFound, match="no approval yet"):
        await certificate.certificate_data(team.staff, made.id)
    await deliverables.decide(team.jane, made.id, "approved", version=1, user_agent="Safari/18")
    staff_copy = certificate.render_certificate(await certificate.certificate_data(team.staff, made.id))
    portal_copy = certificate.render_certificate(await certificate.certificate_data(team.jane, made.id))
    assert staff_copy == portal_copy
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(staff_copy)).pages)
    for expected in (
        "Approval certificate",
        "Homepage design",
        "home.pdf",
        hashlib.sha256(V1).hexdigest(),
        "Jane Doe <jane@client-acme.test>",
        "Safari/18",
        "Acme Client",
    ):
        assert expected in text.replace("\n", " "), expected
    with pytest.raises(NotFound):
        await certificate.certificate_data(team.jane, "not-an-id")
