"""Calendar feeds: a contact's ICS of one project (or all of theirs) with milestones and due dates, stable event ids,
revocable URLs, nothing once the contact may not use the portal, invoice dues for billing contacts only, and
nothing of another client or organization."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import select

from models import AuditEvent
from models.documents import CalendarFeed
from services.billing import invoices
from services.billing.invoice_views import InvoiceDetail
from services.clients import clients, contacts
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import NotFound
from services.projects import calendar_feeds, milestones, projects
from services.projects.calendar_feeds import FeedLink
from services.projects.calendar_ics import PRODID
from tests.support.clock import T0
from tests.support.factories import OrgWorld, Team, make_world
from tests.support.invoicing import issue_invoice, make_billing, set_org

DAY = date(2026, 4, 1)
ISSUED = date(2026, 3, 1)  # before every due date here, whatever day the tests run


async def bill(world: OrgWorld, **fields: Any) -> InvoiceDetail:
    return await issue_invoice(world, issue_date=ISSUED, **fields)


def token_of(link: FeedLink) -> str:
    assert link.url.startswith("http://portico.test/calendar/") and link.url.endswith(".ics")
    assert link.webcal_url == "webcal://" + link.url.removeprefix("http://")
    return link.url.removeprefix("http://portico.test/calendar/").removesuffix(".ics")


async def fetch(link: FeedLink) -> Calendar | None:
    document = await calendar_feeds.open_feed(token_of(link))
    return None if document is None else Calendar.from_ical(document.body)


async def events(link: FeedLink) -> dict[str, tuple[date, str]]:
    """The feed's events by UID: (day, summary)."""
    calendar = await fetch(link)
    assert calendar is not None, "the feed answered nothing"
    found = {}
    for event in calendar.walk("VEVENT"):
        start = event.decoded("dtstart")
        assert isinstance(start, date) and not isinstance(start, datetime), "an all-day event has a DATE start"
        assert event.decoded("dtend") == start + timedelta(days=1)
        found[str(event["uid"])] = (start, str(event["summary"]))
    return found


def summaries(found: dict[str, tuple[date, str]]) -> set[str]:
    return {summary for _, summary in found.values()}


async def dated(team: Team, title: str, day: date = DAY, *, done: bool = False) -> milestones.MilestoneView:
    return await milestones.add_milestone(team.staff, team.project_id, milestones.MilestoneInput(title, day, done=done))


async def test_a_project_feed_is_valid_icalendar_with_its_milestones_and_due_date(team: Team) -> None:
    await dated(team, "Design review")
    await dated(team, "Kick-off", date(2026, 3, 2), done=True)
    await milestones.add_milestone(team.staff, team.project_id, milestones.MilestoneInput("Someday"))  # no date
    await projects.update_project(team.staff, team.project_id, projects.ProjectInput("Acme Website", due_date=DAY))

    link = await calendar_feeds.feed_link(team.jane, team.project_id)
    document = await calendar_feeds.open_feed(token_of(link))
    assert document is not None
    calendar = Calendar.from_ical(document.body)
    assert (str(calendar["version"]), str(calendar["prodid"])) == ("2.0", PRODID)
    assert str(calendar["x-wr-calname"]) == "Acme Website · Acme" == document.name
    found = await events(link)
    assert sorted(found.values()) == [
        (date(2026, 3, 2), "Kick-off (Done)"),
        (DAY, "Acme Website due"),
        (DAY, "Design review"),
    ]
    assert all(uid.endswith("@portico.test") for uid in found)


async def test_event_ids_are_stable_and_a_change_shows_on_the_next_fetch(team: Team) -> None:
    review = await dated(team, "Design review")
    link = await calendar_feeds.feed_link(team.jane, team.project_id)
    first = await events(link)
    assert first == await events(link)
    [uid] = first
    assert str(review.id) in uid

    await milestones.update_milestone(
        team.staff, review.id, milestones.MilestoneInput("Final review", date(2026, 4, 9))
    )
    assert await events(link) == {uid: (date(2026, 4, 9), "Final review")}
    await milestones.set_milestone_done(team.staff, review.id, True)
    assert await events(link) == {uid: (date(2026, 4, 9), "Final review (Done)")}
    # another contact's feed of the project names the same events the same way: calendars keep one of each
    assert await events(await calendar_feeds.feed_link(team.john, team.project_id)) == await events(link)


async def test_a_feed_is_kept_until_reset_and_the_old_url_then_answers_nothing(team: Team) -> None:
    await dated(team, "Design review")
    link = await calendar_feeds.feed_link(team.jane, team.project_id)
    assert await calendar_feeds.feed_link(team.jane, team.project_id) == link  # asking again makes no new feed
    assert await calendar_feeds.feed_link(team.john, team.project_id) != link  # each contact has their own
    everything = await calendar_feeds.feed_link(team.jane)
    assert everything != link and await fetch(everything) is not None

    fresh = await calendar_feeds.reset_link(team.jane, team.project_id)
    assert fresh.url != link.url
    assert await fetch(link) is None
    assert summaries(await events(fresh)) == {"Design review"}
    assert await calendar_feeds.feed_link(team.jane, team.project_id) == fresh
    assert await fetch(everything) is not None  # the all-projects feed is another URL, untouched

    [revoked] = await _audit(team, "calendar_feed.revoked")
    assert (revoked.actor_type, revoked.target_id, revoked.target_label) == (
        "portal",
        link.feed_id,
        "Jane Doe · Acme Website",
    )


async def _audit(team: Team, action: str) -> list[AuditEvent]:
    async with unit_of_work(SystemActor()) as session:
        return list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.org_id == team.staff.org_id, AuditEvent.action == action)
            )
        )


async def test_staff_list_and_revoke_a_contacts_feeds_and_the_next_link_is_new(team: Team, at) -> None:
    at()
    link = await calendar_feeds.feed_link(team.jane, team.project_id)
    at(timedelta(seconds=1))
    everything = await calendar_feeds.feed_link(team.jane)
    await calendar_feeds.feed_link(team.john, team.project_id)  # not Jane's: not listed with hers
    assert await calendar_feeds.list_contact_feeds(team.staff, team.jane.contact_id) == [  # newest first
        calendar_feeds.FeedRow(everything.feed_id, None, "All projects", T0 + timedelta(seconds=1), None),
        calendar_feeds.FeedRow(link.feed_id, team.project_id, "Acme Website", T0, None),
    ]
    at(timedelta(minutes=5))
    await fetch(link)
    rows = {r.id: r for r in await calendar_feeds.list_contact_feeds(team.staff, team.jane.contact_id)}
    assert rows[link.feed_id].last_fetched_at == T0 + timedelta(minutes=5)
    assert rows[everything.feed_id].last_fetched_at is None

    await calendar_feeds.revoke_feed(team.staff, link.feed_id)
    assert await fetch(link) is None
    with pytest.raises(NotFound):
        await calendar_feeds.revoke_feed(team.staff, link.feed_id)  # once
    assert [r.id for r in await calendar_feeds.list_contact_feeds(team.staff, team.jane.contact_id)] == [
        everything.feed_id
    ]
    again = await calendar_feeds.feed_link(team.jane, team.project_id)
    assert again.url != link.url and await fetch(again) is not None
    [revoked] = await _audit(team, "calendar_feed.revoked")
    assert (revoked.actor_type, revoked.target_label) == ("staff", "Jane Doe · Acme Website")


async def test_a_contact_revokes_only_their_own_feeds(team: Team) -> None:
    jane = await calendar_feeds.feed_link(team.jane, team.project_id)
    with pytest.raises(NotFound):
        await calendar_feeds.revoke_feed(team.john, jane.feed_id)
    assert await fetch(jane) is not None
    await calendar_feeds.revoke_feed(team.jane, jane.feed_id)
    assert await fetch(jane) is None


async def test_the_last_fetch_is_noted_at_most_once_a_minute(team: Team, at) -> None:
    at()
    link = await calendar_feeds.feed_link(team.jane, team.project_id)

    async def noted() -> datetime | None:
        async with unit_of_work(SystemActor()) as session:
            return await session.scalar(select(CalendarFeed.last_fetched_at).where(CalendarFeed.id == link.feed_id))

    assert await noted() is None
    await fetch(link)
    assert await noted() == T0
    at(timedelta(seconds=59))
    await fetch(link)
    assert await noted() == T0
    at(timedelta(seconds=61))
    await fetch(link)
    assert await noted() == T0 + timedelta(seconds=61)


@pytest.mark.parametrize(
    "change",
    [
        contacts.ContactChanges(active=False),
        contacts.ContactChanges(portal_enabled=False),
        "organization portal off",
    ],
)
async def test_a_contact_who_may_not_use_the_portal_gets_nothing_until_allowed_again(
    team: Team, change: contacts.ContactChanges | str
) -> None:
    await dated(team, "Design review")
    link = await calendar_feeds.feed_link(team.jane, team.project_id)
    everything = await calendar_feeds.feed_link(team.jane)
    if isinstance(change, str):
        await set_org(team.staff.org_id, portal_enabled=False)
    else:
        await contacts.update_contact(team.staff, team.jane.contact_id, change)
    assert await fetch(link) is None and await fetch(everything) is None
    if not isinstance(change, str):  # the other contacts of the client keep theirs
        assert await fetch(await calendar_feeds.feed_link(team.john, team.project_id)) is not None
    if isinstance(change, str):
        await set_org(team.staff.org_id, portal_enabled=True)
    else:
        await contacts.update_contact(
            team.staff, team.jane.contact_id, contacts.ContactChanges(active=True, portal_enabled=True)
        )
    assert summaries(await events(link)) == {"Design review"}  # the same URL works again: nothing was revoked


@pytest.mark.parametrize("token", ["", "0" * 64, "A" * 64, "g" * 64, "0" * 63, "0" * 65, "é" * 64, "0" * 10_000])
async def test_malformed_and_unknown_tokens_answer_nothing(team: Team, token: str) -> None:
    await calendar_feeds.feed_link(team.jane, team.project_id)
    assert await calendar_feeds.open_feed(token) is None


async def test_invoice_due_dates_are_only_in_a_billing_contacts_feeds(team: Team) -> None:
    world = team.world
    other = await projects.create_project(team.staff, world.client.id, projects.ProjectInput("Acme App"))
    this = await bill(world, project_id=team.project_id, due_date=date(2026, 4, 20))
    that = await bill(world, project_id=other.id, due_date=date(2026, 4, 21))
    loose = await bill(world, due_date=date(2026, 4, 22))  # of no project
    await bill(world, project_id=team.project_id, due_date=date(2026, 4, 23), send=False)  # a draft
    void = await bill(world, project_id=team.project_id, due_date=date(2026, 4, 24))
    await invoices.void_invoice(team.staff, void.id)

    jane_project, jane_all = (
        await calendar_feeds.feed_link(team.jane, team.project_id),
        await calendar_feeds.feed_link(team.jane),
    )
    assert not any("Invoice" in s for s in summaries(await events(jane_project)) | summaries(await events(jane_all)))

    await make_billing(team.jane.contact_id)  # checked at each fetch: the same URLs now show them
    assert summaries(await events(jane_project)) == {f"Invoice {this.number} due"}
    assert summaries(await events(jane_all)) == {f"Invoice {n} due" for n in (this.number, that.number, loose.number)}
    by_uid = await events(jane_all)
    assert by_uid[f"invoice-{this.id}@portico.test"] == (date(2026, 4, 20), f"Invoice {this.number} due")


async def test_nothing_of_another_client_or_organization_appears(team: Team) -> None:
    """A second client of the same agency and a second agency hold the same kind of data, under their own markers."""
    acme = team.world
    rival = await clients.create_client(team.staff, clients.ClientInput(name="Rival Client"))
    rival_contact = await contacts.create_contact(
        team.staff,
        rival.id,
        contacts.ContactInput(email="ray@rival.test", name="Ray", portal_enabled=True, billing=True),
    )
    rival_project = await projects.create_project(
        team.staff, rival.id, projects.ProjectInput("Rival Website", due_date=date(2026, 5, 1))
    )
    await milestones.add_milestone(team.staff, rival_project.id, milestones.MilestoneInput("RIVAL-MILESTONE", DAY))
    rival_invoice = await bill(acme, client_id=rival.id, project_id=rival_project.id, due_date=DAY)
    bravo = await make_world("bravo")
    await milestones.add_milestone(bravo.actor, bravo.project.id, milestones.MilestoneInput("BRAVO-MILESTONE", DAY))
    bravo_invoice = await bill(bravo, project_id=bravo.project.id, due_date=DAY)
    await make_billing(team.jane.contact_id, bravo.contact.id)

    await dated(team, "ACME-MILESTONE")
    own = await bill(acme, project_id=team.project_id, due_date=DAY)
    for link in (await calendar_feeds.feed_link(team.jane, team.project_id), await calendar_feeds.feed_link(team.jane)):
        document = await calendar_feeds.open_feed(token_of(link))
        assert document is not None
        text = document.body.decode()
        assert summaries(await events(link)) == {"ACME-MILESTONE", f"Invoice {own.number} due"}
        for marker in (
            "RIVAL",
            "Rival",
            "BRAVO",
            "Bravo",
            str(rival_project.id),
            str(bravo.project.id),
            rival_invoice.number if rival_invoice.number != own.number else "RIVAL",
            str(rival_invoice.id),
            str(bravo_invoice.id),
        ):
            assert marker not in text, marker

    # another client's or organization's project is not found, and makes no feed
    for project_id in (rival_project.id, bravo.project.id):
        with pytest.raises(NotFound):
            await calendar_feeds.feed_link(team.jane, project_id)
        with pytest.raises(NotFound):
            await calendar_feeds.reset_link(team.jane, project_id)
    rival_actor = acme.portal_actor(rival_contact)
    rival_feed = await calendar_feeds.feed_link(rival_actor, rival_project.id)
    for who in (team.jane, bravo.portal_actor(), bravo.actor):
        with pytest.raises(NotFound):
            await calendar_feeds.revoke_feed(who, rival_feed.feed_id)
    with pytest.raises(NotFound):
        await calendar_feeds.list_contact_feeds(bravo.actor, rival_contact.id)
    assert await fetch(rival_feed) is not None
    async with unit_of_work(SystemActor()) as session:
        feeds = list(await session.scalars(select(CalendarFeed)))
    assert {(f.contact_id, f.project_id) for f in feeds} == {
        (team.jane.contact_id, team.project_id),
        (team.jane.contact_id, None),
        (rival_contact.id, rival_project.id),
    }


async def test_staff_and_other_actors_get_no_portal_feed(team: Team) -> None:
    for call in (calendar_feeds.feed_link, calendar_feeds.reset_link):
        with pytest.raises(NotFound):
            await call(team.staff, team.project_id)
    with pytest.raises(NotFound):
        await calendar_feeds.list_contact_feeds(team.jane, team.jane.contact_id)
    with pytest.raises(NotFound):
        await calendar_feeds.revoke_feed(SystemActor(org_id=team.staff.org_id), "not-an-id")
