"""Staff users, sessions and API tokens."""
