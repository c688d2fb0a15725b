"""Reusable UI pieces fed with view data and callbacks. No database access, no services."""
