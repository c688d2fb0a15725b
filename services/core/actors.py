"""Who is acting. Every service call carries one; the scoping hook and the queries key on it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from models.organizations import Role
from services.core.errors import Forbidden, NotFound


@dataclass(frozen=True, slots=True)
class StaffActor:
    org_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    email: str
    ip: str = ""
    via: str = "staff"  # "staff" (workspace) or "api" (bearer token)

    @property
    def is_admin(self) -> bool:
        return self.role in (Role.owner, Role.admin)


@dataclass(frozen=True, slots=True)
class PortalActor:
    """A signed-in client contact: sees its own client's rows only, never internal ones."""

    org_id: uuid.UUID
    client_id: uuid.UUID
    contact_id: uuid.UUID
    email: str
    ip: str = ""


@dataclass(frozen=True, slots=True)
class SystemActor:
    """Scheduled jobs and the CLI acting for the platform; `org_id` narrows it to one organization."""

    org_id: uuid.UUID | None = None
    label: str = "system"
    ip: str = ""


Actor = StaffActor | PortalActor | SystemActor


def require_staff(actor: Actor) -> StaffActor:
    """Staff-only services answer a portal actor with "not found", like any row it may not see."""
    if isinstance(actor, StaffActor):
        return actor
    raise NotFound()


def require_admin(actor: Actor) -> StaffActor:
    staff = require_staff(actor)
    if not staff.is_admin:
        raise Forbidden("Only owners and admins can do this.")
    return staff
