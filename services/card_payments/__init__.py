"""Paying invoices by card through Stripe Checkout: attempts, webhooks, reconciliation, staff views and mails."""
