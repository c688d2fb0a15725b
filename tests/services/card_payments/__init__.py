"""Card payments: Checkout attempts, webhooks, reconciliation, the pay routes and the CLI, against the Stripe stand-in."""
