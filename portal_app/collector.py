"""What exists once `serve` has started is kept out of Python's garbage collections.

bench/soak.py found the event loop stopped for 1-2 s at a time under load (200 open tabs, page views, payments):
CPython 3.11's full collection walks every object in the process, and with hundreds of tabs open that is
millions. Objects made at start-up (modules, classes, the app and its routes, SQLAlchemy's mappers) live as long
as the process and never become garbage: frozen, no collection walks them again (1.8 s → 1.6 s worst stall).
Most of a closed page's objects no longer need the cyclic collector at all (portal_app/element_cleanup.py).

Two further settings were measured and refused (README, Reliability): raising the collection thresholds made full
collections rare, but the views' garbage piled up (RSS +50 % in a minute); freezing what survives each full
collection, thawing once a minute, took the usual stall to 0.1 s but the once-a-minute collection that walks
everything (and the minute of garbage frozen meanwhile) reached 2.3 s, past NiceGUI's 2 s ping timeout: 27 of 200
tabs dropped where Python's own settings dropped none.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger("portico.collector")


def tune() -> None:
    """Call once start-up is done, in the serving process."""
    gc.collect()  # what start-up left behind goes first, so it is not frozen
    gc.freeze()
    log.info("garbage collector: %d start-up objects frozen out of collections", gc.get_freeze_count())
