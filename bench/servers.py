"""Server processes for the serving benchmarks: Portico's `main.py serve` and the bare NiceGUI baseline.

Each runs as its own process on a free loopback port, its output in a log file; `wait_healthy` polls /healthz
and says how long the process took from its start to the first 200. RSS is read from /proc.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "bench-secret-key"
HEALTH_POLL = 0.005  # seconds between /healthz tries while a server starts: the resolution of a cold start


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    started_at: float  # time.perf_counter() when the process was started

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mib(self) -> float:
        """The process's resident set (VmRSS) in MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for {self.name} (pid {self.process.pid})")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def logged_errors(self) -> list[str]:
        """The lines of the server's log that report an error or start a traceback: why a view failed."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [line for line in text.splitlines() if " ERROR " in line or line.startswith("Traceback")]

    def print_logged_errors(self, shown: int = 3) -> None:
        """Print how many error lines the server logged, and the first few (nothing when there are none)."""
        errors = self.logged_errors()
        if errors:
            print(f"    {self.name} (pid {self.process.pid}) logged {len(errors)} error line(s); the first:")
            for line in errors[:shown]:
                print(f"      {line[:200]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _clean_environment() -> dict[str, str]:
    # The caller's own PORTAL_* settings (or a pytest run around us) must not leak into the server.
    return {
        k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "NICEGUI_")) and k != "PYTEST_CURRENT_TEST"
    }


def _start(name: str, argv: list[str], env: dict[str, str], port: int, log_path: Path, cwd: Path = ROOT) -> Server:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        started_at = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Server(name, port, process, log_path, started_at)


def start_portico(
    var_dir: Path, database_url: str, extra_env: dict[str, str] | None = None, *, root: Path = ROOT
) -> Server:
    """`python main.py serve` on a free port with its own var dir and database; the scheduler runs as in production.

    `root` is the directory of the code it runs: this tree, or a copy of it (bench/coldstart.py).
    """
    port = free_port()
    env = portico_environment(var_dir, database_url, port, extra_env)
    return _start("portico", [sys.executable, "main.py", "serve"], env, port, var_dir / "server.log", root)


def portico_environment(
    var_dir: Path, database_url: str, port: int, extra_env: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment of a `main.py` command of the benchmarks' Portico: its `serve` on `port`, or a `run-job`
    beside it (bench/soak.py) that must share its database, secret key and base URL."""
    return {
        **_clean_environment(),
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_VAR_DIR": str(var_dir),
        "PORTAL_HOST": "127.0.0.1",
        "PORTAL_PORT": str(port),
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "PORTAL_SECRET_KEY": SECRET_KEY,
        **(extra_env or {}),
    }


def start_bare(log_dir: Path, *, healthz_only: bool = False) -> Server:
    """The bare NiceGUI app of bench/bare_app.py; with `healthz_only`, one /healthz route and no pages."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.bare_app", "--port", str(port)]
    if healthz_only:
        argv.append("--healthz-only")
    return _start("bare", argv, _clean_environment(), port, log_dir / f"bare-{port}.log")


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:  # refused while the server is not listening yet
        return False
    finally:
        connection.close()


def wait_healthy(server: Server, timeout: float = 90) -> float:
    """Seconds from the start of `server`'s process to its first 200 on /healthz; raises if it never comes."""
    deadline = server.started_at + timeout
    while not _healthy(server.port):
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}")
        if time.perf_counter() > deadline:
            server.stop()
            raise RuntimeError(f"{server.name} did not answer /healthz in {timeout:.0f} s:\n{server.log_tail()}")
        time.sleep(HEALTH_POLL)  # nothing to wait on but the port: poll it
    return time.perf_counter() - server.started_at
