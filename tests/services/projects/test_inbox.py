"""The staff inbox through the services, on SQLite and PostgreSQL: what lands in it, unread per staff user, and
the mail a contact's reply sends the project's lead."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from models import InboxItem, InboxKind, OutboxMail, Project, StaffUser
from services.core import events
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import NotFound
from services.projects import discussion, inbox, projects, work_requests
from services.projects.work_requests import RequestInput
from tests.support.db import count
from tests.support.factories import Team, add_member, make_world


async def mails_to(address: str) -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(OutboxMail).where(OutboxMail.to_addr == address)))


async def test_a_portal_request_is_unread_for_every_staff_user_until_each_opens_it(team: Team) -> None:
    member = await add_member(team.staff.org_id, "sam@acme.test", name="Sam Lee")
    card = await work_requests.create_request(team.jane, team.project_id, RequestInput("Dark mode", "Please"))

    [item] = (await inbox.list_items(team.staff)).items
    assert (item.kind, item.kind_label, item.summary, item.author_name) == (
        InboxKind.request,
        "Request",
        "New request: Dark mode",
        "Jane Doe",
    )
    assert (item.client_name, item.project_name, item.request_id, item.read) == (
        "Acme Client",
        "Acme Website",
        card.id,
        False,
    )
    assert (await inbox.unread_count(team.staff), await inbox.unread_count(member)) == (1, 1)

    opened = await inbox.open_item(team.staff, item.id)
    assert (opened.project_id, opened.request_id, opened.read) == (team.project_id, card.id, True)
    assert (await inbox.unread_count(team.staff), await inbox.unread_count(member)) == (0, 1)
    assert [i.read for i in (await inbox.list_items(team.staff)).items] == [True]
    assert [i.read for i in (await inbox.list_items(member)).items] == [False]
    await inbox.open_item(team.staff, item.id)  # again: still one read, nothing fails
    assert (await inbox.list_items(team.staff, unread_only=True)).total == 0
    assert (await inbox.list_items(member, unread_only=True)).total == 1


async def test_feedback_and_contacts_comments_land_in_the_inbox_and_staff_work_does_not(team: Team) -> None:
    await work_requests.send_feedback(team.jane, team.project_id, "The menu is hard to find\nOn mobile.")
    staff_card = await work_requests.create_request(team.staff, team.project_id, RequestInput("Internal task"))
    await discussion.add_comment(team.staff, "On it", request_id=staff_card.id, visibility="public")
    news = await discussion.post_update(team.staff, team.project_id, "Design is ready", "public")
    await discussion.add_comment(team.john, "Looks\ngreat, thanks!", update_id=news.id)
    await discussion.add_comment(team.jane, "Can we add a FAQ?", request_id=staff_card.id)

    items = (await inbox.list_items(team.staff)).items
    assert [(i.kind, i.summary, i.author_name) for i in items] == [
        (InboxKind.comment, "Comment on “Internal task”: Can we add a FAQ?", "Jane Doe"),
        (InboxKind.reply, "Reply to an update: Looks great, thanks!", "John Roe"),  # one line, as listed
        (InboxKind.feedback, "Feedback: The menu is hard to find", "Jane Doe"),
    ]
    assert (items[0].request_id, items[1].request_id) == (staff_card.id, None)
    assert items[2].request_id is not None  # the feedback's own request


async def test_mark_all_read_is_for_the_one_user_and_new_items_are_unread_again(team: Team) -> None:
    member = await add_member(team.staff.org_id, "sam@acme.test")
    for title in ("One", "Two", "Three"):
        await work_requests.create_request(team.jane, team.project_id, RequestInput(title))
    assert await inbox.mark_all_read(team.staff) == 3
    assert await inbox.mark_all_read(team.staff) == 0
    assert (await inbox.unread_count(team.staff), await inbox.unread_count(member)) == (0, 3)

    await work_requests.create_request(team.john, team.project_id, RequestInput("Four"))
    assert (await inbox.unread_count(team.staff), await inbox.unread_count(member)) == (1, 4)
    [unread] = (await inbox.list_items(team.staff, unread_only=True)).items
    assert unread.summary == "New request: Four"


async def test_the_unread_count_stops_past_its_cap(team: Team) -> None:
    async with unit_of_work(SystemActor(org_id=team.staff.org_id)) as session:
        project = await session.get(Project, team.project_id)
        assert project is not None
        for n in range(inbox.UNREAD_CAP + 5):
            inbox.record_in(session, project, InboxKind.request, f"Request {n}", "Jane Doe")
    assert await inbox.unread_count(team.staff) == inbox.UNREAD_CAP + 1
    page = await inbox.list_items(team.staff, limit=10, offset=100)
    assert (page.total, len(page.items)) == (inbox.UNREAD_CAP + 5, 4)


async def test_new_items_and_reads_are_published_after_commit(team: Team) -> None:
    heard: list[events.InboxChanged] = []
    stop = events.subscribe(lambda e: heard.append(e) if isinstance(e, events.InboxChanged) else None)
    try:
        await work_requests.create_request(team.jane, team.project_id, RequestInput("Dark mode"))
        await work_requests.create_request(team.staff, team.project_id, RequestInput("Staff's own"))
        [item] = (await inbox.list_items(team.staff)).items
        await inbox.open_item(team.staff, item.id)
        await inbox.open_item(team.staff, item.id)  # read already: nothing changes, nothing is said
        await inbox.mark_all_read(team.staff)  # nothing unread: nothing is said
    finally:
        stop()
    org, user = team.staff.org_id, team.staff.user_id
    assert heard == [events.InboxChanged(org), events.InboxChanged(org, user)]


async def test_a_contacts_reply_to_an_update_mails_the_projects_lead(team: Team) -> None:
    lead = await add_member(team.staff.org_id, "lead@acme.test", name="Lea Lead")
    await projects.update_project(team.staff, team.project_id, projects.ProjectChanges(lead_user_id=lead.user_id))
    news = await discussion.post_update(team.staff, team.project_id, "The design is ready", "public")
    card = await work_requests.create_request(team.staff, team.project_id, RequestInput("Footer"))

    reply = await discussion.add_comment(team.jane, "Love it, ship it", update_id=news.id)
    await discussion.add_comment(team.jane, "Any news?", request_id=card.id)  # on a request: the inbox only
    await discussion.add_comment(team.staff, "Thanks!", update_id=news.id)  # staff's own: neither

    [mail] = await mails_to("lead@acme.test")
    assert mail.subject == "Jane Doe replied on Acme Website"
    assert "Jane Doe at Acme Client replied to an update on Acme Website:" in mail.body_text
    assert "Love it, ship it" in mail.body_text
    assert f"http://portico.test/projects/{team.project_id}" in mail.body_text
    assert mail.org_id == team.staff.org_id
    async with unit_of_work(SystemActor()) as session:
        item = await session.scalar(select(InboxItem).where(InboxItem.kind == InboxKind.reply))
    assert item is not None and (item.comment_id, item.update_id) == (reply.id, news.id)
    assert await inbox.unread_count(lead) == 2


@pytest.mark.parametrize("lead_state", ["none", "inactive"])
async def test_no_lead_mail_without_an_active_lead(team: Team, lead_state: str) -> None:
    lead = await add_member(team.staff.org_id, "lead@acme.test")
    if lead_state == "inactive":
        await projects.update_project(team.staff, team.project_id, projects.ProjectChanges(lead_user_id=lead.user_id))
        async with unit_of_work(SystemActor()) as session:
            await session.execute(update(StaffUser).where(StaffUser.id == lead.user_id).values(is_active=False))
    news = await discussion.post_update(team.staff, team.project_id, "The design is ready", "public")
    await discussion.add_comment(team.jane, "Love it", update_id=news.id)
    assert await mails_to("lead@acme.test") == []
    assert await count(InboxItem, InboxItem.kind == InboxKind.reply) == 1  # the inbox has it all the same


async def test_another_organizations_staff_and_contacts_get_nothing(team: Team) -> None:
    other = await make_world("globex")
    await work_requests.create_request(team.jane, team.project_id, RequestInput("Acme secret"))
    [item] = (await inbox.list_items(team.staff)).items

    assert await inbox.unread_count(other.actor) == 0
    assert (await inbox.list_items(other.actor)).total == 0
    assert await inbox.mark_all_read(other.actor) == 0
    with pytest.raises(NotFound):
        await inbox.open_item(other.actor, item.id)
    for portal in (team.jane, other.portal_actor()):
        for call in (
            inbox.unread_count(portal),
            inbox.list_items(portal),
            inbox.mark_all_read(portal),
            inbox.open_item(portal, item.id),
        ):
            with pytest.raises(NotFound):
                await call
    with pytest.raises(NotFound):
        await inbox.open_item(team.staff, "not-an-id")
    assert await inbox.unread_count(team.staff) == 1  # nobody else's reads count as this user's


async def test_a_colleague_who_joins_later_does_not_start_with_the_history_unread(team: Team) -> None:
    await work_requests.create_request(team.jane, team.project_id, RequestInput("Before Sam joined"))
    sam = await add_member(team.staff.org_id, "sam@acme.test", name="Sam Lee")
    assert await inbox.unread_count(sam) == 0
    assert [i.read for i in (await inbox.list_items(sam)).items] == [True]
    await work_requests.create_request(team.jane, team.project_id, RequestInput("After Sam joined"))
    assert await inbox.unread_count(sam) == 1
    assert await inbox.mark_all_read(sam) == 1
