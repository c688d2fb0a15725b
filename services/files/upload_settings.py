"""What an organization accepts as uploads: the largest file (in MB) and the kinds of file (Settings → Uploads).

Every staff user may read the settings (the upload areas say what they accept); only owners and admins change
them. The kinds are stored as their keys, space-separated, in `file_types.FILE_KINDS` order, so the stored text
is the same however the form listed them, and an unknown key is refused rather than silently kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from models.organizations import Organization
from services.adapters.file_types import FILE_KINDS
from services.core import audit, events
from services.core.actors import Actor, require_admin, require_staff
from services.core.db import unit_of_work
from services.core.errors import Invalid, NotFound
from services.files.uploads import MAX_LIMIT_MB

DEFAULT_LIMIT_MB = 50


@dataclass(frozen=True, slots=True)
class UploadSettings:
    limit_mb: int
    kinds: tuple[str, ...]  # keys of FILE_KINDS, in its order


def _settings_of(org: Organization) -> UploadSettings:
    stored = set(org.allowed_file_kinds.split())
    return UploadSettings(org.upload_limit_mb, tuple(key for key in FILE_KINDS if key in stored))


def _clean_limit(value: object) -> int:
    """A whole number of megabytes in 1..MAX_LIMIT_MB; a form may hand it over as text or a float like 25.0."""
    problem = Invalid(f"The largest file is a whole number of MB from 1 to {MAX_LIMIT_MB}.", "upload_limit_mb")
    if isinstance(value, bool):  # a bool is an int to Python, never a size to a person
        raise problem
    if isinstance(value, float):
        if not value.is_integer():
            raise problem
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise problem from None
    if not isinstance(value, int) or not 1 <= value <= MAX_LIMIT_MB:
        raise problem
    return value


def _clean_kinds(kinds: Iterable[str]) -> tuple[str, ...]:
    chosen = {str(k).strip() for k in kinds}
    unknown = sorted(chosen - FILE_KINDS.keys())
    if unknown:
        raise Invalid(f"Unknown kind of file: {', '.join(unknown)}.", "allowed_file_kinds")
    if not chosen:
        raise Invalid("Accept at least one kind of file.", "allowed_file_kinds")
    return tuple(key for key in FILE_KINDS if key in chosen)


async def get_upload_settings(actor: Actor) -> UploadSettings:
    member = require_staff(actor)
    async with unit_of_work(actor) as session:
        org = await session.get(Organization, member.org_id)
        if org is None:
            raise NotFound()
        return _settings_of(org)


async def update_upload_settings(actor: Actor, limit_mb: object, kinds: Iterable[str]) -> UploadSettings:
    """Save both, or neither: every problem is reported at once, each on its own field."""
    member = require_admin(actor)
    problems: list[Invalid] = []
    clean_limit = DEFAULT_LIMIT_MB  # each replaced below, or never used
    clean_kinds: tuple[str, ...] = ()
    try:
        clean_limit = _clean_limit(limit_mb)
    except Invalid as exc:
        problems.append(exc)
    try:
        clean_kinds = _clean_kinds(kinds)
    except Invalid as exc:
        problems.append(exc)
    if problems:
        raise Invalid.of(problems)
    stored_kinds = " ".join(clean_kinds)
    async with unit_of_work(actor) as session:
        org = await session.get(Organization, member.org_id)
        if org is None:
            raise NotFound()
        before = _settings_of(org)
        if (org.upload_limit_mb, org.allowed_file_kinds) != (clean_limit, stored_kinds):
            org.upload_limit_mb, org.allowed_file_kinds = clean_limit, stored_kinds
            audit.record(
                session,
                actor,
                "settings.uploads_changed",
                target_type="organization",
                target_id=org.id,
                target_label=org.name,
                detail={
                    "limit_mb": [before.limit_mb, clean_limit],
                    "kinds": [list(before.kinds), list(clean_kinds)],
                },
            )
            events.publish(session, events.OrganizationChanged(org.id))
        return _settings_of(org)
