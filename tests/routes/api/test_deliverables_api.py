"""The REST API for deliverables: version 1 as a draft, new versions, review, and the approval once given."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from models.files import Deliverable, File
from services.adapters import storage
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.files import deliverables
from tests.support.s3 import objects_in, unreachable_s3

V1 = b"%PDF-1.4\n" + b"version one\n" * 40
V2 = b"%PDF-1.4\n" + b"version two\n" * 40
KEYS = {
    "id",
    "project_id",
    "client_id",
    "title",
    "status",
    "version",
    "approval",
    "versions",
    "created_at",
    "updated_at",
}


async def rows(model) -> int:
    async with unit_of_work(SystemActor()) as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def create(api, world, title="Homepage design", data=V1, name="home.pdf"):
    return await api.post(
        f"/api/v1/projects/{world.project.id}/deliverables", files={"file": (name, data)}, data={"title": title}
    )


async def test_the_whole_round_trip(api, world, both_stores):
    made = await create(api, world)
    assert made.status_code == 201, made.text
    body = made.json()
    assert set(body) == KEYS
    assert (body["title"], body["status"], body["version"], body["approval"]) == ("Homepage design", "draft", 1, None)
    assert body["versions"][0]["sha256"] == hashlib.sha256(V1).hexdigest()
    url = f"/api/v1/deliverables/{body['id']}"

    sent = await api.post(f"{url}/review")
    assert sent.status_code == 200 and sent.json()["status"] == "in_review"

    again = await api.post(f"{url}/versions", files={"file": ("home-2.pdf", V2)})
    assert again.status_code == 201, again.text
    assert (again.json()["version"], again.json()["status"]) == (2, "in_review")  # seen once: back to review
    assert [v["number"] for v in again.json()["versions"]] == [2, 1]

    await deliverables.decide(world.portal_actor(), body["id"], "approved", version=2, user_agent="Firefox")
    shown = (await api.get(url)).json()
    assert shown["status"] == "approved" and shown["version"] == 2
    approval = shown["approval"]
    assert (approval["contact_email"], approval["version"]) == (world.contact.email, 2)
    assert approval["sha256"] == hashlib.sha256(V2).hexdigest()
    assert "T" in approval["approved_at"]

    locked = await api.post(f"{url}/versions", files={"file": ("home-3.pdf", V1)})
    assert locked.status_code == 409 and "locked" in locked.json()["detail"]
    assert (await api.post(f"{url}/review")).status_code == 409
    assert len(objects_in(both_stores)) == 2  # the refused third version left nothing behind


@pytest.mark.parametrize(
    ("send", "field"),
    [
        ({"data": {"title": "No file"}}, "file"),
        ({"files": {"file": ("a.pdf", V1)}}, "title"),  # no title
        ({"files": {"file": ("a.pdf", V1)}, "data": {"title": "  "}}, "title"),
        ({"files": {"file": ("a.pdf", V1)}, "data": {"title": "t" * 201}}, "title"),
        ({"files": {"file": ("a.bin", b"\x00\x01\x02" * 50)}, "data": {"title": "Binary"}}, "file"),
    ],
)
async def test_bad_input_is_422_and_changes_nothing(api, world, send, field):
    response = await api.post(f"/api/v1/projects/{world.project.id}/deliverables", **send)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field and isinstance(response.json()["detail"], str)
    assert (await rows(Deliverable), await rows(File)) == (0, 0)
    assert objects_in(storage.get()) == []


async def test_a_version_without_a_file_is_422(api, world):
    made = (await create(api, world)).json()
    response = await api.post(f"/api/v1/deliverables/{made['id']}/versions", data={"title": "x"})
    assert response.status_code == 422 and response.json()["field"] == "file"
    assert (await api.get(f"/api/v1/deliverables/{made['id']}")).json()["version"] == 1


async def test_the_store_down_is_503_and_leaves_nothing(api, world):
    storage.configure(unreachable_s3())
    response = await create(api, world)
    assert response.status_code == 503
    assert "nothing was saved" in response.json()["detail"]
    assert (await rows(Deliverable), await rows(File)) == (0, 0)


async def test_another_organizations_deliverables_are_not_found(api, world, other_api):
    made = (await create(api, world)).json()
    url = f"/api/v1/deliverables/{made['id']}"
    for method, path, extra in (
        ("GET", url, {}),
        ("POST", f"{url}/review", {}),
        ("POST", f"{url}/versions", {"files": {"file": ("x.pdf", V2)}}),
        (
            "POST",
            f"/api/v1/projects/{world.project.id}/deliverables",
            {"files": {"file": ("x.pdf", V2)}, "data": {"title": "Mine"}},
        ),
    ):
        response = await other_api.request(method, path, **extra)
        assert response.status_code == 404, (method, path, response.text)
    shown = (await api.get(url)).json()
    assert (shown["status"], shown["version"]) == ("draft", 1)
    assert await rows(Deliverable) == 1


async def test_unknown_ids_are_404(api):
    for bad in ("not-a-uuid", "5f0c1f7e-2b1a-4c1e-9a57-0c7d6a3b9e11"):
        assert (await api.get(f"/api/v1/deliverables/{bad}")).status_code == 404
        assert (await api.post(f"/api/v1/deliverables/{bad}/review")).status_code == 404
        versions = await api.post(f"/api/v1/deliverables/{bad}/versions", files={"file": ("x.pdf", V1)})
        assert versions.status_code == 404
