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
/* Where focus is, on every control (WCAG 2.4.7). Quasar buttons carry `no-outline`, an !important 0 in NiceGUI's
   last layer; an !important in an earlier layer wins over it, so this one is in "overrides". */
@layer overrides {{ :focus-visible {{ outline: 2px solid var(--q-primary, #4f46e5) !important; outline-offset: 2px; }} }}
.skip-link {{ position: absolute; left: -10000px; top: .5rem; z-index: 10000; padding: .5rem 1rem; border-radius: 4px;
  background: #ffffff; color: #111827; }}
.skip-link:focus {{ left: .5rem; }}
@media (max-width: 600px) {{
  .q-page-container .q-btn {{ min-height: 44px; min-width: 44px; }}
  .q-page-container {{ overflow-wrap: anywhere; }}
}}
</style>"""


# Quasar's uploader hides its native file input inside an icon-only button: two controls in one, and neither has a
# name (WCAG 4.1.2). The input becomes the one control, named after its uploader, reached by Tab, and opened by
# Enter or Space as a file input is; the button around it stays only as its picture. Applied to every uploader
# drawn, now or later (Vue redraws may restore the button's attributes: the observer applies them again).
UPLOADER_SCRIPT = """<script>
(() => {
  const fix = () => {
    for (const input of document.querySelectorAll(".q-uploader__input")) {
      const title = input.closest(".q-uploader")?.querySelector(".q-uploader__title")?.textContent?.trim();
      const name = "Choose files" + (title ? ": " + title : "");
      if (input.getAttribute("aria-label") !== name) input.setAttribute("aria-label", name);
      if (input.getAttribute("tabindex") !== "0") input.setAttribute("tabindex", "0");
      const button = input.closest("[role=button]");
      if (button) { button.removeAttribute("role"); button.removeAttribute("tabindex"); }
      if (!input.dataset.keys) {
        input.dataset.keys = "1";
        input.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") event.stopPropagation();  // the button would swallow it
        });
      }
    }
  };
  let queued = false;
  new MutationObserver(() => {
    if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; fix(); }); }
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ["role", "tabindex"] });
})();
</script>"""


# Live redraws (another session's change, a document made) replace a section's elements: focus on a replaced
# control would fall to the page, and a keyboard user would start again from the top (WCAG 2.4.3). Focus moves
# to the control that took its place: the same kind of element with the same name, drawn within a second.
FOCUS_SCRIPT = """<script>
(() => {
  const nameOf = (e) => (e.getAttribute("aria-label") || e.innerText || "").trim();
  let last = null;
  document.addEventListener("focusin", (event) => {
    const e = event.target;
    if (e instanceof HTMLElement && e !== document.body) last = { element: e, tag: e.tagName, name: nameOf(e), lost: 0 };
  });
  new MutationObserver(() => {
    if (!last || last.element.isConnected || !last.name) return;
    const now = Date.now();
    if (!last.lost) last.lost = now;
    if (now - last.lost > 1000) { last = null; return; }
    if (document.activeElement && document.activeElement !== document.body) return;
    for (const candidate of document.getElementsByTagName(last.tag)) {
      if (nameOf(candidate) === last.name && candidate.offsetParent !== null) {
        candidate.focus({ preventScroll: true });
        return;
      }
    }
  }).observe(document.documentElement, { subtree: true, childList: true });
})();
</script>"""


def install() -> None:
    """Buttons in sentence case everywhere ("Send invitation", not "SEND INVITATION"); the shared styles once."""
    ui.button.default_props("no-caps")
    if SHARED_CSS not in Client.shared_head_html:
        ui.add_head_html(SHARED_CSS, shared=True)
    for script in (UPLOADER_SCRIPT, FOCUS_SCRIPT):
        if script not in Client.shared_head_html:
            ui.add_head_html(script, shared=True)


# Quasar's colours for good and bad news, darkened where its own fail WCAG AA (4.5:1) with white text on them or as
# text on white: its positive green is 2.6:1, its warning amber 1.7:1.
PALETTE = {"positive": "#15803d", "negative": "#b91c1c", "warning": "#b45309", "info": "#0369a1"}
MAIN_ID = "main-content"  # where "Skip to content" lands


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        share = value / 255
        return share / 12.92 if share <= 0.03928 else ((share + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two #rrggbb colours, 1 to 21."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable_accent(colour: str, minimum: float = 4.5) -> str:
    """The organization's accent as pages use it: white text on it (buttons, the lit tab) and it as text on white
    (links) must read at `minimum`, which is one condition. A lighter accent is darkened, in its own hue, until it
    does; a dark one stays as it is."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    shade = colour
    for step in range(101):
        if contrast(shade, "#ffffff") >= minimum:
            return shade
        keep = 1 - step / 100
        shade = f"#{round(red * keep):02x}{round(green * keep):02x}{round(blue * keep):02x}"
    return "#000000"


def skip_link() -> None:
    """The first thing a keyboard reaches: a link past the navigation to the page's content (WCAG 2.4.1)."""
    ui.link("Skip to content", f"#{MAIN_ID}").classes("skip-link")


def main_landmark() -> None:
    """Where "Skip to content" lands: focusable by the link, not by Tab."""
    ui.element("div").props(f"id={MAIN_ID} tabindex=-1").classes("outline-none")
