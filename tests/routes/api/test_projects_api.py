"""The REST API for project work: milestones, updates and requests, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from models import RequestStatus
from services.core import audit
from services.projects import discussion, milestones, work_requests
from services.staff import staff
from tests.support.api import api_http
from tests.support.factories import OrgWorld

MILESTONE_KEYS = {"id", "project_id", "title", "due_date", "done", "done_at"}
UPDATE_KEYS = {"id", "project_id", "body", "visibility", "author_name", "created_at"}
REQUEST_KEYS = {
    "id",
    "project_id",
    "title",
    "description",
    "status",
    "position",
    "assignee_id",
    "requester_name",
    "source",
    "created_at",
    "updated_at",
}


async def columns(world: OrgWorld) -> dict[str, list[str]]:
    """The project's kanban as the services see it: each column's titles, top first."""
    board = await work_requests.project_board(world.actor, world.project.id)
    return {status.value: [card.title for card in cards] for status, cards in board.columns.items()}


async def new_request(api, world: OrgWorld, title: str, **extra) -> dict:
    response = await api.post("/api/v1/requests", json={"project_id": str(world.project.id), "title": title, **extra})
    assert response.status_code == 201, response.text
    return response.json()


# --- milestones ------------------------------------------------------------------------------------------------------


async def test_create_milestone_answers_201_with_the_milestone(api, world):
    url = f"/api/v1/projects/{world.project.id}/milestones"
    response = await api.post(url, json={"title": " Design sign-off ", "due_date": "2026-05-01"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == MILESTONE_KEYS
    uuid.UUID(body["id"])
    assert body["project_id"] == str(world.project.id)
    assert (body["title"], body["due_date"], body["done"], body["done_at"]) == (
        "Design sign-off",
        "2026-05-01",
        False,
        None,
    )

    done = await api.post(url, json={"title": "Kick-off", "due_date": None, "done": True})
    assert done.status_code == 201
    assert (done.json()["due_date"], done.json()["done"]) == (None, True)
    assert "T" in done.json()["done_at"]

    [first, second] = await milestones.list_milestones(world.actor, world.project.id)
    assert (first.title, second.title, second.done) == ("Design sign-off", "Kick-off", True)


async def test_list_milestones_pages_in_due_order(api, world):
    url = f"/api/v1/projects/{world.project.id}/milestones"
    for title, due in (("Launch", "2026-07-01"), ("Someday", None), ("Design", "2026-05-01"), ("Build", "2026-06-01")):
        assert (await api.post(url, json={"title": title, "due_date": due})).status_code == 201

    everything = (await api.get(url)).json()
    assert set(everything) == {"items", "total"}
    assert [m["title"] for m in everything["items"]] == ["Design", "Build", "Launch", "Someday"]
    assert everything["total"] == 4
    assert set(everything["items"][0]) == MILESTONE_KEYS

    page = (await api.get(url, params={"limit": 2, "offset": 1})).json()
    assert ([m["title"] for m in page["items"]], page["total"]) == (["Build", "Launch"], 4)
    assert (await api.get(url, params={"offset": 10})).json() == {"items": [], "total": 4}


# --- updates ---------------------------------------------------------------------------------------------------------


async def test_post_updates_public_and_internal(api, world):
    url = f"/api/v1/projects/{world.project.id}/updates"
    public = await api.post(url, json={"body": "The homepage is live", "visibility": "public"})
    assert public.status_code == 201
    body = public.json()
    assert set(body) == UPDATE_KEYS
    assert (body["project_id"], body["body"], body["visibility"]) == (
        str(world.project.id),
        "The homepage is live",
        "public",
    )
    assert body["author_name"] == (await staff.list_staff(world.actor)).items[0].name
    assert "T" in body["created_at"]
    internal = await api.post(url, json={"body": "Margins are thin", "visibility": "internal"})
    assert (internal.status_code, internal.json()["visibility"]) == (201, "internal")

    feed = (await api.get(url)).json()
    assert feed["total"] == 2
    assert [u["body"] for u in feed["items"]] == ["Margins are thin", "The homepage is live"]
    assert set(feed["items"][0]) == UPDATE_KEYS

    # the client's contacts see the public one only
    seen = await discussion.list_updates(world.portal_actor(), world.project.id)
    assert [u.body for u in seen.items] == ["The homepage is live"]


async def test_list_updates_pages(api, world):
    url = f"/api/v1/projects/{world.project.id}/updates"
    for n in range(3):
        assert (await api.post(url, json={"body": f"News {n}", "visibility": "public"})).status_code == 201
    everything = [u["body"] for u in (await api.get(url)).json()["items"]]
    page = (await api.get(url, params={"limit": 1, "offset": 1})).json()
    assert ([u["body"] for u in page["items"]], page["total"]) == (everything[1:2], 3)
    assert (await api.get(url, params={"offset": 3})).json() == {"items": [], "total": 3}


# --- requests --------------------------------------------------------------------------------------------------------


async def test_create_request_answers_201_in_the_backlog(api, world):
    first = await new_request(api, world, " New logo ", description="Bigger, please")
    assert set(first) == REQUEST_KEYS
    assert (first["title"], first["description"], first["status"], first["position"]) == (
        "New logo",
        "Bigger, please",
        "backlog",
        0,
    )
    assert (first["project_id"], first["assignee_id"], first["source"]) == (str(world.project.id), None, "api")
    assert first["requester_name"]
    second = await new_request(api, world, "Footer")
    assert (second["position"], second["description"]) == (1, "")

    fetched = await api.get(f"/api/v1/requests/{first['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == first
    assert await columns(world) == {"backlog": ["New logo", "Footer"], "in_progress": [], "done": []}


async def test_patch_status_moves_the_card(api, world):
    a, b, c = [await new_request(api, world, title) for title in "ABC"]

    moved = await api.patch(f"/api/v1/requests/{b['id']}", json={"status": "in_progress"})
    assert moved.status_code == 200
    assert (moved.json()["status"], moved.json()["position"]) == ("in_progress", 0)
    assert await columns(world) == {"backlog": ["A", "C"], "in_progress": ["B"], "done": []}

    moved = await api.patch(f"/api/v1/requests/{c['id']}", json={"status": "in_progress", "position": 0})
    assert (moved.json()["status"], moved.json()["position"]) == ("in_progress", 0)
    assert await columns(world) == {"backlog": ["A"], "in_progress": ["C", "B"], "done": []}

    # a position alone moves the card within its column; past the end is the bottom
    moved = await api.patch(f"/api/v1/requests/{c['id']}", json={"position": 99})
    assert moved.json()["position"] == 1
    assert await columns(world) == {"backlog": ["A"], "in_progress": ["B", "C"], "done": []}

    await api.patch(f"/api/v1/requests/{a['id']}", json={"status": "done"})
    assert await columns(world) == {"backlog": [], "in_progress": ["B", "C"], "done": ["A"]}
    board = await work_requests.project_board(world.actor, world.project.id)
    assert [card.position for card in board.columns[RequestStatus.in_progress]] == [0, 1]


async def test_patch_with_the_same_status_keeps_the_card_in_place(api, world):
    a = await new_request(api, world, "A")
    await new_request(api, world, "B")
    same = await api.patch(f"/api/v1/requests/{a['id']}", json={"status": "backlog"})
    assert same.status_code == 200
    assert same.json() == a
    assert (await api.patch(f"/api/v1/requests/{a['id']}", json={})).json() == a
    assert await columns(world) == {"backlog": ["A", "B"], "in_progress": [], "done": []}


async def test_patch_edits_and_assigns(api, world):
    card = await new_request(api, world, "Logo", description="old")
    url = f"/api/v1/requests/{card['id']}"

    edited = await api.patch(url, json={"title": "Logo, bigger", "description": ""})
    assert edited.status_code == 200
    assert (edited.json()["title"], edited.json()["description"], edited.json()["status"]) == (
        "Logo, bigger",
        "",
        "backlog",
    )

    assigned = await api.patch(url, json={"assignee_id": str(world.actor.user_id), "status": "in_progress"})
    assert assigned.status_code == 200
    assert (assigned.json()["assignee_id"], assigned.json()["status"]) == (str(world.actor.user_id), "in_progress")
    assert (await work_requests.get_request(world.actor, card["id"])).assignee_user_id == world.actor.user_id

    unassigned = await api.patch(url, json={"assignee_id": None})
    assert unassigned.json()["assignee_id"] is None
    assert unassigned.json()["title"] == "Logo, bigger"


async def test_assigning_someone_outside_the_organization_changes_nothing(api, world, other):
    card = await new_request(api, world, "Logo")
    url = f"/api/v1/requests/{card['id']}"
    for stranger in (other.actor.user_id, uuid.uuid4()):
        response = await api.patch(
            url, json={"assignee_id": str(stranger), "title": "Renamed", "status": "done", "position": 0}
        )
        assert response.status_code == 422
        assert response.json()["field"] == "assignee_id"
        assert isinstance(response.json()["detail"], str)
    assert (await api.get(url)).json() == card


async def test_list_project_requests_pages(api, world):
    for title in ("A", "B", "C", "D"):
        await new_request(api, world, title)
    url = f"/api/v1/projects/{world.project.id}/requests"
    everything = (await api.get(url)).json()
    assert set(everything) == {"items", "total"}
    assert ([r["title"] for r in everything["items"]], everything["total"]) == (["A", "B", "C", "D"], 4)
    assert set(everything["items"][0]) == REQUEST_KEYS

    page = (await api.get(url, params={"limit": 2, "offset": 1})).json()
    assert ([r["title"] for r in page["items"]], page["total"]) == (["B", "C"], 4)
    assert (await api.get(url, params={"offset": 4})).json() == {"items": [], "total": 4}
    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": "ten"}):
        assert (await api.get(url, params=params)).status_code == 422, params


async def test_only_the_projects_own_requests_are_listed(api, world):
    other_project = await api.post("/api/v1/projects", json={"client_id": str(world.client.id), "name": "Second"})
    assert other_project.status_code == 201
    await new_request(api, world, "Ours")
    elsewhere = await api.post("/api/v1/requests", json={"project_id": other_project.json()["id"], "title": "Theirs"})
    assert (elsewhere.status_code, elsewhere.json()["position"]) == (201, 0)
    listed = (await api.get(f"/api/v1/projects/{world.project.id}/requests")).json()
    assert ([r["title"] for r in listed["items"]], listed["total"]) == (["Ours"], 1)


# --- bad input -------------------------------------------------------------------------------------------------------


BAD_MILESTONES = {
    "empty": {},
    "missing-title": {"due_date": "2026-05-01"},
    "missing-due-date": {"title": "Design"},
    "blank-title": {"title": "   ", "due_date": None},
    "null-title": {"title": None, "due_date": None},
    "title-number": {"title": 7, "due_date": None},
    "title-too-long": {"title": "x" * 201, "due_date": None},
    "bad-date": {"title": "Design", "due_date": "2026-02-30"},
    "date-not-iso": {"title": "Design", "due_date": "01/05/2026"},
    "date-number": {"title": "Design", "due_date": 20260501},
    "done-text": {"title": "Design", "due_date": None, "done": "yes"},
    "done-null": {"title": "Design", "due_date": None, "done": None},
    "unknown-key": {"title": "Design", "due_date": None, "owner": "me"},
    "nul-byte": {"title": "De\x00sign", "due_date": None},
    "not-an-object": ["Design"],
}


@pytest.mark.parametrize("body", BAD_MILESTONES.values(), ids=BAD_MILESTONES.keys())
async def test_bad_milestones_are_422_and_change_nothing(api, world, body):
    response = await api.post(f"/api/v1/projects/{world.project.id}/milestones", json=body)
    assert response.status_code == 422
    assert "detail" in response.json()
    assert await milestones.list_milestones(world.actor, world.project.id) == []


BAD_UPDATES = {
    "empty": {},
    "missing-body": {"visibility": "public"},
    "missing-visibility": {"body": "News"},
    "bad-visibility": {"body": "News", "visibility": "secret"},
    "visibility-case": {"body": "News", "visibility": "Public"},
    "visibility-null": {"body": "News", "visibility": None},
    "blank-body": {"body": "  \n ", "visibility": "public"},
    "body-number": {"body": 1.5, "visibility": "public"},
    "body-too-long": {"body": "x" * (discussion.MAX_BODY + 1), "visibility": "public"},
    "unknown-key": {"body": "News", "visibility": "public", "request_id": str(uuid.uuid4())},
}


@pytest.mark.parametrize("body", BAD_UPDATES.values(), ids=BAD_UPDATES.keys())
async def test_bad_updates_are_422_and_change_nothing(api, world, body):
    response = await api.post(f"/api/v1/projects/{world.project.id}/updates", json=body)
    assert response.status_code == 422
    assert "detail" in response.json()
    assert (await discussion.list_updates(world.actor, world.project.id)).total == 0


async def test_blank_texts_name_their_field(api, world):
    response = await api.post(
        f"/api/v1/projects/{world.project.id}/updates", json={"body": " ", "visibility": "public"}
    )
    assert response.json() == {"detail": "Update is required.", "field": "body"}
    response = await api.post("/api/v1/requests", json={"project_id": str(world.project.id), "title": " "})
    assert response.json() == {"detail": "Title is required.", "field": "title"}


BAD_REQUESTS = {
    "empty": {},
    "missing-title": {"description": "x"},
    "missing-project": {"title": "Logo", "project_id": None},
    "project-not-uuid": {"title": "Logo", "project_id": "project-1"},
    "blank-title": {"title": " "},
    "null-title": {"title": None},
    "title-float": {"title": 1.0},
    "null-description": {"title": "Logo", "description": None},
    "description-too-long": {"title": "Logo", "description": "x" * (work_requests.MAX_DESCRIPTION + 1)},
    "status-given": {"title": "Logo", "status": "done"},
    "unknown-key": {"title": "Logo", "priority": "high"},
}


@pytest.mark.parametrize("body", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
async def test_bad_new_requests_are_422_and_change_nothing(api, world, body):
    body = {"project_id": str(world.project.id), **body} if isinstance(body, dict) else body
    if body.get("project_id") is None:
        body.pop("project_id")
    response = await api.post("/api/v1/requests", json=body)
    assert response.status_code == 422
    assert "detail" in response.json()
    assert (await work_requests.project_board(world.actor, world.project.id)).total == 0


BAD_PATCHES = {
    "bad-status": {"status": "archived"},
    "status-label": {"status": "In progress"},
    "null-status": {"status": None},
    "status-number": {"status": 1},
    "negative-position": {"position": -1},
    "float-position": {"position": 1.0},
    "text-position": {"position": "1"},
    "bool-position": {"position": True},
    "null-position": {"position": None},
    "huge-position": {"position": 2**63},
    "null-title": {"title": None},
    "blank-title": {"title": "  "},
    "title-too-long": {"title": "x" * 201},
    "null-description": {"description": None},
    "assignee-not-uuid": {"assignee_id": "bob"},
    "assignee-number": {"assignee_id": 5},
    "unknown-key": {"project_id": str(uuid.uuid4())},
    "unknown-key-with-status": {"status": "done", "colour": "red"},
    "not-an-object": ["done"],
}


@pytest.mark.parametrize("body", BAD_PATCHES.values(), ids=BAD_PATCHES.keys())
async def test_bad_patches_are_422_and_change_nothing(api, world, body):
    card = await new_request(api, world, "Logo", description="Keep me")
    await new_request(api, world, "Footer")
    response = await api.patch(f"/api/v1/requests/{card['id']}", json=body)
    assert response.status_code == 422
    assert "detail" in response.json()
    assert (await api.get(f"/api/v1/requests/{card['id']}")).json() == card
    assert await columns(world) == {"backlog": ["Logo", "Footer"], "in_progress": [], "done": []}


async def test_invalid_json_is_422(api, world):
    for method, url in [
        ("POST", f"/api/v1/projects/{world.project.id}/milestones"),
        ("POST", f"/api/v1/projects/{world.project.id}/updates"),
        ("POST", "/api/v1/requests"),
        ("PATCH", f"/api/v1/requests/{uuid.uuid4()}"),
    ]:
        response = await api.request(method, url, content=b'{"title": ', headers={"Content-Type": "application/json"})
        assert response.status_code == 422, url
        assert response.json()["detail"][0]["type"] == "json_invalid"


# --- other organizations, unknown ids, no token ----------------------------------------------------------------------


async def theirs(world: OrgWorld) -> uuid.UUID:
    """A request, a milestone and an internal update on the world's project; the request's id."""
    card = await work_requests.create_request(world.actor, world.project.id, work_requests.RequestInput("Theirs"))
    await milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput("Their milestone"))
    await discussion.post_update(world.actor, world.project.id, "Their news", "internal")
    return card.id


def calls(project_id: object, request_id: object) -> list[tuple[str, str, object]]:
    return [
        ("POST", f"/api/v1/projects/{project_id}/milestones", {"title": "Probe", "due_date": None}),
        ("GET", f"/api/v1/projects/{project_id}/milestones", None),
        ("POST", f"/api/v1/projects/{project_id}/updates", {"body": "Probe", "visibility": "public"}),
        ("GET", f"/api/v1/projects/{project_id}/updates", None),
        ("GET", f"/api/v1/projects/{project_id}/requests", None),
        ("GET", f"/api/v1/requests/{request_id}", None),
        ("PATCH", f"/api/v1/requests/{request_id}", {"status": "done", "title": "Stolen"}),
        ("PATCH", f"/api/v1/requests/{request_id}", {}),
    ]


async def test_another_organizations_ids_are_not_found(world, other, other_api):
    card_id = await theirs(world)
    before = (
        await columns(world),
        await milestones.list_milestones(world.actor, world.project.id),
        await discussion.list_updates(world.actor, world.project.id),
    )
    for method, url, body in calls(world.project.id, card_id):
        response = await other_api.request(method, url, json=body)
        assert response.status_code == 404, (method, url)
        assert isinstance(response.json()["detail"], str)
    hijack = await other_api.post("/api/v1/requests", json={"project_id": str(world.project.id), "title": "Probe"})
    assert hijack.status_code == 404
    assert hijack.json() == {"detail": "Project not found"}
    after = (
        await columns(world),
        await milestones.list_milestones(world.actor, world.project.id),
        await discussion.list_updates(world.actor, world.project.id),
    )
    assert after == before
    assert (await work_requests.get_request(world.actor, card_id)).title == "Theirs"


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "0" * 40, "5f0c1f7e-2b1a-4c1e-9a57-0c7d6a3b9e11"])
async def test_malformed_or_unknown_ids_are_404(api, bad_id):
    for method, url, body in calls(bad_id, bad_id):
        response = await api.request(method, url, json=body)
        assert response.status_code == 404, (method, url)
        assert response.json()["detail"].endswith("not found")


async def test_an_unknown_project_in_a_new_request_is_404(api):
    response = await api.post("/api/v1/requests", json={"project_id": str(uuid.uuid4()), "title": "Ghost"})
    assert response.json() == {"detail": "Project not found"}
    assert response.status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer ptk_" + "x" * 43, "Basic dXNlcjpwYXNz"])
async def test_no_valid_token_is_401(world, authorization):
    card_id = await theirs(world)
    headers = {} if authorization is None else {"Authorization": authorization}
    async with api_http(**headers) as http:
        for method, url, body in [
            *calls(world.project.id, card_id),
            ("POST", "/api/v1/requests", {"project_id": str(world.project.id), "title": "Probe"}),
        ]:
            response = await http.request(method, url, json=body)
            assert response.status_code == 401, (method, url)
            assert response.headers["www-authenticate"].startswith("Bearer")
    assert await columns(world) == {"backlog": ["Theirs"], "in_progress": [], "done": []}
    assert len(await milestones.list_milestones(world.actor, world.project.id)) == 1
    assert (await discussion.list_updates(world.actor, world.project.id)).total == 1


async def test_the_token_acts_as_its_user_through_the_api(api, world):
    card = await new_request(api, world, "Logo")
    await api.patch(f"/api/v1/requests/{card['id']}", json={"status": "done"})
    events = await audit.list_events(world.actor, audit.AuditFilter(), limit=50)
    mine = {e.action: e for e in events.items if e.action.startswith("request.")}
    assert set(mine) == {"request.created", "request.moved"}
    assert all((e.actor_type, e.actor_label) == ("api", world.owner_email) for e in mine.values())
