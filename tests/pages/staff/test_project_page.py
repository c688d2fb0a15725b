"""The staff project page: progress and milestones, the requests board, the updates feed; kept live across sessions."""

from __future__ import annotations

import httpx
from nicegui import ui
from nicegui.element import Element
from nicegui.testing.user import User

from models.collaboration import RequestStatus, Visibility
from services.projects import discussion, milestones, projects, work_requests
from services.projects.work_requests import RequestInput
from tests.support.factories import OrgWorld, add_member, make_world
from tests.support.pages import act_until, eventually, sees_within, signed_in, the
from tests.support.signin import staff_cookie
from tests.support.ui import new_user


def _markers_above(element: Element) -> set[str]:
    return {marker for ancestor in element.ancestors() for marker in ancestor._markers}


async def feed(world: OrgWorld, count: int, comments: int = 0) -> list[discussion.UpdateView] | None:
    """The project's updates as staff see them, once there are `count` (with `comments` replies in all)."""
    items = (await discussion.list_updates(world.actor, world.project.id)).items
    return items if len(items) == count and sum(len(u.comments) for u in items) == comments else None


async def open_project(user: User, world: OrgWorld) -> None:
    await signed_in(user, world.owner_email)
    await user.open(f"/projects/{world.project.id}")
    await user.should_see("Acme Website")


async def test_milestones_are_added_ticked_and_drive_the_progress(user: User, at) -> None:
    world = await make_world("acme")
    await open_project(user, world)
    await user.should_see("No milestones yet")
    user.find("Add milestone").click()
    user.find(kind=ui.button, marker="milestone-add").click()  # no title yet
    title = await the(user, "milestone-title")
    await eventually(lambda: title.props.get("error-message") == "Title is required.")
    user.find(marker="milestone-title").type("Wireframes")
    user.find(marker="milestone-due").type("2026-03-01")  # before the frozen today, 2026-03-10
    user.find(kind=ui.button, marker="milestone-add").click()
    await user.should_see("Wireframes", retries=50)
    await user.should_see("0 of 1 milestones done")
    await user.should_see(marker="overdue")
    [milestone] = await milestones.list_milestones(world.actor, world.project.id)
    assert (milestone.title, str(milestone.due_date), milestone.done) == ("Wireframes", "2026-03-01", False)

    user.find(marker=f"milestone-done-{milestone.id}").click()
    await user.should_see("1 of 1 milestones done", retries=50)
    await user.should_see("100% done")
    await user.should_not_see(marker="overdue")
    assert (await milestones.list_milestones(world.actor, world.project.id))[0].done


async def test_progress_is_set_by_hand_and_follows_the_milestones_again(user: User) -> None:
    world = await make_world("acme")
    await milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput("Kick-off", done=True))
    await milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput("Launch"))
    await open_project(user, world)
    await user.should_see("1 of 2 milestones done")
    await user.should_see("50% done")
    user.find(kind=ui.button, content="Set by hand").click()
    percent = await the(user, "progress-percent", ui.number)
    percent.value = 150
    user.find(kind=ui.button, content="Set progress").click()
    await eventually(lambda: percent.props.get("error-message"))
    assert percent.props["error-message"] == "Progress is a whole percent from 0 to 100."
    percent.value = 80
    user.find(kind=ui.button, content="Set progress").click()
    await user.should_see("Set by hand", retries=50)
    await user.should_see("80% done")
    overview = await milestones.project_overview(world.actor, world.project.id)
    assert (overview.progress.percent, overview.progress.source) == (80, "manual")

    user.find(kind=ui.button, content="Follow milestones").click()
    await user.should_see("1 of 2 milestones done", retries=50)
    await user.should_see("50% done")
    assert (await milestones.project_overview(world.actor, world.project.id)).progress.source == "milestones"


async def test_an_internal_update_is_marked_and_stays_out_of_the_portal(user: User) -> None:
    world = await make_world("acme")
    await open_project(user, world)
    await user.should_see("Only your team sees internal updates")
    user.find(marker="update-body").type("Budget is tight, keep it quiet")
    (await the(user, "visibility", ui.toggle)).value = "internal"
    user.find(kind=ui.button, content="Post update").click()
    [internal] = await eventually(lambda: feed(world, 1))
    await user.should_see(marker=f"update-{internal.id}", retries=50)
    assert internal.visibility == Visibility.internal
    await sees_within(user, f"update-{internal.id}", marker="internal")
    await sees_within(user, f"update-{internal.id}", "Internal")

    (await the(user, "visibility", ui.toggle)).value = "public"
    user.find(marker="update-body").type("Design approved")
    user.find(kind=ui.button, content="Post update").click()
    public = (await eventually(lambda: feed(world, 2)))[0]
    await user.should_see(marker=f"update-{public.id}", retries=50)
    assert (public.body, public.visibility) == ("Design approved", Visibility.public)
    await user.should_see(marker=f"update-{public.id}", retries=50)
    assert not [e for e in user.find(marker="internal").elements if f"update-{public.id}" in _markers_above(e)]
    contact = world.portal_actor()
    assert [u.body for u in (await discussion.list_updates(contact, world.project.id)).items] == ["Design approved"]


async def test_replies_choose_their_visibility_and_an_empty_update_is_refused(user: User) -> None:
    world = await make_world("acme")
    update = await discussion.post_update(world.actor, world.project.id, "Sprint 1 done", "public")
    await open_project(user, world)
    user.find(kind=ui.button, content="Post update").click()
    body = await the(user, "update-body")
    await eventually(lambda: body.props.get("error-message") == "Update is required.")

    key = f"update-{update.id}"
    user.find(marker=f"reply-{key}").type("Note for the team only")
    (await the(user, f"visibility-{key}", ui.toggle)).value = "internal"
    user.find(marker=f"send-{key}").click()
    [commented] = await eventually(lambda: feed(world, 1, comments=1))
    [comment] = commented.comments
    await user.should_see(marker=f"comment-{comment.id}", retries=50)
    assert comment.visibility == Visibility.internal
    await sees_within(user, f"comment-{comment.id}", marker="internal")


async def test_the_feed_loads_older_updates_on_demand(user: User) -> None:
    world = await make_world("acme")
    for n in range(25):
        await discussion.post_update(world.actor, world.project.id, f"Update number {n:02d}", "public")
    await open_project(user, world)
    await user.should_see("Showing 20 of 25 updates")
    user.find(kind=ui.button, content="Load more").click()
    await user.should_not_see("Showing 20 of 25 updates", retries=50)
    await user.should_see("Update number 00")


async def test_cards_move_through_the_accessible_menu(user: User) -> None:
    world = await make_world("acme")
    first = await work_requests.create_request(world.actor, world.project.id, RequestInput("Fix the footer"))
    second = await work_requests.create_request(world.actor, world.project.id, RequestInput("New hero image"))
    await open_project(user, world)
    with user.scope(marker="column-backlog"):
        await user.should_see("Fix the footer")
    await user.should_not_see(marker=f"move-{first.id}-up")  # the top card cannot go up

    async def first_in_progress() -> bool:
        return (await work_requests.get_request(world.actor, first.id)).status == RequestStatus.in_progress

    await act_until(user, f"move-{first.id}-in_progress", lambda element: element.click(), first_in_progress)
    await sees_within(user, "column-in_progress", "Fix the footer")

    async def both_in_progress() -> list[str]:
        board = await work_requests.project_board(world.actor, world.project.id)
        return [c.title for c in board.columns[RequestStatus.in_progress]]

    await act_until(
        user,
        f"move-{second.id}-in_progress",
        lambda element: element.click(),
        lambda: _equals(both_in_progress, ["Fix the footer", "New hero image"]),
    )
    await act_until(
        user,
        f"move-{second.id}-up",
        lambda element: element.click(),
        lambda: _equals(both_in_progress, ["New hero image", "Fix the footer"]),
    )


async def _equals(fetch, expected) -> bool:
    return await fetch() == expected


async def test_cards_move_by_drag_and_drop(user: User) -> None:
    world = await make_world("acme")
    cards = [
        await work_requests.create_request(world.actor, world.project.id, RequestInput(title))
        for title in ("Alpha", "Beta", "Gamma")
    ]
    await open_project(user, world)

    async def column(status: RequestStatus) -> list[str]:
        board = await work_requests.project_board(world.actor, world.project.id)
        return [c.title for c in board.columns[status]]

    async def drop(marker: str, event: dict, column_status: RequestStatus, expected: list[str]) -> None:
        # each drop here is idempotent: repeated on the card as redrawn until the board shows it
        await act_until(
            user,
            marker,
            lambda element: element.trigger("drop", event),
            lambda: _equals(lambda: column(column_status), expected),
        )

    # dropped on the Done column itself: to its bottom
    await drop("column-done", {"card": str(cards[0].id)}, RequestStatus.done, ["Alpha"])
    # dropped on the lower half of Gamma, within the backlog: Beta goes after it
    await drop(
        f"request-{cards[2].id}", {"card": str(cards[1].id), "after": True}, RequestStatus.backlog, ["Gamma", "Beta"]
    )
    # dropped on the upper half of Alpha, in another column: Gamma goes before it
    await drop(
        f"request-{cards[0].id}", {"card": str(cards[2].id), "after": False}, RequestStatus.done, ["Gamma", "Alpha"]
    )
    # something that is not one of this board's cards changes nothing
    user.find(marker="column-in_progress").trigger("drop", {"card": "not-a-card"})
    assert await column(RequestStatus.in_progress) == []


async def test_new_requests_are_created_and_assigned_from_the_card(user: User) -> None:
    world = await make_world("acme")
    await add_member(world.actor.org_id, "sam@acme.test", name="Sam Lee")
    await open_project(user, world)
    user.find(kind=ui.button, content="New request").click()
    user.find(kind=ui.button, content="Create request").click()
    title = await the(user, "new-request-title", ui.input)
    await eventually(lambda: title.props.get("error-message") == "Title is required.")
    title.value = "Add a contact form"
    user.find(kind=ui.button, content="Create request").click()
    await sees_within(user, "column-backlog", "Add a contact form")
    [card] = (await work_requests.project_board(world.actor, world.project.id)).columns[RequestStatus.backlog]
    assert card.source == "staff"

    user.find(marker=f"request-{card.id}").click()  # opens the card
    await user.should_see(marker="request-assignee", retries=50)
    assignee = await the(user, "request-assignee")
    assert isinstance(assignee, ui.select) and isinstance(assignee.options, dict)  # key -> name
    sam = next(key for key, name in assignee.options.items() if name == "Sam Lee")
    assignee.value = sam

    async def assigned() -> bool:
        return (await work_requests.get_request(world.actor, card.id)).assignee_name == "Sam Lee"

    await eventually(assigned)
    await user.should_see(marker=f"assignee-{card.id}", content="Sam Lee", retries=100)

    key = f"request-{card.id}"
    user.find(marker=f"reply-{key}").type("Which fields do you need?")
    user.find(marker=f"send-{key}").click()
    [comment] = await eventually(lambda: discussion.request_discussion(world.actor, card.id))
    await user.should_see(marker=f"comment-{comment.id}", retries=50)
    assert comment.visibility == Visibility.public


async def test_an_open_page_shows_what_another_session_changes(user: User, app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    card = await work_requests.create_request(world.actor, world.project.id, RequestInput("Fix the footer"))
    await open_project(user, world)
    colleague = new_user(app_client)
    await add_member(world.actor.org_id, "sam@acme.test", name="Sam Lee")
    await staff_cookie(colleague.http_client, "sam@acme.test")  # over HTTP: the sign-in form has its own tests
    await colleague.open(f"/projects/{world.project.id}")
    await colleague.should_see("Acme Website")

    # Sam posts an internal update through the page: the owner's page shows it without a reload
    colleague.find(marker="update-body").type("Heads-up: client is late on content")
    (await the(colleague, "visibility", ui.toggle)).value = "internal"
    colleague.find(kind=ui.button, content="Post update").click()
    await user.should_see("Heads-up: client is late on content", retries=100)

    # ...and moves the card: it changes column on the owner's page
    async def done() -> bool:
        return (await work_requests.get_request(world.actor, card.id)).status == RequestStatus.done

    await act_until(colleague, f"move-{card.id}-done", lambda element: element.click(), done)
    await sees_within(user, "column-done", "Fix the footer")

    # a milestone added and a project edited elsewhere reach both open pages
    await milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput("Go live"))
    await user.should_see("0 of 1 milestones done", retries=100)
    await colleague.should_see("0 of 1 milestones done", retries=100)
    view = await projects.get_project(world.actor, world.project.id)
    await projects.update_project(
        world.actor, view.id, projects.ProjectInput(name=view.name, status=view.status.value, phase="Build")
    )
    await sees_within(colleague, "project-details", "Build")


async def test_activity_elsewhere_leaves_the_page_alone(user: User) -> None:
    world = await make_world("acme")
    other_project = await projects.create_project(world.actor, world.client.id, projects.ProjectInput(name="Other"))
    theirs = await make_world("globex")
    await open_project(user, world)
    await discussion.post_update(world.actor, other_project.id, "On the other project", "public")
    await discussion.post_update(theirs.actor, theirs.project.id, "In another organization", "public")
    await discussion.post_update(world.actor, world.project.id, "On this project", "public")
    await user.should_see("On this project", retries=100)
    await user.should_not_see("On the other project")
    await user.should_not_see("In another organization")


async def test_the_board_and_milestones_show_their_first_items_and_more_on_request(user: User) -> None:
    world = await make_world("acme")
    pid = world.project.id
    for n in range(work_requests.BOARD_PAGE + 1):
        await work_requests.create_request(world.actor, pid, RequestInput(f"Card {n:02d}"))
    for n in range(milestones.MILESTONES_PAGE + 1):
        await milestones.add_milestone(world.actor, pid, milestones.MilestoneInput(f"Step {n:02d}"))
    await open_project(user, world)
    last_card = f"Card {work_requests.BOARD_PAGE:02d}"
    await user.should_not_see(last_card)
    await user.should_not_see("Step 10")
    user.find(marker="more-backlog").click()
    await user.should_see(last_card, retries=50)
    user.find(marker="all-milestones").click()
    await user.should_see("Step 10", retries=50)
    await user.should_not_see(marker="all-milestones")
