"""Adapters to the outside world: the Stripe stand-in driven through the real library."""
