"""Core: migrations and typed text."""
