"""Shortcuts for quote tests: state the tests are not about, without rendering and mailing a PDF."""

from __future__ import annotations

import uuid

from models import Client, Organization, Quote, QuoteStatus
from services.core import clock
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.quotes import quote_views


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
