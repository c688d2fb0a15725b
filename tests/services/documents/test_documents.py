"""Generated documents (SPEC §17): owed by their event, made once by the `documents` job, shared and announced."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from models import DocumentStatus, FileKind
from services.core.errors import Conflict, Invalid, NotFound
from services.documents import documents, making, wording
from services.files import files
from services.projects import discussion, milestones, notifications, projects, work_requests
from services.time import entries, rates
from tests.support.documents import (
    document_files,
    mails_to,
    pdf_text,
    public_updates,
    requests_of,
    stored_bytes,
)
from tests.support.factories import Team, make_team


async def test_a_project_that_starts_owes_one_welcome_packet_made_once_and_announced(team: Team) -> None:
    [owed] = await requests_of(team.project_id)  # the factory's project started active
    assert owed.kind == "welcome" and owed.status == DocumentStatus.pending
    await milestones.add_milestone(
        team.staff, team.project_id, milestones.MilestoneInput("Design sign-off", date(2027, 1, 15))
    )
    assert await making.make_due() == 1
    assert await making.make_due() == 0  # made once: nothing is owed any more
    [row] = await document_files(team.project_id)
    assert row.kind == FileKind.welcome and row.shared and row.content_type == "application/pdf"
    text = pdf_text(await stored_bytes(row))
    assert "Welcome to Acme Website" in text and "Design sign-off" in text and "HOW YOUR PORTAL WORKS" in text
    assert "/portal/acme/" in text  # where to sign in

    seen = await files.list_files(team.jane)  # the portal's Files lists it
    assert [f.id for f in seen.items] == [row.id]
    [news] = await public_updates(team.project_id)
    assert "welcome packet" in news.body and news.author_name == "Acme"
    for contact in ("jane@client-acme.test", "john@client-acme.test"):
        [mail] = await mails_to(contact)
        assert mail.subject == "Acme Website: welcome packet from Acme"
        assert "/portal/acme/files" in mail.body_text and "List-Unsubscribe" in mail.headers


async def test_a_milestone_done_twice_owes_one_progress_report_with_nothing_internal(team: Team) -> None:
    await making.make_due()  # the welcome packet
    first = await milestones.add_milestone(team.staff, team.project_id, milestones.MilestoneInput("Wireframes"))
    await milestones.add_milestone(team.staff, team.project_id, milestones.MilestoneInput("Launch", date(2027, 3, 1)))
    card = await work_requests.create_request(team.jane, team.project_id, work_requests.RequestInput("Bigger logo"))
    await work_requests.move_request(team.staff, card.id, "done")
    await work_requests.create_request(team.jane, team.project_id, work_requests.RequestInput("Dark mode"))
    await discussion.post_update(team.staff, team.project_id, "Margin is thin on this one", "internal")
    await rates.set_project_rates(team.staff, team.project_id, hourly_rate="137.50", currency="EUR", budget_hours="40")
    entry = await entries.log_entry(
        team.staff, entries.EntryInput(team.project_id, date(2026, 11, 2), "6", "Wireframes", note="billed late")
    )
    await entries.approve(team.staff, [entry.id])
    await entries.log_entry(team.staff, entries.EntryInput(team.project_id, date(2026, 11, 3), "3", "Unapproved"))

    await milestones.set_milestone_done(team.staff, first.id, True)
    await milestones.set_milestone_done(team.staff, first.id, False)
    await milestones.update_milestone(team.staff, first.id, milestones.MilestoneInput("Wireframes", done=True))
    assert [r.kind for r in await requests_of(team.project_id)] == ["welcome", "progress"]
    assert await making.make_due() == 1
    [_, report] = await document_files(team.project_id)
    assert report.kind == FileKind.progress and report.name == "Progress report – Acme Website – Wireframes.pdf"
    text = pdf_text(await stored_bytes(report))
    assert "Wireframes: done" in text and "1 of 2 milestones done (50 %)" in text
    assert "Bigger logo" in text and "Dark mode" in text and "Launch" in text  # done, open, next
    assert "6.00 of 40.00 budgeted hours used (15 %)" in text  # approved hours only
    for secret in ("Margin is thin", "137", "€", "EUR", "billed late", "Unapproved"):
        assert secret not in text


async def test_a_completed_project_gets_its_certificate_once(team: Team) -> None:
    await making.make_due()
    changes = projects.ProjectChanges(status="completed")
    await projects.update_project(team.staff, team.project_id, changes)
    await projects.update_project(team.staff, team.project_id, changes)  # the same PATCH again
    assert await making.make_due() == 1
    [_, certificate] = await document_files(team.project_id)
    assert certificate.kind == FileKind.completion
    text = pdf_text(await stored_bytes(certificate))
    assert "Certificate of completion" in text and "Acme Website" in text and "Acme Client" in text


async def test_a_kind_turned_off_is_skipped_and_its_wording_is_the_organizations(team: Team) -> None:
    await wording.save_wording(team.staff, "welcome", enabled=False, title="", intro="", closing="")
    await wording.save_wording(
        team.staff, "completion", enabled=True, title="Done: {project}", intro="<b>{client}</b>, signed.", closing=""
    )
    assert await making.make_due() == 0
    [skipped] = await requests_of(team.project_id)
    assert skipped.status == DocumentStatus.skipped and await document_files(team.project_id) == []
    await projects.update_project(team.staff, team.project_id, projects.ProjectChanges(status="completed"))
    assert await making.make_due() == 1
    [certificate] = await document_files(team.project_id)
    text = pdf_text(await stored_bytes(certificate))
    assert "Done: Acme Website" in text and "<b>Acme Client</b>, signed." in text  # the text, not markup
    await documents.regenerate(team.staff, team.project_id, "welcome")  # asked for by hand: made though off
    assert await making.make_due() == 1
    assert sorted(f.kind for f in await document_files(team.project_id)) == ["completion", "welcome"]
    with pytest.raises(Invalid):
        await wording.save_wording(team.staff, "invoice", enabled=True, title="", intro="", closing="")
    with pytest.raises(NotFound):  # a contact has no say
        await wording.save_wording(team.jane, "welcome", enabled=True, title="", intro="", closing="")


async def test_a_contact_who_turned_project_news_off_gets_no_mail(team: Team) -> None:
    await notifications.set_preferences(team.john, project_updates=False, request_replies=True)
    await making.make_due()
    assert len(await mails_to("jane@client-acme.test")) == 1
    assert await mails_to("john@client-acme.test") == []


async def test_regenerating_replaces_the_bytes_of_the_same_file_and_tells_no_one_again(team: Team) -> None:
    await making.make_due()
    [before] = await document_files(team.project_id)
    old_bytes = await stored_bytes(before)
    await files.set_shared(team.staff, before.id, False)  # staff unshare it: the portal no longer lists it
    assert (await files.list_files(team.jane)).items == []
    await milestones.add_milestone(team.staff, team.project_id, milestones.MilestoneInput("Added later"))
    view = await documents.regenerate(team.staff, team.project_id, "welcome")
    assert view.status == DocumentStatus.pending
    with pytest.raises(Conflict):
        await documents.regenerate(team.staff, team.project_id, "welcome")
    assert await making.make_due() == 1
    [after] = await document_files(team.project_id)
    assert after.id == before.id and after.storage_key != before.storage_key and not after.shared
    assert "Added later" in pdf_text(await stored_bytes(after))
    with pytest.raises(FileNotFoundError):  # the old bytes are gone
        await stored_bytes(before)
    assert old_bytes != await stored_bytes(after)
    assert len(await mails_to("jane@client-acme.test")) == 1 and len(await public_updates(team.project_id)) == 1


async def test_preview_draws_without_storing_and_checks_what_it_is_asked(team: Team) -> None:
    done = await milestones.add_milestone(team.staff, team.project_id, milestones.MilestoneInput("Copy", done=True))
    data = await documents.preview(team.staff, team.project_id, "progress", done.id)
    assert data.startswith(b"%PDF") and "Copy: done" in pdf_text(data)
    assert await document_files(team.project_id) == []
    with pytest.raises(Invalid):
        await documents.preview(team.staff, team.project_id, "progress")
    with pytest.raises(Invalid):
        await documents.preview(team.staff, team.project_id, "welcome", done.id)
    other = await make_team("bravo")
    with pytest.raises(NotFound):
        await documents.preview(other.staff, team.project_id, "welcome")
    with pytest.raises(NotFound):
        await documents.preview(team.staff, team.project_id, "progress", other.project_id)
    with pytest.raises(NotFound):
        await documents.list_documents(team.jane, team.project_id)


async def test_a_document_that_cannot_be_stored_is_tried_again_then_given_up(team: Team, monkeypatch) -> None:
    from services.adapters import storage

    async def refuse(*args: object, **kwargs: object) -> storage.Stored:
        raise OSError("disk full")

    monkeypatch.setattr(storage.get(), "write", refuse)
    for attempt in range(1, making.MAX_ATTEMPTS + 1):
        assert await making.make_due(now=making.clock.now() + making.RETRY_AFTER * 10 * attempt) == 0
    [request] = await requests_of(team.project_id)
    assert request.status == DocumentStatus.failed and "disk full" in request.error
    assert await document_files(team.project_id) == []
    monkeypatch.undo()
    await documents.regenerate(team.staff, team.project_id, "welcome")  # staff try again once the disk is fixed
    assert await making.make_due() == 1
    assert len(await mails_to("jane@client-acme.test")) == 1  # announced: the client never heard of it before


async def test_concurrent_events_and_runs_make_each_document_once(team: Team) -> None:
    ticks = [
        await milestones.add_milestone(team.staff, team.project_id, milestones.MilestoneInput(f"M{i}"))
        for i in range(3)
    ]
    await asyncio.gather(*(milestones.set_milestone_done(team.staff, m.id, True) for m in ticks for _ in range(2)))
    made = await asyncio.gather(*(making.make_due() for _ in range(4)))
    assert sum(made) == 4  # the welcome packet and three reports, each by one run
    kinds = sorted(f.kind for f in await document_files(team.project_id))
    assert kinds == ["progress", "progress", "progress", "welcome"]
    assert len(await mails_to("jane@client-acme.test")) == 4
