"""Who a verified email from the OpenID Connect provider signs in as: a member, or a pending invitation accepted.

Nobody is created for an email that has neither: the provider vouches for an address, not for a seat in an
agency. The protocol itself (state, PKCE, ID token) is `services.adapters.oidc`'s, and the HTTP side
`portal_app.auth.oidc`'s.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.organizations import Membership
from models.staff import StaffUser
from models.team import StaffInvitation
from services.core import audit, clock
from services.core.actors import SystemActor
from services.core.common import hash_secret, normalize_email
from services.core.db import unit_of_work
from services.core.errors import Invalid
from services.staff import team
from services.staff.staff import SignedInStaff, first_membership

log = logging.getLogger("portico.sso")


async def sign_in_verified_email(
    email: str, name: str = "", *, ip: str = "", invitation: str = ""
) -> SignedInStaff | None:
    """The member with this (provider-verified) email, or the invitee whose pending invitation it accepts.

    Like password sign-in, a user in several organizations signs in to the one they joined first. `invitation`
    (the token of the link the invitee followed) picks which pending invitation to accept when there are several.
    """
    try:
        email = normalize_email(email)
    except Invalid:
        return None
    async with unit_of_work(SystemActor(label="sso sign-in", ip=ip)) as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
        membership = await first_membership(session, user.id) if user is not None else None
        if user is not None and membership is not None:
            if not user.is_active:
                return None
            return SignedInStaff(user_id=user.id, org_id=membership.org_id, email=user.email, role=membership.role)
        org_id = await _pending_invitation_org(session, email, invitation)
    if org_id is None:
        return None
    return await team.accept_for_verified_email(org_id, email, name)


async def _pending_invitation_org(session: AsyncSession, email: str, invitation: str) -> uuid.UUID | None:
    now = clock.now()
    rows = (
        await session.execute(
            select(StaffInvitation.org_id, StaffInvitation.token_hash)
            .where(
                StaffInvitation.email == email,
                StaffInvitation.accepted_at.is_(None),
                StaffInvitation.revoked_at.is_(None),
                StaffInvitation.expires_at > now,
            )
            .order_by(StaffInvitation.created_at.desc())
        )
    ).all()
    if not rows:
        return None
    wanted = hash_secret(invitation) if invitation else ""
    for org_id, token_hash in rows:
        if wanted and token_hash == wanted:
            return org_id
    return rows[0][0]


async def record_failure(email: str, reason: str, *, ip: str = "") -> bool:
    """An audit row for a refused SSO sign-in in the organization of the staff user with `email`, if any.

    False when no organization is known (an unknown email, or no email at all): the caller logs it instead.
    """
    try:
        email = normalize_email(email)
    except Invalid:
        return False
    async with unit_of_work(SystemActor(label="sso sign-in", ip=ip)) as session:
        row = (
            await session.execute(
                select(StaffUser.id, Membership.org_id)
                .join(Membership, Membership.user_id == StaffUser.id)
                .where(StaffUser.email == email)
                .order_by(Membership.created_at)
                .limit(1)
            )
        ).first()
        if row is None:
            row = (
                await session.execute(
                    select(StaffInvitation.id, StaffInvitation.org_id)
                    .where(StaffInvitation.email == email, StaffInvitation.accepted_at.is_(None))
                    .order_by(StaffInvitation.created_at.desc())
                    .limit(1)
                )
            ).first()
            target_type = "staff_invitation"
        else:
            target_type = "staff_user"
        if row is None:
            return False
        target_id, org_id = row
        audit.record(
            session,
            SystemActor(org_id=org_id, label=email, ip=ip),
            "staff.sso_failed",
            target_type=target_type,
            target_id=target_id,
            target_label=email,
            detail={"reason": reason},
        )
    return True
