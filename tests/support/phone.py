"""A phone in headless Chromium (390×844 CSS pixels, touch, a phone's pixel ratio), and what overflows it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from selenium import webdriver

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}

# Visible elements whose box reaches past the viewport's right edge (or starts left of it), and whether the page
# scrolls sideways. Hidden ones, and those inside an element that scrolls on purpose, do not count.
OVERFLOW_SCRIPT = """
const width = document.documentElement.clientWidth;
const found = [];
for (const el of document.body.querySelectorAll('*')) {
  const box = el.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) continue;
  if (box.right <= 0) continue;  // parked off-canvas on purpose (a closed drawer, the loading bar)
  const style = getComputedStyle(el);
  if (style.visibility === 'hidden' || style.display === 'none') continue;
  let scroller = el.parentElement, clipped = false;
  while (scroller && scroller !== document.body) {
    const s = getComputedStyle(scroller);
    if (['auto', 'scroll', 'hidden'].includes(s.overflowX)) { clipped = true; break; }
    scroller = scroller.parentElement;
  }
  if (clipped) continue;
  if (box.right > width + 1 || box.left < -1) {
    found.push(`${el.tagName.toLowerCase()}.${el.className}`.slice(0, 80) + ` [${Math.round(box.left)}, ${Math.round(box.right)}] ` + (el.innerText || '').slice(0, 40));
  }
}
// Content cut off inside a box that hides or scrolls it sideways: a table whose columns need a sideways swipe.
const clipping = [];
for (const el of document.body.querySelectorAll('*')) {
  const s = getComputedStyle(el);
  if (!['auto', 'scroll', 'hidden'].includes(s.overflowX) || el.clientWidth === 0) continue;
  if (el.scrollWidth > el.clientWidth + 1 && !el.closest('[data-scrolls-sideways]')) {
    clipping.push(`${el.tagName.toLowerCase()}.${el.className}`.slice(0, 80) + ` ${el.clientWidth} < ${el.scrollWidth} ` + (el.innerText || '').slice(0, 40));
  }
}
return {width, scrollWidth: document.documentElement.scrollWidth, overflowing: found.slice(0, 10), clipping: clipping.slice(0, 10)};
"""

# Buttons and links a thumb has to hit, smaller than 44×44 CSS pixels (WCAG 2.5.5's target size).
SMALL_TARGETS_SCRIPT = """
const small = [];
for (const el of document.querySelectorAll(arguments[0])) {
  const box = el.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) continue;
  if (box.height < 44 || box.width < 44) small.push(`${el.tagName.toLowerCase()} ${Math.round(box.width)}x${Math.round(box.height)} ${(el.innerText || el.getAttribute('aria-label') || '').trim().slice(0, 30)}`);
}
return small;
"""


@contextmanager
def as_phone(browser: webdriver.Chrome) -> Iterator[None]:
    """The browser as a 390×844 phone until the block ends."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    try:
        yield
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})


def overflow(browser: webdriver.Chrome) -> dict[str, Any]:
    return browser.execute_script(OVERFLOW_SCRIPT)


def small_targets(browser: webdriver.Chrome, selector: str) -> list[str]:
    return browser.execute_script(SMALL_TARGETS_SCRIPT, selector)
