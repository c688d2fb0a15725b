"""A sent invoice, its client's billing contact signed in to the portal, and Stripe's stand-in on loopback."""

from __future__ import annotations

import pytest

from services.core.actors import PortalActor
from tests.support.card_payments import Billed, connect, new_invoice
from tests.support.factories import make_world
from tests.support.invoicing import make_billing
from tests.support.stripe_standin import StripeStandIn


@pytest.fixture
async def billed(database, stripe_standin: StripeStandIn) -> Billed:
    world = await make_world("acme")
    await connect(stripe_standin, world)
    await make_billing(world.contact.id)
    contact = PortalActor(
        org_id=world.actor.org_id, client_id=world.client.id, contact_id=world.contact.id, email=world.contact.email
    )
    return Billed(world, await new_invoice(world), contact, stripe_standin)
