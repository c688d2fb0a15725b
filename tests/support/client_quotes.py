"""Builders for quote tests: a quote drafted or sent to the world's client, its public token, its evidence, and
the sent state without rendering and mailing a PDF."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from models import Client, Organization, Quote, QuoteAcceptance, QuoteStatus, QuoteView
from services.billing.line_items import LineInput
from services.core import clock
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.quotes import quote_views, quotes
from services.quotes.quote_views import QuoteDetail
from tests.support.factories import OrgWorld

# 10 × 100.00 at 20 % tax and 240.00 untaxed: total 1,440.00
LINES = [LineInput("Website design", "10", "100.00", "20"), LineInput("Hosting", "1", "240.00", "0")]


async def draft_quote(world: OrgWorld, **changes: object) -> QuoteDetail:
    values: dict = {"client_id": world.client.id, "lines": LINES, "currency": "USD", "title": "Spring campaign site"}
    return await quotes.create_quote(world.actor, quotes.QuoteInput(**{**values, **changes}))


async def sent_quote(world: OrgWorld, **changes: object) -> QuoteDetail:
    """A quote of the world's client (or `client_id`), sent: the portal and the public link show it."""
    return await quotes.send_quote(world.actor, (await draft_quote(world, **changes)).id)


def token_of(quote: QuoteDetail) -> str:
    return quote_views.public_token(quote.id)


async def acceptances(quote_id: uuid.UUID) -> list[QuoteAcceptance]:
    async with unit_of_work(SystemActor()) as session:
        return list(await session.scalars(select(QuoteAcceptance).where(QuoteAcceptance.quote_id == quote_id)))


async def views_of(quote_id: uuid.UUID) -> list[tuple[str, str]]:
    """(via, user agent) of each recorded view of the quote, in no particular order."""
    async with unit_of_work(SystemActor()) as session:
        rows = await session.execute(select(QuoteView.via, QuoteView.user_agent).where(QuoteView.quote_id == quote_id))
        return [(via, agent) for via, agent in rows]


async def mark_quote_sent(quote_id: uuid.UUID) -> None:
    """The state send_quote leaves (sent now, its parties fixed), with no mail queued."""
    async with unit_of_work(SystemActor()) as session:
        quote = await session.get(Quote, quote_id)
        assert quote is not None
        org = await session.get(Organization, quote.org_id)
        client = await session.get(Client, quote.client_id)
        assert org is not None and client is not None
        quote.status, quote.sent_at = QuoteStatus.sent, clock.now()
        quote.parties = quote_views.parties_of(org, client)
