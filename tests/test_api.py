"""The REST API mounted at /api, over HTTP (ASGI transport), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from portal_app.routes.api import build_api
from services import api_tokens, audit, clients, contacts, projects
from tests.support.factories import OrgWorld, make_world


def _app() -> FastAPI:
    app = FastAPI()
    app.mount("/api", build_api())
    return app


def _http(token: str | None = None, **headers: str) -> httpx.AsyncClient:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://test", headers=headers)


@pytest.fixture
async def world(database) -> OrgWorld:
    return await make_world("acme")


@pytest.fixture
async def other(database) -> OrgWorld:
    return await make_world("globex")


@pytest.fixture
async def api(world: OrgWorld) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client carrying an API token of acme's owner."""
    token = await api_tokens.create_token(world.actor, "test")
    async with _http(token) as http:
        yield http


@pytest.fixture
async def other_api(other: OrgWorld) -> AsyncIterator[httpx.AsyncClient]:
    token = await api_tokens.create_token(other.actor, "test")
    async with _http(token) as http:
        yield http


# --- clients ---------------------------------------------------------------------------------------------------------


async def test_create_client_answers_201_with_the_client(api):
    response = await api.post(
        "/api/v1/clients",
        json={"name": "  Initech ", "email": "AP@Initech.test", "phone": "+1 555 0100", "address": "1 Main St"},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "email", "phone", "address", "archived", "created_at"}
    assert body["name"] == "Initech"
    assert body["email"] == "ap@initech.test"
    assert (body["phone"], body["address"], body["archived"]) == ("+1 555 0100", "1 Main St", False)
    uuid.UUID(body["id"])
    assert body["created_at"][:4].isdigit() and "T" in body["created_at"]

    fetched = await api.get(f"/api/v1/clients/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_create_client_with_only_a_name(api):
    response = await api.post("/api/v1/clients", json={"name": "Hooli"})
    assert response.status_code == 201
    assert (response.json()["email"], response.json()["phone"], response.json()["address"]) == ("", "", "")


async def test_patch_client_changes_only_the_given_fields(api, world):
    response = await api.patch(f"/api/v1/clients/{world.client.id}", json={"phone": "+44 20 7946 0000"})
    assert response.status_code == 200
    assert response.json()["phone"] == "+44 20 7946 0000"
    assert response.json()["name"] == world.client.name
    assert response.json()["email"] == world.client.email

    response = await api.patch(f"/api/v1/clients/{world.client.id}", json={"name": "Acme Corp", "email": ""})
    assert response.status_code == 200
    stored = await clients.get_client(world.actor, world.client.id)
    assert (stored.name, stored.email, stored.phone) == ("Acme Corp", "", "+44 20 7946 0000")


async def test_list_clients_pages_with_limit_and_offset(api, world):
    for name in ("Beta", "Gamma", "Delta"):
        assert (await api.post("/api/v1/clients", json={"name": name})).status_code == 201

    response = await api.get("/api/v1/clients", params={"limit": 2})
    assert response.status_code == 200
    first = response.json()
    assert set(first) == {"items", "total"}
    assert first["total"] == 4
    assert [c["name"] for c in first["items"]] == ["Acme Client", "Beta"]
    assert set(first["items"][0]) == {"id", "name", "email", "contacts", "projects", "created_at"}
    assert (first["items"][0]["contacts"], first["items"][0]["projects"]) == (1, 1)

    second = (await api.get("/api/v1/clients", params={"limit": 2, "offset": 2})).json()
    assert [c["name"] for c in second["items"]] == ["Delta", "Gamma"]
    assert second["total"] == 4

    past_the_end = (await api.get("/api/v1/clients", params={"offset": 10})).json()
    assert past_the_end == {"items": [], "total": 4}


async def test_list_clients_searches_name_and_email(api):
    await api.post("/api/v1/clients", json={"name": "Umbrella", "email": "ops@umbrella.test"})
    by_name = (await api.get("/api/v1/clients", params={"search": "UMBR"})).json()
    assert [c["name"] for c in by_name["items"]] == ["Umbrella"]
    assert by_name["total"] == 1
    by_email = (await api.get("/api/v1/clients", params={"search": "client-acme"})).json()
    assert [c["name"] for c in by_email["items"]] == ["Acme Client"]
    wildcard = (await api.get("/api/v1/clients", params={"search": "%"})).json()
    assert wildcard == {"items": [], "total": 0}


# --- contacts --------------------------------------------------------------------------------------------------------


async def test_create_contact_answers_201_with_the_contact(api, world):
    response = await api.post(
        f"/api/v1/clients/{world.client.id}/contacts",
        json={"email": "Bob@Client-Acme.test", "name": "Bob Smith", "title": "CTO", "portal_enabled": True},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "client_id",
        "email",
        "name",
        "title",
        "portal_enabled",
        "active",
        "last_sign_in_at",
        "created_at",
    }
    assert body["client_id"] == str(world.client.id)
    assert (body["email"], body["name"], body["title"]) == ("bob@client-acme.test", "Bob Smith", "CTO")
    assert (body["portal_enabled"], body["active"], body["last_sign_in_at"]) == (True, True, None)

    fetched = await api.get(f"/api/v1/contacts/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_create_contact_defaults_to_no_portal_access(api, world):
    response = await api.post(
        f"/api/v1/clients/{world.client.id}/contacts", json={"email": "carol@client-acme.test", "name": "Carol"}
    )
    assert response.status_code == 201
    assert response.json()["portal_enabled"] is False
    assert response.json()["title"] == ""


async def test_list_contacts_pages(api, world):
    for name in ("Adam", "Zoe"):
        response = await api.post(
            f"/api/v1/clients/{world.client.id}/contacts",
            json={"email": f"{name.lower()}@client-acme.test", "name": name},
        )
        assert response.status_code == 201

    everyone = (await api.get(f"/api/v1/clients/{world.client.id}/contacts")).json()
    assert set(everyone) == {"items", "total"}
    assert [c["name"] for c in everyone["items"]] == ["Adam", "Jane Doe", "Zoe"]
    assert everyone["total"] == 3

    page = (await api.get(f"/api/v1/clients/{world.client.id}/contacts", params={"limit": 1, "offset": 1})).json()
    assert [c["name"] for c in page["items"]] == ["Jane Doe"]
    assert page["total"] == 3


async def test_patch_contact_changes_access_and_details(api, world):
    url = f"/api/v1/contacts/{world.contact.id}"
    response = await api.patch(url, json={"portal_enabled": False, "title": "Head of Ops"})
    assert response.status_code == 200
    assert response.json()["portal_enabled"] is False
    assert response.json()["title"] == "Head of Ops"
    assert response.json()["name"] == "Jane Doe"

    response = await api.patch(url, json={"active": False, "name": "Jane Roe"})
    assert response.status_code == 200
    stored = await contacts.get_contact(world.actor, world.contact.id)
    assert (stored.active, stored.name, stored.portal_enabled, stored.title) == (
        False,
        "Jane Roe",
        False,
        "Head of Ops",
    )


async def test_duplicate_contact_email_is_a_conflict(api, world):
    response = await api.post(
        f"/api/v1/clients/{world.client.id}/contacts", json={"email": "JANE@client-acme.test", "name": "Jane Again"}
    )
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]
    assert len(await contacts.list_contacts(world.actor, world.client.id)) == 1


# --- projects --------------------------------------------------------------------------------------------------------


async def test_create_project_answers_201_with_the_project(api, world):
    response = await api.post(
        "/api/v1/projects",
        json={
            "client_id": str(world.client.id),
            "name": "Mobile app",
            "description": "iOS and Android",
            "status": "planned",
            "phase": "Discovery",
            "start_date": "2025-03-01",
            "due_date": "2025-06-30",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "client_id",
        "client_name",
        "name",
        "description",
        "status",
        "phase",
        "lead_user_id",
        "start_date",
        "due_date",
        "created_at",
    }
    assert (body["client_id"], body["client_name"]) == (str(world.client.id), "Acme Client")
    assert (body["name"], body["description"], body["status"], body["phase"]) == (
        "Mobile app",
        "iOS and Android",
        "planned",
        "Discovery",
    )
    assert (body["start_date"], body["due_date"], body["lead_user_id"]) == ("2025-03-01", "2025-06-30", None)

    fetched = await api.get(f"/api/v1/projects/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_create_project_with_a_lead(api, world):
    response = await api.post(
        "/api/v1/projects",
        json={"client_id": str(world.client.id), "name": "Brand", "lead_user_id": str(world.actor.user_id)},
    )
    assert response.status_code == 201
    assert response.json()["lead_user_id"] == str(world.actor.user_id)
    assert response.json()["status"] == "active"


async def test_patch_project_merges_and_null_clears_a_date(api, world):
    url = f"/api/v1/projects/{world.project.id}"
    response = await api.patch(url, json={"status": "on_hold", "start_date": "2025-01-01", "due_date": "2025-02-01"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["name"]) == ("on_hold", world.project.name)

    response = await api.patch(url, json={"due_date": None, "phase": "Build"})
    assert response.status_code == 200
    stored = await projects.get_project(world.actor, world.project.id)
    assert (stored.status.value, stored.phase, stored.start_date.isoformat(), stored.due_date) == (
        "on_hold",
        "Build",
        "2025-01-01",
        None,
    )


async def test_list_projects_filters_by_client_and_pages(api, world):
    second = await clients.create_client(world.actor, clients.ClientInput(name="Beta"))
    for name in ("One", "Two"):
        response = await api.post("/api/v1/projects", json={"client_id": str(second.id), "name": name})
        assert response.status_code == 201

    everything = (await api.get("/api/v1/projects")).json()
    assert set(everything) == {"items", "total"}
    assert everything["total"] == 3
    assert {p["name"] for p in everything["items"]} == {"Acme Website", "One", "Two"}

    betas = (await api.get("/api/v1/projects", params={"client_id": str(second.id)})).json()
    assert betas["total"] == 2
    assert {p["client_name"] for p in betas["items"]} == {"Beta"}

    pages = [(await api.get("/api/v1/projects", params={"limit": 2, "offset": o})).json() for o in (0, 2)]
    assert [len(p["items"]) for p in pages] == [2, 1]
    assert {p["total"] for p in pages} == {3}
    assert {p["id"] for page in pages for p in page["items"]} == {p["id"] for p in everything["items"]}


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
    assert len(await contacts.list_contacts(world.actor, world.client.id)) == 1


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


# --- another organization's ids, malformed ids ----------------------------------------------------------------------


async def test_another_organizations_rows_are_not_found(world, other, other_api):
    a = world
    requests = [
        ("GET", f"/api/v1/clients/{a.client.id}", None),
        ("PATCH", f"/api/v1/clients/{a.client.id}", {"name": "Stolen"}),
        ("GET", f"/api/v1/clients/{a.client.id}/contacts", None),
        ("POST", f"/api/v1/clients/{a.client.id}/contacts", {"email": "spy@globex.test", "name": "Spy"}),
        ("GET", f"/api/v1/contacts/{a.contact.id}", None),
        ("PATCH", f"/api/v1/contacts/{a.contact.id}", {"portal_enabled": False, "active": False}),
        ("GET", f"/api/v1/projects/{a.project.id}", None),
        ("PATCH", f"/api/v1/projects/{a.project.id}", {"status": "cancelled"}),
        ("POST", "/api/v1/projects", {"client_id": str(a.client.id), "name": "Hijack"}),
    ]
    for method, url, body in requests:
        response = await other_api.request(method, url, json=body)
        assert response.status_code == 404, (method, url)
        assert isinstance(response.json()["detail"], str)

    assert (await clients.get_client(a.actor, a.client.id)).name == "Acme Client"
    contact = await contacts.get_contact(a.actor, a.contact.id)
    assert (contact.active, contact.portal_enabled) == (True, True)
    assert (await projects.get_project(a.actor, a.project.id)).status.value == "active"
    assert [c.name for c in await contacts.list_contacts(a.actor, a.client.id)] == ["Jane Doe"]
    assert (await projects.list_projects(a.actor)).total == 1


async def test_lists_show_only_the_tokens_organization(world, other, api, other_api):
    theirs = await other_api.get("/api/v1/clients")
    assert [c["id"] for c in theirs.json()["items"]] == [str(other.client.id)]
    assert theirs.json()["total"] == 1
    projects_b = (await other_api.get("/api/v1/projects")).json()
    assert [p["id"] for p in projects_b["items"]] == [str(other.project.id)]
    filtered = (await other_api.get("/api/v1/projects", params={"client_id": str(world.client.id)})).json()
    assert filtered == {"items": [], "total": 0}
    searched = (await other_api.get("/api/v1/clients", params={"search": "acme"})).json()
    assert searched == {"items": [], "total": 0}

    ours = (await api.get("/api/v1/clients")).json()
    assert [c["id"] for c in ours["items"]] == [str(world.client.id)]


async def test_the_same_contact_email_is_allowed_in_another_organization(world, other_api, other):
    response = await other_api.post(
        f"/api/v1/clients/{other.client.id}/contacts", json={"email": "jane@client-acme.test", "name": "Jane"}
    )
    assert response.status_code == 201


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "%20", "0" * 40, "5f0c1f7e-2b1a-4c1e-9a57-0c7d6a3b9e11"])
async def test_malformed_or_unknown_ids_are_404(api, bad_id):
    for method, url, body in [
        ("GET", f"/api/v1/clients/{bad_id}", None),
        ("PATCH", f"/api/v1/clients/{bad_id}", {"name": "X"}),
        ("GET", f"/api/v1/clients/{bad_id}/contacts", None),
        ("POST", f"/api/v1/clients/{bad_id}/contacts", {"email": "x@example.test", "name": "X"}),
        ("GET", f"/api/v1/contacts/{bad_id}", None),
        ("PATCH", f"/api/v1/contacts/{bad_id}", {"name": "X"}),
        ("GET", f"/api/v1/projects/{bad_id}", None),
        ("PATCH", f"/api/v1/projects/{bad_id}", {"name": "X"}),
    ]:
        response = await api.request(method, url, json=body)
        assert response.status_code == 404, (method, url)
        assert response.json()["detail"].endswith("not found")


async def test_unknown_client_id_in_a_project_body_is_404(api):
    response = await api.post("/api/v1/projects", json={"client_id": str(uuid.uuid4()), "name": "Ghost"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Client not found"}


# --- authentication --------------------------------------------------------------------------------------------------


ENDPOINTS = [
    ("GET", "/api/v1/clients"),
    ("POST", "/api/v1/clients"),
    ("GET", "/api/v1/clients/{client}"),
    ("PATCH", "/api/v1/clients/{client}"),
    ("GET", "/api/v1/clients/{client}/contacts"),
    ("POST", "/api/v1/clients/{client}/contacts"),
    ("GET", "/api/v1/contacts/{contact}"),
    ("PATCH", "/api/v1/contacts/{contact}"),
    ("GET", "/api/v1/projects"),
    ("POST", "/api/v1/projects"),
    ("GET", "/api/v1/projects/{project}"),
    ("PATCH", "/api/v1/projects/{project}"),
]


async def _assert_all_unauthorized(http: httpx.AsyncClient, world: OrgWorld) -> None:
    for method, path in ENDPOINTS:
        url = path.format(client=world.client.id, contact=world.contact.id, project=world.project.id)
        response = await http.request(method, url, json={"name": "Intruder"} if method != "GET" else None)
        assert response.status_code == 401, (method, url)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert isinstance(response.json()["detail"], str)
    assert (await clients.list_clients(world.actor)).total == 1
    assert (await clients.get_client(world.actor, world.client.id)).name == "Acme Client"


async def test_missing_token_is_401(world):
    async with _http() as http:
        await _assert_all_unauthorized(http, world)


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "Token ptk_abc",
        "ptk_abc",
        "Bearer ptk_" + "x" * 43,
        "Bearer " + "x" * 300,
    ],
    ids=["basic", "no-token", "empty-token", "other-scheme", "no-scheme", "unknown-token", "huge"],
)
async def test_bad_authorization_header_is_401(world, authorization):
    async with _http(Authorization=authorization) as http:
        await _assert_all_unauthorized(http, world)


async def test_token_without_its_prefix_is_401(world):
    token = await api_tokens.create_token(world.actor, "cut")
    async with _http(token.removeprefix(api_tokens.TOKEN_PREFIX)) as http:
        await _assert_all_unauthorized(http, world)


async def test_revoked_token_is_401(world):
    token = await api_tokens.create_token(world.actor, "to revoke")
    async with _http(token) as http:
        assert (await http.get("/api/v1/clients")).status_code == 200
        (row,) = [t for t in await api_tokens.list_tokens(world.actor) if t.name == "to revoke"]
        await api_tokens.revoke_token(world.actor, row.id)
        await _assert_all_unauthorized(http, world)


async def test_a_token_acts_as_its_user_and_is_audited_as_the_api(world, api):
    response = await api.post("/api/v1/clients", json={"name": "Audited"})
    assert response.status_code == 201
    events = await audit.list_events(world.actor, audit.AuditFilter(action="client.created"))
    latest = next(e for e in events.items if e.target_label == "Audited")
    assert (latest.actor_type, latest.actor_label, latest.ip) == ("api", world.owner_email, "127.0.0.1")
    (token,) = await api_tokens.list_tokens(world.actor)
    assert token.last_used_at is not None


# --- documentation ---------------------------------------------------------------------------------------------------


async def test_openapi_lists_the_endpoints_under_the_mount():
    async with _http() as http:
        response = await http.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"] == {**spec["info"], "title": "Portico API", "version": "1"}
    # A mounted sub-application lists its own paths and names the mount as its server.
    assert spec["servers"] == [{"url": "/api"}]
    assert set(spec["paths"]) == {
        "/v1/clients",
        "/v1/clients/{client_id}",
        "/v1/clients/{client_id}/contacts",
        "/v1/contacts/{contact_id}",
        "/v1/projects",
        "/v1/projects/{project_id}",
        "/v1/invoices",
        "/v1/invoices/{invoice_id}",
        "/v1/invoices/{invoice_id}/send",
    }
    assert set(spec["paths"]["/v1/clients"]) == {"get", "post"}
    assert set(spec["paths"]["/v1/contacts/{contact_id}"]) == {"get", "patch"}
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert spec["paths"]["/v1/projects"]["post"]["security"] == [{"HTTPBearer": []}]


async def test_docs_page_is_served_and_points_at_the_mounted_spec():
    async with _http() as http:
        response = await http.get("/api/docs")
        redoc = await http.get("/api/redoc")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/api/openapi.json" in response.text
    assert redoc.status_code == 404
