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
from services.core import clock, config, money
from services.mail import outbox
from services.staff import staff


async def _payer_addresses(session: AsyncSession, invoice: Invoice, payer: Contact | None) -> list[str]:
    """The contact who paid from the portal; for the public link, the client's billing contacts."""
    if payer is not None and payer.active:
        return [payer.email]
    return await invoices.recipients(session, invoice)


async def _agency_addresses(session: AsyncSession, org: Organization) -> list[str]:
    """The organization's support address, else its owners and admins."""
    return [org.support_email] if org.support_email else await staff.admin_emails(session, org.id)


def _fmt(minor: int, currency: str) -> str:
    return f"{money.format_decimal(minor, currency)} {currency}"


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
    cur = invoice.currency
    remaining = max(invoice.total_minor - invoice.amount_paid_minor, 0)
    overpaid = max(invoice.amount_paid_minor - invoice.total_minor, 0)
    if overpaid:
        balance = f"This is {_fmt(overpaid, cur)} more than was due; {org.name} will be in touch about the difference."
    elif remaining:
        balance = f"{_fmt(remaining, cur)} is still due on this invoice."
    else:
        balance = "The invoice is now paid in full."
    reference = f"Stripe {attempt.stripe_session_id}"
    today = clock.now().date()
    receipt = (
        f"Hello,\n\nThank you. {org.name} received your card payment of {_fmt(amount, cur)} "
        f"for invoice {invoice.number} on {today:%d %B %Y}.\n\n"
        f"Invoice total: {_fmt(invoice.total_minor, cur)}\nPaid so far: {_fmt(invoice.amount_paid_minor, cur)}\n"
        f"{balance}\n\nPayment reference: {reference}\n\nThe invoice: {public_url(invoice.id)}\n"
    )
    for address in await _payer_addresses(session, invoice, payer):
        outbox.queue(
            session,
            to=address,
            subject=f"Receipt: {_fmt(amount, cur)} for invoice {invoice.number}",
            text=receipt,
            org_id=org.id,
        )
    notes = []
    if amount != due_before:
        notes.append(f"Note: {_fmt(due_before, cur)} was due when the payment was made.")
    if overpaid:
        notes.append(f"The invoice is overpaid by {_fmt(overpaid, cur)}.")
    staff_text = (
        f"{client.name} paid {_fmt(amount, cur)} by card for invoice {invoice.number}.\n\n"
        f"Paid by: {payer.email if payer else 'the public invoice link'}\n"
        f"Invoice total: {_fmt(invoice.total_minor, cur)}\nPaid so far: {_fmt(invoice.amount_paid_minor, cur)}\n"
        f"Still due: {_fmt(remaining, cur)}\n{chr(10).join(notes)}\n\nStripe: {attempt.stripe_session_id}\n"
        f"Invoice: {config.get().base_url}/invoices/{invoice.id}\n"
    )
    for address in await _agency_addresses(session, org):
        outbox.queue(
            session,
            to=address,
            subject=f"Payment received: {invoice.number} · {_fmt(amount, cur)} from {client.name}",
            text=staff_text,
            org_id=org.id,
        )


async def failure(session: AsyncSession, attempt: CheckoutAttempt, invoice: Invoice) -> None:
    org = await session.get(Organization, invoice.org_id)
    assert org is not None
    payer = await session.get(Contact, attempt.contact_id) if attempt.contact_id else None
    amount = _fmt(attempt.amount_minor, attempt.currency)
    text = (
        f"Hello,\n\nYour payment of {amount} for invoice {invoice.number} from {org.name} did not go through, "
        f"and nothing was taken. The invoice is still open; you can pay it here:\n\n{public_url(invoice.id)}\n"
    )
    for address in await _payer_addresses(session, invoice, payer):
        outbox.queue(
            session, to=address, subject=f"Payment for invoice {invoice.number} failed", text=text, org_id=org.id
        )
    for address in await _agency_addresses(session, org):
        outbox.queue(
            session,
            to=address,
            subject=f"Payment failed: {invoice.number} · {amount}",
            text=f"A bank payment of {amount} for invoice {invoice.number} failed. The invoice is still open.\n"
            f"Invoice: {config.get().base_url}/invoices/{invoice.id}\n",
            org_id=org.id,
        )


async def review(
    session: AsyncSession, attempt: CheckoutAttempt, invoice: Invoice, problem: str, found: CheckoutSession
) -> None:
    org = await session.get(Organization, invoice.org_id)
    assert org is not None
    charged = _fmt(found.amount_total, found.currency) if found.amount_total and found.currency else "an amount"
    text = (
        f"Stripe reports a card payment of {charged} for invoice {invoice.number} that Portico did not apply.\n\n"
        f"{problem}\n\nPlease check it in Stripe (session {found.id}) and refund or record it by hand.\n"
        f"Invoice: {config.get().base_url}/invoices/{invoice.id}\n"
    )
    for address in await _agency_addresses(session, org):
        outbox.queue(session, to=address, subject=f"Payment needs review: {invoice.number}", text=text, org_id=org.id)
