"""The settings the running app was created with (pages read the base URL and feature switches here)."""

from __future__ import annotations

from portal_app.settings import Settings

_settings: Settings | None = None


def set_settings(settings: Settings) -> None:
    global _settings
    _settings = settings


def get_settings() -> Settings:
    if _settings is None:
        raise RuntimeError("create_app() has not been called")
    return _settings
