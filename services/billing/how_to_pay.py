"""How clients are told to pay: by card through Stripe when it is configured, and by the organization's payment
instructions (bank details and the like), which invoice mails, reminders and PDFs carry."""

from __future__ import annotations

from services.adapters import stripe_gateway


def card_payments_offered() -> bool:
    """Whether invoice links offer a Pay button (the pages decide the same way)."""
    return stripe_gateway.configured()


def instructions_missing(payment_instructions: str) -> bool:
    """No card payments and no payment instructions: an invoice mail would not tell the client how to pay."""
    return not payment_instructions.strip() and not card_payments_offered()
