"""/portal/{slug}/hours.csv over HTTP against the whole app: exactly the service's CSV of the contact's own
approved hours, as an attachment that is never cached; the portal's own sign-in check; bad dates a clear 400."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from portal_app.auth.portal import PORTAL_COOKIE
from services.clients import clients, contacts
from services.core import clock
from services.organizations import organizations
from services.projects import projects
from services.time import entries, hours, rates
from services.time.entries import EntryInput
from tests.support.factories import OrgWorld, make_world
from tests.support.isolation import sign_in

NOTE = "internal: do not bill the rework"


def portal_client(app_client: httpx.AsyncClient, cookie: str) -> httpx.AsyncClient:
    headers = {"Cookie": f"{PORTAL_COOKIE}={cookie}"}
    return httpx.AsyncClient(transport=app_client._transport, base_url="http://test", headers=headers)


def first_of_month() -> date:
    return clock.now().date().replace(day=1)


async def log(world: OrgWorld, hours_text: str, description: str, *, project_id=None, approve=True, day=None):
    made = await entries.log_entry(
        world.actor,
        EntryInput(project_id or world.project.id, day or first_of_month(), hours_text, description, note=NOTE),
    )
    if approve:
        await entries.approve(world.actor, [made.id])
    return made


async def test_the_csv_is_the_services_csv_as_an_uncached_attachment(
    portal_http: httpx.AsyncClient, acme: OrgWorld
) -> None:
    await rates.set_project_rates(acme.actor, acme.project.id, hourly_rate="187.35")
    await log(acme, "1.5", "Wireframes")
    await log(acme, "2", "Waiting", approve=False)
    start, end = first_of_month() - timedelta(days=3), clock.now().date()
    await log(acme, "1", "Kick-off", day=start)

    response = await portal_http.get(f"/portal/acme/hours.csv?date_from={start}&date_to={end}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "private, no-store"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="hours-{start}-{end}.csv"')
    expected = await hours.hours_csv(acme.portal_actor(), date_from=start, date_to=end)
    assert response.text == expected
    assert "Wireframes" in response.text and "Kick-off" in response.text
    for hidden in ("Waiting", NOTE, "187.35", "18735"):
        assert hidden not in response.text


async def test_without_dates_it_is_this_month_and_a_project_narrows_it(
    portal_http: httpx.AsyncClient, acme: OrgWorld
) -> None:
    other = await projects.create_project(acme.actor, acme.client.id, projects.ProjectInput(name="Mobile app"))
    await log(acme, "1", "Homepage")
    await log(acme, "0.5", "App", project_id=other.id)
    start, end = hours.this_month()

    whole = await portal_http.get("/portal/acme/hours.csv")
    assert whole.status_code == 200
    assert f'filename="hours-{start}-{end}.csv"' in whole.headers["content-disposition"]
    assert "Homepage" in whole.text and "App" in whole.text

    one = await portal_http.get(f"/portal/acme/hours.csv?project={other.id}")
    assert one.text == await hours.hours_csv(acme.portal_actor(), project_id=other.id)
    assert "Homepage" not in one.text and "App" in one.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=yesterday", "“From” must be a date like 2026-03-31."),
        ("date_from=2026-02-30&date_to=2026-03-01", "“From” must be a date like 2026-03-31."),
        ("date_to=2026-13-01", "“To” must be a date like 2026-03-31."),
        ("date_from=2026-03-10&date_to=2026-03-01", "“From” must be on or before “To”."),
        ("date_from=2019-01-01&date_to=2026-03-01", "Choose a range of at most three years."),
    ],
)
async def test_a_bad_range_is_a_clear_400(portal_http: httpx.AsyncClient, query: str, message: str) -> None:
    response = await portal_http.get(f"/portal/acme/hours.csv?{query}")
    assert response.status_code == 400
    assert response.text == message
    assert response.headers["content-type"].startswith("text/plain")


async def test_a_malformed_project_is_not_found_and_another_clients_project_lists_nothing(
    portal_http: httpx.AsyncClient, acme: OrgWorld
) -> None:
    globex = await clients.create_client(acme.actor, clients.ClientInput(name="Globex"))
    theirs = await projects.create_project(acme.actor, globex.id, projects.ProjectInput(name="Globex Shop"))
    await log(acme, "3", "Globex checkout", project_id=theirs.id)
    assert (await portal_http.get("/portal/acme/hours.csv?project=not-an-id")).status_code == 404
    response = await portal_http.get(f"/portal/acme/hours.csv?project={theirs.id}")
    assert response.status_code == 200
    assert response.text.splitlines() == ["Date,Project,Person,Description,Hours,Billable", "Total,,,,0.00,"]


async def test_signed_out_goes_to_the_login_and_an_unknown_portal_is_not_found(
    app_client: httpx.AsyncClient, acme: OrgWorld
) -> None:
    response = await app_client.get("/portal/acme/hours.csv", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/acme/login"
    assert (await app_client.get("/portal/nobody/hours.csv")).status_code == 404


async def test_another_clients_contact_gets_their_own_hours_only(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    await log(acme, "2", "Acme homepage")
    # a contact of another client of the same agency: signed in to this portal, with hours of their own
    globex = await clients.create_client(acme.actor, clients.ClientInput(name="Globex"))
    theirs = await projects.create_project(acme.actor, globex.id, projects.ProjectInput(name="Globex Shop"))
    await log(acme, "1", "Globex checkout", project_id=theirs.id)
    ginny = await contacts.create_contact(
        acme.actor, globex.id, contacts.ContactInput(email="ginny@globex.test", name="Ginny", portal_enabled=True)
    )
    _, cookie = await sign_in(ginny.id)
    async with portal_client(app_client, cookie) as http:
        text = (await http.get("/portal/acme/hours.csv")).text
        assert "Globex checkout" in text and "Acme homepage" not in text
        # and naming the other client's project changes nothing
        text = (await http.get(f"/portal/acme/hours.csv?project={acme.project.id}")).text
        assert "Acme homepage" not in text


async def test_a_session_of_another_organizations_portal_is_no_session_here(
    app_client: httpx.AsyncClient, acme: OrgWorld
) -> None:
    await log(acme, "2", "Acme homepage")
    initech = await make_world("initech")
    await log(initech, "1", "Initech intranet")
    _, cookie = await sign_in(initech.contact.id)
    async with portal_client(app_client, cookie) as http:
        response = await http.get("/portal/acme/hours.csv", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/portal/acme/login"
        own = await http.get("/portal/initech/hours.csv")
        assert own.status_code == 200
        assert "Initech intranet" in own.text and "Acme homepage" not in own.text


async def test_a_portal_switched_off_serves_no_hours(portal_http: httpx.AsyncClient, acme: OrgWorld) -> None:
    await log(acme, "2", "Acme homepage")
    changes = organizations.OrganizationChanges(name="Acme", slug="acme", portal_enabled=False)
    await organizations.update_organization(acme.actor, changes)
    response = await portal_http.get("/portal/acme/hours.csv")
    assert response.status_code == 403
    assert "Acme homepage" not in response.text
