"""How clients are told to pay: by card through Stripe when the organization takes card payments (its connected
account, §16), and by the organization's payment instructions (bank details and the like), which invoice mails,
reminders and PDFs carry."""

from __future__ import annotations

from models.organizations import Organization
from services.organizations.card_account import card_account


def card_payments_offered(org: Organization) -> bool:
    """Whether this organization's invoice links offer a Pay button (the pages decide the same way)."""
    return card_account(org) is not None


def instructions_missing(payment_instructions: str, *, card_payments: bool) -> bool:
    """No card payments and no payment instructions: an invoice mail would not tell the client how to pay."""
    return not payment_instructions.strip() and not card_payments
