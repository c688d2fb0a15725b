"""Debian's nginx as a sticky reverse proxy in front of `serve` processes: a child process with its own config.

Everything nginx writes (pid, logs, temp files) stays in a temporary directory. The config is the one the README
recommends (websocket upgrade, forwarded headers, long read timeout, upload size), with two additions for tests:
each response carries `X-Upstream` (the backend that answered) and the access log records `$upstream_addr`.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.db import IN_CI
from tests.support.postgres import free_port

NGINX = "/usr/sbin/nginx"
UPSTREAM_HEADER = "X-Upstream"
# The access log: one request per line, tab-separated, so a test can read which backend served what.
LOG_FORMAT = "$remote_addr\\t$request\\t$status\\t$upstream_addr\\t$http_upgrade"


@dataclass(frozen=True)
class AccessEntry:
    client: str
    request: str  # "GET /login HTTP/1.1"
    status: int
    upstream: str  # "127.0.0.1:8081"; "" when nginx answered itself
    upgrade: str  # the request's Upgrade header ("websocket" for a websocket)

    @property
    def path(self) -> str:
        parts = self.request.split(" ")
        return parts[1] if len(parts) > 1 else ""


@dataclass
class Nginx:
    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def access_log(self) -> list[AccessEntry]:
        """Requests nginx has logged (it writes each line when the request ends: a websocket when it closes)."""
        path = self.directory / "access.log"
        entries = []
        for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
            client, request, status, upstream, upgrade = (line.split("\t") + [""] * 5)[:5]
            entries.append(AccessEntry(client, request, int(status), upstream.strip("-"), upgrade.strip("-")))
        return entries

    def error_log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: a fast shutdown of the master and its workers
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def find_nginx() -> str | None:
    return NGINX if os.access(NGINX, os.X_OK) else shutil.which("nginx")


def config_text(
    directory: Path, port: int, backends: list[int], *, cookie: str | None = None, pinned: dict[str, int] | None = None
) -> str:
    """nginx.conf: `ip_hash` over `backends`, or `hash $cookie_<cookie> consistent` when `cookie` is given; each path
    prefix in `pinned` goes to its one backend instead (a test sends one step of a flow to another process)."""
    balance = f"hash $cookie_{cookie} consistent;" if cookie else "ip_hash;"
    servers = "\n".join(f"        server 127.0.0.1:{backend} max_fails=1 fail_timeout=5s;" for backend in backends)
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    pinned_locations = "".join(
        f"""        location ^~ {prefix} {{
            proxy_pass http://127.0.0.1:{backend};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            add_header {UPSTREAM_HEADER} $upstream_addr always;
        }}
"""
        for prefix, backend in (pinned or {}).items()
    )
    return f"""daemon off;
master_process on;
worker_processes 1;
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} warn;

events {{
    worker_connections 1024;
}}

http {{
{temp}
    log_format upstreams "{LOG_FORMAT}";
    access_log {directory / "access.log"} upstreams;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}

    upstream portico {{
        {balance}
{servers}
        # no `keepalive`: a websocket upgraded on a reused connection is closed by uvicorn's keep-alive timer
    }}

    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 100m;

{pinned_locations}
        location / {{
            proxy_pass http://portico;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_request_buffering off;
            add_header {UPSTREAM_HEADER} $upstream_addr always;
        }}
    }}
}}
"""


def start_nginx(
    backends: list[int], *, port: int | None = None, cookie: str | None = None, pinned: dict[str, int] | None = None
) -> Nginx:
    """nginx on 127.0.0.1:`port` (a free one by default) in front of `backends`; returns once it answers.

    Raises FileNotFoundError when nginx is not installed, RuntimeError when it does not start.
    """
    binary = find_nginx()
    if binary is None:
        raise FileNotFoundError("nginx is not installed (Debian package nginx)")
    port = port or free_port()
    directory = Path(tempfile.mkdtemp(prefix="portico-nginx-"))
    directory.chmod(0o755)  # as root, the workers run as nobody and write their temp files under it
    conf = directory / "nginx.conf"
    conf.write_text(config_text(directory, port, backends, cookie=cookie, pinned=pinned))
    argv = [binary, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")]
    check = subprocess.run([*argv, "-t"], capture_output=True, text=True)
    if check.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"nginx rejected its config:\n{check.stderr}")
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proxy = Nginx(port, directory, process)
    deadline = time.monotonic() + 15
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            log = proxy.error_log()
            proxy.stop()
            raise RuntimeError(f"nginx did not start:\n{log}")
        time.sleep(0.05)  # polling a server that is starting: there is no event to wait on
    return proxy


def nginx_or_skip(
    backends: list[int], *, port: int | None = None, cookie: str | None = None, pinned: dict[str, int] | None = None
) -> Nginx:
    """`start_nginx` for a fixture: a missing nginx fails the test under CI and skips it elsewhere."""
    try:
        return start_nginx(backends, port=port, cookie=cookie, pinned=pinned)
    except FileNotFoundError as exc:
        if IN_CI:
            pytest.fail(f"nginx is required under CI: {exc}")
        pytest.skip(f"nginx not available: {exc}")


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        return True  # any answer, even a 502: nginx is up
    except OSError:
        return False
    finally:
        connection.close()
