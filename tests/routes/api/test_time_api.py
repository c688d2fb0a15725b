"""The REST API for time: logging, approval, the list, invoices from hours and a project's rate and budget,
on SQLite and PostgreSQL. The clock is frozen on Tuesday 10 March 2026 (`at`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from portal_app.routes.api.types import InvoiceOut
from services.billing import invoices
from services.core.actors import StaffActor
from services.staff import api_tokens
from services.time import entries, rates
from tests.support.api import api_http
from tests.support.clock import T0
from tests.support.factories import OrgWorld, add_member

TODAY = T0.date().isoformat()
ENTRY_KEYS = {
    "id",
    "project_id",
    "project_name",
    "client_id",
    "user_id",
    "user_name",
    "date",
    "hours",
    "description",
    "note",
    "billable",
    "status",
    "reject_reason",
    "decided_at",
    "invoice_id",
    "questioned",
    "created_at",
}


@pytest.fixture
def frozen(at) -> None:
    at()


@pytest.fixture
async def mia(world: OrgWorld) -> StaffActor:
    """A plain member of acme: she leads no project until a test makes her."""
    return await add_member(world.actor.org_id, "mia@acme.test", name="Mia")


@pytest.fixture
async def member_api(mia: StaffActor) -> AsyncIterator[httpx.AsyncClient]:
    async with api_http(await api_tokens.create_token(mia, "mia")) as http:
        yield http


async def log(api: httpx.AsyncClient, world: OrgWorld, hours: str = "1.5", **extra) -> dict:
    body = {"project_id": str(world.project.id), "date": TODAY, "hours": hours, "description": "Wireframes"}
    response = await api.post("/api/v1/time-entries", json=body | extra)
    assert response.status_code == 201, response.text
    return response.json()


async def approved(api: httpx.AsyncClient, world: OrgWorld, *hours: str) -> list[dict]:
    made = [await log(api, world, h) for h in hours]
    for entry in made:
        assert (await api.post(f"/api/v1/time-entries/{entry['id']}/approve")).status_code == 200
    return made


# --- logging ---------------------------------------------------------------------------------------------------------


async def test_log_time_answers_201_with_the_submitted_entry(api, world, frozen):
    entry = await log(api, world, "1:30", billable=False, note="Slow client call")
    assert set(entry) == ENTRY_KEYS
    uuid.UUID(entry["id"])
    assert (entry["status"], entry["hours"], entry["date"], entry["description"]) == (
        "submitted",
        "1.50",
        TODAY,
        "Wireframes",
    )
    assert (entry["billable"], entry["note"], entry["invoice_id"], entry["questioned"]) == (
        False,
        "Slow client call",
        None,
        False,
    )
    assert (entry["user_id"], entry["project_id"], entry["client_id"]) == (
        str(world.actor.user_id),
        str(world.project.id),
        str(world.client.id),
    )
    fetched = await api.get(f"/api/v1/time-entries/{entry['id']}")
    assert fetched.json() == entry


async def test_owners_log_time_for_a_member_named_by_email(api, world, member_api, frozen):
    entry = await log(api, world, "2", user_email="MIA@acme.test")
    assert entry["user_name"] == "Mia"

    unknown = await api.post(
        "/api/v1/time-entries",
        json={
            "project_id": str(world.project.id),
            "date": TODAY,
            "hours": "1",
            "description": "X",
            "user_email": "x@y.z",
        },
    )
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "user_email"

    # a member logs their own time, not someone else's
    assert (await log(member_api, world, "1"))["user_name"] == "Mia"
    theirs = await member_api.post(
        "/api/v1/time-entries",
        json={
            "project_id": str(world.project.id),
            "date": TODAY,
            "hours": "1",
            "description": "For the boss",
            "user_email": world.owner_email,
        },
    )
    assert theirs.status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": 1.5}, "hours"),  # a JSON number, as money: refused
        ({"hours": 2}, "hours"),
        ({"hours": "0"}, "hours"),
        ({"hours": "25"}, "hours"),
        ({"hours": "soon"}, "hours"),
        ({"date": "2026-13-01"}, "date"),
        ({"date": 20260310}, "date"),
        ({"date": "2026-04-01"}, "date"),  # ahead of time
        ({"description": ""}, "description"),
        ({"description": None}, "description"),
        ({"billable": "yes"}, "billable"),
        ({"rate": "100"}, "rate"),  # unknown fields are refused
    ],
)
async def test_bad_time_input_is_422_naming_the_field(api, world, frozen, change, field):
    body = {"project_id": str(world.project.id), "date": TODAY, "hours": "1", "description": "Work"} | change
    response = await api.post("/api/v1/time-entries", json=body)
    assert response.status_code == 422, response.text
    detail = response.json()
    # pydantic's 422 locates it in the body; a service's names the field
    named = detail.get("field") or detail["detail"][0]["loc"][-1]
    assert named == field
    assert (await entries.list_entries(world.actor)).total == 0


async def test_unknown_or_another_organizations_project_or_entry_is_404(api, world, other, other_api, frozen):
    body = {"date": TODAY, "hours": "1", "description": "Work"}
    for project_id in (uuid.uuid4(), world.project.id):
        response = await other_api.post("/api/v1/time-entries", json=body | {"project_id": str(project_id)})
        assert response.status_code == 404
        assert response.json() == {"detail": "Project not found"}
    entry = await log(api, world)
    for method, url, json in [
        ("GET", f"/api/v1/time-entries/{entry['id']}", None),
        ("POST", f"/api/v1/time-entries/{entry['id']}/approve", None),
        ("POST", f"/api/v1/time-entries/{entry['id']}/reject", {"reason": "No"}),
        ("POST", f"/api/v1/projects/{world.project.id}/invoice-hours", {}),
        ("PATCH", f"/api/v1/projects/{world.project.id}", {"hourly_rate": "1"}),
        ("POST", "/api/v1/time-entries/not-a-uuid/approve", None),
    ]:
        response = await other_api.request(method, url, json=json)
        assert response.status_code == 404, (method, url)
    listed = (await other_api.get("/api/v1/time-entries", params={"project_id": str(world.project.id)})).json()
    assert listed == {"items": [], "total": 0}
    assert (await entries.get_entry(world.actor, entry["id"])).status == "submitted"
    assert (await rates.get_project_rates(world.actor, world.project.id)).hourly_rate is None


# --- approval --------------------------------------------------------------------------------------------------------


async def test_approve_and_reject_answer_the_entry(api, world, frozen):
    entry = await log(api, world)
    url = f"/api/v1/time-entries/{entry['id']}"
    response = await api.post(f"{url}/approve")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decided_at"] is not None) == ("approved", True)
    assert (await api.post(f"{url}/approve")).json()["status"] == "approved"  # twice is harmless

    assert (await api.post(f"{url}/reject")).status_code == 422  # the reason is required
    assert (await api.post(f"{url}/reject", json={})).status_code == 422
    blank = await api.post(f"{url}/reject", json={"reason": "  "})
    assert (blank.status_code, blank.json()["field"]) == (422, "reason")
    rejected = await api.post(f"{url}/reject", json={"reason": "Not on this project"})
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["reject_reason"]) == ("rejected", "Not on this project")
    assert (await api.post(f"{url}/approve")).json()["reject_reason"] == ""


async def test_only_owners_admins_and_the_lead_decide(api, world, member_api, frozen):
    entry = await log(member_api, world)
    url = f"/api/v1/time-entries/{entry['id']}"
    assert (await member_api.post(f"{url}/approve")).status_code == 403
    assert (await member_api.post(f"{url}/reject", json={"reason": "No"})).status_code == 403
    assert (await entries.get_entry(world.actor, entry["id"])).status == "submitted"

    lead = {"lead_user_id": entry["user_id"]}
    assert (await api.patch(f"/api/v1/projects/{world.project.id}", json=lead)).status_code == 200
    assert (await member_api.post(f"{url}/approve")).json()["status"] == "approved"


async def test_billed_time_is_not_rejected(api, world, frozen):
    await api.patch(f"/api/v1/projects/{world.project.id}", json={"hourly_rate": "80"})
    [entry] = await approved(api, world, "1")
    assert (await api.post(f"/api/v1/projects/{world.project.id}/invoice-hours", json={})).status_code == 201
    response = await api.post(f"/api/v1/time-entries/{entry['id']}/reject", json={"reason": "Oops"})
    assert response.status_code == 409
    assert (await api.post(f"/api/v1/time-entries/{entry['id']}/approve")).status_code == 200
    assert (await entries.get_entry(world.actor, entry["id"])).status == "approved"


# --- the list --------------------------------------------------------------------------------------------------------


async def test_list_filters_by_project_and_status_and_pages(api, world, frozen):
    second = await api.post("/api/v1/projects", json={"client_id": str(world.client.id), "name": "Second"})
    [a, b] = await approved(api, world, "1", "2")
    waiting = await log(api, world, "3")
    elsewhere = await log(api, world, "4", project_id=second.json()["id"])

    everything = (await api.get("/api/v1/time-entries")).json()
    assert set(everything) == {"items", "total"}
    assert everything["total"] == 4
    assert set(everything["items"][0]) == ENTRY_KEYS

    def ids(answer: httpx.Response) -> set[str]:
        return {e["id"] for e in answer.json()["items"]}

    assert ids(await api.get("/api/v1/time-entries", params={"status": "approved"})) == {a["id"], b["id"]}
    assert ids(await api.get("/api/v1/time-entries", params={"status": "submitted"})) == {
        waiting["id"],
        elsewhere["id"],
    }
    one = await api.get("/api/v1/time-entries", params={"project_id": second.json()["id"]})
    assert (ids(one), one.json()["total"]) == ({elsewhere["id"]}, 1)
    both = await api.get("/api/v1/time-entries", params={"project_id": str(world.project.id), "status": "submitted"})
    assert ids(both) == {waiting["id"]}

    pages = [(await api.get("/api/v1/time-entries", params={"limit": 3, "offset": o})).json() for o in (0, 3)]
    assert [len(p["items"]) for p in pages] == [3, 1]
    assert {p["total"] for p in pages} == {4}

    for params in ({"status": "billed"}, {"project_id": "nope"}, {"limit": 0}, {"offset": -1}):
        assert (await api.get("/api/v1/time-entries", params=params)).status_code == 422, params


# --- invoices from hours ---------------------------------------------------------------------------------------------


async def test_invoice_hours_drafts_an_invoice_of_hours_times_rate(api, world, frozen):
    project = f"/api/v1/projects/{world.project.id}"
    await api.patch(project, json={"hourly_rate": "90.00"})
    made = await approved(api, world, "2", "0:20")
    await log(api, world, "5")  # submitted: not billed

    response = await api.post(f"{project}/invoice-hours", json={"date_from": "2026-03-01", "date_to": TODAY})
    assert response.status_code == 201
    draft = response.json()
    assert set(draft) == set(InvoiceOut.model_fields)  # exactly what POST /invoices answers
    assert (draft["status"], draft["currency"], draft["total"], draft["client_id"], draft["project_id"]) == (
        "draft",
        "USD",
        "210.00",  # 2 h 20 min at 90.00
        str(world.client.id),
        str(world.project.id),
    )
    assert sorted(line["quantity"] for line in draft["lines"]) == ["0.3333", "2"]  # same day, same instant
    assert (await api.get(f"/api/v1/invoices/{draft['id']}")).json() == draft
    billed = {e["id"]: e["invoice_id"] for e in (await api.get("/api/v1/time-entries")).json()["items"]}
    assert [billed[e["id"]] for e in made] == [draft["id"], draft["id"]]

    again = await api.post(f"{project}/invoice-hours", json={})
    assert again.status_code == 422  # nothing left to bill
    assert again.json()["field"] == "date_from"

    await invoices.delete_draft(world.actor, draft["id"])
    grouped = await api.post(f"{project}/invoice-hours", json={"grouping": "person"})  # this month by default
    assert grouped.status_code == 201
    assert (len(grouped.json()["lines"]), grouped.json()["total"]) == (1, "210.00")


async def test_invoice_hours_takes_no_body_and_refuses_bad_input(api, world, frozen):
    project = f"/api/v1/projects/{world.project.id}"
    await approved(api, world, "1")
    without_rate = await api.post(f"{project}/invoice-hours")
    assert (without_rate.status_code, without_rate.json()["field"]) == (422, "hourly_rate")
    for body in (
        {"grouping": "week"},
        {"date_from": "yesterday"},
        {"date_from": "2026-03-10", "date_to": "2026-03-01"},
        {"until": "2026-03-10"},
    ):
        assert (await api.post(f"{project}/invoice-hours", json=body)).status_code == 422, body
    await api.patch(project, json={"hourly_rate": "100"})
    assert (await api.post(f"{project}/invoice-hours")).json()["total"] == "100.00"
    assert (await api.post(f"/api/v1/projects/{uuid.uuid4()}/invoice-hours")).status_code == 404


# --- a project's rate and budget -------------------------------------------------------------------------------------


async def test_patch_project_sets_and_clears_the_rate_and_budget(api, world):
    url = f"/api/v1/projects/{world.project.id}"
    assert {k: (await api.get(url)).json()[k] for k in ("hourly_rate", "currency", "budget_hours")} == {
        "hourly_rate": None,
        "currency": "USD",
        "budget_hours": None,
    }
    response = await api.patch(url, json={"hourly_rate": "95.5", "budget_hours": "120", "phase": "Build"})
    assert response.status_code == 200
    body = response.json()
    assert (body["hourly_rate"], body["currency"], body["budget_hours"], body["phase"]) == (
        "95.50",
        "USD",
        "120.00",
        "Build",
    )
    assert (await api.get(url)).json() == body

    cleared = (await api.patch(url, json={"hourly_rate": None})).json()
    assert (cleared["hourly_rate"], cleared["budget_hours"]) == (None, "120.00")  # the budget kept
    cleared = (await api.patch(url, json={"budget_hours": None, "hourly_rate": "8000", "currency": "jpy"})).json()
    assert (cleared["hourly_rate"], cleared["currency"], cleared["budget_hours"]) == ("8000", "JPY", None)
    stored = await rates.get_project_rates(world.actor, world.project.id)
    assert (stored.hourly_rate_minor, stored.currency, stored.budget_minutes) == (8000, "JPY", None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"hourly_rate": 95.5}, "hourly_rate"),
        ({"hourly_rate": "-1"}, "hourly_rate"),
        ({"hourly_rate": "9.999"}, "hourly_rate"),
        ({"hourly_rate": "lots"}, "hourly_rate"),
        ({"budget_hours": 1.5}, "budget_hours"),
        ({"budget_hours": "0"}, "budget_hours"),
        ({"budget_hours": "1000000"}, "budget_hours"),
        ({"currency": "XXQ"}, "currency"),
        ({"currency": None}, "currency"),
        ({"hourly_rate_minor": 100}, "hourly_rate_minor"),
    ],
)
async def test_patch_project_refuses_bad_rates(api, world, body, field):
    response = await api.patch(f"/api/v1/projects/{world.project.id}", json=body)
    assert response.status_code == 422, response.text
    detail = response.json()
    assert (detail.get("field") or detail["detail"][0]["loc"][-1]) == field
    stored = await rates.get_project_rates(world.actor, world.project.id)
    assert (stored.hourly_rate_minor, stored.budget_minutes) == (None, None)


async def test_only_owners_admins_and_the_lead_set_the_rate(api, world, mia, member_api):
    url = f"/api/v1/projects/{world.project.id}"
    refused = await member_api.patch(url, json={"hourly_rate": "10", "phase": "Build"})
    assert refused.status_code == 403
    after = (await api.get(url)).json()
    assert (after["hourly_rate"], after["phase"]) == (None, "")  # neither half of the PATCH was applied
    assert (await member_api.patch(url, json={"phase": "Build"})).status_code == 200  # other fields as before

    assert (await api.patch(url, json={"lead_user_id": str(mia.user_id)})).status_code == 200
    led = await member_api.patch(url, json={"hourly_rate": "10", "budget_hours": "7.5"})
    assert (led.status_code, led.json()["hourly_rate"], led.json()["budget_hours"]) == (200, "10.00", "7.50")


async def test_a_patch_with_a_good_rate_and_a_bad_field_changes_nothing(api, world):
    url = f"/api/v1/projects/{world.project.id}"
    refused = await api.patch(url, json={"hourly_rate": "95", "budget_hours": "10", "status": "finished"})
    assert refused.status_code == 422, refused.text
    stored = await rates.get_project_rates(world.actor, world.project.id)
    assert (stored.hourly_rate_minor, stored.budget_minutes) == (None, None)
