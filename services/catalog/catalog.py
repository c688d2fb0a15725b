"""The services catalog (SPEC §12): what an agency offers, at what price and how often, and the project a
purchase starts. Owners and admins shape it; every member reads it; the portal and the public Services page see
only what is public and not archived (services.core.scoping)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import Interval, Service
from services.core import audit, clock, events, money
from services.core.actors import Actor, PortalActor, SystemActor, require_admin, require_staff
from services.core.common import optional_text, parse_id, required_text
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid, NotFound
from services.core.scoping import on_offer, visible

MAX_MILESTONES = 20
MAX_OFFSET_DAYS = 3650
INTERVAL_LABELS = {Interval.one_time: "One-time", Interval.month: "Monthly", Interval.year: "Yearly"}


@dataclass(frozen=True, slots=True)
class TemplateMilestone:
    title: str
    offset_days: int  # due that many days after the purchase


@dataclass(frozen=True, slots=True)
class ServiceInput:
    """The staff form and POST /api/v1/services: price is a decimal string ("1200.00")."""

    name: str
    price: object
    currency: str
    interval: str = Interval.one_time.value
    description: str = ""
    public: bool = False
    milestones: tuple[TemplateMilestone, ...] = ()
    request_title: str = ""
    request_description: str = ""


@dataclass(frozen=True, slots=True)
class ServiceChanges:
    """PATCH /api/v1/services/{id}: None leaves a field as it is."""

    name: str | None = None
    price: object | None = None
    currency: str | None = None
    interval: str | None = None
    description: str | None = None
    public: bool | None = None


@dataclass(frozen=True, slots=True)
class ServiceView:
    id: uuid.UUID
    name: str
    description: str
    price_minor: int
    currency: str
    interval: Interval
    public: bool
    position: int
    archived: bool
    milestones: tuple[TemplateMilestone, ...] = field(default=())
    request_title: str = ""
    request_description: str = ""

    @property
    def recurring(self) -> bool:
        return self.interval != Interval.one_time


def _view(service: Service) -> ServiceView:
    return ServiceView(
        id=service.id,
        name=service.name,
        description=service.description,
        price_minor=service.price_minor,
        currency=service.currency,
        interval=service.interval,
        public=service.public,
        position=service.position,
        archived=service.archived_at is not None,
        milestones=tuple(
            TemplateMilestone(str(m.get("title", "")), int(m.get("offset_days", 0)))
            for m in service.template_milestones or []
        ),
        request_title=service.template_request_title,
        request_description=service.template_request_description,
    )


def interval_of(value: object) -> Interval:
    try:
        return Interval(str(value))
    except ValueError:
        raise Invalid("The interval is one of one_time, month or year.", "interval") from None


def _milestones(items: tuple[TemplateMilestone, ...]) -> list[dict]:
    if len(items) > MAX_MILESTONES:
        raise Invalid(f"A template has at most {MAX_MILESTONES} milestones.", "milestones")
    cleaned = []
    for item in items:
        title = required_text(item.title, "milestones", "Milestone title", 200)
        offset = item.offset_days
        if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET_DAYS:
            raise Invalid(f"A milestone is due 0 to {MAX_OFFSET_DAYS} days after the purchase.", "milestones")
        cleaned.append({"title": title, "offset_days": offset})
    return cleaned


def _price(value: object, currency: str) -> int:
    minor = money.to_minor(value, currency, "price", "Price")
    if minor <= 0:
        raise Invalid("The price must be above zero.", "price")
    if minor >= money.MAX_MINOR:
        raise Invalid("The price is too large.", "price")
    return minor


async def _load(session: AsyncSession, actor: Actor, service_id: uuid.UUID | str, *, lock: bool = False) -> Service:
    statement = select(Service).where(Service.id == parse_id(service_id, "Service not found"), *visible(actor, Service))
    service = await session.scalar(statement.with_for_update() if lock else statement)
    if service is None:
        raise NotFound("Service not found")
    return service


def _changed(session: AsyncSession, org_id: uuid.UUID) -> None:
    events.publish(session, events.CatalogChanged(org_id))


async def create_service(actor: Actor, data: ServiceInput) -> ServiceView:
    staff = require_admin(actor)
    currency = money.currency(data.currency)
    service = Service(
        org_id=staff.org_id,
        name=required_text(data.name, "name", "Name", 200),
        description=optional_text(data.description, "description", "Description", 4000, max_lines=200),
        price_minor=_price(data.price, currency),
        currency=currency,
        interval=interval_of(data.interval),
        public=bool(data.public),
        template_milestones=_milestones(data.milestones),
        template_request_title=optional_text(data.request_title, "request_title", "First request", 200),
        template_request_description=optional_text(
            data.request_description, "request_description", "First request's description", 4000, max_lines=200
        ),
    )
    async with unit_of_work(actor) as session:
        last = await session.scalar(select(func.max(Service.position)).where(*visible(actor, Service)))
        service.position = (last or 0) + 1
        session.add(service)
        await session.flush()
        audit.record(
            session, actor, "service.created", target_type="service", target_id=service.id, target_label=service.name
        )
        _changed(session, staff.org_id)
        return _view(service)


async def update_service(actor: Actor, service_id: uuid.UUID | str, data: ServiceInput | ServiceChanges) -> ServiceView:
    """Every field of a ServiceInput (the staff form), only those a ServiceChanges gives (the API's PATCH). A new
    price applies to purchases from now on; subscriptions keep the price they were bought at."""
    staff = require_admin(actor)
    async with unit_of_work(actor) as session:
        service = await _load(session, actor, service_id, lock=True)
        values: dict[str, object] = {}
        if data.name is not None:
            values["name"] = required_text(data.name, "name", "Name", 200)
        if data.description is not None:
            values["description"] = optional_text(data.description, "description", "Description", 4000, max_lines=200)
        currency = money.currency(data.currency) if data.currency is not None else service.currency
        if data.currency is not None:
            values["currency"] = currency
        if data.price is not None:
            values["price_minor"] = _price(data.price, currency)
        elif currency != service.currency:
            values["price_minor"] = _price(money.format_decimal(service.price_minor, service.currency), currency)
        if data.interval is not None:
            values["interval"] = interval_of(data.interval)
        if data.public is not None:
            values["public"] = bool(data.public)
        if isinstance(data, ServiceInput):
            values["template_milestones"] = _milestones(data.milestones)
            values["template_request_title"] = optional_text(data.request_title, "request_title", "First request", 200)
            values["template_request_description"] = optional_text(
                data.request_description, "request_description", "First request's description", 4000, max_lines=200
            )
        changed = {key: value for key, value in values.items() if getattr(service, key) != value}
        for key, value in changed.items():
            setattr(service, key, value)
        if changed:
            audit.record(
                session,
                actor,
                "service.updated",
                target_type="service",
                target_id=service.id,
                target_label=service.name,
                detail={"changed": sorted(changed)},
            )
            _changed(session, staff.org_id)
        return _view(service)


async def set_archived(actor: Actor, service_id: uuid.UUID | str, archived: bool) -> ServiceView:
    """Archive a service (off the menu and the staff list, its purchases and subscriptions kept) or bring it back."""
    staff = require_admin(actor)
    async with unit_of_work(actor) as session:
        service = await _load(session, actor, service_id, lock=True)
        if (service.archived_at is not None) != archived:
            service.archived_at = clock.now() if archived else None
            action = "service.archived" if archived else "service.restored"
            audit.record(session, actor, action, target_type="service", target_id=service.id, target_label=service.name)
            _changed(session, staff.org_id)
        return _view(service)


async def move_service(actor: Actor, service_id: uuid.UUID | str, steps: int) -> list[ServiceView]:
    """Move a service up (negative) or down the menu; the menu in its new order."""
    staff = require_admin(actor)
    async with unit_of_work(actor) as session:
        service = await _load(session, actor, service_id)
        ordered = list(
            await session.scalars(
                select(Service)
                .where(*visible(actor, Service), Service.archived_at.is_(None))
                .order_by(Service.position, Service.created_at)
                .with_for_update()
            )
        )
        if service not in ordered:
            raise Conflict("An archived service has no place on the menu.")
        index = ordered.index(service)
        target = max(0, min(len(ordered) - 1, index + steps))
        ordered.insert(target, ordered.pop(index))
        for position, item in enumerate(ordered, start=1):
            item.position = position
        if target != index:
            audit.record(
                session,
                actor,
                "service.moved",
                target_type="service",
                target_id=service.id,
                target_label=service.name,
                detail={"position": target + 1},
            )
            _changed(session, staff.org_id)
        return [_view(item) for item in ordered]


async def get_service(actor: Actor, service_id: uuid.UUID | str) -> ServiceView:
    async with unit_of_work(actor) as session:
        return _view(await _load(session, actor, service_id))


async def list_services(actor: Actor, *, archived: bool = False) -> list[ServiceView]:
    """Staff: the menu in order (or the archived ones). A portal contact: what is on offer."""
    if not isinstance(actor, PortalActor):
        require_staff(actor)
    async with unit_of_work(actor) as session:
        statement = select(Service).where(*visible(actor, Service))
        statement = statement.where(Service.archived_at.is_not(None) if archived else Service.archived_at.is_(None))
        rows = await session.scalars(statement.order_by(Service.position, Service.created_at))
        return [_view(row) for row in rows]


async def on_offer_at(org_id: uuid.UUID) -> list[ServiceView]:
    """The public Services page of an organization: its public, unarchived services, for anyone."""
    async with unit_of_work(SystemActor(org_id=org_id, label="services page")) as session:
        rows = await session.scalars(
            select(Service).where(Service.org_id == org_id, *on_offer()).order_by(Service.position, Service.created_at)
        )
        return [_view(row) for row in rows]


async def offered_service(session: AsyncSession, org_id: uuid.UUID, service_id: uuid.UUID | str) -> Service:
    """A service that may be bought now (public, not archived), locked for the purchase; NotFound otherwise."""
    service = await session.scalar(
        select(Service).where(
            Service.id == parse_id(service_id, "Service not found"), Service.org_id == org_id, *on_offer()
        )
    )
    if service is None:
        raise NotFound("Service not found")
    return service
