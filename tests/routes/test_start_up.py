"""What `serve` imports before its first answer: not the REST API, Stripe's library or reportlab; and what a
command-line job imports: not the web app.

They are imported where they are used (the API on its first request, Stripe on a payment, reportlab on a PDF),
so a start does not wait for them; the tests of those features prove they still load when needed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from portal_app.settings import Settings
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


# A job as cron runs it, in a fresh interpreter: the modules of the web app it must not have imported.
JOB_PROBE = """
import sys
import main
code = main.main(["run-job", "reminders"])
print(code, " ".join(name for name in ("nicegui", "portal_app.app", "portal_app.pages") if name in sys.modules))
"""


def test_a_command_line_job_runs_without_importing_the_web_app(sqlite_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "PYTEST_CURRENT_TEST"}
    env |= {"PORTAL_DATABASE_URL": sqlite_url, "PORTAL_VAR_DIR": str(tmp_path / "var"), "PORTAL_SECRET_KEY": "probe"}
    result = subprocess.run(
        [sys.executable, "-c", JOB_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["0"], result.stdout


def test_links_default_to_where_serve_listens_on_any_port() -> None:
    assert Settings(port=8191, _env_file=None).base_url == "http://127.0.0.1:8191"
    assert Settings(host="0.0.0.0", port=9000, _env_file=None).base_url == "http://127.0.0.1:9000"  # noqa: S104
    assert Settings(host="::1", port=9000, _env_file=None).base_url == "http://[::1]:9000"
    assert Settings(port=8191, _env_file=None).base_url_mismatch() == ""


def test_a_base_url_elsewhere_is_kept_and_reported_once_at_start() -> None:
    behind_proxy = Settings(base_url="https://portal.example.com/", port=8191, _env_file=None)
    assert behind_proxy.base_url == "https://portal.example.com"
    assert "https://portal.example.com" in behind_proxy.base_url_mismatch()
    assert "http://127.0.0.1:8191" in behind_proxy.base_url_mismatch()
    stale = Settings(base_url="http://127.0.0.1:8080", port=8191, _env_file=None)
    assert stale.base_url_mismatch()  # the old default port: links would be refused
    assert Settings(base_url="http://127.0.0.1:8191", port=8191, _env_file=None).base_url_mismatch() == ""
