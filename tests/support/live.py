"""The real app as a subprocess (`python main.py serve`) and a headless Chromium to drive it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(database_url: str, var_dir: Path, extra_env: dict[str, str] | None = None) -> LiveServer:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_VAR_DIR": str(var_dir),
        "PORTAL_PORT": str(port),
        "PORTAL_HOST": "127.0.0.1",
        # No PORTAL_BASE_URL: links in mail and pages default to where `serve` listens, on whatever port it is.
        "PORTAL_SECRET_KEY": "browser-test-secret",
        **(extra_env or {}),
    }
    if "PORTAL_BASE_URL" not in (extra_env or {}):
        env.pop("PORTAL_BASE_URL", None)
    env.pop("PYTEST_CURRENT_TEST", None)  # NiceGUI would think it runs inside pytest's screen fixture
    var_dir.mkdir(parents=True, exist_ok=True)
    log_path = var_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "main.py", "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = LiveServer(url, process, log_path)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{server.log()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"server did not answer /healthz:\n{server.log()}")
        time.sleep(0.1)  # polling a server that is starting: there is no event to wait on


def find_chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def start_chromium(download_dir: Path) -> webdriver.Chrome:
    found = find_chromium()
    if found is None:
        raise FileNotFoundError("chromium and chromedriver are not installed")
    browser, driver = found
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(download_dir)})
    # An explicit chromedriver path: Selenium Manager would try to download one, and there is no internet.
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)
