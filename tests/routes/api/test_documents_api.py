"""The API's parts of SPEC §17: PATCH a milestone, complete a project, and the documents listed with their kind."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal_app import jobs
from services.core import db
from services.projects import milestones
from tests.support.documents import requests_of
from tests.support.factories import make_world
from tests.support.live import ROOT

pytestmark = pytest.mark.usefixtures("file_store")


async def test_patch_a_milestone_changes_only_what_is_sent_and_done_owes_one_report(api, world) -> None:
    made = await milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput("Design"))
    url = f"/api/v1/milestones/{made.id}"
    response = await api.patch(url, json={"due_date": "2027-02-01"})
    assert response.status_code == 200, response.text
    assert (response.json()["title"], response.json()["due_date"], response.json()["done"]) == (
        "Design",
        "2027-02-01",
        False,
    )
    for _ in range(2):  # the same PATCH twice owes one report
        response = await api.patch(url, json={"done": True, "title": "Design, signed off"})
        assert response.status_code == 200 and response.json()["done"] is True
    assert response.json()["done_at"] is not None and response.json()["due_date"] == "2027-02-01"
    assert [r.kind for r in await requests_of(world.project.id)] == ["welcome", "progress"]
    cleared = await api.patch(url, json={"due_date": None})
    assert cleared.status_code == 200 and cleared.json()["due_date"] is None


@pytest.mark.parametrize(
    "body",
    [{"title": None}, {"done": None}, {"done": "yes"}, {"title": ""}, {"title": "x" * 201}, {"due_date": "tomorrow"}],
)
async def test_a_bad_milestone_patch_is_refused_and_changes_nothing(api, world, body) -> None:
    made = await milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput("Design"))
    response = await api.patch(f"/api/v1/milestones/{made.id}", json=body)
    assert response.status_code == 422 and "detail" in response.json()
    [kept] = await milestones.list_milestones(world.actor, world.project.id)
    assert (kept.title, kept.done, kept.due_date) == ("Design", False, None)


async def test_another_organizations_milestone_is_not_found(api, other) -> None:
    theirs = await milestones.add_milestone(other.actor, other.project.id, milestones.MilestoneInput("Theirs"))
    for path in (f"/api/v1/milestones/{theirs.id}", "/api/v1/milestones/not-an-id"):
        response = await api.patch(path, json={"done": True})
        assert response.status_code == 404 and response.json() == {"detail": "Milestone not found"}
    assert not (await milestones.list_milestones(other.actor, other.project.id))[0].done


async def test_a_completed_project_lists_its_documents_with_their_kind(api, world) -> None:
    made = await milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput("Launch"))
    assert (await api.patch(f"/api/v1/milestones/{made.id}", json={"done": True})).status_code == 200
    response = await api.patch(f"/api/v1/projects/{world.project.id}", json={"status": "completed"})
    assert response.status_code == 200 and response.json()["status"] == "completed"
    assert await jobs.run_documents() == "made 3 document(s)"
    listed = (await api.get(f"/api/v1/projects/{world.project.id}/files")).json()
    assert listed["total"] == 3
    assert sorted(f["kind"] for f in listed["items"]) == ["completion", "progress", "welcome"]
    certificate = next(f for f in listed["items"] if f["kind"] == "completion")
    assert certificate["content_type"] == "application/pdf" and certificate["shared"] is True
    content = await api.get(f"/api/v1/files/{certificate['id']}/content")
    assert content.status_code == 200 and content.content.startswith(b"%PDF")
    assert hashlib.sha256(content.content).hexdigest() == certificate["sha256"]
    unshared = await api.patch(f"/api/v1/files/{certificate['id']}", json={"shared": False})
    assert unshared.status_code == 200 and unshared.json()["shared"] is False


def run_documents_job(database_url: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_VAR_DIR": str(var_dir),
        "PORTAL_SECRET_KEY": "test-secret-key",
        "PORTAL_BASE_URL": "http://portico.test",
    }
    return subprocess.run(
        [sys.executable, "main.py", "run-job", "documents"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_run_job_documents_makes_what_is_owed_once(sqlite_url: str, tmp_path: Path) -> None:
    db.configure(sqlite_url)
    try:
        world = await make_world("acme")
        first = await asyncio.to_thread(run_documents_job, sqlite_url, tmp_path / "var")
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip().splitlines()[-1] == "made 1 document(s)"
        again = await asyncio.to_thread(run_documents_job, sqlite_url, tmp_path / "var")
        assert again.stdout.strip().splitlines()[-1] == "made 0 document(s)"
        [request] = await requests_of(world.project.id)
        assert request.status == "done" and any((tmp_path / "var" / "files").rglob("*"))
    finally:
        await db.close()
