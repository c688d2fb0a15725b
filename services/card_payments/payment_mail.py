"""The mails a card payment sends: receipts to the payer and the agency, a failed bank debit, money to review.

Queued in the transaction that records the outcome, so each goes out exactly when the outcome is stored.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from models.clients import Client, Contact
from models.invoices import Invoice
from models.organizations import Organization
from models.payments import CheckoutAttempt
from services.adapters.stripe_gateway import CheckoutSession
from services.billing import invoices
from services.billing.invoice_views import public_url
from services.core import clock, config
from services.core.formatting import Formats
from services.mail import layout, outbox
from services.mail.layout import Recipient
from services.staff import staff


async def _payers(session: AsyncSession, invoice: Invoice, payer: Contact | None) -> list[Recipient]:
    """The contact who paid from the portal; for the public link, the client's billing contacts."""
    if payer is not None and payer.active:
        return [Recipient(payer.email, payer.name)]
    return await invoices.recipients(session, invoice)


async def agency(session: AsyncSession, org: Organization) -> list[Recipient]:
    """The organization's support address, else its owners and admins (`staff.agency_recipients`)."""
    return await staff.agency_recipients(session, org)


def queue(
    session: AsyncSession,
    org: Organization,
    to: list[Recipient],
    subject: str,
    blocks: list[layout.Block],
    *,
    to_client: bool,
) -> None:
    """One mail per recipient, greeted by name; a client's carries the organization's closing lines."""
    brand = layout.Branding.of(org)
    footer = layout.sender_footer(org) if to_client else ()
    for recipient in to:
        mail = layout.compose(brand, recipient.name, blocks, footer)
        outbox.queue(session, to=recipient.email, subject=subject, text=mail.text, html=mail.html, org_id=org.id)


def _staff_link(invoice: Invoice) -> layout.Button:
    return layout.Button("Open the invoice", f"{config.get().base_url}/invoices/{invoice.id}")


async def receipts(
    session: AsyncSession,
    invoice: Invoice,
    attempt: CheckoutAttempt,
    payer: Contact | None,
    amount: int,
    due_before: int,
) -> None:
    org = await session.get(Organization, invoice.org_id)
    client = await session.get(Client, invoice.client_id)
    assert org is not None and client is not None
    formats = Formats(org.locale, org.timezone)
    cur = invoice.currency

    def fmt(minor: int) -> str:
        return formats.money(minor, cur)

    remaining = max(invoice.total_minor - invoice.amount_paid_minor, 0)
    overpaid = max(invoice.amount_paid_minor - invoice.total_minor, 0)
    if overpaid:
        balance = f"This is {fmt(overpaid)} more than was due; {org.name} will be in touch about the difference."
    elif remaining:
        balance = f"{fmt(remaining)} is still due on this invoice."
    else:
        balance = "The invoice is now paid in full."
    totals = f"Invoice total: {fmt(invoice.total_minor)}\nPaid so far: {fmt(invoice.amount_paid_minor)}"
    queue(
        session,
        org,
        await _payers(session, invoice, payer),
        f"Receipt: {fmt(amount)} for invoice {invoice.number}",
        [
            f"Thank you. {org.name} received your card payment of {fmt(amount)} "
            f"for invoice {invoice.number} on {formats.day(clock.now().astimezone(formats.zone).date())}.",
            f"{totals}\n{balance}",
            f"Payment reference: Stripe {attempt.stripe_session_id}",
            "The invoice:",
            layout.Button("View the invoice", public_url(invoice.id)),
        ],
        to_client=True,
    )
    notes = []
    if amount != due_before:
        notes.append(f"Note: {fmt(due_before)} was due when the payment was made.")
    if overpaid:
        notes.append(f"The invoice is overpaid by {fmt(overpaid)}.")
    queue(
        session,
        org,
        await agency(session, org),
        f"Payment received: {invoice.number} · {fmt(amount)} from {client.name}",
        [
            f"{client.name} paid {fmt(amount)} by card for invoice {invoice.number}.",
            f"Paid by: {payer.email if payer else 'the public invoice link'}\n{totals}\nStill due: {fmt(remaining)}",
            "\n".join(notes),
            f"Stripe: {attempt.stripe_session_id}",
            _staff_link(invoice),
        ],
        to_client=False,
    )


async def failure(session: AsyncSession, attempt: CheckoutAttempt, invoice: Invoice) -> None:
    org = await session.get(Organization, invoice.org_id)
    assert org is not None
    payer = await session.get(Contact, attempt.contact_id) if attempt.contact_id else None
    amount = Formats(org.locale, org.timezone).money(attempt.amount_minor, attempt.currency)
    queue(
        session,
        org,
        await _payers(session, invoice, payer),
        f"Payment for invoice {invoice.number} failed",
        [
            f"Your payment of {amount} for invoice {invoice.number} from {org.name} did not go through, "
            "and nothing was taken. The invoice is still open; you can pay it here:",
            layout.Button("Pay the invoice", public_url(invoice.id)),
        ],
        to_client=True,
    )
    queue(
        session,
        org,
        await agency(session, org),
        f"Payment failed: {invoice.number} · {amount}",
        [
            f"A bank payment of {amount} for invoice {invoice.number} failed. The invoice is still open.",
            _staff_link(invoice),
        ],
        to_client=False,
    )


async def review(
    session: AsyncSession, attempt: CheckoutAttempt, invoice: Invoice, problem: str, found: CheckoutSession
) -> None:
    org = await session.get(Organization, invoice.org_id)
    assert org is not None
    formats = Formats(org.locale, org.timezone)
    charged = (
        formats.money(found.amount_total, found.currency) if found.amount_total and found.currency else "an amount"
    )
    queue(
        session,
        org,
        await agency(session, org),
        f"Payment needs review: {invoice.number}",
        [
            f"Stripe reports a card payment of {charged} for invoice {invoice.number} that Portico did not apply.",
            problem,
            f"Please check it in Stripe (session {found.id}) and refund or record it by hand.",
            _staff_link(invoice),
        ],
        to_client=False,
    )
