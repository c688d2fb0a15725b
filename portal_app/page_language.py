"""The `<html lang>` of every page (WCAG 3.1.1): what a screen reader speaks the page's text in.

Portico's own words are English, whatever the organization's locale (which sets how money and dates read). So a
page is English in the locale's variant when Quasar has one (en-GB for en_GB, so its table and date picker read
"colour" and Monday first) and American English otherwise: a German agency's pages are English text with German
dates, and marking them "de" would have a screen reader read English with German sounds.
"""

from __future__ import annotations

import copy
from typing import cast, get_args

from nicegui import ui
from nicegui.language import Language

QUASAR_LANGUAGES = frozenset(get_args(Language))
DEFAULT_LANGUAGE: Language = "en-US"


def language_of(locale: str) -> Language:
    """The page language for an organization's locale ("en_GB" -> "en-GB", "de_DE" -> "en-US")."""
    tag = locale.replace("_", "-")
    return cast(Language, tag) if tag.startswith("en-") and tag in QUASAR_LANGUAGES else DEFAULT_LANGUAGE


def speak(locale: str) -> None:
    """Set the page being built to the organization's language. The page object is shared by every request of its
    route: the client gets its own copy rather than changing the route's for everyone."""
    client = ui.context.client
    wanted = language_of(locale)
    if client.page.resolve_language() != wanted:
        own = copy.copy(client.page)
        own.language = wanted
        client.page = own
