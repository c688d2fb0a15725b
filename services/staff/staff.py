"""Staff users, their memberships and password sign-in."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.organizations import Membership, Organization, Role
from models.staff import StaffSession, StaffUser
from services.core import audit
from services.core.actors import Actor, StaffActor, SystemActor, require_staff
from services.core.common import Page, normalize_email, page_window
from services.core.db import unit_of_work
from services.core.errors import Invalid
from services.mail.layout import Recipient
from services.staff.passwords import hash_password, needs_rehash, verify_password


@dataclass(frozen=True, slots=True)
class StaffMemberRow:
    user_id: uuid.UUID
    name: str
    email: str
    role: Role
    joined_at: datetime
    last_seen_at: datetime | None
    default_rate_minor: int | None = None  # in the organization's default currency; staff-side only


async def list_staff(actor: Actor, limit: int = 50, offset: int = 0) -> Page[StaffMemberRow]:
    staff = require_staff(actor)
    limit, offset = page_window(limit, offset)
    last_seen = (
        select(StaffSession.user_id, func.max(StaffSession.last_seen_at).label("last_seen"))
        .where(StaffSession.org_id == staff.org_id)
        .group_by(StaffSession.user_id)
        .subquery()
    )
    async with unit_of_work(actor) as session:
        total = await session.scalar(
            select(func.count()).select_from(Membership).where(Membership.org_id == staff.org_id)
        )
        rows = await session.execute(
            select(StaffUser, Membership, last_seen.c.last_seen)
            .join(Membership, Membership.user_id == StaffUser.id)
            .outerjoin(last_seen, last_seen.c.user_id == StaffUser.id)
            .where(Membership.org_id == staff.org_id)
            .order_by(func.lower(StaffUser.name), StaffUser.id)
            .limit(limit)
            .offset(offset)
        )
        items = [
            StaffMemberRow(
                user.id,
                user.name,
                user.email,
                membership.role,
                membership.created_at,
                seen,
                membership.default_rate_minor,
            )
            for user, membership, seen in rows
        ]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


@dataclass(frozen=True, slots=True)
class SignedInStaff:
    user_id: uuid.UUID
    org_id: uuid.UUID
    email: str
    role: Role


async def check_password(email: str, password: str, *, ip: str = "") -> SignedInStaff | None:
    """The user and organization for a correct email and password; None for anything else.

    Raises SsoRequired for a correct password of a non-owner whose organization requires single sign-on.

    Unknown email, wrong password, inactive user and user without an organization all answer None
    after one Argon2 verification, so neither the answer nor its timing tells them apart.
    """
    try:
        email = normalize_email(email)
    except Invalid:
        await asyncio.to_thread(verify_password, None, password)
        return None
    async with unit_of_work(SystemActor(label="sign-in", ip=ip)) as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
        membership = await first_membership(session, user.id) if user is not None else None
        # Argon2 costs tens of milliseconds by design: off the event loop, so other users' pages stay quick.
        ok = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
        if not ok or user is None or not user.is_active or membership is None:
            if user is not None and membership is not None:
                audit.record(
                    session,
                    SystemActor(org_id=membership.org_id, label=email, ip=ip),
                    "staff.sign_in_failed",
                    target_type="staff_user",
                    target_id=user.id,
                    target_label=email,
                )
            return None
        if user.password_hash and needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        who = SignedInStaff(user_id=user.id, org_id=membership.org_id, email=user.email, role=membership.role)
        refused = await _sso_policy(session, who, ip=ip)
    # Raised once the unit of work has committed, so the audit row of the refusal stays.
    if refused:
        raise SsoRequired()
    return who


class SsoRequired(Exception):
    """A correct password from a member of an organization that requires single sign-on."""

    message = "Your organization requires single sign-on: use “Sign in with SSO”."


async def _sso_policy(session: AsyncSession, who: SignedInStaff, *, ip: str) -> bool:
    """True when "Require SSO" refuses this password sign-in; audits the refusal or the owner's break-glass.

    Owners keep their password as the break-glass path, so an agency whose provider is down (or misconfigured)
    can still get in and switch the setting off. Checked only after the password, so it reveals nothing to a
    guesser.
    """
    required = await session.scalar(select(Organization.require_sso).where(Organization.id == who.org_id))
    if not required:
        return False
    owner = who.role == Role.owner
    audit.record(
        session,
        StaffActor(who.org_id, who.user_id, role=who.role, email=who.email, ip=ip),
        "staff.break_glass_sign_in" if owner else "staff.sign_in_refused_sso",
        target_type="staff_user",
        target_id=who.user_id,
        target_label=who.email,
    )
    return not owner


async def first_membership(session: AsyncSession, user_id: uuid.UUID) -> Membership | None:
    """The organization a signing-in user lands in: the one they joined first (password and SSO alike)."""
    return await session.scalar(
        select(Membership).where(Membership.user_id == user_id).order_by(Membership.created_at).limit(1)
    )


async def actor_for(user_id: uuid.UUID, org_id: uuid.UUID, *, ip: str = "", via: str = "staff") -> StaffActor | None:
    """The staff actor of a user in an organization, or None when the membership or user is gone."""
    async with unit_of_work(SystemActor(org_id=org_id)) as session:
        row = (
            await session.execute(
                select(StaffUser.email, Membership.role)
                .join(Membership, Membership.user_id == StaffUser.id)
                .join(Organization, Organization.id == Membership.org_id)
                .where(StaffUser.id == user_id, Membership.org_id == org_id, StaffUser.is_active.is_(True))
            )
        ).first()
    if row is None:
        return None
    return StaffActor(org_id=org_id, user_id=user_id, role=row.role, email=row.email, ip=ip, via=via)


async def admin_emails(session: AsyncSession, org_id: uuid.UUID) -> list[str]:
    """The active owners and admins of an organization: who hears of what has no one else to go to."""
    return [admin.email for admin in await admin_recipients(session, org_id)]


async def agency_recipients(session: AsyncSession, org: Organization) -> list[Recipient]:
    """Who hears of what clients do (a payment, a purchase, a quote's answer): the organization's support address,
    else its owners and admins."""
    return [Recipient(org.support_email)] if org.support_email else await admin_recipients(session, org.id)


async def admin_recipients(session: AsyncSession, org_id: uuid.UUID) -> list[Recipient]:
    """`admin_emails` with the names their mails greet them by."""
    rows = await session.execute(
        select(StaffUser.email, StaffUser.name)
        .join(Membership, Membership.user_id == StaffUser.id)
        .where(
            Membership.org_id == org_id, Membership.role.in_((Role.owner, Role.admin)), StaffUser.is_active.is_(True)
        )
        .order_by(StaffUser.email)
    )
    return [Recipient(email, name) for email, name in rows]


async def member_email(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID | None) -> str:
    """The email of an active member of the organization, or "" for anyone else."""
    found = await member_recipient(session, org_id, user_id)
    return found.email if found else ""


async def member_recipient(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID | None) -> Recipient | None:
    """An active member of the organization as a mail's recipient, or None for anyone else."""
    if user_id is None:
        return None
    found = (
        await session.execute(
            select(StaffUser.email, StaffUser.name)
            .join(Membership, Membership.user_id == StaffUser.id)
            .where(Membership.org_id == org_id, StaffUser.id == user_id, StaffUser.is_active.is_(True))
        )
    ).first()
    return Recipient(*found) if found else None
