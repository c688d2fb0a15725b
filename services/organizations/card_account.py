"""Where an organization's card payments go (SPEC §16), and why there are none when there are none.

Each agency is paid into its own connected Stripe account. Under PORTAL_STRIPE_DIRECT an install with one
organization is paid into the platform's own account instead. An account Stripe has reported as unable to take
charges gets no Pay button; one whose state Stripe has never reported (bound from the command line while Stripe
could not be asked) does, and Stripe itself refuses the session if charges are off.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from models.organizations import Organization
from services.adapters import stripe_gateway
from services.core.actors import SystemActor
from services.core.db import unit_of_work


@dataclass(frozen=True, slots=True)
class CardAccount:
    """The Stripe account card payments go to: a connected account's id, or PLATFORM (None) under direct mode."""

    account: str | None


def card_account(org: Organization) -> CardAccount | None:
    """The account this organization's Checkout Sessions are made on; None when it can take no card payments."""
    if not stripe_gateway.configured():
        return None
    if stripe_gateway.get_config().direct:
        return CardAccount(stripe_gateway.PLATFORM)
    if not org.stripe_account_id:
        return None
    if org.stripe_state_at is not None and not org.stripe_charges_enabled:
        return None
    return CardAccount(org.stripe_account_id)


def why_no_card_payments(org: Organization) -> str:
    """For staff: why clients see no Pay button ("" when they do)."""
    if not stripe_gateway.configured():
        return "Stripe is not configured on this server, so clients cannot pay by card."
    if card_account(org) is not None:
        return ""
    if not org.stripe_account_id:
        return "Clients cannot pay by card until a Stripe account is connected in Settings → Card payments."
    return (
        "Clients cannot pay by card yet: Stripe has not enabled charges on the connected account. "
        "Finish Stripe's onboarding from Settings → Card payments."
    )


DIRECT_WITH_MANY = (
    "PORTAL_STRIPE_DIRECT=true takes every card payment into the platform's own Stripe account, so it serves one "
    "organization only. This install has {count}: connect each agency's own Stripe account instead "
    "(unset PORTAL_STRIPE_DIRECT)."
)

DIRECT_HAS_ONE = (
    "PORTAL_STRIPE_DIRECT=true serves one organization only, and this install has it already. To host more "
    "agencies, connect each one's own Stripe account (and unset PORTAL_STRIPE_DIRECT)."
)


async def count_organizations() -> int:
    async with unit_of_work(SystemActor(label="startup")) as session:
        return int(await session.scalar(select(func.count()).select_from(Organization)) or 0)


async def direct_mode_refusal() -> str:
    """Why `serve` must not start ("" when it may): direct mode with more than one organization would pay one
    agency's clients into an account that is not theirs."""
    if not stripe_gateway.get_config().direct:
        return ""
    count = await count_organizations()
    return DIRECT_WITH_MANY.format(count=count) if count > 1 else ""
