"""The portal's projects: the list with progress and deadlines, and one project's page with its board, updates,
replies, new requests, feedback and email choices. Internal items never reach the page, its HTML or its messages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypeVar, overload

import pytest
from nicegui import ui
from nicegui.element import Element
from nicegui.testing.user import User

from models.collaboration import RequestStatus, Visibility
from services.clients import clients, contacts
from services.core import clock
from services.core.db import get_database
from services.core.formatting import day
from services.projects import discussion, milestones, notifications, projects, work_requests
from tests.support.db import counted
from tests.support.factories import OrgWorld, make_world
from tests.support.pages import error_of, eventually
from tests.support.portal import mails_to, sign_in_contact

E = TypeVar("E", bound=Element)

SECRET = "ZZ-INTERNAL-ONLY-7731"  # in every internal item: it must never reach the portal


@pytest.fixture
async def acme(user: User) -> OrgWorld:
    """Acme's contact Jane, signed in in the simulated browser."""
    world = await make_world("acme")
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    return world


def texts(user: User) -> list[str]:
    return [e.text for e in user.find(ui.label).elements]


def page_state(user: User) -> str:
    """Everything the client holds for the page: every element's props, text and classes, as sent to the browser."""
    assert user.client is not None
    return repr([element._to_dict() for element in user.client.elements.values()])


def within(user: User, marker: str) -> list[str]:
    """The label texts inside the element marked `marker`."""
    [box] = user.find(marker=marker).elements
    return [e.text for e in box.descendants() if isinstance(e, ui.label)]


@overload
def only(user: User, marker: str) -> Element: ...


@overload
def only(user: User, marker: str, kind: type[E]) -> E: ...


def only(user: User, marker: str, kind: type[Element] = Element) -> Element:
    [element] = user.find(marker=marker).elements
    assert isinstance(element, kind), (marker, element)
    return element


TODAY = clock.now().date()
DESIGN_DUE = TODAY + timedelta(days=20)
NEXT = f"Next deadline: {day(DESIGN_DUE)}"


async def wants(contact, expected: notifications.Preferences) -> bool:
    return await notifications.get_preferences(contact) == expected


async def add_milestones(world: OrgWorld) -> None:
    for title, due, done in (
        ("Discovery", TODAY - timedelta(days=10), True),
        ("Design", DESIGN_DUE, False),
        ("Build", TODAY + timedelta(days=60), False),
        ("Launch", None, False),
    ):
        await milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput(title, due, done))


async def test_the_projects_list_and_home_show_percent_done_and_next_deadline(user: User, acme: OrgWorld) -> None:
    await add_milestones(acme)
    other = await projects.create_project(acme.actor, acme.client.id, projects.ProjectInput(name="Brand Refresh"))
    await milestones.set_progress(acme.actor, other.id, 60)
    for path in ("/projects", "/"):
        await user.open(f"/portal/acme{path}")
        await user.should_see(kind=ui.label, content="Acme Website")
        website = within(user, f"project-{acme.project.id}")
        assert "25% done" in website and NEXT in website, path
        brand = within(user, f"project-{other.id}")
        assert "60% done" in brand and not [t for t in brand if "deadline" in t], path


async def test_the_projects_list_asks_the_same_number_of_queries_for_one_project_or_many(
    user: User, acme: OrgWorld
) -> None:
    async def queries() -> int:
        with counted(get_database()) as statements:
            await user.open("/portal/acme/projects")
        return len(statements)

    await add_milestones(acme)
    await user.open("/portal/acme/projects")  # the guard's organization lookup is cached from here on
    few = await queries()
    assert few > 0
    for n in range(8):
        project = await projects.create_project(acme.actor, acme.client.id, projects.ProjectInput(name=f"P{n}"))
        await milestones.add_milestone(acme.actor, project.id, milestones.MilestoneInput("M", date(2026, 6, n + 1)))
    assert await queries() == few


async def test_the_project_page_shows_progress_milestones_board_and_public_updates_only(
    user: User, acme: OrgWorld
) -> None:
    staff, pid = acme.actor, acme.project.id
    await add_milestones(acme)
    jane = acme.portal_actor()
    news = await discussion.post_update(staff, pid, "Wireframes are ready for review.", "public")
    await discussion.add_comment(staff, "Tell us what you think!", update_id=news.id, visibility="public")
    await discussion.add_comment(jane, "They look great.", update_id=news.id)
    await discussion.add_comment(staff, f"{SECRET} she will ask for more", update_id=news.id, visibility="internal")
    hidden = await discussion.post_update(staff, pid, f"{SECRET} budget is tight", "internal")
    await discussion.add_comment(staff, f"{SECRET} agreed", update_id=hidden.id, visibility="internal")
    card = await work_requests.create_request(staff, pid, work_requests.RequestInput("Set up analytics"))
    await work_requests.move_request(staff, card.id, "in_progress")
    await discussion.add_comment(staff, "Which tool do you use?", request_id=card.id, visibility="public")
    await discussion.add_comment(staff, f"{SECRET} nobody asked", request_id=card.id, visibility="internal")

    await user.open(f"/portal/acme/projects/{pid}")
    await user.should_see(kind=ui.label, content="Acme Website")
    assert "25% done" in within(user, "summary") and NEXT in within(user, "summary")
    shown_milestones = within(user, "milestones")
    assert {"Discovery", "Design", "Build", "Launch", f"Due {day(DESIGN_DUE)}"} <= set(shown_milestones)
    assert not [t for t in shown_milestones if t.startswith("Was due")]  # the past one is done: not late
    for column in ("Backlog", "In progress", "Done"):
        assert column in within(user, "kanban")
    assert "Set up analytics" in within(user, "column-in_progress")
    assert "From The team · 1 comment" in within(user, f"request-{card.id}")  # the public comment only
    feed = within(user, f"update-{news.id}")
    assert {"Wireframes are ready for review.", "Tell us what you think!", "They look great."} <= set(feed)
    await user.should_see("New request")

    assert SECRET not in page_state(user)
    source = (await user.http_client.get(f"/portal/acme/projects/{pid}")).text
    assert "Wireframes are ready for review." in source and SECRET not in source
    assert str(hidden.id) not in source and str(hidden.id) not in page_state(user)

    # a card opens its public discussion
    user.find(marker=f"request-{card.id}").click()
    await user.should_see("Which tool do you use?", retries=50)
    assert SECRET not in page_state(user)


async def test_new_request_lands_in_the_backlog_and_mails_staff(user: User, acme: OrgWorld) -> None:
    await user.open(f"/portal/acme/projects/{acme.project.id}")
    user.find(kind=ui.button, content="New request").click()
    await user.should_see(marker="request-title")
    user.find(kind=ui.button, content="Submit").click()  # no title yet
    await user.should_see(kind=ui.label, content="Acme Website")
    assert await eventually(error_of(only(user, "request-title"))) == "Title is required."
    assert (await work_requests.project_board(acme.actor, acme.project.id)).total == 0

    user.find(marker="request-title").type("Add a careers page")
    user.find(marker="request-description").type("With our open roles <b>listed</b>.")
    user.find(kind=ui.button, content="Submit").click()
    await user.should_see(kind=ui.label, content="Add a careers page", retries=50)
    assert "Add a careers page" in within(user, "column-backlog")
    assert not only(user, "request-title").props.get("error-message")

    board = await work_requests.project_board(acme.actor, acme.project.id)
    [card] = board.columns[RequestStatus.backlog]
    assert (card.title, card.description, card.requester_name, card.source) == (
        "Add a careers page",
        "With our open roles <b>listed</b>.",
        "Jane Doe",
        "portal",
    )
    [mail] = [m for m in await mails_to(acme.owner_email) if "Add a careers page" in m]
    assert "Jane Doe" in mail and "With our open roles <b>listed</b>." in mail


async def test_a_contact_replies_to_a_public_update(user: User, acme: OrgWorld) -> None:
    news = await discussion.post_update(acme.actor, acme.project.id, "Staging is live.", "public")
    await user.open(f"/portal/acme/projects/{acme.project.id}")
    await user.should_see("Staging is live.")
    user.find(marker=f"send-update-{news.id}").click()  # empty: refused on the box
    await user.should_see(kind=ui.label, content="Staging is live.")
    assert await eventually(error_of(only(user, f"reply-update-{news.id}")))

    user.find(marker=f"reply-update-{news.id}").type("Looks good on my phone.")
    user.find(marker=f"send-update-{news.id}").click()
    await user.should_see(kind=ui.label, content="Looks good on my phone.", retries=50)
    assert "Looks good on my phone." in within(user, f"update-{news.id}")
    assert only(user, f"reply-update-{news.id}", ui.textarea).value == ""

    [update] = (await discussion.list_updates(acme.actor, acme.project.id)).items
    [comment] = update.comments
    assert (comment.body, comment.by_contact, comment.visibility) == (
        "Looks good on my phone.",
        True,
        Visibility.public,
    )


async def test_a_contact_replies_on_a_request(user: User, acme: OrgWorld) -> None:
    card = await work_requests.create_request(acme.actor, acme.project.id, work_requests.RequestInput("New logo"))
    await user.open(f"/portal/acme/projects/{acme.project.id}")
    user.find(marker=f"request-{card.id}").click()
    await user.should_see("No replies yet.", retries=50)
    user.find(marker=f"reply-request-{card.id}").type("Blue, please.")
    user.find(marker=f"send-request-{card.id}").click()
    await user.should_see(kind=ui.label, content="Blue, please.", retries=50)
    [comment] = await discussion.request_discussion(acme.actor, card.id)
    assert (comment.body, comment.by_contact) == ("Blue, please.", True)


async def test_feedback_becomes_a_request_in_the_leads_backlog(user: User, acme: OrgWorld) -> None:
    lead = acme.actor.user_id
    await projects.update_project(
        acme.actor, acme.project.id, projects.ProjectInput(name="Acme Website", lead_user_id=lead)
    )
    await user.open(f"/portal/acme/projects/{acme.project.id}")
    user.find(kind=ui.button, content="Send feedback").click()  # empty: refused
    await user.should_see(kind=ui.label, content="Acme Website")
    assert await eventually(error_of(only(user, "feedback-text")))

    user.find(marker="feedback-text").type("The new menu is hard to find.\nMaybe make it bigger?")
    user.find(kind=ui.button, content="Send feedback").click()
    await user.should_see("Thank you! Your feedback is with the project lead.", retries=50)
    await user.should_see("Feedback: The new menu is hard to find.", retries=50)
    [card] = (await work_requests.project_board(acme.actor, acme.project.id)).columns[RequestStatus.backlog]
    assert (card.title, card.assignee_user_id, card.source) == (
        "Feedback: The new menu is hard to find.",
        lead,
        "feedback",
    )
    assert only(user, "feedback-text", ui.textarea).value == ""


async def test_the_email_switches_save_the_contacts_choices(user: User, acme: OrgWorld) -> None:
    jane = acme.portal_actor()
    await user.open(f"/portal/acme/projects/{acme.project.id}")
    await user.should_see("Email notifications")
    assert (
        only(user, "notify-updates", ui.switch).value is True and only(user, "notify-replies", ui.switch).value is True
    )
    user.find(marker="notify-updates").click()
    await eventually(lambda: wants(jane, notifications.Preferences(False, True)))
    user.find(marker="notify-replies").click()
    await eventually(lambda: wants(jane, notifications.Preferences(False, False)))

    await user.open(f"/portal/acme/projects/{acme.project.id}")  # what a fresh page shows
    assert (
        only(user, "notify-updates", ui.switch).value is False
        and only(user, "notify-replies", ui.switch).value is False
    )


async def test_another_clients_contact_gets_not_found_for_the_project(user: User) -> None:
    world = await make_world("acme")
    other = await clients.create_client(world.actor, clients.ClientInput(name="Initech"))
    peter = await contacts.create_contact(
        world.actor, other.id, contacts.ContactInput(email="peter@initech.test", name="Peter", portal_enabled=True)
    )
    await discussion.post_update(world.actor, world.project.id, "Acme-only news", "public")
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, peter.email)
    response = await user.http_client.get(f"/portal/acme/projects/{world.project.id}")
    assert response.status_code == 404
    assert "Acme Website" not in response.text and "Acme-only news" not in response.text


async def test_the_project_page_shows_the_first_cards_and_milestones_and_more_on_request(
    user: User, acme: OrgWorld
) -> None:
    staff, pid = acme.actor, acme.project.id
    extra = work_requests.BOARD_PAGE + 2
    for n in range(extra):
        await work_requests.create_request(staff, pid, work_requests.RequestInput(f"Request {n:02d}"))
    steps = milestones.MILESTONES_PAGE + 2
    for n in range(steps):
        await milestones.add_milestone(staff, pid, milestones.MilestoneInput(f"Step {n:02d}", done=n < 3))

    def shown(prefix: str) -> int:
        return len([e for e in user.find(ui.card).elements if any(m.startswith(prefix) for m in e._markers)])

    def milestone_rows() -> int:
        return len([e for e in user.find(ui.row).elements if any(m.startswith("milestone-") for m in e._markers)])

    await user.open(f"/portal/acme/projects/{pid}")
    assert shown("request-") == work_requests.BOARD_PAGE
    assert milestone_rows() == milestones.MILESTONES_PAGE
    await user.should_see(f"3 of {steps} milestones done")  # progress counts every milestone, not the shown ones
    user.find(marker="more-backlog").click()
    await eventually(lambda: shown("request-") == extra)
    await user.should_not_see(marker="more-backlog")
    user.find(marker="all-milestones").click()
    await eventually(lambda: milestone_rows() == steps)
    await user.should_see(f"Step {steps - 1:02d}")


async def test_the_projects_list_comes_a_page_at_a_time(user: User, acme: OrgWorld) -> None:
    for n in range(24):  # with the world's own project: 25, one more than a page
        await projects.create_project(acme.actor, acme.client.id, projects.ProjectInput(name=f"Campaign {n:02d}"))
    await user.open("/portal/acme/projects")
    await user.should_see("Campaign 23")  # newest first
    await user.should_not_see("Acme Website")
    user.find(marker="more-projects").click()
    await user.should_see("Acme Website", retries=50)
    await user.should_not_see(marker="more-projects")
