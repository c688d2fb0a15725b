"""A forgotten staff password, reset by an emailed link with the portal links' rules (SPEC §14, §4).

The link carries 256 bits from `secrets`, stored only as their SHA-256; it lives 30 minutes and works once.
Asking for one answers nothing either way (unknown email, inactive user, over the limit: the caller shows the
same text), and the mail is only queued. Setting the new password consumes the link with one conditional
UPDATE, so two concurrent submits set it once, and ends every session the user has, in every organization.

These entry points take no actor: the link (or the mailbox behind the email) is the only credential, and each
function checks what it was given itself. A user may belong to several organizations, so the reset is not tied
to one and its mail carries Portico's own look and sender, not an organization's branding.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, select, update

from models.organizations import Membership
from models.staff import StaffSession, StaffUser
from models.team import PasswordReset
from services.core import audit, clock, config, events
from services.core.actors import StaffActor, SystemActor
from services.core.common import hash_secret, new_secret, normalize_email
from services.core.db import unit_of_work
from services.core.errors import Invalid
from services.mail import layout, outbox
from services.staff.passwords import check_new_password, hash_password
from services.staff.staff import SignedInStaff

RESET_TTL = timedelta(minutes=30)
TTL_WORDS = "30 minutes"
PORTICO = layout.Branding("Portico")
_MAX_TOKEN = 200  # a real token is 43 characters; anything much longer is not worth hashing


def reset_url(token: str) -> str:
    return f"{config.get().base_url}/reset-password/{token}"


def _live(now: datetime) -> ColumnElement[bool]:
    """A reset that still works: unused, unexpired, for an active user who still belongs to an organization."""
    return and_(
        PasswordReset.used_at.is_(None),
        PasswordReset.expires_at > now,
        StaffUser.is_active.is_(True),
        exists().where(Membership.user_id == StaffUser.id),
    )


def _reset_mail(name: str, token: str) -> layout.Mail:
    return layout.compose(
        PORTICO,
        name,
        [
            "Someone, hopefully you, asked to reset the password of your Portico account. Choose a new one here:",
            layout.Button("Choose a new password", reset_url(token)),
            f"The link works once and expires in {TTL_WORDS}. Setting a new password signs you out everywhere else.",
            "If you did not ask, ignore this mail: your password stays as it is.",
        ],
        footer=["Portico"],
    )


async def request_reset(email: str, ip: str) -> None:
    """Mail a reset link to an active staff user with that email. No actor: anyone may ask.

    Returns nothing whatever happened, so callers cannot tell an account from none; rate limits are the
    caller's (portal_app/auth/password_reset.py). A new link voids the user's earlier unused ones.
    """
    try:
        email = normalize_email(email)
    except Invalid:
        return
    now = clock.now()
    async with unit_of_work(SystemActor(label=email, ip=ip)) as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
        if user is None or not user.is_active:
            return
        org_ids = list(
            await session.scalars(
                select(Membership.org_id).where(Membership.user_id == user.id).order_by(Membership.created_at)
            )
        )
        if not org_ids:
            return  # nothing to sign in to
        await session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        token = new_secret()
        reset = PasswordReset(
            user_id=user.id, token_hash=hash_secret(token), expires_at=now + RESET_TTL, ip=ip[:45], created_at=now
        )
        session.add(reset)
        await session.flush()
        mail = _reset_mail(user.name, token)
        # No org_id: the mail goes out under Portico's default sender, not one of the user's organizations.
        outbox.queue(session, to=user.email, subject="Reset your Portico password", text=mail.text, html=mail.html)
        for org_id in org_ids:  # each organization's log shows what happened to its member's account
            audit.record(
                session,
                SystemActor(org_id=org_id, label=email, ip=ip),
                "staff.password_reset_requested",
                target_type="staff_user",
                target_id=user.id,
                target_label=email,
            )


@dataclass(frozen=True, slots=True)
class _Pending:
    reset_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    name: str


async def _pending(token: str) -> _Pending | None:
    if not token or len(token) > _MAX_TOKEN:
        return None
    async with unit_of_work(SystemActor()) as session:
        row = (
            await session.execute(
                select(PasswordReset.id, StaffUser.id, StaffUser.email, StaffUser.name)
                .join(StaffUser, StaffUser.id == PasswordReset.user_id)
                .where(PasswordReset.token_hash == hash_secret(token), _live(clock.now()))
            )
        ).first()
    return _Pending(*row) if row else None


async def reset_is_usable(token: str) -> bool:
    """For the GET of a link: whether "Set password" can work. Reads only (mail scanners open links)."""
    return await _pending(token) is not None


async def reset_password(token: str, new_password: str, *, ip: str, user_agent: str) -> SignedInStaff | None:
    """Set the password behind a live link; None when the link is dead (used, expired, voided, raced).

    Raises `Invalid` on the "password" field for a password that is refused, and then the link stays usable.
    On success every session of the user ends and the returned user (in their first organization) is
    signed in by the caller, as the password sign-in does (the cookie route starts that session).
    """
    pending = await _pending(token)
    if pending is None:
        return None
    # zxcvbn and Argon2 are CPU work: off the event loop, and before the transaction that consumes the link.
    await asyncio.to_thread(check_new_password, new_password, email=pending.email, name=pending.name)
    password_hash = await asyncio.to_thread(hash_password, new_password)
    now = clock.now()
    async with unit_of_work(SystemActor(label=pending.email, ip=ip)) as session:
        consumed = await session.execute(
            update(PasswordReset)
            .where(
                PasswordReset.id == pending.reset_id,
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
            .values(used_at=now)
            .returning(PasswordReset.user_id)
            .execution_options(synchronize_session=False)
        )
        if consumed.scalar() is None:
            return None  # used by a concurrent submit, or expired since the form was shown
        user = await session.get(StaffUser, pending.user_id)
        memberships = list(
            await session.scalars(
                select(Membership).where(Membership.user_id == pending.user_id).order_by(Membership.created_at)
            )
        )
        if user is None or not user.is_active or not memberships:
            return None  # deactivated or removed between the form and the submit: the link is spent for nothing
        user.password_hash = password_hash
        # Any other link the user had is void too: the password it would reset has just been chosen.
        await session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        # Whoever knew the old password may be signed in somewhere: every session ends, in every organization.
        ended = (
            await session.execute(
                update(StaffSession)
                .where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
                .values(ended_at=now)
                .returning(StaffSession.id, StaffSession.org_id)
                .execution_options(synchronize_session=False)
            )
        ).all()
        if ended:
            events.publish(session, events.StaffSessionsEnded(user.id, frozenset(row.id for row in ended)))
        for membership in memberships:
            audit.record(
                session,
                StaffActor(membership.org_id, user.id, role=membership.role, email=user.email, ip=ip),
                "staff.password_reset",
                target_type="staff_user",
                target_id=user.id,
                target_label=user.email,
                # Per organization: one organization's log says nothing of the user's sessions in another.
                detail={
                    "sessions_ended": sum(1 for row in ended if row.org_id == membership.org_id),
                    "user_agent": user_agent[:200],
                },
            )
        first = memberships[0]
        return SignedInStaff(user_id=user.id, org_id=first.org_id, email=user.email, role=first.role)
