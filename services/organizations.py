"""Organizations (the agencies) and their settings."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from models.clients import Client, Contact
from models.organizations import Membership, Organization, Role
from models.projects import Project, ProjectStatus
from models.staff import StaffUser
from services import audit
from services.actors import Actor, SystemActor, require_admin, require_staff
from services.common import normalize_email, optional_text, required_text
from services.db import unit_of_work
from services.errors import Conflict, Invalid, NotFound
from services.passwords import hash_password

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True, slots=True)
class OrganizationView:
    id: uuid.UUID
    name: str
    slug: str
    portal_enabled: bool
    accent_color: str
    welcome_message: str
    support_email: str


def _view(org: Organization) -> OrganizationView:
    return OrganizationView(
        id=org.id,
        name=org.name,
        slug=org.slug,
        portal_enabled=org.portal_enabled,
        accent_color=org.accent_color,
        welcome_message=org.welcome_message,
        support_email=org.support_email,
    )


def validate_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_PATTERN.fullmatch(slug):
        raise Invalid(
            "The slug may hold lower-case letters, digits and dashes (1–63, not starting or ending with a dash).",
            "slug",
        )
    return slug


async def create_organization(
    actor: SystemActor, *, name: str, slug: str, owner_email: str, owner_password: str, owner_name: str = ""
) -> uuid.UUID:
    """A new agency with its owner. An existing staff user keeps their password and gains the membership."""
    name = required_text(name, "name", "Name", 200)
    slug = validate_slug(slug)
    email = normalize_email(owner_email, "owner_email")
    async with unit_of_work(actor) as session:
        if await session.scalar(select(Organization.id).where(Organization.slug == slug)):
            raise Conflict(f"The slug “{slug}” is taken.")
        user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
        if user is None:
            user = StaffUser(
                email=email, name=owner_name.strip() or email.split("@")[0], password_hash=hash_password(owner_password)
            )
            session.add(user)
        org = Organization(name=name, slug=slug)
        session.add(org)
        await session.flush()
        session.add(Membership(org_id=org.id, user_id=user.id, role=Role.owner))
        audit.record(
            session,
            actor,
            "org.created",
            org_id=org.id,
            target_type="organization",
            target_id=org.id,
            target_label=name,
        )
        try:
            await session.flush()
        except IntegrityError as exc:
            raise Conflict(f"The slug “{slug}” is taken.") from exc
        return org.id


async def get_organization(actor: Actor) -> OrganizationView:
    if actor.org_id is None:
        raise NotFound()
    async with unit_of_work(actor) as session:
        org = await session.get(Organization, actor.org_id)
        if org is None:
            raise NotFound()
        return _view(org)


async def find_by_slug(slug: str) -> OrganizationView | None:
    """Public lookup for the portal's routes: a slug is not a secret."""
    async with unit_of_work(SystemActor()) as session:
        org = await session.scalar(select(Organization).where(Organization.slug == slug.lower()))
        return _view(org) if org else None


@dataclass(frozen=True, slots=True)
class OrganizationChanges:
    name: str
    slug: str
    accent_color: str | None = None
    welcome_message: str | None = None
    support_email: str | None = None
    portal_enabled: bool | None = None


async def update_organization(actor: Actor, changes: OrganizationChanges) -> OrganizationView:
    staff = require_admin(actor)
    name = required_text(changes.name, "name", "Name", 200)
    slug = validate_slug(changes.slug)
    async with unit_of_work(actor) as session:
        org = await session.get(Organization, staff.org_id)
        if org is None:
            raise NotFound()
        if slug != org.slug and await session.scalar(select(Organization.id).where(Organization.slug == slug)):
            raise Conflict(f"The slug “{slug}” is taken.")
        before = _view(org)
        org.name, org.slug = name, slug
        if changes.accent_color is not None:
            if not COLOR_PATTERN.fullmatch(changes.accent_color):
                raise Invalid("The accent color must look like #4f46e5.", "accent_color")
            org.accent_color = changes.accent_color.lower()
        if changes.welcome_message is not None:
            org.welcome_message = optional_text(changes.welcome_message, "welcome_message", "Welcome message", 2000)
        if changes.support_email is not None:
            support = changes.support_email.strip()
            org.support_email = normalize_email(support, "support_email") if support else ""
        if changes.portal_enabled is not None:
            org.portal_enabled = changes.portal_enabled
        after = _view(org)
        changed = {
            k: [getattr(before, k), getattr(after, k)]
            for k in OrganizationChanges.__slots__
            if getattr(before, k) != getattr(after, k)
        }
        if changed:
            audit.record(
                session,
                actor,
                "org.updated",
                target_type="organization",
                target_id=org.id,
                target_label=name,
                detail=changed,
            )
        try:
            await session.flush()
        except IntegrityError as exc:
            raise Conflict(f"The slug “{slug}” is taken.") from exc
        return after


@dataclass(frozen=True, slots=True)
class WorkspaceCounts:
    clients: int
    contacts: int
    portal_contacts: int
    active_projects: int


async def workspace_counts(actor: Actor) -> WorkspaceCounts:
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        clients = await session.scalar(
            select(func.count()).select_from(Client).where(Client.org_id == staff.org_id, Client.archived.is_(False))
        )
        contacts = await session.scalar(
            select(func.count()).select_from(Contact).where(Contact.org_id == staff.org_id, Contact.active.is_(True))
        )
        portal = await session.scalar(
            select(func.count())
            .select_from(Contact)
            .where(Contact.org_id == staff.org_id, Contact.active.is_(True), Contact.portal_enabled.is_(True))
        )
        projects = await session.scalar(
            select(func.count())
            .select_from(Project)
            .where(Project.org_id == staff.org_id, Project.status == ProjectStatus.active)
        )
    return WorkspaceCounts(clients or 0, contacts or 0, portal or 0, projects or 0)
