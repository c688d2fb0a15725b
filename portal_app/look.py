"""One look on every page: the font, how buttons and links read, and the phone rules, for NiceGUI pages and the
plain HTML pages (the public invoice, the link's Continue page) alike."""

from __future__ import annotations

from nicegui import ui
from nicegui.client import Client

# The system's own interface font: nothing to download, and the same face on the workspace, the portal and the
# plain pages.
FONT_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'

SHARED_CSS = f"""<style>
body, .q-field, .q-btn, .q-table, .q-item {{ font-family: {FONT_STACK}; }}
.nicegui-link {{ color: var(--q-primary); text-decoration-line: none; }}
.nicegui-link:hover, .nicegui-link:focus-visible {{ text-decoration-line: underline; opacity: 1; }}
@media (max-width: 600px) {{
  .q-page-container .q-btn {{ min-height: 44px; min-width: 44px; }}
  .q-page-container {{ overflow-wrap: anywhere; }}
}}
</style>"""


def install() -> None:
    """Buttons in sentence case everywhere ("Send invitation", not "SEND INVITATION"); the shared styles once."""
    ui.button.default_props("no-caps")
    if SHARED_CSS not in Client.shared_head_html:
        ui.add_head_html(SHARED_CSS, shared=True)
