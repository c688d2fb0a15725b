"""Upload settings: read by any staff user, changed by owners and admins only, validated, stored in a fixed order,
audited once per real change, and heard by the cache of organization settings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from models import AuditEvent, Organization, Role
from services.core import events
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Forbidden, Invalid, NotFound
from services.files import files, upload_settings
from services.files.upload_settings import UploadSettings
from tests.support.factories import Team, add_member

ALL_KINDS = ("images", "pdf", "video", "text", "documents", "archives")


async def audit_rows(action: str) -> list[AuditEvent]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


async def stored(team: Team) -> tuple[int, str]:
    async with unit_of_work(SystemActor()) as session:
        org = await session.get(Organization, team.staff.org_id)
        assert org is not None
        return org.upload_limit_mb, org.allowed_file_kinds


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def test_a_new_organization_accepts_every_kind_up_to_50_mb(team: Team) -> None:
    assert await upload_settings.get_upload_settings(team.staff) == UploadSettings(50, ALL_KINDS)


async def test_an_admin_saves_them_in_the_kinds_own_order_and_it_is_audited(team: Team) -> None:
    heard: list[object] = []
    stop = events.subscribe(heard.append)
    try:
        saved = await upload_settings.update_upload_settings(team.staff, "25", ["text", "pdf", "images"])
    finally:
        stop()
    assert saved == UploadSettings(25, ("images", "pdf", "text"))
    assert await stored(team) == (25, "images pdf text")
    assert events.OrganizationChanged(team.staff.org_id) in heard
    [row] = await audit_rows("settings.uploads_changed")
    assert row.detail == {"limit_mb": [50, 25], "kinds": [list(ALL_KINDS), ["images", "pdf", "text"]]}
    # saving the same again changes nothing, so it is not audited again
    assert await upload_settings.update_upload_settings(team.staff, 25.0, ["pdf", "images", "text"]) == saved
    assert len(await audit_rows("settings.uploads_changed")) == 1


async def test_the_new_settings_govern_the_next_upload(team: Team) -> None:
    await upload_settings.update_upload_settings(team.staff, 1, ["pdf"])
    with pytest.raises(Invalid, match="not accepted here: it is text/plain"):
        await files.upload(team.staff, "notes.txt", one_chunk(b"plain notes"), project_id=team.world.project.id)
    with pytest.raises(Invalid):
        await files.upload(
            team.staff, "big.pdf", one_chunk(b"%PDF-1.7\n" + bytes(2 * 1024 * 1024)), project_id=team.world.project.id
        )
    view = await files.upload(
        team.staff, "ok.pdf", one_chunk(b"%PDF-1.7\n" + bytes(100)), project_id=team.world.project.id
    )
    assert view.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("limit", "kinds", "fields"),
    [
        (0, ["pdf"], ["upload_limit_mb"]),
        (1025, ["pdf"], ["upload_limit_mb"]),
        (2.5, ["pdf"], ["upload_limit_mb"]),
        ("ten", ["pdf"], ["upload_limit_mb"]),
        ("", ["pdf"], ["upload_limit_mb"]),
        (True, ["pdf"], ["upload_limit_mb"]),
        (None, ["pdf"], ["upload_limit_mb"]),
        (10, [], ["allowed_file_kinds"]),
        (10, ["pdf", "html"], ["allowed_file_kinds"]),
        (-1, [], ["upload_limit_mb", "allowed_file_kinds"]),
    ],
)
async def test_bad_values_are_refused_on_their_fields_and_nothing_changes(
    team: Team, limit: object, kinds: list[str], fields: list[str]
) -> None:
    with pytest.raises(Invalid) as refused:
        await upload_settings.update_upload_settings(team.staff, limit, kinds)
    assert [p.field for p in refused.value.problems] == fields
    assert await stored(team) == (50, " ".join(ALL_KINDS))
    assert await audit_rows("settings.uploads_changed") == []


async def test_the_limit_message_names_the_range(team: Team) -> None:
    with pytest.raises(Invalid, match="from 1 to 1024"):
        await upload_settings.update_upload_settings(team.staff, 0, ["pdf"])
    with pytest.raises(Invalid, match="Unknown kind of file: html"):
        await upload_settings.update_upload_settings(team.staff, 5, ["html"])


async def test_a_member_reads_but_cannot_change_them_and_a_contact_neither(team: Team) -> None:
    member = await add_member(team.staff.org_id, "member@acme.test", Role.member)
    assert (await upload_settings.get_upload_settings(member)).limit_mb == 50
    with pytest.raises(Forbidden):
        await upload_settings.update_upload_settings(member, 10, ["pdf"])
    with pytest.raises(NotFound):
        await upload_settings.get_upload_settings(team.jane)
    with pytest.raises(NotFound):
        await upload_settings.update_upload_settings(team.jane, 10, ["pdf"])
    assert await stored(team) == (50, " ".join(ALL_KINDS))
