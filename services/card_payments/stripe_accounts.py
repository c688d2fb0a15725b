"""Which Stripe account each organization is paid into (Stripe Connect, SPEC §16).

An organization is bound to one connected account, and an account to one organization at most (a unique
column): the first guard that one agency's payments never land in another's account. This module binds an
existing account from the command line (`main.py set-stripe-account`); onboarding through Account Links and
making every Stripe call on the organization's account come next (issue 21).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models.organizations import Organization
from services.core import audit, events
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.errors import Conflict, Invalid, NotFound

ACCOUNT_ID = re.compile(r"acct_[A-Za-z0-9]{6,60}")


def check_account_id(value: str) -> str:
    account = (value or "").strip()
    if not ACCOUNT_ID.fullmatch(account):
        raise Invalid("A Stripe account id looks like acct_1Nv0FGQ9RKHgCVdK.", "account")
    return account


async def bind_account(slug: str, account_id: str, *, label: str = "cli") -> str:
    """Bind the organization with this slug to an existing connected account; its id. The account's state
    (charges, payouts, requirements) is unknown until Stripe reports it, so it starts as not enabled."""
    account = check_account_id(account_id)
    actor = SystemActor(label=label)
    try:
        async with unit_of_work(actor) as session:
            org = await session.scalar(select(Organization).where(Organization.slug == (slug or "").strip().lower()))
            if org is None:
                raise NotFound(f"No organization has the slug “{slug}”.")
            taken = await session.scalar(
                select(Organization.slug).where(Organization.stripe_account_id == account, Organization.id != org.id)
            )
            if taken is not None:
                raise Conflict(f"{account} is already bound to another organization.")
            if org.stripe_account_id != account:
                before = org.stripe_account_id
                org.stripe_account_id = account
                org.stripe_charges_enabled = org.stripe_payouts_enabled = False
                org.stripe_requirements = ""
                audit.record(
                    session,
                    SystemActor(org_id=org.id, label=label),
                    "stripe.account_bound",
                    target_type="organization",
                    target_id=org.id,
                    target_label=org.name,
                    detail={"account": account, "replaced": before or ""},
                )
                events.publish(session, events.OrganizationChanged(org.id))
    except IntegrityError:  # bound elsewhere between the check and the write
        raise Conflict(f"{account} is already bound to another organization.") from None
    return account
