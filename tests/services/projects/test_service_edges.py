"""Edges of the collaboration services the main tests leave out: editing and removing milestones, summaries for a
list, the client-wide board, moves within a column, and discussions aimed at the wrong thing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from models import RequestStatus
from services.core.errors import Invalid, NotFound
from services.projects import discussion, milestones, project_views, projects, work_requests
from tests.support.clock import T0
from tests.support.factories import Team, add_member

TODAY = T0.date()


async def test_milestones_are_edited_reopened_and_removed(team: Team, at) -> None:
    at()
    undated = await milestones.add_milestone(team.staff, team.project_id, milestones.MilestoneInput("Someday"))
    late = await milestones.add_milestone(
        team.staff, team.project_id, milestones.MilestoneInput("Launch", TODAY + timedelta(days=30), done=True)
    )
    assert late.done and late.done_at is not None
    early = await milestones.add_milestone(
        team.staff, team.project_id, milestones.MilestoneInput("Design", TODAY + timedelta(days=3))
    )
    assert [m.title for m in await milestones.list_milestones(team.jane, team.project_id)] == [
        "Design",
        "Launch",
        "Someday",
    ]

    edited = await milestones.update_milestone(
        team.staff, undated.id, milestones.MilestoneInput(" Sign-off ", TODAY + timedelta(days=1))
    )
    assert (edited.title, edited.due_date, edited.done) == ("Sign-off", TODAY + timedelta(days=1), False)
    reopened = await milestones.set_milestone_done(team.staff, late.id, False)
    assert (reopened.done, reopened.done_at) == (False, None)
    with pytest.raises(Invalid):
        await milestones.update_milestone(team.staff, early.id, milestones.MilestoneInput(""))

    await milestones.delete_milestone(team.staff, early.id)
    assert [m.title for m in await milestones.list_milestones(team.staff, team.project_id)] == ["Sign-off", "Launch"]
    with pytest.raises(NotFound):
        await milestones.delete_milestone(team.staff, early.id)
    with pytest.raises(NotFound):
        await milestones.update_milestone(team.jane, undated.id, milestones.MilestoneInput("Mine"))


async def test_summaries_cover_a_page_of_projects(team: Team, at) -> None:
    at()
    second = await projects.create_project(
        team.staff,
        team.world.client.id,
        projects.ProjectInput(name="Second", due_date=TODAY + timedelta(days=5)),
    )
    empty = await projects.create_project(team.staff, team.world.client.id, projects.ProjectInput(name="Empty"))
    await milestones.add_milestone(
        team.staff, team.project_id, milestones.MilestoneInput("Done", TODAY + timedelta(days=1), done=True)
    )
    await milestones.add_milestone(
        team.staff, team.project_id, milestones.MilestoneInput("Next", TODAY + timedelta(days=8))
    )
    await milestones.add_milestone(team.staff, second.id, milestones.MilestoneInput("Far", TODAY + timedelta(days=50)))

    found = await milestones.summaries(team.jane, [team.project_id, second.id, empty.id])
    first = found[team.project_id]
    assert (first.progress.percent, first.progress.explained, first.next_deadline) == (
        50,
        "1 of 2 milestones done",
        TODAY + timedelta(days=8),  # the done milestone is no deadline any more
    )
    assert found[second.id].next_deadline == TODAY + timedelta(days=5)  # the project's own due date comes first
    assert (found[empty.id].progress.explained, found[empty.id].next_deadline) == ("No milestones yet", None)
    assert await milestones.summaries(team.staff, []) == {}


async def test_the_client_board_spans_its_projects(team: Team) -> None:
    second = await projects.create_project(team.staff, team.world.client.id, projects.ProjectInput(name="Second"))
    await work_requests.create_request(team.jane, team.project_id, work_requests.RequestInput("On the website"))
    other = await work_requests.create_request(team.staff, second.id, work_requests.RequestInput("On the second"))
    await work_requests.move_request(team.staff, other.id, "done")

    board = await work_requests.client_board(team.staff, team.world.client.id)
    assert board.total == 2
    assert [(c.title, c.project_name) for c in board.columns[RequestStatus.backlog]] == [
        ("On the website", team.world.project.name)
    ]
    assert [(c.title, c.project_name) for c in board.columns[RequestStatus.done]] == [("On the second", "Second")]
    assert (await work_requests.project_board(team.staff, second.id)).total == 1
    with pytest.raises(NotFound):
        await work_requests.client_board(team.jane, team.world.client.id)


async def test_moves_within_a_column_keep_positions_dense(team: Team) -> None:
    ids = [
        (await work_requests.create_request(team.staff, team.project_id, work_requests.RequestInput(t))).id
        for t in "ABCD"
    ]

    async def backlog() -> list[tuple[str, int]]:
        board = await work_requests.project_board(team.staff, team.project_id)
        return [(c.title, c.position) for c in board.columns[RequestStatus.backlog]]

    await work_requests.move_request(team.staff, ids[0], "backlog", 2)
    assert await backlog() == [("B", 0), ("C", 1), ("A", 2), ("D", 3)]
    await work_requests.move_request(team.staff, ids[3], "backlog", 0)
    assert await backlog() == [("D", 0), ("B", 1), ("C", 2), ("A", 3)]
    await work_requests.move_request(team.staff, ids[1], "backlog")  # no position: the bottom
    assert await backlog() == [("D", 0), ("C", 1), ("A", 2), ("B", 3)]
    for bad in (-1, True, "1"):
        with pytest.raises(Invalid):
            await work_requests.move_request(team.staff, ids[1], "backlog", bad)  # type: ignore[arg-type]
    assert await backlog() == [("D", 0), ("C", 1), ("A", 2), ("B", 3)]


async def test_request_updates_and_replies_aim_at_one_thing(team: Team) -> None:
    second = await projects.create_project(team.staff, team.world.client.id, projects.ProjectInput(name="Second"))
    card = await work_requests.create_request(team.jane, team.project_id, work_requests.RequestInput("Logo"))
    with pytest.raises(NotFound):  # a request is posted on under its own project only
        await discussion.post_update(team.staff, second.id, "Wrong place", "public", request_id=card.id)
    await discussion.post_update(team.staff, team.project_id, "Drafts ready", "public", request_id=card.id)
    await discussion.post_update(team.staff, team.project_id, "Bill extra", "internal", request_id=card.id)

    assert [u.body for u in await discussion.request_updates(team.jane, card.id)] == ["Drafts ready"]
    assert {u.body for u in await discussion.request_updates(team.staff, card.id)} == {"Drafts ready", "Bill extra"}
    assert (await discussion.list_updates(team.staff, team.project_id)).total == 0  # the project feed is separate

    update = await discussion.post_update(team.staff, team.project_id, "News", "public")
    for update_id, request_id in ((None, None), (update.id, card.id)):  # neither, or both
        with pytest.raises(Invalid):
            await discussion.add_comment(team.jane, "Where does this go?", update_id=update_id, request_id=request_id)
    with pytest.raises(Invalid):
        await discussion.add_comment(team.staff, "   ", request_id=card.id)
    with pytest.raises(Invalid):
        await discussion.add_comment(team.staff, "Hm", request_id=card.id, visibility="secret")
    assert await discussion.request_discussion(team.staff, card.id) == []


async def test_a_board_shows_each_columns_first_cards_and_counts_them_all(team: Team) -> None:
    cards = [
        await work_requests.create_request(team.staff, team.project_id, work_requests.RequestInput(f"R{n}"))
        for n in range(7)
    ]
    for card in cards[:2]:
        await work_requests.move_request(team.staff, card.id, "in_progress")
    limits = {RequestStatus.backlog: 3, RequestStatus.in_progress: 1}
    for who in (team.staff, team.jane):
        board = await work_requests.project_board(who, team.project_id, limits)
        assert [c.title for c in board.columns[RequestStatus.backlog]] == ["R2", "R3", "R4"]  # board order
        assert [c.title for c in board.columns[RequestStatus.in_progress]] == ["R0"]
        assert board.totals == {RequestStatus.backlog: 5, RequestStatus.in_progress: 2, RequestStatus.done: 0}
        assert (board.hidden(RequestStatus.backlog), board.hidden(RequestStatus.in_progress)) == (2, 1)
        assert board.total == 7
    # Limits are clamped to one page at least and MAX_BOARD_COLUMN at most; columns not named show BOARD_PAGE.
    assert work_requests.column_limits({RequestStatus.backlog: 0, RequestStatus.done: 10**9}) == {
        RequestStatus.backlog: 1,
        RequestStatus.in_progress: work_requests.BOARD_PAGE,
        RequestStatus.done: work_requests.MAX_BOARD_COLUMN,
    }


async def test_the_overview_counts_every_milestone_and_lists_the_first_ones(team: Team) -> None:
    today = date(2026, 5, 1)
    for n in range(5):
        due = today + timedelta(days=10 - n)  # the last added is due first
        await milestones.add_milestone(
            team.staff, team.project_id, milestones.MilestoneInput(f"M{n}", due, done=n == 4)
        )
    overview = await milestones.project_overview(team.jane, team.project_id, milestone_limit=2)
    assert [m.title for m in overview.milestones] == ["M4", "M3"]  # by due date
    assert (overview.progress.done, overview.progress.total, overview.progress.percent) == (1, 5, 20)
    assert overview.next_deadline == today + timedelta(days=7)  # M3: the earliest not done, shown or not


async def test_a_contact_sees_the_leads_name_and_nothing_else_of_staff(team: Team) -> None:
    lead = await add_member(team.staff.org_id, "ada@acme.test", name="Ada Lead")
    await projects.update_project(
        team.staff, team.project_id, projects.ProjectInput("Acme Website", lead_user_id=lead.user_id)
    )
    overview = await milestones.project_overview(team.jane, team.project_id)
    assert overview.lead_name == overview.project.lead_name == "Ada Lead"
    data = await project_views.project_data(team.jane, team.project_id)
    assert "ada@acme.test" not in repr(data)  # the name only: no address, no other staff column
