"""After-commit events: what changed, published once the transaction that changed it commits.

Pages subscribe to hear what changed (a contact's sessions ended, a card moved, a payment arrived), so open
tabs react at once. (Mail to people about changes is `projects.notifications`, not this.) Services never import
NiceGUI: they publish plain dataclasses here. Every field is an id, a set of ids or a flag, never text: with
several processes each event also travels to the others (services.core.broadcast), which deliver it to their
own listeners.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

log = logging.getLogger("portico.events")

_PENDING_KEY = "pending_events"


@dataclass(frozen=True, slots=True)
class PortalSessionsEnded:
    """These portal sessions were ended (sign-out, revocation, contact deactivated or access removed)."""

    org_id: uuid.UUID
    session_ids: frozenset[uuid.UUID]


@dataclass(frozen=True, slots=True)
class StaffSessionsEnded:
    """These staff sessions of one user were ended (a password reset ends them all, in every organization)."""

    user_id: uuid.UUID
    session_ids: frozenset[uuid.UUID]


@dataclass(frozen=True, slots=True)
class StaffRoleChanged:
    """A staff user's role in the organization changed: their open tabs reload, so they act with the new one."""

    org_id: uuid.UUID
    user_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class OrganizationChanged:
    """The organization's settings changed (name, slug, branding, portal switch, logo): cached copies are stale."""

    org_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class InvoicePaymentChanged:
    """A card payment on this invoice landed, or its attempt changed state: pages showing it refresh."""

    org_id: uuid.UUID
    client_id: uuid.UUID
    invoice_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ProjectActivity:
    """Something on this project changed. Ids only: listeners re-read through their own actor.

    `internal` changes (internal updates and comments, assignments) are of no concern to portal pages,
    which do not even redraw for them, so their timing tells a client nothing.
    """

    org_id: uuid.UUID
    client_id: uuid.UUID
    project_id: uuid.UUID
    internal: bool = False


@dataclass(frozen=True, slots=True)
class FilesChanged:
    """A file of this client was added, changed or removed (`project_id` None: a client-level file). Files the
    client does not see are `internal`: portal pages do not even redraw for them."""

    org_id: uuid.UUID
    client_id: uuid.UUID
    project_id: uuid.UUID | None = None
    internal: bool = False


@dataclass(frozen=True, slots=True)
class TimeChanged:
    """Time entries were logged, changed, decided or billed (`client_id`/`project_id` None: several at once). Staff
    time pages recount; the portal's Hours page hears of it only through ProjectActivity that is not internal."""

    org_id: uuid.UUID
    client_id: uuid.UUID | None = None
    project_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class InboxChanged:
    """The staff inbox changed: new items (`user_id` None: every staff user's count), or what one staff user has
    read (`user_id`: only that user's pages need to recount)."""

    org_id: uuid.UUID
    user_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class CatalogChanged:
    """The organization's services changed (added, edited, hidden, archived, reordered): Services pages redraw."""

    org_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class QuotesChanged:
    """A quote of this client was drafted, changed, sent, answered or deleted: quote lists and pages redraw."""

    org_id: uuid.UUID
    client_id: uuid.UUID
    quote_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class PurchasesChanged:
    """A purchase or subscription of this client changed (`client_id` None: a visitor's, with no client yet)."""

    org_id: uuid.UUID
    client_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class MailQueued:
    """Mail was queued: the outbox worker (in whichever process runs it) sends it now rather than at its next tick."""


@dataclass(frozen=True, slots=True)
class DocumentsOwed:
    """A document became owed (a project started, a milestone was done, staff asked to regenerate): the documents
    worker, in whichever process runs it, makes it now rather than at its next tick."""


@dataclass(frozen=True, slots=True)
class DocumentsChanged:
    """A generated document of this project was made, remade or changed: staff document lists refresh."""

    org_id: uuid.UUID
    project_id: uuid.UUID


Listener = Callable[[object], None]
_listeners: list[Listener] = []
# Where events also go once delivered here: the other processes (services.core.broadcast), when several run.
_forwarders: list[Listener] = []


def subscribe(listener: Listener) -> Callable[[], None]:
    """Register `listener`; returns the call that removes it again."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def publish(session: AsyncSession, item: object) -> None:
    """Deliver `item` to subscribers once `session` commits; dropped if it rolls back."""
    session.info.setdefault(_PENDING_KEY, []).append(item)


def forward(forwarder: Listener) -> Callable[[], None]:
    """Also hand every event committed here to `forwarder` (after this process's own listeners); returns the call
    that stops it."""
    _forwarders.append(forwarder)
    return lambda: _forwarders.remove(forwarder) if forwarder in _forwarders else None


def deliver_here(item: object) -> None:
    """`item` to this process's listeners: an event committed here, or one another process committed."""
    for listener in list(_listeners):
        try:
            listener(item)
        except Exception:  # one broken page must not stop the others hearing it
            log.exception("event listener failed for %r", item)


@event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    for item in session.info.pop(_PENDING_KEY, []):
        deliver_here(item)
        for forwarder in list(_forwarders):
            try:
                forwarder(item)
            except Exception:
                log.exception("event forwarder failed for %r", item)


@event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
