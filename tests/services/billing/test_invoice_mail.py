"""The invoice mail: by name, branded, in the organization's formats, and telling the client how to pay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select

from models import OutboxMail
from services.adapters import stripe_gateway
from services.billing import how_to_pay, invoices
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.core.formatting import Formats
from services.mail import outbox
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import draft, make_billing, set_org
from tests.support.mail import HOSTILE_NAME, html_part, plain_text, sender_name

DUE = date(2026, 4, 9)


@pytest.fixture
async def world(database, at) -> OrgWorld:
    return await make_world("acme")


@pytest.fixture
def stripe_on() -> Iterator[None]:
    """Card payments on, into the platform's account for this one organization (PORTAL_STRIPE_DIRECT): sending an
    invoice mail calls no Stripe endpoint."""
    stripe_gateway.configure(stripe_gateway.StripeConfig(secret_key="sk_test_mail", direct=True))
    yield
    stripe_gateway.configure(stripe_gateway.StripeConfig())


async def send(world: OrgWorld, amount: str = "1200.50") -> list[OutboxMail]:
    detail = await draft(world.actor, world.client.id, amount, due=DUE)
    await invoices.send_invoice(world.actor, detail.id)
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(OutboxMail).order_by(OutboxMail.to_addr)))


async def test_without_stripe_the_mail_offers_no_pay_and_carries_the_payment_instructions(world):
    await set_org(world.actor.org_id, payment_instructions="IBAN DE00 1234\nReference: the invoice number")
    [mail] = await send(world)
    assert mail.body_text.startswith("Hello Acme Client,\n\n")  # no billing contact: the client's own email
    assert "Acme has sent you invoice INV-0001 for $1,200.50, due on Apr 9, 2026." in mail.body_text
    assert "View or download it here:" in mail.body_text and "pay it" not in mail.body_text
    assert "How to pay:\n\nIBAN DE00 1234\nReference: the invoice number\n" in mail.body_text
    assert "IBAN DE00 1234<br>Reference: the invoice number" in mail.body_html


async def test_without_stripe_or_instructions_the_mail_says_nothing_of_paying_and_staff_are_told(world):
    assert how_to_pay.instructions_missing("", card_payments=False)
    assert how_to_pay.instructions_missing("  \n ", card_payments=False)
    assert not how_to_pay.instructions_missing("IBAN DE00", card_payments=False)
    [mail] = await send(world)
    assert "View or download it here:" in mail.body_text
    assert "pay" not in mail.body_text.lower().replace("payment", "")
    assert "How to pay" not in mail.body_text


async def test_with_stripe_the_mail_keeps_the_pay_link_and_the_instructions(world, stripe_on):
    assert not how_to_pay.instructions_missing("", card_payments=True)
    [bare] = await send(world)
    assert "View, download or pay it here:" in bare.body_text and "How to pay" not in bare.body_text
    await set_org(world.actor.org_id, payment_instructions="Or by bank transfer: IBAN DE00 1234")
    mails = await send(world, "10.00")
    assert "View, download or pay it here:" in mails[-1].body_text
    assert "Or by bank transfer: IBAN DE00 1234" in mails[-1].body_text


async def test_each_billing_contact_is_greeted_by_name_in_both_parts(world, smtp):
    await make_billing(world.contact.id)
    await set_org(world.actor.org_id, name=HOSTILE_NAME, payment_instructions="<b>Pay</b> & thanks")
    await send(world)
    assert await outbox.send_due() == 1
    [message] = smtp.inbox.wait_for(1)
    text, html = plain_text(message), html_part(message)
    assert text.startswith("Hello Jane Doe,\n\n") and f"{HOSTILE_NAME} has sent you invoice" in text
    assert "<b>Pay</b> & thanks" in text
    assert "Hello Jane Doe," in html and "&lt;b&gt;Pay&lt;/b&gt; &amp; thanks" in html
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html
    assert "$1,200.50" in html and "/i/" in html
    assert sender_name(message) == HOSTILE_NAME
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "INV-0001.pdf"


async def test_money_and_dates_read_as_the_organization_writes_them(world):
    await set_org(world.actor.org_id, locale="de_DE", timezone="Europe/Berlin")
    [mail] = await send(world)
    german = Formats("de_DE", "Europe/Berlin")
    assert f"for {german.money(120050, 'USD')}, due on {german.day(DUE)}." in mail.body_text
    assert "1200.50 USD" not in mail.body_text
