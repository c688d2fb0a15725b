"""Files over HTTP: every download, preview, certificate and API route answers an intruder as it answers an id that
does not exist, and changes nothing. The intruders are those of the service matrix (another organization's staff, a
contact of another client, a contact of another organization), plus a contact asking for its own client's files
that are not shared with it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from models.files import File
from portal_app.auth.portal import PORTAL_COOKIE
from portal_app.auth.staff import STAFF_COOKIE
from portal_app.routes import file_downloads
from services.adapters import storage
from services.core.actors import StaffActor, SystemActor
from services.core.db import unit_of_work
from services.files import deliverables
from services.staff import api_tokens, staff, staff_sessions
from tests.support.api import shared_api
from tests.support.isolation import Intruder, Target, Worlds, sign_in, snapshot

UNKNOWN = "5f0c1f7e-2b1a-4c1e-9a57-0c7d6a3b9e11"
PDF = b"%PDF-1.4\nprobe\n"


async def once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def routes_app() -> FastAPI:
    """The download routes and the API as the app mounts them, without NiceGUI: the worlds' database is already set."""
    app = FastAPI()
    app.include_router(file_downloads.router)
    app.mount("/api", shared_api())
    return app


async def browser_of(intruder: Intruder) -> httpx.AsyncClient:
    """The intruder's signed-in HTTP client: a staff session cookie and an API token, or a portal session cookie."""
    actor = intruder.actor
    if isinstance(actor, StaffActor):
        cookie = await staff_sessions.start_session(
            staff.SignedInStaff(actor.user_id, actor.org_id, actor.email, actor.role), ip="", user_agent=""
        )
        token = await api_tokens.create_token(actor, "probe")
        headers = {"Cookie": f"{STAFF_COOKIE}={cookie}", "Authorization": f"Bearer {token}"}
    else:
        _, cookie = await sign_in(actor.contact_id)
        headers = {"Cookie": f"{PORTAL_COOKIE}={cookie}"}
    return httpx.AsyncClient(transport=httpx.ASGITransport(routes_app()), base_url="http://test", headers=headers)


def browser_probes(intruder: Intruder, file_id: object, deliverable_id: object) -> list[tuple[str, str, dict]]:
    base = "" if isinstance(intruder.actor, StaffActor) else f"/portal/{intruder.own_slug}"
    return [
        ("GET", f"{base}/files/{file_id}", {}),
        ("GET", f"{base}/files/{file_id}?inline=1", {}),
        ("GET", f"{base}/deliverables/{deliverable_id}/certificate.pdf", {}),
    ]


def api_probes(t: Target | None, file_id: object, deliverable_id: object) -> list[tuple[str, str, dict]]:
    project_id = t.project_id if t else UNKNOWN
    upload = {"files": {"file": ("probe.pdf", PDF)}}
    return [
        ("GET", f"/api/v1/files/{file_id}", {}),
        ("GET", f"/api/v1/files/{file_id}/content", {}),
        ("PATCH", f"/api/v1/files/{file_id}", {"json": {"shared": True}}),
        ("GET", f"/api/v1/projects/{project_id}/files", {}),
        ("POST", f"/api/v1/projects/{project_id}/files", {**upload, "data": {"shared": "true"}}),
        ("POST", f"/api/v1/projects/{project_id}/deliverables", {**upload, "data": {"title": "Probe"}}),
        ("GET", f"/api/v1/deliverables/{deliverable_id}", {}),
        ("POST", f"/api/v1/deliverables/{deliverable_id}/versions", upload),
        ("POST", f"/api/v1/deliverables/{deliverable_id}/review", {}),
    ]


async def answers(http: httpx.AsyncClient, probes: list[tuple[str, str, dict]]) -> list[tuple[int, str]]:
    return [((r := await http.request(m, url, **extra)).status_code, r.text) for m, url, extra in probes]


@pytest.mark.parametrize("which", [0, 1, 2])
async def test_intruders_get_the_answer_for_nothing(worlds: Worlds, which: int):
    intruder = worlds.intruders[which]
    t = intruder.target
    before = await snapshot(t)
    async with await browser_of(intruder) as http:
        nothing = await answers(http, browser_probes(intruder, UNKNOWN, UNKNOWN))
        assert {status for status, _ in nothing} == {404}
        for file_id, deliverable_id in (
            (t.file_id, t.deliverable_id),
            (t.unshared_file_id, t.draft_deliverable_id),
        ):
            got = await answers(http, browser_probes(intruder, file_id, deliverable_id))
            assert got == nothing, f"{intruder.label}: {file_id}"
        if isinstance(intruder.actor, StaffActor):
            none_api = await answers(http, api_probes(None, UNKNOWN, UNKNOWN))
            assert {status for status, _ in none_api} == {404}
            for file_id, deliverable_id in (
                (t.file_id, t.deliverable_id),
                (t.unshared_file_id, t.draft_deliverable_id),
            ):
                got_api = await answers(http, api_probes(t, file_id, deliverable_id))
                assert [s for s, _ in got_api] == [404] * len(got_api), f"{intruder.label}: {got_api}"
                for _, text in got_api:
                    assert not [m for m in t.markers if m.lower() in text.lower()], text
        else:
            # the target's own portal is not theirs: its cookie is not valid there, whatever the id
            other = await http.get(f"/portal/{'bravo' if intruder.own_slug == 'alpha' else 'alpha'}/files/{t.file_id}")
            assert other.status_code == 303 and other.headers["location"].endswith("/login")
    assert await snapshot(t) == before, f"{intruder.label} changed the target"


async def test_a_contact_gets_nothing_of_its_own_client_that_is_not_shared(worlds: Worlds):
    own = worlds.a1_work.shared
    draft = await deliverables.get_deliverable(worlds.a.actor, own.draft_deliverable_id)
    assert draft.latest is not None
    portal_intruder = next(i for i in worlds.intruders if i.actor == worlds.portal)
    async with await browser_of(portal_intruder) as http:
        nothing = await answers(http, browser_probes(portal_intruder, UNKNOWN, UNKNOWN))
        for file_id, deliverable_id in (
            (own.unshared_file_id, own.draft_deliverable_id),
            (draft.latest.file_id, UNKNOWN),
        ):
            assert await answers(http, browser_probes(portal_intruder, file_id, deliverable_id)) == nothing

        # and the same contact does get what is shared with it: the probes aim at real, reachable rows
        async with unit_of_work(SystemActor()) as session:
            key = await session.scalar(select(File.storage_key).where(File.id == own.file_id))
            assert key is not None
            # the worlds were built on another test's store: the bytes are stored again, and the row says their size
            stored = await storage.get().write(key, once(PDF), max_size=1024)
            await session.execute(update(File).where(File.id == own.file_id).values(size=stored.size))
        shared = await http.get(f"/portal/alpha/files/{own.file_id}")
        assert (shared.status_code, shared.content) == (200, PDF)
        certificate = await http.get(f"/portal/alpha/deliverables/{own.deliverable_id}/certificate.pdf")
        assert certificate.status_code == 200 and certificate.content.startswith(b"%PDF")


async def test_an_unknown_id_of_any_shape_is_the_same_404(worlds: Worlds):
    portal_intruder = next(i for i in worlds.intruders if i.actor == worlds.portal)
    async with await browser_of(portal_intruder) as http:
        texts = set()
        for bad in ("not-a-uuid", "0" * 40, str(uuid.uuid4()), "%20"):
            for _, url, _ in browser_probes(portal_intruder, bad, bad):
                response = await http.get(url)
                texts.add((response.status_code, response.text))
    assert len(texts) == 1 and next(iter(texts))[0] == 404
