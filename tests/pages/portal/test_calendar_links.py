"""The portal's "Add to calendar": a link on the project page (and for all projects on the Projects page) that leads
to the contact's own ICS feed, the URL to subscribe to when asked for, and a reset that ends the old URL."""

from __future__ import annotations

from datetime import date

import pytest
from icalendar import Calendar
from nicegui import ui
from nicegui.testing.user import User
from sqlalchemy import func, select

from models.documents import CalendarFeed
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.projects import calendar_feeds, milestones
from tests.support.factories import OrgWorld, make_world
from tests.support.pages import eventually
from tests.support.portal import sign_in_contact


@pytest.fixture
async def acme(user: User) -> OrgWorld:
    world = await make_world("acme")
    await milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput("Launch", date(2026, 4, 1)))
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    return world


async def feeds() -> int:
    async with unit_of_work(SystemActor()) as session:
        return await session.scalar(select(func.count()).select_from(CalendarFeed)) or 0


async def summaries_at(user: User, href: str) -> list[str]:
    """Follow a link as the signed-in browser would, to the feed it leads to."""
    response = await user.http_client.get(href, follow_redirects=True)
    assert response.status_code == 200 and str(response.url).endswith(".ics"), (response.status_code, response.url)
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return [str(e["summary"]) for e in Calendar.from_ical(response.content).walk("VEVENT")]


async def test_the_project_page_links_to_the_contacts_own_feed(user: User, acme: OrgWorld) -> None:
    await user.open(f"/portal/acme/projects/{acme.project.id}")
    await user.should_see("Add to calendar")
    [link] = user.find(marker="add-to-calendar").elements
    assert isinstance(link, ui.link) and link.text == "Add to calendar"
    assert await feeds() == 0  # seeing the page makes no feed
    assert await summaries_at(user, link.props["href"]) == ["Launch"]
    assert await feeds() == 1
    assert await summaries_at(user, link.props["href"]) == ["Launch"]
    assert await feeds() == 1  # the same one, each time


async def test_the_subscription_link_is_shown_when_asked_and_a_reset_ends_it(user: User, acme: OrgWorld) -> None:
    await user.open(f"/portal/acme/projects/{acme.project.id}")
    user.find(marker="calendar-show").click()
    await user.should_see(marker="calendar-url")
    first = await calendar_feeds.feed_link(acme.portal_actor(), acme.project.id)  # the one the click made
    assert await feeds() == 1
    [url] = user.find(marker="calendar-url").elements
    assert url.value == first.url  # type: ignore[attr-defined]
    [webcal] = user.find(marker="calendar-webcal").elements
    assert webcal.props["href"] == first.webcal_url
    assert await summaries_at(user, first.url.removeprefix("http://portico.test")) == ["Launch"]

    user.find(marker="calendar-reset").click()
    await user.should_see(marker="confirm", retries=50)
    user.find(marker="confirm").click()
    await user.should_see("Calendar link reset: the old one no longer works.")
    fresh = await calendar_feeds.feed_link(acme.portal_actor(), acme.project.id)
    assert fresh.url != first.url
    await eventually(lambda: user.find(marker="calendar-url").elements.pop().value == fresh.url)  # type: ignore[attr-defined]
    gone = await user.http_client.get(first.url.removeprefix("http://portico.test"))
    assert gone.status_code == 404
    assert await summaries_at(user, fresh.url.removeprefix("http://portico.test")) == ["Launch"]


async def test_the_projects_page_links_to_the_feed_of_all_projects(user: User, acme: OrgWorld) -> None:
    await user.open("/portal/acme/projects")
    await user.should_see("Add to calendar")
    [link] = user.find(marker="add-to-calendar").elements
    assert link.props["href"] == "/portal/acme/calendar"
    assert await summaries_at(user, link.props["href"]) == ["Launch"]
