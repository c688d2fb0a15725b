"""The project page live: what staff or another contact change shows in an open portal page without a reload,
and internal activity (or another client's) neither redraws it nor sends it anything."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from nicegui import ui
from nicegui.outbox import Message
from nicegui.testing.user import User

from portal_app import live
from services.clients import clients, contacts
from services.projects import discussion, milestones, projects, work_requests
from tests.support.factories import OrgWorld, make_world
from tests.support.pages import eventually
from tests.support.portal import sign_in_contact
from tests.support.ui import new_user

SECRET = "ZZ-INTERNAL-ONLY-4417"


@pytest.fixture
async def acme(user: User) -> OrgWorld:
    world = await make_world("acme")
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    return world


@pytest.fixture
def redraws(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the redraw tasks project pages schedule: an event either schedules one at once, or never."""
    scheduled: list[str] = []
    real = live.background_tasks

    class Spy:
        @staticmethod
        def create(awaitable: Any, *, name: str = "", **kwargs: Any) -> asyncio.Task:
            if "/projects/" in name:
                scheduled.append(name)
            return real.create(awaitable, name=name, **kwargs)

    monkeypatch.setattr(live, "background_tasks", Spy)
    yield scheduled


def record(user: User) -> list[Message]:
    """Every message the server sends this simulated browser from now on (what a websocket would carry)."""
    assert user.client is not None
    sent: list[Message] = []
    emit = user.client.outbox._emit

    async def recording(message: Message) -> None:
        sent.append(message)
        await emit(message)

    user.client.outbox._emit = recording  # type: ignore[method-assign]
    return sent


async def drained(user: User) -> None:
    """Wait until everything the page queued for the browser has gone out (its outbox is empty)."""
    assert user.client is not None
    outbox = user.client.outbox
    await eventually(lambda: not outbox.updates and not outbox.messages)


def within(user: User, marker: str) -> list[str]:
    """The label texts inside the element marked `marker` (none while it is not drawn yet)."""
    assert user.client is not None
    boxes = [e for e in user.client.elements.values() if marker in e._markers]
    return [e.text for box in boxes for e in box.descendants() if isinstance(e, ui.label)]


def page_state(user: User) -> str:
    assert user.client is not None
    return repr([element._to_dict() for element in user.client.elements.values()])


async def open_project(user: User, world: OrgWorld) -> list[Message]:
    await user.open(f"/portal/{world.slug}/projects/{world.project.id}")
    await user.should_see(kind=ui.label, content=world.project.name)
    return record(user)


async def test_a_card_staff_move_moves_on_the_open_page(user: User, acme: OrgWorld, redraws: list[str]) -> None:
    card = await work_requests.create_request(acme.actor, acme.project.id, work_requests.RequestInput("Fix the footer"))
    sent = await open_project(user, acme)
    page = user.client
    assert "Fix the footer" in within(user, "column-backlog")

    await work_requests.move_request(acme.actor, card.id, "in_progress")
    await eventually(lambda: "Fix the footer" in within(user, "column-in_progress"))
    assert "Fix the footer" not in within(user, "column-backlog")
    assert user.client is page and user.back_history[-1] == f"/portal/acme/projects/{acme.project.id}"  # no reload
    await eventually(lambda: "Fix the footer" in repr(sent))  # what went over the websocket
    assert len(redraws) == 1

    await milestones.add_milestone(acme.actor, acme.project.id, milestones.MilestoneInput("Go live", done=True))
    await eventually(lambda: "100% done" in within(user, "summary"))
    assert "Go live" in within(user, "milestones")


async def test_a_public_update_appears_on_the_open_page(user: User, acme: OrgWorld) -> None:
    sent = await open_project(user, acme)
    news = await discussion.post_update(acme.actor, acme.project.id, "We start on Monday.", "public")
    await user.should_see(kind=ui.label, content="We start on Monday.", retries=50)
    await discussion.add_comment(acme.actor, "Coffee is on us.", update_id=news.id, visibility="public")
    await user.should_see(kind=ui.label, content="Coffee is on us.", retries=50)
    await eventually(lambda: "We start on Monday." in repr(sent) and "Coffee is on us." in repr(sent))


async def test_internal_activity_neither_redraws_the_page_nor_reaches_it(
    user: User, acme: OrgWorld, redraws: list[str]
) -> None:
    staff, pid = acme.actor, acme.project.id
    news = await discussion.post_update(staff, pid, "Design approved.", "public")
    card = await work_requests.create_request(staff, pid, work_requests.RequestInput("Hero image"))
    sent = await open_project(user, acme)
    user.find(marker=f"request-{card.id}").click()  # the request's discussion is open too
    await user.should_see("No replies yet.", retries=50)
    await drained(user)  # the page's own first messages are out
    sent.clear()
    before = page_state(user)

    hidden = await discussion.post_update(staff, pid, f"{SECRET} they are late to pay", "internal")
    await discussion.add_comment(staff, f"{SECRET} noted", update_id=hidden.id, visibility="internal")
    await discussion.add_comment(staff, f"{SECRET} keep it short", update_id=news.id, visibility="internal")
    await discussion.add_comment(staff, f"{SECRET} cheap stock photo", request_id=card.id, visibility="internal")
    await work_requests.assign_request(staff, card.id, staff.user_id)
    await discussion.post_update(staff, pid, f"{SECRET} on the request", "internal", request_id=card.id)
    assert redraws == []  # listeners run as each change commits: none of these even scheduled a redraw

    await drained(user)
    assert page_state(user) == before
    assert SECRET not in repr(sent) and not [m for m in sent if m[1] == "update"]

    # a public change afterwards redraws, and still shows nothing internal
    await discussion.add_comment(staff, "Thanks for the photos!", request_id=card.id, visibility="public")
    await user.should_see(kind=ui.label, content="Thanks for the photos!", retries=50)
    assert len(redraws) == 1
    assert SECRET not in repr(sent) and SECRET not in page_state(user)
    source = (await user.http_client.get(f"/portal/acme/projects/{pid}")).text
    assert SECRET not in source


async def test_another_clients_or_organizations_activity_leaves_the_page_alone(
    user: User, acme: OrgWorld, redraws: list[str]
) -> None:
    other = await clients.create_client(acme.actor, clients.ClientInput(name="Initech"))
    neighbour = await projects.create_project(acme.actor, other.id, projects.ProjectInput(name="Initech App"))
    second = await projects.create_project(acme.actor, acme.client.id, projects.ProjectInput(name="Acme Shop"))
    globex = await make_world("globex")
    sent = await open_project(user, acme)
    await drained(user)
    sent.clear()

    await discussion.post_update(acme.actor, neighbour.id, "Initech news", "public")
    await discussion.post_update(acme.actor, second.id, "Shop news", "public")  # same client, another project
    await discussion.post_update(globex.actor, globex.project.id, "Globex news", "public")
    assert redraws == []
    await drained(user)
    assert not [m for m in sent if m[1] == "update"]
    assert "Initech news" not in repr(sent) and "Globex news" not in repr(sent)


async def test_what_one_contact_adds_appears_for_another_contact_of_the_client(
    user: User, app_client: httpx.AsyncClient, acme: OrgWorld
) -> None:
    john = await contacts.create_contact(
        acme.actor,
        acme.client.id,
        contacts.ContactInput(email="john@client-acme.test", name="John Roe", portal_enabled=True),
    )
    other = new_user(app_client)
    await sign_in_contact(other.http_client, "acme", acme.actor.org_id, john.email)
    await open_project(other, acme)
    await open_project(user, acme)

    user.find(kind=ui.button, content="New request").click()
    user.find(marker="request-title").type("Translate the site")
    user.find(kind=ui.button, content="Submit").click()
    await eventually(lambda: "Translate the site" in within(other, "column-backlog"))
    assert "From Jane Doe · 0 comments" in within(other, "column-backlog")

    news = await discussion.post_update(acme.actor, acme.project.id, "French is next.", "public")
    await discussion.add_comment(acme.portal_actor(john), "Merci!", update_id=news.id)
    await eventually(lambda: "Merci!" in within(user, f"update-{news.id}"))


async def test_a_reply_being_typed_survives_live_redraws(user: User, acme: OrgWorld) -> None:
    news = await discussion.post_update(acme.actor, acme.project.id, "Logo drafts attached.", "public")
    card = await work_requests.create_request(acme.actor, acme.project.id, work_requests.RequestInput("Favicon"))
    await open_project(user, acme)
    user.find(marker=f"reply-update-{news.id}").type("I like the second")
    [box] = user.find(kind=ui.textarea, marker=f"reply-update-{news.id}").elements

    await work_requests.move_request(acme.actor, card.id, "done")  # only the board changes: the box stays as it is
    await eventually(lambda: "Favicon" in within(user, "column-done"))
    assert not box.is_deleted and box.value == "I like the second"

    await discussion.post_update(acme.actor, acme.project.id, "Colours next week.", "public")  # the feed redraws
    await user.should_see(kind=ui.label, content="Colours next week.", retries=50)
    [again] = user.find(kind=ui.textarea, marker=f"reply-update-{news.id}").elements
    assert again is not box and again.value == "I like the second"
