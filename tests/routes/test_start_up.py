"""What `serve` imports before its first answer: not the REST API, Stripe's library or reportlab.

They are imported where they are used (the API on its first request, Stripe on a payment, reportlab on a PDF),
so a start does not wait for them; the tests of those features prove they still load when needed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.live import ROOT

LAZY = ("portal_app.routes.api", "stripe", "reportlab", "services.billing.invoice_pdf")

# What cmd_serve imports and builds, short of serving: a fresh interpreter, so nothing else has imported them.
PROBE = """
import sys
import main
from nicegui import run, ui
from portal_app.app import create_app
from portal_app.settings import Settings

create_app(Settings(var_dir=sys.argv[1], secret_key="start-up-probe", _env_file=None))
print(" ".join(name for name in sys.argv[2:] if name in sys.modules))
"""


def test_serve_builds_the_app_without_importing_what_only_some_requests_need(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "PYTEST_CURRENT_TEST"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "var"), *LAZY],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []
