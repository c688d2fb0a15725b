"""The REST API for clients, contacts and projects: shapes, paging, updates, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from services.clients import clients, contacts
from services.projects import projects

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
        "billing",
        "last_sign_in_at",
        "created_at",
    }
    assert body["client_id"] == str(world.client.id)
    assert body["billing"] is False  # the world's client has its first contact already
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
    assert (await contacts.list_contacts(world.actor, world.client.id)).total == 1


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
        "hourly_rate",
        "currency",
        "budget_hours",
    }
    assert (body["hourly_rate"], body["currency"], body["budget_hours"]) == (None, "USD", None)
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
    assert stored.start_date is not None  # kept: the PATCH did not name it
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


async def test_contacts_carry_billing_the_first_one_by_default(api, world):
    client = (await api.post("/api/v1/clients", json={"name": "Initech"})).json()
    first = await api.post(f"/api/v1/clients/{client['id']}/contacts", json={"email": "p@initech.test", "name": "P"})
    second = await api.post(f"/api/v1/clients/{client['id']}/contacts", json={"email": "b@initech.test", "name": "B"})
    assert (first.status_code, first.json()["billing"], second.json()["billing"]) == (201, True, False)
    patched = await api.patch(f"/api/v1/contacts/{second.json()['id']}", json={"billing": True})
    assert patched.status_code == 200 and patched.json()["billing"] is True
    assert (await api.patch(f"/api/v1/contacts/{second.json()['id']}", json={"billing": "yes"})).status_code == 422
    assert (await api.patch(f"/api/v1/contacts/{second.json()['id']}", json={"billing": None})).status_code == 422
