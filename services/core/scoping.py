"""The global criteria for actors: the first of two layers that keep tenants and clients apart.

Every session made by `unit_of_work` carries its actor in `session.info`. This hook adds, to every
ORM SELECT (and bulk UPDATE/DELETE) of that session, criteria that no query can forget:

- any actor tied to an organization sees only rows with its `org_id`;
- a portal actor sees only rows of its own client, its own Client row, nothing that is staff-only,
  no internal update or comment, no file that is not shared with it, no deliverable before it is sent for
  review, no version that was not sent, no time entry that is not approved, no quote still in draft and no
  service that is hidden or archived.

Queries still filter by org and client themselves (the second layer); this hook catches the query
that forgot. A session without an actor is refused, so nothing reads data unscoped by accident.
"""

from __future__ import annotations

import uuid
from functools import lru_cache

from sqlalchemy import event, false
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.util import LoaderCriteriaOption

from models.base import ClientOwned, StaffOnly, TenantOwned
from models.catalog import Service
from models.clients import Client
from models.collaboration import Comment, Update, Visibility
from models.files import Deliverable, DeliverableStatus, DeliverableVersion, File
from models.mail import OutboxMail
from models.organizations import Membership, Organization
from models.payments import StripeEvent
from models.quotes import Quote, QuoteStatus
from models.time import TimeEntry, TimeStatus
from services.core.actors import Actor, PortalActor, StaffActor, SystemActor

ACTOR_KEY = "actor"


def bind(session: AsyncSession, actor: Actor) -> None:
    session.info[ACTOR_KEY] = actor


def actor_of(session: Session) -> Actor:
    actor = session.info.get(ACTOR_KEY)
    if actor is None:
        raise RuntimeError("a session without an actor was used; open it with unit_of_work(actor)")
    return actor


@event.listens_for(Session, "do_orm_execute")
def _add_actor_criteria(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the parent query was filtered already
    actor = actor_of(state.session)
    if isinstance(actor, SystemActor) and actor.org_id is None:
        return  # platform jobs (outbox, purge) work across organizations
    if isinstance(actor, PortalActor):
        options = _portal_criteria(org_id=actor.org_id, client_id=actor.client_id)
    elif isinstance(actor, StaffActor | SystemActor):
        options = _org_criteria(actor.org_id)
    else:
        raise RuntimeError(f"unknown actor type {type(actor).__name__}")
    state.statement = state.statement.options(*options)


# Building the options (lambda analysis, closure capture) cost more than running a small page query did, on every
# statement. An option holds nothing but the ids it closes over, which are immutable and are the cache key, and
# SQLAlchemy's options are immutable and may be shared between statements: each statement gets the same option
# objects it would have built. Bounded, so a process serving many organizations keeps only the recent ones.
@lru_cache(maxsize=1024)
def _org_criteria(org_id: uuid.UUID | None) -> tuple[LoaderCriteriaOption, ...]:
    return (
        with_loader_criteria(TenantOwned, lambda cls: cls.org_id == org_id, include_aliases=True),
        with_loader_criteria(Organization, lambda cls: cls.id == org_id, include_aliases=True),
        # Organization-owned rows outside the TenantOwned mixin (memberships; mail and Stripe events, whose org may be None).
        with_loader_criteria(Membership, lambda cls: cls.org_id == org_id, include_aliases=True),
        with_loader_criteria(OutboxMail, lambda cls: cls.org_id == org_id, include_aliases=True),
        with_loader_criteria(StripeEvent, lambda cls: cls.org_id == org_id, include_aliases=True),
    )


@lru_cache(maxsize=4096)
def _portal_criteria(*, org_id: uuid.UUID, client_id: uuid.UUID) -> tuple[LoaderCriteriaOption, ...]:
    return (
        *_org_criteria(org_id),
        with_loader_criteria(ClientOwned, lambda cls: cls.client_id == client_id, include_aliases=True),
        with_loader_criteria(Client, lambda cls: cls.id == client_id, include_aliases=True),
        with_loader_criteria(StaffOnly, lambda cls: false(), include_aliases=True),
        # internal updates and comments do not exist for the portal: not in pages, counts or searches
        with_loader_criteria(Update, lambda cls: cls.visibility == Visibility.public, include_aliases=True),
        with_loader_criteria(Comment, lambda cls: cls.visibility == Visibility.public, include_aliases=True),
        # files staff keep to themselves, deliverables still in the making and unsent versions likewise
        with_loader_criteria(File, lambda cls: cls.shared.is_(True), include_aliases=True),
        with_loader_criteria(Deliverable, lambda cls: cls.status != DeliverableStatus.draft, include_aliases=True),
        with_loader_criteria(DeliverableVersion, lambda cls: cls.sent_at.is_not(None), include_aliases=True),
        # hours the client has not been shown: submitted and rejected entries
        with_loader_criteria(TimeEntry, lambda cls: cls.status == TimeStatus.approved, include_aliases=True),
        # quotes still being drafted
        with_loader_criteria(Quote, lambda cls: cls.status != QuoteStatus.draft, include_aliases=True),
        # the catalog's hidden and archived services
        with_loader_criteria(
            Service, lambda cls: cls.public.is_(True) & cls.archived_at.is_(None), include_aliases=True
        ),
    )


def on_offer() -> list:
    """The services a portal actor or a visitor of the public Services page may see: public, not archived."""
    return [Service.public.is_(True), Service.archived_at.is_(None)]


def visible(actor: Actor, model: type[TenantOwned]) -> list:
    """The explicit filters for `model` (the second layer): own organization, and own client for a portal actor."""
    if actor.org_id is None:
        raise RuntimeError("visible() needs an actor tied to an organization")
    conditions = [model.org_id == actor.org_id]
    if isinstance(actor, PortalActor):
        if issubclass(model, StaffOnly):
            conditions.append(false())
        elif issubclass(model, ClientOwned):
            conditions.append(model.client_id == actor.client_id)
            if model is Update or model is Comment:
                conditions.append(model.visibility == Visibility.public)
            elif model is File:
                conditions.append(File.shared.is_(True))
            elif model is Deliverable:
                conditions.append(Deliverable.status != DeliverableStatus.draft)
            elif model is DeliverableVersion:
                conditions.append(DeliverableVersion.sent_at.is_not(None))
            elif model is TimeEntry:
                conditions.append(TimeEntry.status == TimeStatus.approved)
            elif model is Quote:
                conditions.append(Quote.status != QuoteStatus.draft)
        elif model is Client:
            conditions.append(Client.id == actor.client_id)
        elif model is Service:
            conditions.extend(on_offer())
        else:
            conditions.append(false())
    return conditions
