"""Magic links: how a client contact signs in without a password.

A link is 256 bits from `secrets`, stored only as its SHA-256; the 6-digit code beside it is kept as an
HMAC under the secret key (a plain hash of a million possible codes would be no protection). Both work once
and live 15 minutes when the contact asked for them, 7 days when staff sent them as an invitation (the expiry
is stored with each link); five wrong codes void a contact's outstanding links. Consuming is a single
conditional UPDATE, so two concurrent uses of one link make one session.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Client, Contact
from models.organizations import Organization
from models.portal import MagicLink
from services.clients import portal_sessions
from services.clients.contacts import load_contact
from services.core import audit, clock, config
from services.core.actors import Actor, PortalActor, SystemActor, require_staff
from services.core.common import hash_secret, new_secret, normalize_email, same_secret
from services.core.db import rows_affected, unit_of_work
from services.core.errors import Invalid
from services.mail import layout, outbox

LINK_TTL = timedelta(minutes=15)
INVITATION_TTL = timedelta(days=7)
# How long a link lives, by its purpose, and how its mail says so.
TTLS = {"sign_in": (LINK_TTL, "15 minutes"), "invitation": (INVITATION_TTL, "7 days")}
MAX_CODE_ATTEMPTS = 5
CODE_DIGITS = 6


def portal_base(slug: str) -> str:
    return f"{config.get().base_url}/portal/{slug}"


def link_url(slug: str, token: str) -> str:
    return f"{portal_base(slug)}/link/{token}"


def _code_hash(link_id: uuid.UUID, code: str) -> str:
    return config.keyed_hash("magic-link-code", str(link_id), code)


def _live_link(now) -> tuple:
    return (MagicLink.used_at.is_(None), MagicLink.expires_at > now, MagicLink.code_attempts < MAX_CODE_ATTEMPTS)


async def _issue(session: AsyncSession, contact: Contact, *, purpose: str, ip: str) -> tuple[str, str]:
    token = new_secret()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    link = MagicLink(
        id=uuid.uuid4(),
        org_id=contact.org_id,
        client_id=contact.client_id,
        contact_id=contact.id,
        token_hash=hash_secret(token),
        purpose=purpose,
        created_at=clock.now(),
        expires_at=clock.now() + TTLS[purpose][0],
        requested_ip=ip[:45],
        code_hash="",
    )
    link.code_hash = _code_hash(link.id, code)
    session.add(link)
    return token, code


async def welcome_blocks(session: AsyncSession, contact: Contact, org: Organization) -> list[layout.Block]:
    """A 7-day sign-in link and code for a mail that welcomes a contact (a new client who just bought), in the
    caller's transaction, so the link exists exactly when the mail is queued."""
    token, code = await _issue(session, contact, purpose="invitation", ip="")
    return [
        "Your client portal is ready: follow your project, send requests and find your invoices there.",
        layout.Button("Sign in", link_url(org.slug, token)),
        "Or type this code on the sign-in page:",
        layout.Code(code),
        f"The link and the code work once and expire in {TTLS['invitation'][1]}. "
        f"For a new one, go to {portal_base(org.slug)}/login",
    ]


def _sign_in_mail(contact: Contact, org: Organization, token: str, code: str, purpose: str) -> layout.Mail:
    """The sign-in (or invitation) mail: its plain text holds the link and, on a line of its own, the code."""
    if purpose == "invitation":
        intro = [
            f"{org.name} has invited you to its client portal, where you can follow your projects, files and invoices.",
            org.welcome_message,
            "Sign in with this link:",
        ]
        ignore = "If you were not expecting this invitation, you can ignore this email."
    else:
        intro = [f"Use this link to sign in to the {org.name} client portal:"]
        ignore = "If you did not ask to sign in, you can ignore this email."
    brand = layout.Branding.of(org)
    return layout.compose(
        brand,
        contact.name,
        [
            *intro,
            layout.Button("Sign in", link_url(org.slug, token)),
            "Or type this code on the sign-in page:",
            layout.Code(code),
            f"The link and the code work once and expire in {TTLS[purpose][1]}. "
            f"For a new one, go to {portal_base(org.slug)}/login",
            ignore,
        ],
        footer=layout.sender_footer(org),
    )


async def request_link(org_id: uuid.UUID, email: str, *, ip: str) -> bool:
    """Mail a sign-in link to an enabled contact of the organization.

    Returns whether a link was queued; callers must show the same answer either way. The mail is
    queued in the outbox, never sent inside the request.
    """
    try:
        email = normalize_email(email)
    except Invalid:
        return False
    actor = SystemActor(org_id=org_id, label=email, ip=ip)
    async with unit_of_work(actor) as session:
        row = (
            await session.execute(
                select(Contact, Organization)
                .join(Client, Client.id == Contact.client_id)
                .join(Organization, Organization.id == Contact.org_id)
                .where(Contact.org_id == org_id, Contact.email == email)
            )
        ).first()
        if row is None:
            return False
        contact, org = row
        contact_actor = PortalActor(org_id, contact.client_id, contact.id, contact.email, ip=ip)
        if not (contact.active and contact.portal_enabled):
            audit.record(
                session,
                contact_actor,
                "portal.link_refused",
                target_type="contact",
                target_id=contact.id,
                target_label=email,
                detail={"active": contact.active, "portal_enabled": contact.portal_enabled},
            )
            return False
        token, code = await _issue(session, contact, purpose="sign_in", ip=ip)
        mail = _sign_in_mail(contact, org, token, code, "sign_in")
        outbox.queue(
            session,
            to=contact.email,
            subject=f"Your sign-in link for {org.name}",
            text=mail.text,
            html=mail.html,
            org_id=org_id,
        )
        audit.record(
            session,
            contact_actor,
            "portal.link_requested",
            target_type="contact",
            target_id=contact.id,
            target_label=email,
        )
        return True


async def send_invitation(actor: Actor, contact_id: uuid.UUID | str) -> None:
    """Staff invite a contact: a welcome mail with a sign-in link that lives 7 days."""
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        contact = await load_contact(session, actor, contact_id)
        if not contact.active:
            raise Invalid("This contact is deactivated. Activate them first.", "active")
        if not contact.portal_enabled:
            raise Invalid("Turn on portal access for this contact first.", "portal_enabled")
        org = await session.get(Organization, staff.org_id)
        assert org is not None
        token, code = await _issue(session, contact, purpose="invitation", ip=actor.ip)
        mail = _sign_in_mail(contact, org, token, code, "invitation")
        outbox.queue(
            session,
            to=contact.email,
            subject=f"{org.name} invited you to its client portal",
            text=mail.text,
            html=mail.html,
            org_id=org.id,
        )
        audit.record(
            session,
            actor,
            "portal.invitation_sent",
            target_type="contact",
            target_id=contact.id,
            target_label=contact.email,
        )


async def _consume(session: AsyncSession, link_id: uuid.UUID, *, ip: str, user_agent: str) -> str | None:
    """Mark the link used (once, atomically) and start a session for its contact."""
    now = clock.now()
    used = await session.execute(
        update(MagicLink)
        .where(MagicLink.id == link_id, *_live_link(now))
        .values(used_at=now)
        .returning(MagicLink.contact_id)
        .execution_options(synchronize_session=False)
    )
    contact_id = used.scalar()
    if contact_id is None:
        return None  # used, expired, voided, or taken by a concurrent request
    contact = await session.get(Contact, contact_id)
    if contact is None or not (contact.active and contact.portal_enabled):
        return None
    return await portal_sessions.start(session, contact, ip=ip, user_agent=user_agent)


async def consume_link(org_id: uuid.UUID, token: str, *, ip: str, user_agent: str) -> str | None:
    """The POST behind "Continue": a portal session's cookie value, or None for a dead link."""
    if not token or len(token) > 200:
        return None
    async with unit_of_work(SystemActor(org_id=org_id, ip=ip)) as session:
        link_id = await session.scalar(
            select(MagicLink.id).where(MagicLink.token_hash == hash_secret(token), MagicLink.org_id == org_id)
        )
        return await _consume(session, link_id, ip=ip, user_agent=user_agent) if link_id else None


async def link_is_usable(org_id: uuid.UUID, token: str) -> bool:
    """For the GET of a link: whether "Continue" will work. Reads only."""
    if not token or len(token) > 200:
        return False
    async with unit_of_work(SystemActor(org_id=org_id)) as session:
        found = await session.scalar(
            select(MagicLink.id)
            .join(Contact, Contact.id == MagicLink.contact_id)
            .where(
                MagicLink.token_hash == hash_secret(token),
                MagicLink.org_id == org_id,
                Contact.active.is_(True),
                Contact.portal_enabled.is_(True),
                *_live_link(clock.now()),
            )
        )
        return found is not None


async def consume_code(org_id: uuid.UUID, email: str, code: str, *, ip: str, user_agent: str) -> str | None:
    """Sign in with the 6-digit code from the mail. A wrong code counts against every live link of the contact."""
    try:
        email = normalize_email(email)
    except Invalid:
        return None
    code = (code or "").strip().replace(" ", "")
    now = clock.now()
    async with unit_of_work(SystemActor(org_id=org_id, ip=ip)) as session:
        links = (
            await session.execute(
                select(MagicLink.id, MagicLink.code_hash)
                .join(Contact, Contact.id == MagicLink.contact_id)
                .where(MagicLink.org_id == org_id, Contact.email == email, *_live_link(now))
                .order_by(MagicLink.id)
                # Concurrent guesses take turns, each seeing the attempts before it: five wrong codes, not more.
                .with_for_update(of=MagicLink)
            )
        ).all()
        if not links:
            return None
        match = next((link_id for link_id, stored in links if same_secret(stored, _code_hash(link_id, code))), None)
        if match is None:
            await session.execute(
                update(MagicLink)
                .where(MagicLink.id.in_([link_id for link_id, _ in links]))
                .values(code_attempts=MagicLink.code_attempts + 1)
                .execution_options(synchronize_session=False)
            )
            return None
        return await _consume(session, match, ip=ip, user_agent=user_agent)


async def purge_expired() -> int:
    now = clock.now()
    async with unit_of_work(SystemActor(label="purge")) as session:
        result = await session.execute(
            delete(MagicLink).where(
                or_(
                    MagicLink.expires_at <= now,
                    MagicLink.used_at.is_not(None),
                    MagicLink.code_attempts >= MAX_CODE_ATTEMPTS,
                )
            )
        )
        return rows_affected(result)
