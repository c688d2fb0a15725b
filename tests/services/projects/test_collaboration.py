"""Milestones, progress, requests, updates, comments and notifications through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, OutboxMail, PendingNotification, RequestStatus, Visibility
from services.clients import clients, contacts
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Invalid, NotFound
from services.projects import discussion, milestones, notifications, projects, work_requests
from tests.support.clock import T0
from tests.support.db import count
from tests.support.factories import Team, make_world

TODAY = T0.date()


async def outbox(subject_start: str = "") -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return list(
            await session.scalars(
                select(OutboxMail).where(OutboxMail.subject.startswith(subject_start)).order_by(OutboxMail.to_addr)
            )
        )


# --- milestones and progress ---------------------------------------------------------------------------------------


async def test_progress_follows_milestones_until_set_by_hand(team: Team, at) -> None:
    at()
    first = await milestones.add_milestone(
        team.staff, team.project_id, milestones.MilestoneInput("Design", TODAY + timedelta(days=3))
    )
    await milestones.add_milestone(
        team.staff, team.project_id, milestones.MilestoneInput("Build", TODAY + timedelta(days=9))
    )
    await milestones.add_milestone(team.staff, team.project_id, milestones.MilestoneInput("Launch"))
    overview = await milestones.project_overview(team.jane, team.project_id)
    assert (overview.progress.percent, overview.progress.source, overview.next_deadline) == (
        0,
        "milestones",
        TODAY + timedelta(days=3),
    )
    assert [m.title for m in overview.milestones] == ["Design", "Build", "Launch"]

    await milestones.set_milestone_done(team.staff, first.id, True)
    overview = await milestones.project_overview(team.jane, team.project_id)
    assert (overview.progress.percent, overview.progress.explained) == (33, "1 of 3 milestones done")
    assert overview.next_deadline == TODAY + timedelta(days=9)

    progress = await milestones.set_progress(team.staff, team.project_id, 80)
    assert (progress.percent, progress.source, progress.explained) == (80, "manual", "Set by hand")
    assert (await milestones.summaries(team.jane, [team.project_id]))[team.project_id].progress.percent == 80
    assert (await milestones.set_progress(team.staff, team.project_id, None)).percent == 33


async def test_milestone_input_is_checked_and_only_staff_change_them(team: Team) -> None:
    with pytest.raises(Invalid):
        await milestones.add_milestone(team.staff, team.project_id, milestones.MilestoneInput("  "))
    for bad in (-1, 101, "50", True):
        with pytest.raises(Invalid):
            await milestones.set_progress(team.staff, team.project_id, bad)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await milestones.add_milestone(team.jane, team.project_id, milestones.MilestoneInput("Sneaky"))
    assert await milestones.list_milestones(team.jane, team.project_id) == []


async def test_the_portal_sees_the_lead_by_name(team: Team) -> None:
    await projects.update_project(
        team.staff, team.project_id, projects.ProjectInput(name="Acme Website", lead_user_id=team.staff.user_id)
    )
    overview = await milestones.project_overview(team.jane, team.project_id)
    assert (
        overview.lead_name and overview.lead_name == (await projects.get_project(team.staff, team.project_id)).lead_name
    )


# --- requests ------------------------------------------------------------------------------------------------------


async def test_contacts_add_requests_to_the_backlog_and_staff_hear_of_it(team: Team) -> None:
    card = await work_requests.create_request(
        team.jane, team.project_id, work_requests.RequestInput("New logo", "Bigger, please")
    )
    assert (card.status, card.position, card.source, card.requester_name) == (
        RequestStatus.backlog,
        0,
        "portal",
        "Jane Doe",
    )
    second = await work_requests.create_request(team.john, team.project_id, work_requests.RequestInput("Footer"))
    assert second.position == 1
    [mail, _] = await outbox("New request from")
    assert (
        mail.to_addr == team.world.owner_email and "New logo" in mail.body_text and "Bigger, please" in mail.body_text
    )


async def test_staff_move_cards_between_and_within_columns(team: Team) -> None:
    ids = []
    for title in ("A", "B", "C"):
        ids.append(
            (await work_requests.create_request(team.staff, team.project_id, work_requests.RequestInput(title))).id
        )
    await work_requests.move_request(team.staff, ids[0], "in_progress")
    await work_requests.move_request(team.staff, ids[2], "backlog", 0)
    board = await work_requests.project_board(team.jane, team.project_id)
    assert [c.title for c in board.columns[RequestStatus.backlog]] == ["C", "B"]
    assert [c.position for c in board.columns[RequestStatus.backlog]] == [0, 1]
    assert [c.title for c in board.columns[RequestStatus.in_progress]] == ["A"]
    await work_requests.move_request(team.staff, ids[1], "in_progress", 0)
    board = await work_requests.project_board(team.staff, team.project_id)
    assert [(c.title, c.position) for c in board.columns[RequestStatus.in_progress]] == [("B", 0), ("A", 1)]
    assert [(c.title, c.position) for c in board.columns[RequestStatus.backlog]] == [("C", 0)]
    with pytest.raises(Invalid):
        await work_requests.move_request(team.staff, ids[1], "somewhere")
    with pytest.raises(NotFound):
        await work_requests.move_request(team.jane, ids[1], "done")


async def test_assignment_is_to_members_only_and_never_shown_to_the_portal(team: Team) -> None:
    card = await work_requests.create_request(team.jane, team.project_id, work_requests.RequestInput("Fix"))
    assigned = await work_requests.assign_request(team.staff, card.id, team.staff.user_id)
    assert assigned.assignee_user_id == team.staff.user_id and assigned.assignee_name
    seen = await work_requests.get_request(team.jane, card.id)
    assert (seen.assignee_user_id, seen.assignee_name) == (None, "")
    with pytest.raises(Invalid):
        await work_requests.assign_request(team.staff, card.id, uuid.uuid4())


async def test_feedback_lands_in_the_leads_backlog(team: Team) -> None:
    await projects.update_project(
        team.staff, team.project_id, projects.ProjectInput(name="Acme Website", lead_user_id=team.staff.user_id)
    )
    card = await work_requests.send_feedback(team.jane, team.project_id, "Love the new colours\nBut the menu is slow")
    assert card.title == "Feedback: Love the new colours" and card.source == "feedback"
    staff_view = await work_requests.get_request(team.staff, card.id)
    assert staff_view.assignee_user_id == team.staff.user_id and staff_view.status == RequestStatus.backlog
    [mail] = await outbox("New feedback from")
    assert mail.to_addr == team.world.owner_email


# --- updates and comments ------------------------------------------------------------------------------------------


async def test_internal_items_never_reach_the_portal(team: Team) -> None:
    public = await discussion.post_update(team.staff, team.project_id, "Homepage is live", "public")
    secret = await discussion.post_update(
        team.staff, team.project_id, "Client is slow to pay, INTERNAL-MARK", "internal"
    )
    await discussion.add_comment(team.staff, "Margin is thin INTERNAL-MARK", update_id=public.id, visibility="internal")
    await discussion.add_comment(team.jane, "Looks great!", update_id=public.id)
    card = await work_requests.create_request(team.jane, team.project_id, work_requests.RequestInput("Logo"))
    await discussion.add_comment(team.staff, "Ask Bob INTERNAL-MARK", request_id=card.id, visibility="internal")
    await discussion.add_comment(team.staff, "On it", request_id=card.id, visibility="public")

    feed = await discussion.list_updates(team.jane, team.project_id)
    assert feed.total == 1 and "INTERNAL-MARK" not in repr(feed)
    assert [c.body for c in feed.items[0].comments] == ["Looks great!"]
    assert [c.body for c in await discussion.request_discussion(team.jane, card.id)] == ["On it"]
    assert (await work_requests.get_request(team.jane, card.id)).comment_count == 1
    with pytest.raises(NotFound):
        await discussion.add_comment(team.jane, "peek", update_id=secret.id)

    staff_feed = await discussion.list_updates(team.staff, team.project_id)
    assert staff_feed.total == 2 and len(staff_feed.items[1].comments) == 2
    assert (await work_requests.get_request(team.staff, card.id)).comment_count == 2


async def test_contacts_reply_in_public_and_comments_under_internal_updates_stay_internal(team: Team) -> None:
    internal = await discussion.post_update(team.staff, team.project_id, "Note to self", "internal")
    reply = await discussion.add_comment(team.staff, "and another", update_id=internal.id, visibility="public")
    assert reply.visibility == Visibility.internal
    public = await discussion.post_update(team.staff, team.project_id, "Shipped", "public")
    contact_reply = await discussion.add_comment(team.jane, "Thanks", update_id=public.id, visibility="internal")
    assert contact_reply.visibility == Visibility.public and contact_reply.by_contact
    with pytest.raises(NotFound):
        await discussion.post_update(team.jane, team.project_id, "I am staff now", "public")
    with pytest.raises(Invalid):
        await discussion.post_update(team.staff, team.project_id, "x", "secret")


# --- notifications -------------------------------------------------------------------------------------------------


async def test_public_updates_are_batched_per_contact_and_project(team: Team, at) -> None:
    at()
    await discussion.post_update(team.staff, team.project_id, "First news", "public")
    await discussion.post_update(team.staff, team.project_id, "Secret INTERNAL-MARK", "internal")
    assert await notifications.send_digests() == 2  # Jane and John, one mail each
    at(timedelta(minutes=1))
    await discussion.post_update(team.staff, team.project_id, "Second news", "public")
    await discussion.post_update(team.staff, team.project_id, "Third news", "public")
    assert await notifications.send_digests() == 0  # ten minutes have not passed
    at(timedelta(minutes=10))
    assert await notifications.send_digests() == 2
    mails = [m for m in await outbox() if m.to_addr == team.jane.email]
    assert len(mails) == 2
    assert "First news" in mails[0].body_text or "First news" in mails[1].body_text
    latest = next(m for m in mails if "Second news" in m.body_text)
    assert "Third news" in latest.body_text and "INTERNAL-MARK" not in latest.body_text
    assert latest.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert notifications.opt_out_url("acme", team.jane.contact_id) in latest.body_text
    assert await count(PendingNotification) == 0


async def test_replies_reach_the_requester_and_opt_out_stops_everything(team: Team, at) -> None:
    at()
    card = await work_requests.create_request(team.jane, team.project_id, work_requests.RequestInput("Logo"))
    await discussion.add_comment(team.staff, "Draft attached", request_id=card.id, visibility="public")
    await discussion.add_comment(team.staff, "INTERNAL-MARK", request_id=card.id, visibility="internal")
    assert await notifications.send_digests() == 1
    [mail] = [m for m in await outbox() if m.to_addr == team.jane.email]
    assert "Draft attached" in mail.body_text and "INTERNAL-MARK" not in mail.body_text

    token = notifications.opt_out_token(team.jane.contact_id)
    assert not await notifications.opt_out(team.staff.org_id, str(team.jane.contact_id), "0" * 64)
    assert not await notifications.opt_out(team.staff.org_id, str(team.john.contact_id), token)
    assert await notifications.opt_out(team.staff.org_id, str(team.jane.contact_id), token)
    assert await notifications.get_preferences(team.jane) == notifications.Preferences(False, False)
    at(timedelta(hours=1))
    await discussion.post_update(team.staff, team.project_id, "More news", "public")
    await discussion.add_comment(team.staff, "Another reply", request_id=card.id, visibility="public")
    await notifications.send_digests()
    assert [m.to_addr for m in await outbox() if "More news" in m.body_text] == [team.john.email]
    async with unit_of_work(SystemActor()) as session:
        assert await session.scalar(select(AuditEvent).where(AuditEvent.action == "notifications.opted_out"))


async def test_preferences_are_the_contacts_own(team: Team) -> None:
    assert await notifications.get_preferences(team.jane) == notifications.Preferences(True, True)
    await notifications.set_preferences(team.jane, False, True)
    assert await notifications.get_preferences(team.jane) == notifications.Preferences(False, True)
    assert await notifications.get_preferences(team.john) == notifications.Preferences(True, True)
    with pytest.raises(NotFound):
        await notifications.get_preferences(team.staff)
    await discussion.post_update(team.staff, team.project_id, "News", "public")
    await notifications.send_digests()
    assert [m.to_addr for m in await outbox()] == [team.john.email]


async def test_other_clients_never_see_or_touch_the_work(team: Team) -> None:

    other_client = await clients.create_client(team.staff, clients.ClientInput(name="Other Co"))
    stranger = await contacts.create_contact(
        team.staff, other_client.id, contacts.ContactInput(email="eve@other.test", name="Eve", portal_enabled=True)
    )
    eve = team.world.portal_actor(stranger)
    card = await work_requests.create_request(team.jane, team.project_id, work_requests.RequestInput("Mine"))
    update = await discussion.post_update(team.staff, team.project_id, "Public news", "public")
    for probe in (
        lambda: work_requests.project_board(eve, team.project_id),
        lambda: work_requests.get_request(eve, card.id),
        lambda: work_requests.create_request(eve, team.project_id, work_requests.RequestInput("x")),
        lambda: discussion.list_updates(eve, team.project_id),
        lambda: discussion.add_comment(eve, "hi", update_id=update.id),
        lambda: discussion.add_comment(eve, "hi", request_id=card.id),
        lambda: milestones.project_overview(eve, team.project_id),
    ):
        with pytest.raises(NotFound):
            await probe()
    other_org = await make_world("globex")
    with pytest.raises(NotFound):
        await work_requests.move_request(other_org.actor, card.id, "done")


async def test_the_request_list_follows_the_board_order(team: Team) -> None:
    made = {}
    for title in ("Shipped", "Waiting", "Doing"):
        made[title] = await work_requests.create_request(team.staff, team.project_id, work_requests.RequestInput(title))
    await work_requests.move_request(team.staff, made["Shipped"].id, "done")
    await work_requests.move_request(team.staff, made["Doing"].id, "in_progress")
    listing = await work_requests.list_project_requests(team.jane, team.project_id)
    assert [card.title for card in listing.items] == ["Waiting", "Doing", "Shipped"]


HEADER_BREAKS = ["Evil\r\nBcc: attacker@evil.test", "Evil\nBcc: x@evil.test", "Evil\rX", "Evil\u2028X", "Evil\x85X"]


@pytest.mark.parametrize("title", HEADER_BREAKS)
async def test_a_title_that_would_break_a_mail_header_is_refused_and_nothing_is_queued(team: Team, title: str) -> None:
    with pytest.raises(Invalid, match="Title must be on one line") as error:
        await work_requests.create_request(team.jane, team.project_id, work_requests.RequestInput(title))
    assert error.value.field == "title"
    assert await outbox("New request from") == []
    # The contact's next request still reaches staff, its mail built and sent like any other.
    await work_requests.create_request(team.jane, team.project_id, work_requests.RequestInput("New logo"))
    [mail] = await outbox("New request from")
    assert "\n" not in mail.subject and "\r" not in mail.subject
