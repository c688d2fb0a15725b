"""How long an open tab and a page being built wait out a server that is busy, before giving up.

NiceGUI derives Engine.IO's ping timeout from its reconnect timeout: 2 s. A browser answers each ping at once,
but the server reads the answer on its event loop, and when that loop is held longer than 2 s (a full garbage
collection with hundreds of tabs open takes that long: bench/soak.py) the server finds every ping still
unanswered, decides each of those browsers is gone and closes its socket: the tabs reconnect and rebuild their
pages, all at once, which holds the loop again. A browser likewise gives a server up when no ping came for the
ping interval plus the timeout. A held loop must not look like a dead peer to either side: both wait
`PING_TIMEOUT` seconds, the figure Socket.IO itself uses as its default (20 s) halved, since NiceGUI pings
more often (every 4 s).

A page's build has 3 s by default before NiceGUI answers with an error page; a build waits on the database and
on the same loop, so a busy moment turned a slow answer into a failed one. It has `PAGE_BUILD_SECONDS`.
"""

from __future__ import annotations

from nicegui import core

PING_TIMEOUT = 10.0
PAGE_BUILD_SECONDS = 15.0


def tolerate_busy_moments() -> None:
    """From a start-up hook: after NiceGUI's own start-up has set its ping timings, which it does there."""
    core.sio.eio.ping_timeout = max(core.sio.eio.ping_timeout, PING_TIMEOUT)
