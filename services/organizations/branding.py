"""The organization's logo, for the portal header and the invoice PDF. A logo is not a secret."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Select, select

from models.invoices import Invoice
from models.organizations import Organization
from services.core.actors import SystemActor
from services.core.db import unit_of_work


@dataclass(frozen=True, slots=True)
class Logo:
    content: bytes
    content_type: str


def _logo_query() -> Select:
    # The column itself, not the entity: `logo` is deferred, and its bytes are read only here.
    return select(Organization.logo, Organization.logo_content_type)


async def _fetch(actor: SystemActor, statement: Select) -> Logo | None:
    async with unit_of_work(actor) as session:
        row = (await session.execute(statement)).one_or_none()
    if row is None or not row.logo or not row.logo_content_type:
        return None
    return Logo(row.logo, row.logo_content_type)


async def org_logo(org_id: uuid.UUID) -> Logo | None:
    """The logo as uploaded, with its content type; None when the organization has none."""
    return await _fetch(SystemActor(org_id=org_id, label="branding"), _logo_query().where(Organization.id == org_id))


async def invoice_logo(org_id: uuid.UUID) -> bytes | None:
    """What `pdf.render_invoice` takes: the logo's bytes, or None."""
    logo = await org_logo(org_id)
    return logo.content if logo else None


async def logo_for_invoice(invoice_id: uuid.UUID) -> Logo | None:
    """The logo of the organization that issued `invoice_id` (the public invoice page knows no organization)."""
    statement = _logo_query().join(Invoice, Invoice.org_id == Organization.id).where(Invoice.id == invoice_id)
    return await _fetch(SystemActor(label="branding"), statement)
