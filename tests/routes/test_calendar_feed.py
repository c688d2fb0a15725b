"""The calendar feed `/calendar/{token}.ics` over HTTP against the whole app, and the portal's links to it."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from icalendar import Calendar

from services.billing.invoices import LineInput
from services.clients import contacts
from services.projects import calendar_feeds, discussion, milestones
from services.time import entries, rates
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import issue_invoice, make_billing
from tests.support.portal import sign_in_contact

SECRET = "ZZ-INTERNAL-ONLY-4471"  # in every internal item: it must never reach a feed


@pytest.fixture
async def acme(app_client: httpx.AsyncClient) -> OrgWorld:
    world = await make_world("acme")
    await milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput("Launch", date(2026, 4, 1)))
    return world


def path_of(link: calendar_feeds.FeedLink) -> str:
    return link.url.removeprefix("http://portico.test")


async def test_the_feed_is_icalendar_that_only_its_subscriber_may_cache(
    app_client: httpx.AsyncClient, acme: OrgWorld
) -> None:
    link = await calendar_feeds.feed_link(acme.portal_actor(), acme.project.id)
    response = await app_client.get(path_of(link))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"].startswith("private")
    assert response.headers["content-disposition"].startswith("inline;")
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["x-wr-calname"]) == "Acme Website · Acme"
    assert [str(e["summary"]) for e in calendar.walk("VEVENT")] == ["Launch"]


async def test_nothing_internal_reaches_the_feed(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    staff, pid = acme.actor, acme.project.id
    await discussion.post_update(staff, pid, f"Internal {SECRET}", "internal")
    await rates.set_project_rates(staff, pid, hourly_rate="987.65", budget_hours="12")
    await entries.log_entry(staff, entries.EntryInput(pid, date(2026, 3, 2), "2", f"Work {SECRET}"))
    await issue_invoice(acme, send=False, lines=[LineInput(f"Draft {SECRET}", "1", "10.00")], project_id=pid)
    await make_billing(acme.contact.id)
    for link in (
        await calendar_feeds.feed_link(acme.portal_actor(), pid),
        await calendar_feeds.feed_link(acme.portal_actor()),
    ):
        response = await app_client.get(path_of(link))
        assert response.status_code == 200
        for hidden in (SECRET, "987.65", "98765", staff.email):
            assert hidden not in response.text, hidden


def not_found(response: httpx.Response) -> None:
    assert (response.status_code, response.text) == (404, "Not found\n")
    assert response.headers["cache-control"] == "no-store"
    assert "calendar" not in response.headers["content-type"]


async def test_unknown_revoked_and_malformed_tokens_answer_the_same_404(
    app_client: httpx.AsyncClient, acme: OrgWorld
) -> None:
    link = await calendar_feeds.feed_link(acme.portal_actor(), acme.project.id)
    token = path_of(link).removeprefix("/calendar/").removesuffix(".ics")
    assert (await app_client.get(path_of(link))).status_code == 200
    for wrong in (
        "0" * 64,  # well formed, unknown
        token.upper(),
        token[:-1],
        token + "0",
        "a" * 10_000,
        "é" * 64,
        "%00" * 64,
        str(link.feed_id),
    ):
        not_found(await app_client.get(f"/calendar/{wrong}.ics"))
    # a path that leaves the route never reaches it (the app's own 404)
    assert (await app_client.get("/calendar/..%2F..%2Fetc%2Fpasswd.ics")).status_code == 404
    await calendar_feeds.reset_link(acme.portal_actor(), acme.project.id)
    not_found(await app_client.get(path_of(link)))  # revoked
    fresh = await calendar_feeds.feed_link(acme.portal_actor(), acme.project.id)
    assert (await app_client.get(path_of(fresh))).status_code == 200
    await contacts.update_contact(acme.actor, acme.contact.id, contacts.ContactChanges(active=False))
    not_found(await app_client.get(path_of(fresh)))  # a deactivated contact's


async def test_the_portals_links_lead_a_signed_in_contact_to_their_own_feed(
    app_client: httpx.AsyncClient, acme: OrgWorld
) -> None:
    signed_out = await app_client.get(f"/portal/acme/projects/{acme.project.id}/calendar")
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/portal/acme/login")
    await sign_in_contact(app_client, "acme", acme.actor.org_id, acme.contact.email)

    project = await app_client.get(f"/portal/acme/projects/{acme.project.id}/calendar")
    assert project.status_code == 303
    link = await calendar_feeds.feed_link(acme.portal_actor(), acme.project.id)
    assert project.headers["location"] == link.url  # made by the first visit, the same from then on
    everything = await app_client.get("/portal/acme/calendar")
    assert everything.headers["location"] == (await calendar_feeds.feed_link(acme.portal_actor())).url
    feed = await app_client.get(path_of(link))
    assert [str(e["summary"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")] == ["Launch"]

    bravo = await make_world("bravo")
    for elsewhere in (bravo.project.id, "not-an-id"):
        response = await app_client.get(f"/portal/acme/projects/{elsewhere}/calendar")
        assert response.status_code == 404
