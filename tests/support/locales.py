"""An organization that writes money and dates another way: set through the Settings service, as staff would."""

from __future__ import annotations

from services.organizations import organizations
from tests.support.factories import OrgWorld


async def speak(world: OrgWorld, locale: str, timezone: str = "UTC") -> None:
    """`world`'s organization formats for `locale` and shows moments in `timezone` (audited; portal caches emptied)."""
    org = await organizations.get_organization(world.actor)
    changes = organizations.OrganizationChanges(name=org.name, slug=org.slug, locale=locale, timezone=timezone)
    await organizations.update_organization(world.actor, changes)
