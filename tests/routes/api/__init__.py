"""The REST API over HTTP, in-process, on SQLite and PostgreSQL."""
