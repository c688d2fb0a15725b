"""Driving a page by keyboard alone in headless Chromium: Tab to a control, then Enter, Space or Escape; typing
goes to whatever has focus. No clicks."""

from __future__ import annotations

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from tests.support.browser import wait

# The focused element's name as a person hears it: its label, its text, or its field's label.
FOCUSED_NAME = """
const e = document.activeElement;
// A container focused by script (an opening menu, tabindex -1) is no Tab stop, whatever text it holds.
if (!e || e === document.body || e.tabIndex < 0) return "";
const field = e.closest('.q-field');
const label = field && field.querySelector('.q-field__label');
return [e.getAttribute('aria-label'), e.innerText, label && label.innerText].filter(Boolean).join(' | ').trim();
"""
MOST_TABS = 150  # more than any page's controls before the one wanted
# Whether the focused button or link shows where focus is (fields show it by their own border).
RING_SHOWN = """
const e = document.activeElement;
if (!e || !e.matches('a, button, [role=button]')) return true;
const style = getComputedStyle(e);
return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
"""


def press(browser: webdriver.Chrome, *keys: str) -> None:
    ActionChains(browser).send_keys(*keys).perform()


def focused(browser: webdriver.Chrome) -> str:
    return str(browser.execute_script(FOCUSED_NAME))


def tab_to(browser: webdriver.Chrome, name: str, *, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab) until the focused control's name contains `name`."""
    key = (Keys.SHIFT + Keys.TAB) if backwards else Keys.TAB
    seen = []
    for _ in range(MOST_TABS):
        press(browser, key)
        now = focused(browser)
        assert browser.execute_script(RING_SHOWN), f"{now!r} has focus without a visible focus ring"
        if name.lower() in now.lower():
            return
        seen.append(now)
    raise AssertionError(f"no control named {name!r} reached by Tab; went through {seen}")


def type_into(browser: webdriver.Chrome, name: str, text: str) -> None:
    tab_to(browser, name)
    press(browser, text)


def page_ready(browser: webdriver.Chrome) -> None:
    wait(browser).until(lambda b: b.execute_script("return document.readyState") == "complete")
    wait(browser).until(lambda b: b.execute_script("return !window.socket || window.did_handshake === true"))
