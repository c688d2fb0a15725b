"""API tokens: shown once at creation, stored as SHA-256, acting as their staff user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.organizations import Membership, Organization
from models.staff import ApiToken, StaffUser
from services.core import audit, clock
from services.core.actors import Actor, StaffActor, SystemActor, require_staff
from services.core.common import hash_secret, new_secret, normalize_email, required_text
from services.core.db import rows_affected, unit_of_work
from services.core.errors import NotFound
from services.staff.staff import actor_for

TOKEN_PREFIX = "ptk_"  # noqa: S105 - a label, not a secret
USE_STAMP_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ApiTokenRow:
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


async def create_token(actor: Actor, name: str) -> str:
    """A new token for the acting staff user; the value is returned once and never stored."""
    staff = require_staff(actor)
    name = required_text(name, "name", "Name", 100)
    token = TOKEN_PREFIX + new_secret()
    async with unit_of_work(actor) as session:
        row = ApiToken(
            org_id=staff.org_id, user_id=staff.user_id, name=name, token_hash=hash_secret(token), prefix=token[:12]
        )
        session.add(row)
        await session.flush()
        audit.record(session, actor, "api_token.created", target_type="api_token", target_id=row.id, target_label=name)
    return token


async def create_token_for(org_slug: str, email: str, name: str) -> str:
    """The CLI's path: a token for a staff member named by organization slug and email."""
    email = normalize_email(email)
    async with unit_of_work(SystemActor(label="cli")) as session:
        row = (
            await session.execute(
                select(Organization.id, StaffUser.id)
                .join(Membership, Membership.org_id == Organization.id)
                .join(StaffUser, StaffUser.id == Membership.user_id)
                .where(Organization.slug == org_slug.lower(), StaffUser.email == email)
            )
        ).first()
    if row is None:
        raise NotFound(f"No staff member {email} in organization “{org_slug}”.")
    actor = await actor_for(row[1], row[0], via="cli")
    if actor is None:
        raise NotFound(f"No active staff member {email} in organization “{org_slug}”.")
    return await create_token(actor, name)


async def list_tokens(actor: Actor) -> list[ApiTokenRow]:
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        rows = await session.scalars(
            select(ApiToken)
            .where(ApiToken.org_id == staff.org_id, ApiToken.user_id == staff.user_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc())
        )
        return [ApiTokenRow(r.id, r.name, r.prefix, r.created_at, r.last_used_at) for r in rows]


async def revoke_token(actor: Actor, token_id: uuid.UUID) -> None:
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        row = await session.scalar(
            select(ApiToken).where(
                ApiToken.id == token_id, ApiToken.org_id == staff.org_id, ApiToken.user_id == staff.user_id
            )
        )
        if row is None or row.revoked_at is not None:
            raise NotFound("API token not found")
        row.revoked_at = clock.now()
        audit.record(
            session, actor, "api_token.revoked", target_type="api_token", target_id=row.id, target_label=row.name
        )


async def revoke_for_user_in(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """Revoke the user's tokens in the organization, in the caller's transaction (they left the team)."""
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.org_id == org_id, ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return rows_affected(result)


async def authenticate(token: str, *, ip: str = "") -> StaffActor | None:
    """The staff actor behind a bearer token, or None for an unknown, revoked or orphaned one."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    now = clock.now()
    async with unit_of_work(SystemActor()) as session:
        row = await session.scalar(
            select(ApiToken).where(ApiToken.token_hash == hash_secret(token), ApiToken.revoked_at.is_(None))
        )
        if row is None:
            return None
        if row.last_used_at is None or now - row.last_used_at > USE_STAMP_INTERVAL:
            row.last_used_at = now
        user_id, org_id = row.user_id, row.org_id
    return await actor_for(user_id, org_id, ip=ip, via="api")
