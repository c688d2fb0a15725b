"""Each connected tab's storage is dropped a minute after it was last changed, not 30 days.

NiceGUI makes a storage dictionary (`app.storage.tab`) for every browser tab that connects, and without Redis keeps
it in memory for `max_tab_storage_age`, 30 days by default, so that a tab coming back finds it: one more object
for every tab ever opened, some 600 a minute under the soak's page views (bench/soak.py), never given back. Portico
keeps nothing there (a page's state is in the database, a running timer in the user storage), so an empty one
is dropped after a minute; NiceGUI's own timer prunes them every 10 s. A page that one day keeps something in
`app.storage.tab` must raise this first.
"""

from __future__ import annotations

from nicegui import app

MAX_AGE_SECONDS = 60.0


def install() -> None:
    app.storage.max_tab_storage_age = MAX_AGE_SECONDS
