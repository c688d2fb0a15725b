"""The agency's people: staff users and memberships, passwords, staff sessions and API tokens."""
