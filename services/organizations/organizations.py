"""Organizations (the agencies) and their settings."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Client, Contact
from models.organizations import Membership, Organization, Role
from models.projects import Project, ProjectStatus
from models.staff import StaffUser
from services.adapters import stripe_gateway
from services.core import audit, config, events, formatting, money
from services.core.actors import Actor, StaffActor, SystemActor, require_admin, require_staff
from services.core.common import ADDRESS_LINES, normalize_email, optional_text, required_text
from services.core.db import Database, get_database, unit_of_work
from services.core.errors import Conflict, Invalid, NotFound
from services.organizations import card_account
from services.staff.passwords import hash_password

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_#/-]{0,20}$")
PAGE_SIZES = ("A4", "Letter")
MAX_QUOTE_VALIDITY_DAYS = 365  # quotes.check_fields allows a year at most
MAX_LOGO_BYTES = 512 * 1024
# Recognised by content, never by file name: the PNG signature and the JPEG start-of-image marker.
LOGO_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


@dataclass(frozen=True, slots=True)
class OrganizationView:
    id: uuid.UUID
    name: str
    slug: str
    portal_enabled: bool
    accent_color: str
    welcome_message: str
    support_email: str
    has_logo: bool = False
    locale: str = formatting.DEFAULT_LOCALE
    timezone: str = formatting.DEFAULT_TIMEZONE
    require_sso: bool = False  # staff other than owners sign in only through the OpenID Connect provider
    card_payments: bool = False  # invoices with an amount due offer Pay (services.organizations.card_account)

    @property
    def formats(self) -> formatting.Formats:
        """How this organization writes money and dates."""
        return formatting.Formats(self.locale, self.timezone)


def _view(org: Organization) -> OrganizationView:
    return OrganizationView(
        id=org.id,
        name=org.name,
        slug=org.slug,
        portal_enabled=org.portal_enabled,
        accent_color=org.accent_color,
        welcome_message=org.welcome_message,
        support_email=org.support_email,
        has_logo=org.logo_content_type != "",
        locale=org.locale,
        timezone=org.timezone,
        require_sso=org.require_sso,
        card_payments=card_account.card_account(org) is not None,
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
        if stripe_gateway.get_config().direct and await session.scalar(select(Organization.id).limit(1)):
            raise Conflict(card_account.DIRECT_HAS_ONE)
        user = await session.scalar(select(StaffUser).where(StaffUser.email == email))
        if user is None:
            user = StaffUser(
                email=email, name=owner_name.strip() or email.split("@")[0], password_hash=hash_password(owner_password)
            )
            session.add(user)
        org = Organization(name=name, slug=slug, timezone=config.get().default_timezone)
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


# --- the portal's cached lookup by slug ----------------------------------------------------------------------------

# Every portal page load looks its organization up by slug before anything else; the answer changes only when staff
# change the organization's settings, which publish OrganizationChanged. Those changes are made in this process (the
# app is one process), so the event empties the cache at once; the short TTL bounds what another process (a CLI
# command) could leave stale. Views are frozen, so a cached one can be shared. Unknown slugs are not cached.
PORTAL_LOOKUP_TTL = 60.0  # seconds
_by_slug: WeakKeyDictionary[Database, dict[str, tuple[OrganizationView, float]]] = WeakKeyDictionary()
_generation = 0  # counts invalidations: a lookup that raced one does not store what it read


async def portal_by_slug(slug: str) -> OrganizationView | None:
    """`find_by_slug` for the portal's page guard, cached per database (a new database starts afresh)."""
    key = slug.lower()
    entries = _by_slug.setdefault(get_database(), {})
    hit = entries.get(key)
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]
    generation = _generation
    org = await find_by_slug(key)
    if org is not None and generation == _generation:  # no change committed while it was read
        entries[key] = (org, time.monotonic() + PORTAL_LOOKUP_TTL)
    else:
        entries.pop(key, None)
    return org


def forget_cached_organizations() -> None:
    """Drop every cached lookup (all of them: a renamed slug must stop answering under its old name)."""
    global _generation
    _generation += 1
    _by_slug.clear()


def _on_event(item: object) -> None:
    if isinstance(item, events.OrganizationChanged):
        forget_cached_organizations()


events.subscribe(_on_event)


@dataclass(frozen=True, slots=True)
class OrganizationChanges:
    name: str
    slug: str
    accent_color: str | None = None
    welcome_message: str | None = None
    support_email: str | None = None
    portal_enabled: bool | None = None
    locale: str | None = None  # a CLDR locale ("de_DE"): how money and dates read everywhere
    timezone: str | None = None  # an IANA zone ("Europe/Berlin"): where moments are shown
    require_sso: bool | None = None  # password sign-in off for all but owners (their break-glass path)


async def update_organization(actor: Actor, changes: OrganizationChanges) -> OrganizationView:
    staff = require_admin(actor)
    name = required_text(changes.name, "name", "Name", 200)
    slug = validate_slug(changes.slug)
    locale = formatting.validate_locale(changes.locale) if changes.locale is not None else None
    timezone = formatting.validate_timezone(changes.timezone) if changes.timezone is not None else None
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
            org.welcome_message = optional_text(
                changes.welcome_message, "welcome_message", "Welcome message", 2000, max_lines=50
            )
        if changes.support_email is not None:
            support = changes.support_email.strip()
            org.support_email = normalize_email(support, "support_email") if support else ""
        if changes.portal_enabled is not None:
            org.portal_enabled = changes.portal_enabled
        if locale is not None:
            org.locale = locale
        if timezone is not None:
            org.timezone = timezone
        if changes.require_sso is not None:
            org.require_sso = changes.require_sso
        after = _view(org)
        changed = {
            k: [getattr(before, k), getattr(after, k)]
            for k in OrganizationChanges.__slots__
            if getattr(before, k) != getattr(after, k)
        }
        if changed:
            events.publish(session, events.OrganizationChanged(org.id))
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


# --- invoicing settings and logo ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceSettings:
    invoice_prefix: str
    page_size: str
    default_currency: str
    payment_terms_days: int
    reminder_schedule: tuple[int, ...]  # days relative to the due date, ascending
    payment_instructions: str
    address: str
    has_logo: bool
    logo_content_type: str
    card_payments: bool = False
    quote_prefix: str = "Q-"
    quote_validity_days: int = 30  # a new quote is valid this many days from its issue date


@dataclass(frozen=True, slots=True)
class InvoiceSettingsChanges:
    """A partial update: None leaves a field as it is."""

    invoice_prefix: str | None = None
    page_size: str | None = None
    default_currency: str | None = None
    payment_terms_days: int | str | None = None
    reminder_schedule: list[int] | str | None = None  # a list, or text like "-3, 0, 7"
    payment_instructions: str | None = None
    address: str | None = None
    quote_prefix: str | None = None
    quote_validity_days: int | str | None = None


def _invoice_settings(org: Organization) -> InvoiceSettings:
    return InvoiceSettings(
        invoice_prefix=org.invoice_prefix,
        page_size=org.page_size,
        default_currency=org.default_currency,
        payment_terms_days=org.payment_terms_days,
        reminder_schedule=tuple(org.reminder_schedule or ()),
        payment_instructions=org.payment_instructions,
        address=org.address,
        has_logo=org.logo_content_type != "",
        logo_content_type=org.logo_content_type,
        card_payments=card_account.card_account(org) is not None,
        quote_prefix=org.quote_prefix,
        quote_validity_days=org.quote_validity_days,
    )


def _whole_number(value: object, field: str, label: str) -> int:
    if isinstance(value, bool | float):
        raise Invalid(f"{label} must be a whole number.", field)
    try:
        return int(str(value).strip())
    except ValueError:
        raise Invalid(f"{label} must be a whole number.", field) from None


def parse_reminder_schedule(value: list[int] | str) -> list[int]:
    """Days relative to the due date: unique whole numbers from −60 to 365, at most 10; sorted."""
    field, label = "reminder_schedule", "Each reminder"
    items = [x for x in value.replace(";", ",").split(",") if x.strip()] if isinstance(value, str) else list(value)
    days = [_whole_number(x, field, label) for x in items]
    if len(days) > 10:
        raise Invalid("At most 10 reminders.", field)
    if any(d < -60 or d > 365 for d in days):
        raise Invalid("Reminders go out from 60 days before to 365 days after the due date.", field)
    if len(set(days)) != len(days):
        raise Invalid("Each day may appear once.", field)
    return sorted(days)


def _clean_invoice_settings(changes: InvoiceSettingsChanges) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in ("invoice_prefix", "quote_prefix"):
        given = getattr(changes, name)
        if given is not None:
            prefix = given.strip()
            if not PREFIX_PATTERN.fullmatch(prefix):
                raise Invalid("The prefix may hold up to 20 letters, digits and - _ # / characters.", name)
            values[name] = prefix
    if changes.quote_validity_days is not None:
        days = _whole_number(changes.quote_validity_days, "quote_validity_days", "Quote validity")
        if not 1 <= days <= MAX_QUOTE_VALIDITY_DAYS:
            raise Invalid(f"A quote is valid from 1 to {MAX_QUOTE_VALIDITY_DAYS} days.", "quote_validity_days")
        values["quote_validity_days"] = days
    if changes.page_size is not None:
        if changes.page_size not in PAGE_SIZES:
            raise Invalid("The page size is A4 or Letter.", "page_size")
        values["page_size"] = changes.page_size
    if changes.default_currency is not None:
        values["default_currency"] = money.currency(changes.default_currency, "default_currency")
    if changes.payment_terms_days is not None:
        terms = _whole_number(changes.payment_terms_days, "payment_terms_days", "Payment terms")
        if not 0 <= terms <= 365:
            raise Invalid("Payment terms are from 0 to 365 days.", "payment_terms_days")
        values["payment_terms_days"] = terms
    if changes.reminder_schedule is not None:
        values["reminder_schedule"] = parse_reminder_schedule(changes.reminder_schedule)
    if changes.payment_instructions is not None:
        values["payment_instructions"] = optional_text(
            changes.payment_instructions, "payment_instructions", "Payment instructions", 2000, max_lines=50
        )
    if changes.address is not None:
        values["address"] = optional_text(changes.address, "address", "Address", 1000, max_lines=ADDRESS_LINES)
    return values


async def _load_own(session: AsyncSession, staff: StaffActor) -> Organization:
    org = await session.get(Organization, staff.org_id)
    if org is None:
        raise NotFound()
    return org


async def get_invoice_settings(actor: Actor) -> InvoiceSettings:
    staff = require_staff(actor)
    async with unit_of_work(actor) as session:
        return _invoice_settings(await _load_own(session, staff))


async def update_invoice_settings(actor: Actor, changes: InvoiceSettingsChanges) -> InvoiceSettings:
    staff = require_admin(actor)
    values = _clean_invoice_settings(changes)
    async with unit_of_work(actor) as session:
        org = await _load_own(session, staff)
        changed = {k: [getattr(org, k), v] for k, v in values.items() if getattr(org, k) != v}
        for key, (_, value) in changed.items():
            setattr(org, key, value)
        if changed:
            audit.record(
                session,
                actor,
                "org.invoice_settings_updated",
                target_type="organization",
                target_id=org.id,
                target_label=org.name,
                detail=changed,
            )
        return _invoice_settings(org)


def logo_type(data: bytes) -> str:
    """The logo's content type, from its first bytes; Invalid for anything but a small PNG or JPEG."""
    if not data:
        raise Invalid("The file is empty.", "logo")
    if len(data) > MAX_LOGO_BYTES:
        raise Invalid("The logo must be at most 512 KB.", "logo")
    for signature, content_type in LOGO_SIGNATURES:
        if data.startswith(signature):
            return content_type
    raise Invalid("The logo must be a PNG or JPEG image.", "logo")


async def update_logo(actor: Actor, data: bytes) -> InvoiceSettings:
    staff = require_admin(actor)
    content_type = logo_type(data)
    async with unit_of_work(actor) as session:
        org = await _load_own(session, staff)
        org.logo, org.logo_content_type = data, content_type
        events.publish(session, events.OrganizationChanged(org.id))  # the portal's header shows the logo
        audit.record(
            session,
            actor,
            "org.logo_updated",
            target_type="organization",
            target_id=org.id,
            target_label=org.name,
            detail={"content_type": content_type, "bytes": len(data)},
        )
        return _invoice_settings(org)


async def remove_logo(actor: Actor) -> InvoiceSettings:
    staff = require_admin(actor)
    async with unit_of_work(actor) as session:
        org = await _load_own(session, staff)
        if org.logo_content_type:
            org.logo, org.logo_content_type = None, ""
            events.publish(session, events.OrganizationChanged(org.id))
            audit.record(
                session, actor, "org.logo_removed", target_type="organization", target_id=org.id, target_label=org.name
            )
        return _invoice_settings(org)
