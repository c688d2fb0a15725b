"""A browser's user-agent string in words ("Chrome on macOS"), read with ua-parser's maintained rules.

Staff see where a client's portal sessions come from; the full string stays available in a tooltip.
"""

from __future__ import annotations

import functools

from ua_parser import parse

# ua-parser names systems as their makers once did; people know them by today's names.
SYSTEM_NAMES = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
BROWSER_NAMES = {
    "Mobile Safari": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
}


@functools.lru_cache(maxsize=1024)
def summary(user_agent: str) -> str:
    """ "Chrome on macOS", "Safari on iOS", "Firefox"; "Unknown browser" when nothing can be told."""
    if not user_agent.strip():
        return "Unknown browser"
    result = parse(user_agent[:1000]).with_defaults()
    browser = BROWSER_NAMES.get(result.user_agent.family, result.user_agent.family)
    system = SYSTEM_NAMES.get(result.os.family, result.os.family)
    browser = "" if browser == "Other" else browser
    system = "" if system == "Other" else system
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "Unknown browser")
