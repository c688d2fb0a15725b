"""Which Stripe account each organization is paid into (Stripe Connect, SPEC §16), and that account's state.

An organization is bound to one connected account, and an account to one organization at most (a unique
column): the first guard that one agency's payments never land in another's account. An owner or admin binds
one through Stripe's hosted onboarding ("Connect Stripe": a Standard account is created when there is none,
then an Account Link sends them to Stripe and back); an operator binds an existing one from the command line
(`main.py set-stripe-account`). Stripe reports the account's state (charges, payouts, what it still needs) on
the way back, on "Refresh", and by `account.updated` events. Every change is audited.

The way back from Stripe carries a `state` that is an HMAC of the staff session, the organization and the
account: a link opened in another browser, by another user or after a disconnect does nothing.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models.organizations import Organization
from models.payments import CheckoutAttempt, CheckoutStatus
from services.adapters import stripe_gateway
from services.adapters.stripe_gateway import AccountState, StripeUnavailable
from services.core import audit, clock, config, events
from services.core.actors import Actor, StaffActor, SystemActor, require_admin, require_staff
from services.core.common import same_secret
from services.core.db import rows_affected, unit_of_work
from services.core.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from services.organizations.card_account import card_account, why_no_card_payments

log = logging.getLogger("portico.payments")

ACCOUNT_ID = re.compile(r"acct_[A-Za-z0-9]{6,60}")
# How long the way back from Stripe's onboarding stays good: long enough to gather a company's documents.
RETURN_LIFETIME = timedelta(hours=24)
RETURN_PATH = "/settings/stripe/return"
REFRESH_PATH = "/settings/stripe/refresh"
REQUIREMENTS_MAX = 2000

UNAVAILABLE = "Stripe could not be reached. Nothing was changed; please try again in a few minutes."


class ConnectUnavailable(ServiceError):
    status_code = 503


@dataclass(frozen=True, slots=True)
class AccountView:
    """Settings' view of the organization's connected account."""

    account_id: str  # "" when none is bound
    charges_enabled: bool
    payouts_enabled: bool
    requirements_due: tuple[str, ...]
    reported_at: datetime | None  # when Stripe last reported the state; None while it never has
    card_payments: bool  # clients see a Pay button
    why_not: str  # for staff, when they do not
    direct: bool  # PORTAL_STRIPE_DIRECT: paid into the platform's own account, nothing to connect
    may_manage: bool  # owners and admins connect and disconnect


def check_account_id(value: str) -> str:
    account = (value or "").strip()
    if not ACCOUNT_ID.fullmatch(account):
        raise Invalid("A Stripe account id looks like acct_1Nv0FGQ9RKHgCVdK.", "account")
    return account


def _view(org: Organization, actor: StaffActor) -> AccountView:
    return AccountView(
        account_id=org.stripe_account_id or "",
        charges_enabled=org.stripe_charges_enabled,
        payouts_enabled=org.stripe_payouts_enabled,
        requirements_due=tuple(item for item in org.stripe_requirements.split() if item),
        reported_at=org.stripe_state_at,
        card_payments=card_account(org) is not None,
        why_not=why_no_card_payments(org),
        direct=stripe_gateway.get_config().direct,
        may_manage=actor.is_admin,
    )


async def _own_org(session: AsyncSession, actor: StaffActor, *, lock: bool = False) -> Organization:
    statement = select(Organization).where(Organization.id == actor.org_id)
    org = await session.scalar(statement.with_for_update() if lock else statement)
    if org is None:
        raise NotFound("Organization not found")
    return org


async def account_view(actor: Actor) -> AccountView:
    staff = require_staff(actor)
    async with unit_of_work(staff) as session:
        return _view(await _own_org(session, staff), staff)


# --- the state Stripe reports --------------------------------------------------------------------------------------


def _store_state(session: AsyncSession, org: Organization, state: AccountState, actor: Actor) -> bool:
    """Keep what Stripe reported; audit a change in whether the account can take charges or pay out."""
    requirements = " ".join(state.requirements_due)[:REQUIREMENTS_MAX]
    before = (org.stripe_charges_enabled, org.stripe_payouts_enabled, org.stripe_requirements)
    after = (state.charges_enabled, state.payouts_enabled, requirements)
    known = org.stripe_state_at is not None
    org.stripe_charges_enabled, org.stripe_payouts_enabled, org.stripe_requirements = after
    org.stripe_state_at = clock.now()
    events.publish(session, events.OrganizationChanged(org.id))  # Pay buttons and the portal's cached view follow
    if known and before == after:
        return False
    audit.record(
        session,
        actor,
        "stripe.account_state",
        org_id=org.id,
        target_type="organization",
        target_id=org.id,
        target_label=org.name,
        detail={
            "account": state.id,
            "charges_enabled": state.charges_enabled,
            "payouts_enabled": state.payouts_enabled,
            "requirements_due": requirements,
        },
    )
    return True


async def apply_account_update(
    session: AsyncSession, event_account: str | None, state: AccountState
) -> uuid.UUID | None:
    """An `account.updated` event: the state of the organization bound to that account, which the event must
    be about; the organization's id, or None when no organization is bound to it."""
    if not state.id or event_account not in (None, state.id):
        return None
    org = await session.scalar(select(Organization).where(Organization.stripe_account_id == state.id).with_for_update())
    if org is None:
        return None
    _store_state(session, org, state, SystemActor(org_id=org.id, label="Stripe"))
    return org.id


async def refresh_state(actor: Actor) -> AccountView:
    """ "Refresh": read the account's state back from Stripe now."""
    staff = require_staff(actor)
    async with unit_of_work(staff) as session:
        account = (await _own_org(session, staff)).stripe_account_id
    if not account:
        raise Conflict("No Stripe account is connected.")
    state = await _read_state(account)
    async with unit_of_work(staff) as session:
        org = await _own_org(session, staff, lock=True)
        if org.stripe_account_id == account:
            _store_state(session, org, state, staff)
        return _view(org, staff)


async def _read_state(account: str) -> AccountState:
    try:
        return await stripe_gateway.retrieve_account(account)
    except StripeUnavailable as exc:
        log.warning("could not read Stripe account %s: %s", account, exc.reason)
        raise ConnectUnavailable(UNAVAILABLE) from exc


# --- binding from the command line ---------------------------------------------------------------------------------


async def bind_account(slug: str, account_id: str, *, label: str = "cli") -> str:
    """Bind the organization with this slug to an existing connected account; its id.

    When Stripe can be asked, the account must be one this platform reaches, and its state is stored at once.
    When it cannot (no key, or unreachable), the account is bound with its state unknown until Stripe reports it.
    """
    account = check_account_id(account_id)
    target = (slug or "").strip().lower()
    state: AccountState | None = None
    if stripe_gateway.configured():
        try:
            state = await stripe_gateway.retrieve_account(account)
        except stripe_gateway.NoSuchAccount as exc:
            raise Invalid(f"Stripe does not know {account}, or this platform has no access to it.", "account") from exc
        except StripeUnavailable as exc:
            log.warning("binding %s with its state unknown: %s", account, exc.reason)
    try:
        async with unit_of_work(SystemActor(label=label)) as session:
            org = await session.scalar(select(Organization).where(Organization.slug == target).with_for_update())
            if org is None:
                raise NotFound(f"No organization has the slug “{slug}”.")
            actor = SystemActor(org_id=org.id, label=label)
            await _bind(session, org, account, actor, "stripe.account_bound")
            if state is not None:
                _store_state(session, org, state, actor)
    except IntegrityError:  # bound elsewhere between the check and the write
        raise Conflict(f"{account} is already bound to another organization.") from None
    return account


async def _bind(session: AsyncSession, org: Organization, account: str, actor: Actor, action: str) -> None:
    taken = await session.scalar(
        select(Organization.slug).where(Organization.stripe_account_id == account, Organization.id != org.id)
    )
    if taken is not None:
        raise Conflict(f"{account} is already bound to another organization.")
    if org.stripe_account_id == account:
        return
    before = org.stripe_account_id
    org.stripe_account_id = account
    org.stripe_charges_enabled = org.stripe_payouts_enabled = False
    org.stripe_requirements, org.stripe_state_at = "", None
    audit.record(
        session,
        actor,
        action,
        org_id=org.id,
        target_type="organization",
        target_id=org.id,
        target_label=org.name,
        detail={"account": account, "replaced": before or ""},
    )
    events.publish(session, events.OrganizationChanged(org.id))
    await session.flush()


# --- onboarding through Stripe -------------------------------------------------------------------------------------


def _connect_possible() -> None:
    if not stripe_gateway.configured():
        raise Conflict("Stripe is not configured on this server.")
    if stripe_gateway.get_config().direct:
        raise Conflict("This server takes card payments into the platform's own Stripe account (direct mode).")


def _state(session_id: uuid.UUID, org_id: uuid.UUID, account: str, expires: int) -> str:
    return f"{expires}.{config.keyed_hash('stripe-connect', str(session_id), str(org_id), account, str(expires))}"


def _state_holds(state: str, session_id: uuid.UUID, org_id: uuid.UUID, account: str) -> bool:
    expires, _, _ = (state or "").partition(".")
    if not expires.isdigit() or int(expires) < clock.now().timestamp():
        return False
    return same_secret(state, _state(session_id, org_id, account, int(expires)))


def _link_urls(session_id: uuid.UUID, org_id: uuid.UUID, account: str) -> tuple[str, str]:
    expires = int((clock.now() + RETURN_LIFETIME).timestamp())
    query = urlencode({"state": _state(session_id, org_id, account, expires)})
    base = config.get().base_url
    return f"{base}{REFRESH_PATH}?{query}", f"{base}{RETURN_PATH}?{query}"


async def start_onboarding(actor: Actor, session_id: uuid.UUID, attempt_key: str) -> str:
    """ "Connect Stripe": the URL of Stripe's onboarding for the organization's account, made first if needed.

    `attempt_key` is drawn once per Settings page, so a double click reuses the account Stripe made for the first.
    """
    staff = require_admin(actor)
    _connect_possible()
    async with unit_of_work(staff) as session:
        org = await _own_org(session, staff)
        account, name, email = org.stripe_account_id, org.name, org.support_email or staff.email
    if not account:
        try:
            created = await stripe_gateway.create_account(
                email=email,
                business_name=name,
                metadata={"portico_org_id": str(staff.org_id)},
                idempotency_key=f"portico-account-{staff.org_id}-{attempt_key}"[:255],
            )
        except StripeUnavailable as exc:
            raise ConnectUnavailable(UNAVAILABLE) from exc
        async with unit_of_work(staff) as session:
            org = await _own_org(session, staff, lock=True)
            if org.stripe_account_id is None:  # not bound from another tab meanwhile
                await _bind(session, org, created, staff, "stripe.account_created")
            account = org.stripe_account_id
    assert account is not None
    return await _onboarding_link(session_id, staff.org_id, account)


async def _onboarding_link(session_id: uuid.UUID, org_id: uuid.UUID, account: str) -> str:
    refresh_url, return_url = _link_urls(session_id, org_id, account)
    try:
        return await stripe_gateway.create_account_link(account, refresh_url=refresh_url, return_url=return_url)
    except StripeUnavailable as exc:
        raise ConnectUnavailable(UNAVAILABLE) from exc


async def _account_for_state(staff: StaffActor, session_id: uuid.UUID, state: str) -> str:
    async with unit_of_work(staff) as session:
        account = (await _own_org(session, staff)).stripe_account_id
    if not account or not _state_holds(state, session_id, staff.org_id, account):
        raise Forbidden("This link from Stripe is not for this session. Open Settings and press “Connect Stripe”.")
    return account


async def finish_onboarding(actor: Actor, session_id: uuid.UUID, state: str) -> AccountView:
    """Back from Stripe's onboarding: the account's state, read back from Stripe and stored."""
    staff = require_admin(actor)
    await _account_for_state(staff, session_id, state)
    return await refresh_state(staff)


async def renew_onboarding(actor: Actor, session_id: uuid.UUID, state: str) -> str:
    """Stripe's refresh URL (the link expired or was used): a fresh link into onboarding."""
    staff = require_admin(actor)
    _connect_possible()
    account = await _account_for_state(staff, session_id, state)
    return await _onboarding_link(session_id, staff.org_id, account)


# --- disconnecting -------------------------------------------------------------------------------------------------


async def disconnect(actor: Actor) -> int:
    """Unbind the organization's account: no Pay button until another is connected. The sessions still open on
    the account are expired at Stripe, so nobody pays into it afterwards; returns how many were. A session Stripe
    could not expire stays with its attempt: if it is paid after all, the webhook or the reconcile job records it."""
    staff = require_admin(actor)
    async with unit_of_work(staff) as session:
        org = await _own_org(session, staff, lock=True)
        account = org.stripe_account_id
        if account is None:
            raise Conflict("No Stripe account is connected.")
        org.stripe_account_id, org.stripe_state_at = None, None
        org.stripe_charges_enabled = org.stripe_payouts_enabled = False
        org.stripe_requirements = ""
        audit.record(
            session,
            staff,
            "stripe.account_disconnected",
            target_type="organization",
            target_id=org.id,
            target_label=org.name,
            detail={"account": account},
        )
        events.publish(session, events.OrganizationChanged(org.id))
        open_sessions = list(
            await session.scalars(
                select(CheckoutAttempt.stripe_session_id).where(
                    CheckoutAttempt.org_id == org.id,
                    CheckoutAttempt.stripe_account_id == account,
                    CheckoutAttempt.status == CheckoutStatus.open,
                    CheckoutAttempt.stripe_session_id.is_not(None),
                )
            )
        )
    return await _expire_sessions(account, [s for s in open_sessions if s])


async def _expire_sessions(account: str, session_ids: list[str]) -> int:
    expired = 0
    for session_id in session_ids:
        try:
            await stripe_gateway.expire_checkout_session(session_id, account=account)
        except StripeUnavailable as exc:
            log.warning("could not expire Checkout Session %s on %s: %s", session_id, account, exc.reason)
            continue
        async with unit_of_work(SystemActor(label="Stripe")) as session:
            result = await session.execute(
                update(CheckoutAttempt)
                .where(CheckoutAttempt.stripe_session_id == session_id, CheckoutAttempt.status == CheckoutStatus.open)
                .values(status=CheckoutStatus.expired, settled_at=clock.now())
            )
            expired += rows_affected(result)
    return expired
