"""axe-core 4 (bundled by selenium-axe-python) in headless Chromium: the WCAG 2.1 A and AA rules, run on the page
as it is drawn now."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium_axe_python import Axe

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
EXPERIMENTAL_WCAG = ["label-content-name-mismatch", "css-orientation-lock", "p-as-heading"]


def violations(browser: webdriver.Chrome, impacts: set[str] = BLOCKING) -> list[dict[str, Any]]:
    """Each violated rule of `impacts` on the current page, with the elements that break it."""
    if not browser.execute_script("return typeof window.axe === 'object'"):
        browser.execute_script(_axe_source())
    options = json.dumps(
        {
            "runOnly": {"type": "tag", "values": TAGS},
            # WCAG rules axe still calls experimental are off unless named: label-content-name-mismatch (2.5.3) is
            # one a browser's own audit reports.
            "rules": {rule: {"enabled": True} for rule in EXPERIMENTAL_WCAG},
            "resultTypes": ["violations"],
        }
    )
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"axe.run(document, {options}).then(r => done(r.violations), e => done([{{id: 'axe-error', impact: 'critical', nodes: [], description: String(e)}}]));"
    )
    return [v for v in result if v.get("impact") in impacts]


def described(found: list[dict[str, Any]]) -> list[str]:
    """One line per element: the rule, its impact, where, and axe's summary of what is wrong."""
    lines = []
    for rule in found:
        for node in rule["nodes"] or [{"target": ["(page)"], "failureSummary": rule.get("description", "")}]:
            summary = " ".join(str(node.get("failureSummary", "")).split())[:240]
            lines.append(f"{rule['id']} ({rule['impact']}) at {node['target']}: {summary}")
    return lines


@functools.cache
def _axe_source() -> str:
    return Path(Axe(None).script_url).read_text(encoding="utf8")  # type: ignore[arg-type]


@contextmanager
def on_every_page(browser: webdriver.Chrome) -> Iterator[None]:
    """axe-core in every document the browser loads, from its first script on: sending its half a megabyte over
    WebDriver to each page audited took a quarter of the audit's time."""
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _axe_source()})
    try:
        yield
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})
