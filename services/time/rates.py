"""A project's hourly rate (and its currency) and hour budget, and a member's default rate: staff-side only.

Owners, admins and the project's lead set them. The portal never reads them: no portal view has a field for a
rate, and the Hours page shows only the budget in hours and what is used of it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from models.organizations import Membership, Organization
from services.core import audit, events, money
from services.core.actors import Actor, StaffActor, require_admin, require_staff
from services.core.common import parse_id
from services.core.db import unit_of_work
from services.core.errors import Forbidden, Invalid, NotFound
from services.projects.projects import KEEP, Keep, ProjectChanges, apply_changes, load_project

MAX_BUDGET_HOURS = Decimal(100_000)


@dataclass(frozen=True, slots=True)
class ProjectRates:
    project_id: uuid.UUID
    hourly_rate_minor: int | None
    currency: str  # the rate's; the organization's default until one is set
    budget_minutes: int | None

    @property
    def hourly_rate(self) -> str | None:
        """The rate as decimal text in its currency's decimals ("95.00"), as the API writes money."""
        if self.hourly_rate_minor is None:
            return None
        return money.format_decimal(self.hourly_rate_minor, self.currency)

    @property
    def budget_hours(self) -> str | None:
        if self.budget_minutes is None:
            return None
        return str((Decimal(self.budget_minutes) / 60).quantize(Decimal("0.01")))


def _may_set(actor: StaffActor, lead_user_id: uuid.UUID | None) -> None:
    if not actor.is_admin and lead_user_id != actor.user_id:
        raise Forbidden("Only owners, admins and the project's lead set its rate and budget.")


def _budget(value: str | None) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    hours = money.decimal(value, "budget_hours", "Budget")
    if hours <= 0 or hours > MAX_BUDGET_HOURS:
        raise Invalid("The budget must be more than 0 and at most 100,000 hours.", "budget_hours")
    return int((hours * 60).to_integral_value())


async def get_project_rates(actor: Actor, project_id: uuid.UUID | str) -> ProjectRates:
    require_staff(actor)
    async with unit_of_work(actor) as session:
        project = await load_project(session, actor, project_id)
        org = await session.get(Organization, project.org_id)
        assert org is not None
        return ProjectRates(
            project.id, project.hourly_rate_minor, project.rate_currency or org.default_currency, project.budget_minutes
        )


async def set_project_rates(
    actor: Actor,
    project_id: uuid.UUID | str,
    *,
    hourly_rate: str | Keep | None = KEEP,
    currency: str | Keep = KEEP,
    budget_hours: str | Keep | None = KEEP,
    changes: ProjectChanges | None = None,
) -> ProjectRates:
    """Set what is given (KEEP leaves a value; None or "" clears a rate or a budget), with the project's own
    `changes` in the same transaction when given (the API's PATCH): all of it, or nothing."""
    member = require_staff(actor)
    async with unit_of_work(actor) as session:
        project = await load_project(session, actor, project_id)
        _may_set(member, project.lead_user_id)
        if changes is not None:
            await apply_changes(session, actor, project, changes)
        org = await session.get(Organization, project.org_id)
        assert org is not None
        code = (
            money.currency(currency)
            if not isinstance(currency, Keep)
            else (project.rate_currency or org.default_currency)
        )
        problems: list[Invalid] = []
        before = (project.hourly_rate_minor, project.rate_currency, project.budget_minutes)
        if not isinstance(hourly_rate, Keep):
            try:
                rate = (
                    None
                    if hourly_rate in (None, "")
                    else money.to_minor(hourly_rate, code, "hourly_rate", "Hourly rate")
                )
                if rate is not None and rate <= 0:
                    raise Invalid("The hourly rate must be more than 0.", "hourly_rate")
                project.hourly_rate_minor = rate
            except Invalid as exc:
                problems.append(exc)
        project.rate_currency = code
        if not isinstance(budget_hours, Keep):
            try:
                project.budget_minutes = _budget(budget_hours)
            except Invalid as exc:
                problems.append(exc)
        if problems:
            raise Invalid.of(problems)
        after = (project.hourly_rate_minor, project.rate_currency, project.budget_minutes)
        if after != before:
            audit.record(
                session,
                actor,
                "project.rates_changed",
                target_type="project",
                target_id=project.id,
                target_label=project.name,
                detail={
                    "hourly_rate_minor": project.hourly_rate_minor,
                    "currency": code,
                    "budget_minutes": project.budget_minutes,
                },
            )
            # the budget shows on the portal's Hours page: its pages redraw
            events.publish(session, events.ProjectActivity(project.org_id, project.client_id, project.id))
        return ProjectRates(project.id, project.hourly_rate_minor, code, project.budget_minutes)


async def set_default_rate(actor: Actor, user_id: uuid.UUID | str, hourly_rate: str | None) -> int | None:
    """A member's default hourly rate, in the organization's default currency (owners and admins)."""
    admin = require_admin(actor)
    async with unit_of_work(actor) as session:
        membership = await session.scalar(
            select(Membership).where(
                Membership.org_id == admin.org_id, Membership.user_id == parse_id(user_id, "Staff member not found")
            )
        )
        if membership is None:
            raise NotFound("Staff member not found")
        org = await session.get(Organization, admin.org_id)
        assert org is not None
        rate = (
            None
            if hourly_rate in (None, "")
            else money.to_minor(hourly_rate, org.default_currency, "hourly_rate", "Hourly rate")
        )
        if rate is not None and rate <= 0:
            raise Invalid("The hourly rate must be more than 0.", "hourly_rate")
        if membership.default_rate_minor != rate:
            membership.default_rate_minor = rate
            audit.record(
                session,
                actor,
                "staff.rate_changed",
                target_type="staff",
                target_id=membership.user_id,
                detail={"hourly_rate_minor": rate, "currency": org.default_currency},
            )
        return rate
