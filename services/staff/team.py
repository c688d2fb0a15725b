"""The team of an organization: inviting staff by email, accepting an invitation, changing roles, removing access.

An invitation's link carries a secret stored only as its SHA-256; it lives 7 days and is consumed once, by a
conditional UPDATE, so two submits of one form make one membership. Role changes and removals lock the
organization's row before they count its owners, so two owners demoting each other at once cannot leave none.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.organizations import Membership, Organization, Role
from models.staff import StaffUser
from models.team import StaffInvitation
from services.core import audit, clock, config, events
from services.core.actors import Actor, StaffActor, SystemActor, require_admin, require_staff
from services.core.common import hash_secret, new_secret, normalize_email, parse_id, required_text
from services.core.db import unit_of_work
from services.core.errors import Conflict, Forbidden, Invalid, NotFound
from services.mail import layout, outbox
from services.staff import api_tokens, staff_sessions
from services.staff.passwords import check_new_password, hash_password, verify_password
from services.staff.staff import SignedInStaff

INVITATION_TTL = timedelta(days=7)
ROLE_NAMES = {Role.owner: "Owner", Role.admin: "Admin", Role.member: "Member"}
DEAD_LINK = "This invitation link no longer works: it was used, withdrawn or has expired. Ask for a new one."


@dataclass(frozen=True, slots=True)
class InvitationRow:
    """A pending invitation as the People page lists it."""

    id: uuid.UUID
    email: str
    role: Role
    invited_by: str
    created_at: datetime
    expires_at: datetime

    @property
    def expired(self) -> bool:
        return self.expires_at <= clock.now()


@dataclass(frozen=True, slots=True)
class InvitationView:
    """What the holder of a live invitation link sees: where they are invited, as what, and how they join."""

    org_id: uuid.UUID
    org_name: str
    email: str
    role: Role
    has_account: bool  # the email already has a staff account (in another organization): join with its password
    require_sso: bool  # the organization lets its staff in through single sign-on only


def join_url(token: str) -> str:
    return f"{config.get().base_url}/join/{token}"


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Invalid("Choose a role: Owner, Admin or Member.", "role") from None


def _pending() -> tuple[ColumnElement[bool], ...]:
    return (StaffInvitation.accepted_at.is_(None), StaffInvitation.revoked_at.is_(None))


def _live(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (*_pending(), StaffInvitation.expires_at > now)


async def _acting_role(session: AsyncSession, staff: StaffActor) -> Role:
    """The actor's role as it stands now, not as it stood when their page was built: a demoted admin's open tab
    (or the loser of two owners demoting each other) must not act on the role it had."""
    role = await session.scalar(
        select(Membership.role).where(Membership.org_id == staff.org_id, Membership.user_id == staff.user_id)
    )
    if role not in (Role.owner, Role.admin):
        raise Forbidden("Only owners and admins can do this.")
    return role


def _may_grant(acting: Role, role: Role) -> None:
    if role is Role.owner and acting is not Role.owner:
        raise Invalid("Only an owner can make someone an owner.", "role")


async def _lock_organization(session: AsyncSession, org_id: uuid.UUID) -> None:
    """Serialise changes to the organization's team until this transaction ends, before anything is counted.

    PostgreSQL: SELECT … FOR UPDATE on the organization's row. SQLite has no row locks and starts a transaction
    only at the first write, so a no-op UPDATE takes its single writer's lock first: the count that follows
    sees every change committed before it, and no other writer can change the team until this one commits.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(Organization.id).where(Organization.id == org_id).with_for_update())
    else:
        await session.execute(
            update(Organization)
            .where(Organization.id == org_id)
            .values(id=Organization.id)
            .execution_options(synchronize_session=False)
        )


async def _is_member(session: AsyncSession, org_id: uuid.UUID, email: str) -> bool:
    found = await session.scalar(
        select(Membership.id)
        .join(StaffUser, StaffUser.id == Membership.user_id)
        .where(Membership.org_id == org_id, StaffUser.email == email)
    )
    return found is not None


def _queue_invitation(session: AsyncSession, org: Organization, inviter: str, row: StaffInvitation, token: str) -> None:
    role = ROLE_NAMES[row.role]
    mail = layout.compose(
        layout.Branding.of(org),
        "",
        [
            f"{inviter} has invited you to join {org.name} on Portico as {role}.",
            "Open this link to set your password, or to sign in with your company account when single sign-on "
            "is set up:",
            layout.Button("Accept the invitation", join_url(token)),
            "The link works once and expires in 7 days.",
            "If you were not expecting this invitation, you can ignore this email.",
        ],
        footer=[org.name],
    )
    outbox.queue(
        session,
        to=row.email,
        subject=f"{inviter} invited you to join {org.name} on Portico",
        text=mail.text,
        html=mail.html,
        org_id=org.id,
    )


async def _inviter_name(session: AsyncSession, staff: StaffActor) -> str:
    return await session.scalar(select(StaffUser.name).where(StaffUser.id == staff.user_id)) or staff.email


async def invite(actor: Actor, email: str, role: Role | str) -> InvitationRow:
    """Mail `email` a link to join the actor's organization as `role`; a pending invitation to it is replaced."""
    staff = require_admin(actor)
    problems = []
    try:
        email = normalize_email(email)
    except Invalid as exc:
        problems.append(exc)
    try:
        role = _role(role)
    except Invalid as exc:
        problems.append(exc)
    if problems:
        raise Invalid.of(problems)
    role = Role(role)
    now = clock.now()
    async with unit_of_work(actor) as session:
        _may_grant(await _acting_role(session, staff), role)
        if await _is_member(session, staff.org_id, email):
            raise Invalid(f"{email} is already on the team.", "email")
        # One live link per person: the older one stops working as the new one goes out.
        await session.execute(
            update(StaffInvitation)
            .where(StaffInvitation.org_id == staff.org_id, StaffInvitation.email == email, *_pending())
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        org = await session.get(Organization, staff.org_id)
        assert org is not None
        token = new_secret()
        row = StaffInvitation(
            org_id=staff.org_id,
            email=email,
            role=role,
            token_hash=hash_secret(token),
            invited_by_user_id=staff.user_id,
            expires_at=now + INVITATION_TTL,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        inviter = await _inviter_name(session, staff)
        _queue_invitation(session, org, inviter, row, token)
        audit.record(
            session,
            actor,
            "staff.invited",
            target_type="staff_invitation",
            target_id=row.id,
            target_label=email,
            detail={"role": role.value},
        )
        return InvitationRow(row.id, email, role, inviter, row.created_at, row.expires_at)


async def _load_pending(session: AsyncSession, staff: StaffActor, invitation_id: uuid.UUID | str) -> StaffInvitation:
    row = await session.scalar(
        select(StaffInvitation)
        .where(
            StaffInvitation.id == parse_id(invitation_id, "Invitation not found"),
            StaffInvitation.org_id == staff.org_id,
            *_pending(),
        )
        .with_for_update()
    )
    if row is None:
        raise NotFound("Invitation not found")
    return row


async def resend(actor: Actor, invitation_id: uuid.UUID | str) -> InvitationRow:
    """A new link for a pending (or expired) invitation, valid 7 days from now; the old link stops working."""
    staff = require_admin(actor)
    now = clock.now()
    async with unit_of_work(actor) as session:
        acting = await _acting_role(session, staff)
        row = await _load_pending(session, staff, invitation_id)
        _may_grant(acting, row.role)
        if await _is_member(session, staff.org_id, row.email):
            raise Invalid(f"{row.email} is already on the team.", "email")
        token = new_secret()
        row.token_hash, row.expires_at = hash_secret(token), now + INVITATION_TTL
        org = await session.get(Organization, staff.org_id)
        assert org is not None
        inviter = await _inviter_name(session, staff)
        _queue_invitation(session, org, inviter, row, token)
        audit.record(
            session,
            actor,
            "staff.invitation_resent",
            target_type="staff_invitation",
            target_id=row.id,
            target_label=row.email,
        )
        return InvitationRow(row.id, row.email, row.role, inviter, row.created_at, row.expires_at)


async def revoke(actor: Actor, invitation_id: uuid.UUID | str) -> None:
    """Withdraw a pending invitation: its link stops working."""
    staff = require_admin(actor)
    async with unit_of_work(actor) as session:
        await _acting_role(session, staff)
        row = await _load_pending(session, staff, invitation_id)
        row.revoked_at = clock.now()
        audit.record(
            session,
            actor,
            "staff.invitation_revoked",
            target_type="staff_invitation",
            target_id=row.id,
            target_label=row.email,
        )


async def list_invitations(actor: Actor) -> list[InvitationRow]:
    """The organization's invitations not yet accepted or withdrawn (expired ones too: they can be sent again)."""
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        rows = await session.execute(
            select(StaffInvitation, StaffUser.name, StaffUser.email)
            .outerjoin(StaffUser, StaffUser.id == StaffInvitation.invited_by_user_id)
            .where(StaffInvitation.org_id == staff.org_id, *_pending())
            .order_by(StaffInvitation.created_at.desc(), StaffInvitation.id)
            .limit(200)  # invitations are few; a bound all the same
        )
        return [
            InvitationRow(r.id, r.email, r.role, name or email or "", r.created_at, r.expires_at)
            for r, name, email in rows
        ]


def _usable(token: str) -> bool:
    return bool(token) and len(token) <= 200


async def invitation_for_token(token: str) -> InvitationView | None:
    """A link landing without an actor: the live invitation behind `token`, or None for an unknown, expired,
    withdrawn or used one. Reads only."""
    if not _usable(token):
        return None
    async with unit_of_work(SystemActor(label="invitation")) as session:
        found = (
            await session.execute(
                select(StaffInvitation, Organization.name, Organization.require_sso)
                .join(Organization, Organization.id == StaffInvitation.org_id)
                .where(StaffInvitation.token_hash == hash_secret(token), *_live(clock.now()))
            )
        ).first()
        if found is None:
            return None
        row, org_name, require_sso = found
        account = await session.scalar(select(StaffUser.id).where(StaffUser.email == row.email))
        return InvitationView(row.org_id, org_name, row.email, row.role, account is not None, require_sso)


async def _accept(
    session: AsyncSession, invitation_id: uuid.UUID, user: StaffUser, *, ip: str, detail: dict[str, str]
) -> SignedInStaff | None:
    """Consume the invitation (once, atomically) and make `user` a member; None when it was no longer live."""
    now = clock.now()
    consumed = (
        await session.execute(
            update(StaffInvitation)
            .where(StaffInvitation.id == invitation_id, *_live(now))
            .values(accepted_at=now, accepted_user_id=user.id)
            .returning(StaffInvitation.org_id, StaffInvitation.role)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if consumed is None:
        return None  # used, withdrawn or expired meanwhile, or taken by a concurrent submit
    org_id, role = consumed
    membership = await session.scalar(
        select(Membership).where(Membership.org_id == org_id, Membership.user_id == user.id)
    )
    if membership is None:
        membership = Membership(org_id=org_id, user_id=user.id, role=role)
        session.add(membership)
        await session.flush()
    audit.record(
        session,
        StaffActor(org_id, user.id, role=membership.role, email=user.email, ip=ip),
        "staff.invitation_accepted",
        target_type="staff_invitation",
        target_id=invitation_id,
        target_label=user.email,
        detail={"role": membership.role.value, **detail},
    )
    return SignedInStaff(user_id=user.id, org_id=org_id, email=user.email, role=membership.role)


async def accept_with_password(token: str, name: str, password: str, *, ip: str, user_agent: str) -> SignedInStaff:
    """A link landing without an actor: accept the invitation behind `token`.

    A new email gets an account with `name` and `password` (checked as any new password is); an email that
    already has an account (in another organization) proves it with that account's password, and `name` is
    not used. Raises NotFound(DEAD_LINK) for a dead link and Invalid on the field at fault.
    """
    view = await invitation_for_token(token)
    if view is None:
        raise NotFound(DEAD_LINK)
    if view.require_sso:
        raise Invalid(f"{view.org_name} signs its staff in with single sign-on: use “Sign in with SSO”.", "password")
    email, new_hash = view.email, None
    if not view.has_account:
        name = required_text(name, "name", "Name", 200)
        check_new_password(password, email=email, name=name)
        new_hash = await asyncio.to_thread(hash_password, password)  # Argon2: off the event loop
    actor = SystemActor(org_id=view.org_id, label=email, ip=ip)
    async with unit_of_work(actor) as session:
        user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
        if user is None:
            if new_hash is None:
                raise NotFound(DEAD_LINK)  # the account went away since the page was drawn: start again
            user = StaffUser(email=email, name=name, password_hash=new_hash)
            session.add(user)
            await session.flush()
        else:
            if not await asyncio.to_thread(verify_password, user.password_hash, password):
                raise Invalid("That password did not work. Use the password of your existing account.", "password")
            if not user.is_active:
                raise NotFound(DEAD_LINK)
        who = await _accept(
            session,
            await _invitation_id(session, token),
            user,
            ip=ip,
            detail={"user_agent": user_agent[:200]},
        )
        if who is None:
            raise NotFound(DEAD_LINK)
        return who


async def _invitation_id(session: AsyncSession, token: str) -> uuid.UUID:
    found = await session.scalar(select(StaffInvitation.id).where(StaffInvitation.token_hash == hash_secret(token)))
    if found is None:
        raise NotFound(DEAD_LINK)
    return found


async def accept_for_verified_email(org_id: uuid.UUID, email: str, name: str) -> SignedInStaff | None:
    """Single sign-on's path, without an actor: the identity provider verified `email`. Accept that email's
    live invitation to `org_id` (creating an account without a password if the email has none); None when
    there is no such invitation or the account is deactivated: nobody is created otherwise."""
    try:
        email = normalize_email(email)
    except Invalid:
        return None
    now = clock.now()
    async with unit_of_work(SystemActor(org_id=org_id, label=email)) as session:
        invitation_id = await session.scalar(
            select(StaffInvitation.id)
            .where(StaffInvitation.org_id == org_id, StaffInvitation.email == email, *_live(now))
            .order_by(StaffInvitation.created_at.desc())
            .limit(1)
        )
        if invitation_id is None:
            return None
        user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
        if user is None:
            clean = " ".join((name or "").split())[:200] or email.split("@")[0]
            user = StaffUser(email=email, name=clean, password_hash=None)
            session.add(user)
            await session.flush()
        elif not user.is_active:
            return None
        return await _accept(session, invitation_id, user, ip="", detail={"via": "sso"})


# --- roles and removal ---------------------------------------------------------------------------------------


async def _load_member(session: AsyncSession, staff: StaffActor, user_id: uuid.UUID | str) -> Membership:
    membership = await session.scalar(
        select(Membership).where(
            Membership.org_id == staff.org_id, Membership.user_id == parse_id(user_id, "Team member not found")
        )
    )
    if membership is None:
        raise NotFound("Team member not found")
    return membership


async def _owner_count(session: AsyncSession, org_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .join(StaffUser, StaffUser.id == Membership.user_id)
        .where(and_(Membership.org_id == org_id, Membership.role == Role.owner, StaffUser.is_active.is_(True)))
    )
    return count or 0


async def _member_email(session: AsyncSession, user_id: uuid.UUID) -> str:
    return await session.scalar(select(StaffUser.email).where(StaffUser.id == user_id)) or ""


async def change_role(actor: Actor, user_id: uuid.UUID | str, role: Role | str) -> None:
    """Give a member another role. Owners and admins only; only an owner touches an owner's role or makes one;
    the last owner keeps theirs."""
    staff = require_admin(actor)
    role = _role(role)
    async with unit_of_work(actor) as session:
        await _lock_organization(session, staff.org_id)
        acting = await _acting_role(session, staff)
        membership = await _load_member(session, staff, user_id)
        if membership.role is Role.owner and acting is not Role.owner:
            raise Forbidden("Only an owner can change an owner's role.")
        _may_grant(acting, role)
        if membership.role is role:
            return
        if membership.role is Role.owner and await _owner_count(session, staff.org_id) <= 1:
            raise Conflict("The last owner cannot be given another role. Make someone else an owner first.")
        previous, membership.role = membership.role, role
        audit.record(
            session,
            actor,
            "staff.role_changed",
            target_type="staff_user",
            target_id=membership.user_id,
            target_label=await _member_email(session, membership.user_id),
            detail={"from": previous.value, "to": role.value},
        )
        events.publish(session, events.StaffRoleChanged(staff.org_id, membership.user_id))


async def remove_member(actor: Actor, user_id: uuid.UUID | str) -> None:
    """Take a member off the team: their sessions in this organization end at once and their API tokens here
    stop working. What they wrote keeps their name (it is stored with each item). The last owner stays."""
    staff = require_admin(actor)
    async with unit_of_work(actor) as session:
        await _lock_organization(session, staff.org_id)
        acting = await _acting_role(session, staff)
        membership = await _load_member(session, staff, user_id)
        if membership.role is Role.owner and acting is not Role.owner:
            raise Forbidden("Only an owner can remove an owner.")
        if membership.role is Role.owner and await _owner_count(session, staff.org_id) <= 1:
            raise Conflict("The last owner cannot be removed. Make someone else an owner first.")
        removed = membership.user_id
        await session.delete(membership)
        ended = await staff_sessions.end_for_user_in(session, staff.org_id, removed)
        revoked = await api_tokens.revoke_for_user_in(session, staff.org_id, removed)
        audit.record(
            session,
            actor,
            "staff.removed",
            target_type="staff_user",
            target_id=removed,
            target_label=await _member_email(session, removed),
            detail={"role": membership.role.value, "sessions_ended": len(ended), "tokens_revoked": revoked},
        )
