"""Service tests, one folder per domain of services/; each runs on SQLite and PostgreSQL."""
