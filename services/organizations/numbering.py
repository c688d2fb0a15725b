"""Each organization's document numbers: invoices and quotes each have their own prefix and sequence."""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from models.organizations import Organization

Sequence = Literal["invoice", "quote"]
_COLUMNS = {
    "invoice": (Organization.invoice_prefix, Organization.next_invoice_number),
    "quote": (Organization.quote_prefix, Organization.next_quote_number),
}


async def next_number(session: AsyncSession, org_id: uuid.UUID, sequence: Sequence) -> str:
    """Take the organization's next number of `sequence`: one UPDATE … RETURNING, so concurrent drafts never share
    one, and a rollback gives it back."""
    prefix_column, counter = _COLUMNS[sequence]
    row = (
        await session.execute(
            update(Organization)
            .where(Organization.id == org_id)
            .values({counter: counter + 1})
            .returning(prefix_column, counter)
            .execution_options(synchronize_session=False)
        )
    ).one()
    prefix, following = row
    return f"{prefix}{following - 1:04d}"
