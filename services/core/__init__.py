"""What every domain stands on: actors, the unit of work and tenant scoping, errors, audit, after-commit events,
the clock, settings, money, formatting, paging and input text, and the migration runner."""
