"""Who may reach what: another organization's ids, malformed ids, tokens, and the API's documentation."""

from __future__ import annotations

import uuid

import httpx
import pytest

from services.clients import clients, contacts
from services.core import audit
from services.projects import projects
from services.staff import api_tokens
from tests.support.api import api_http
from tests.support.factories import OrgWorld

# --- another organization's ids, malformed ids ----------------------------------------------------------------------

QUOTE = {
    "currency": "USD",
    "valid_until": "2026-12-31",
    "lines": [{"description": "X", "quantity": "1", "unit_price": "1"}],
}


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
        ("POST", "/api/v1/quotes", {**QUOTE, "client_id": str(a.client.id)}),
    ]
    for method, url, body in requests:
        response = await other_api.request(method, url, json=body)
        assert response.status_code == 404, (method, url)
        assert isinstance(response.json()["detail"], str)

    assert (await clients.get_client(a.actor, a.client.id)).name == "Acme Client"
    contact = await contacts.get_contact(a.actor, a.contact.id)
    assert (contact.active, contact.portal_enabled) == (True, True)
    assert (await projects.get_project(a.actor, a.project.id)).status.value == "active"
    assert [c.name for c in (await contacts.list_contacts(a.actor, a.client.id)).items] == ["Jane Doe"]
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
    ("GET", "/api/v1/time-entries"),
    ("POST", "/api/v1/time-entries"),
    ("POST", "/api/v1/projects/{project}/invoice-hours"),
    ("GET", "/api/v1/quotes"),
    ("POST", "/api/v1/quotes"),
    ("GET", "/api/v1/quotes/{quote}"),
    ("PATCH", "/api/v1/quotes/{quote}"),
    ("POST", "/api/v1/quotes/{quote}/send"),
    ("POST", "/api/v1/quotes/{quote}/convert"),
]
# No quote exists in these worlds: a refused token is answered before any id is looked up.
SOME_QUOTE = "5f0c1f7e-2b1a-4c1e-9a57-0c7d6a3b9e11"


async def _assert_all_unauthorized(http: httpx.AsyncClient, world: OrgWorld) -> None:
    for method, path in ENDPOINTS:
        url = path.format(client=world.client.id, contact=world.contact.id, project=world.project.id, quote=SOME_QUOTE)
        response = await http.request(method, url, json={"name": "Intruder"} if method != "GET" else None)
        assert response.status_code == 401, (method, url)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert isinstance(response.json()["detail"], str)
    assert (await clients.list_clients(world.actor)).total == 1
    assert (await clients.get_client(world.actor, world.client.id)).name == "Acme Client"


async def test_missing_token_is_401(world):
    async with api_http() as http:
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
    async with api_http(Authorization=authorization) as http:
        await _assert_all_unauthorized(http, world)


async def test_token_without_its_prefix_is_401(world):
    token = await api_tokens.create_token(world.actor, "cut")
    async with api_http(token.removeprefix(api_tokens.TOKEN_PREFIX)) as http:
        await _assert_all_unauthorized(http, world)


async def test_revoked_token_is_401(world):
    token = await api_tokens.create_token(world.actor, "to revoke")
    async with api_http(token) as http:
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
    async with api_http() as http:
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
        "/v1/quotes",
        "/v1/quotes/{quote_id}",
        "/v1/quotes/{quote_id}/send",
        "/v1/quotes/{quote_id}/convert",
        "/v1/projects/{project_id}/milestones",
        "/v1/milestones/{milestone_id}",
        "/v1/projects/{project_id}/updates",
        "/v1/projects/{project_id}/requests",
        "/v1/requests",
        "/v1/requests/{request_id}",
        "/v1/projects/{project_id}/files",
        "/v1/files/{file_id}",
        "/v1/files/{file_id}/content",
        "/v1/projects/{project_id}/deliverables",
        "/v1/deliverables/{deliverable_id}",
        "/v1/deliverables/{deliverable_id}/versions",
        "/v1/deliverables/{deliverable_id}/review",
        "/v1/time-entries",
        "/v1/time-entries/{entry_id}",
        "/v1/time-entries/{entry_id}/approve",
        "/v1/time-entries/{entry_id}/reject",
        "/v1/projects/{project_id}/invoice-hours",
        "/v1/services",
        "/v1/services/{service_id}",
    }
    assert set(spec["paths"]["/v1/clients"]) == {"get", "post"}
    assert set(spec["paths"]["/v1/contacts/{contact_id}"]) == {"get", "patch"}
    assert set(spec["paths"]["/v1/quotes/{quote_id}"]) == {"get", "patch"}
    assert set(spec["paths"]["/v1/milestones/{milestone_id}"]) == {"patch"}
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert spec["paths"]["/v1/projects"]["post"]["security"] == [{"HTTPBearer": []}]


async def test_docs_page_is_served_and_points_at_the_mounted_spec():
    async with api_http() as http:
        response = await http.get("/api/docs")
        redoc = await http.get("/api/redoc")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/api/openapi.json" in response.text
    assert redoc.status_code == 404
