"""Bad input to the REST API answers 422 with the field at fault, and changes nothing."""

from __future__ import annotations

import uuid

import pytest

from services.clients import clients, contacts
from services.projects import projects

# --- bad input -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "ap@initech.test"},
        {"name": 42},
        {"name": None},
        {"name": ["Initech"]},
        {"name": "Initech", "colour": "red"},
        {"name": "Initech", "email": "not-an-email"},
        {"name": "Initech", "email": 7},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": "Ini\x00tech"},
        ["Initech"],
    ],
    ids=[
        "empty",
        "missing-name",
        "name-number",
        "name-null",
        "name-list",
        "unknown-key",
        "invalid-email",
        "email-number",
        "blank-name",
        "name-too-long",
        "nul-byte",
        "not-an-object",
    ],
)
async def test_bad_client_bodies_are_422_and_change_nothing(api, world, body):
    response = await api.post("/api/v1/clients", json=body)
    assert response.status_code == 422
    assert "detail" in response.json()
    assert (await clients.list_clients(world.actor)).total == 1


async def test_invalid_email_names_the_field(api):
    response = await api.post("/api/v1/clients", json={"name": "Initech", "email": "nope@"})
    assert response.status_code == 422
    assert response.json()["field"] == "email"
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/v1/clients"), ("patch", "/api/v1/clients/{client}"), ("patch", "/api/v1/contacts/{contact}")],
)
async def test_invalid_json_is_422(api, world, method, path):
    url = path.format(client=world.client.id, contact=world.contact.id)
    response = await api.request(
        method.upper(), url, content=b'{"name": "Initech",', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert (await clients.get_client(world.actor, world.client.id)).name == "Acme Client"


async def test_patch_client_rejects_null_and_unknown_keys(api, world):
    url = f"/api/v1/clients/{world.client.id}"
    assert (await api.patch(url, json={"name": None})).status_code == 422
    assert (await api.patch(url, json={"archived": True})).status_code == 422
    assert (await api.patch(url, json={"name": ""})).status_code == 422
    stored = await clients.get_client(world.actor, world.client.id)
    assert (stored.name, stored.archived) == ("Acme Client", False)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "No Email"},
        {"email": "x@client-acme.test"},
        {"email": "not an email", "name": "X"},
        {"email": "x@client-acme.test", "name": "X", "portal_enabled": "yes"},
        {"email": "x@client-acme.test", "name": "X", "portal_enabled": 1},
        {"email": "x@client-acme.test", "name": "X", "role": "admin"},
        {"email": "x@client-acme.test", "name": "X", "title": "t" * 101},
    ],
    ids=["missing-email", "missing-name", "invalid-email", "bool-string", "bool-number", "unknown-key", "long-title"],
)
async def test_bad_contact_bodies_are_422(api, world, body):
    response = await api.post(f"/api/v1/clients/{world.client.id}/contacts", json=body)
    assert response.status_code == 422
    assert "detail" in response.json()
    assert (await contacts.list_contacts(world.actor, world.client.id)).total == 1


@pytest.mark.parametrize(
    "body",
    [{"active": "false"}, {"portal_enabled": None}, {"name": 3}, {"email": "new@client-acme.test"}, {"name": " "}],
    ids=["bool-string", "null", "name-number", "email-not-patchable", "blank-name"],
)
async def test_bad_contact_patches_are_422(api, world, body):
    response = await api.patch(f"/api/v1/contacts/{world.contact.id}", json=body)
    assert response.status_code == 422
    stored = await contacts.get_contact(world.actor, world.contact.id)
    assert (stored.active, stored.portal_enabled, stored.name, stored.email) == (
        True,
        True,
        "Jane Doe",
        "jane@client-acme.test",
    )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"start_date": "2025-02-30"}, "start_date"),
        ({"due_date": "next friday"}, "due_date"),
        ({"due_date": 20250101}, "due_date"),
        ({"start_date": "2025-05-01", "due_date": "2025-04-01"}, "due_date"),
        ({"status": "finished"}, "status"),
        ({"lead_user_id": "not-a-uuid"}, "lead_user_id"),
        ({"lead_user_id": str(uuid.uuid4())}, "lead_user_id"),
        ({"budget": 100}, "budget"),
        ({"name": ""}, "name"),
        ({"client_id": "not-a-uuid"}, "client_id"),
    ],
    ids=[
        "impossible-date",
        "not-a-date",
        "date-number",
        "due-before-start",
        "unknown-status",
        "lead-malformed",
        "lead-not-a-member",
        "unknown-key",
        "blank-name",
        "client-id-malformed",
    ],
)
async def test_bad_project_bodies_are_422_and_name_the_field(api, world, extra, field):
    body = {"client_id": str(world.client.id), "name": "New site", **extra}
    response = await api.post("/api/v1/projects", json=body)
    assert response.status_code == 422
    detail = response.json()
    named = [detail.get("field")] if isinstance(detail["detail"], str) else [e["loc"][-1] for e in detail["detail"]]
    assert field in named
    assert (await projects.list_projects(world.actor)).total == 1


async def test_patch_project_due_before_existing_start_is_422(api, world):
    url = f"/api/v1/projects/{world.project.id}"
    assert (await api.patch(url, json={"start_date": "2025-05-01"})).status_code == 200
    response = await api.patch(url, json={"due_date": "2025-04-30"})
    assert response.status_code == 422
    assert response.json()["field"] == "due_date"
    assert (await api.patch(url, json={"status": None})).status_code == 422
    stored = await projects.get_project(world.actor, world.project.id)
    assert (stored.due_date, stored.status.value) == (None, "active")


@pytest.mark.parametrize(
    "path", ["/api/v1/clients", "/api/v1/projects", "/api/v1/clients/{client}/contacts"], ids=lambda p: p.split("/")[-1]
)
@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 500}, {"limit": "ten"}, {"offset": -1}, {"offset": 10**30}],
    ids=["limit-0", "limit-500", "limit-text", "offset-negative", "offset-huge"],
)
async def test_list_window_out_of_range_is_422(api, world, path, params):
    response = await api.get(path.format(client=world.client.id), params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


async def test_list_window_bounds_are_accepted(api, world):
    for params in ({"limit": 1}, {"limit": 200}, {"offset": 0}):
        response = await api.get("/api/v1/clients", params=params)
        assert response.status_code == 200, params
        assert response.json()["total"] == 1


async def test_bad_query_filters_are_422(api):
    assert (await api.get("/api/v1/projects", params={"client_id": "nope"})).status_code == 422
    assert (await api.get("/api/v1/clients", params={"search": "x" * 201})).status_code == 422
    assert (await api.get("/api/v1/clients", params={"search": "a\x00b"})).status_code == 422


async def test_line_breaks_in_names_are_422_and_change_nothing(api, world):
    for path, body in [
        ("/api/v1/clients", {"name": "Evil\nBcc: x@evil.test"}),
        ("/api/v1/projects", {"client_id": str(world.client.id), "name": "Evil\r\nX"}),
    ]:
        response = await api.post(path, json=body)
        assert response.status_code == 422, response.text
        assert response.json() == {"detail": "Name must be on one line.", "field": "name"}
    assert (await clients.list_clients(world.actor)).total == 1
    assert (await projects.list_projects(world.actor)).total == 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x" * 10_000_000},
        {"name": "Initech", "x" * 1_000_000: 1},
        {"name": ["x" * 1000] * 100_000},
        {"name": {"a": {"b": {"c": "x" * 1000}}}},
        ["x" * 1000] * 10_000,
        {"name": 10**4000},
    ],
    ids=["10-mb-name", "huge-unknown-key", "long-list", "deep-object", "huge-array-body", "huge-number"],
)
async def test_a_422_quotes_at_most_a_little_of_the_input(api, world, body):
    response = await api.post("/api/v1/clients", json=body)
    assert response.status_code == 422
    assert len(response.content) < 4_000, len(response.content)
    [error, *_] = response.json()["detail"]
    assert error["loc"][0] == "body" and error["msg"]
    assert (await clients.list_clients(world.actor)).total == 1


async def test_a_422_still_quotes_short_input_whole(api):
    response = await api.post("/api/v1/clients", json={"name": "Initech", "email": 7})
    [error] = response.json()["detail"]
    assert (error["loc"], error["input"]) == (["body", "email"], 7)
    long = await api.post("/api/v1/clients", json={"name": "n" * 500})
    [error] = long.json()["detail"]
    assert error["input"] == "n" * 100 + "…"
