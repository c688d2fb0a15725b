"""Several `python main.py serve` processes on one database, as a deployment runs them behind a proxy.

Every process gets the same secret key (NiceGUI's session cookie and Portico's signed links must verify on each)
and the same public base URL (the proxy's), its own port and var dir, the scheduler off (a `worker` or one
elected process runs the jobs), and one shared NiceGUI storage directory, as processes on one machine share
their working directory.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.support.live import LiveServer, start_server
from tests.support.nginx import Nginx

SECRET_KEY = "several-processes-secret"


@dataclass
class ServerGroup:
    database_url: str
    base_url: str  # the proxy's address, as every process builds its links
    servers: list[LiveServer]

    @property
    def ports(self) -> list[int]:
        return [int(server.url.rsplit(":", 1)[1]) for server in self.servers]

    def stop(self) -> None:
        with ThreadPoolExecutor(len(self.servers)) as pool:
            list(pool.map(LiveServer.stop, self.servers))


def start_servers(
    database_url: str,
    var_root: Path,
    base_url: str,
    *,
    count: int = 2,
    redis_url: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> ServerGroup:
    """`count` serve processes on `database_url`, started side by side; each answers /healthz when this returns."""
    env = {
        "PORTAL_BASE_URL": base_url,
        "PORTAL_SECRET_KEY": SECRET_KEY,
        "PORTAL_SCHEDULER_ENABLED": "false",
        "NICEGUI_STORAGE_PATH": str(var_root / "nicegui"),
        **({"PORTAL_REDIS_URL": redis_url} if redis_url else {}),
        **(extra_env or {}),
    }
    with ThreadPoolExecutor(count) as pool:
        starts = [pool.submit(start_server, database_url, var_root / f"serve-{n}", env) for n in range(count)]
        servers, failures = [], []
        for start in starts:
            try:
                servers.append(start.result())
            except Exception as exc:
                failures.append(exc)
    group = ServerGroup(database_url, base_url, servers)
    if failures:
        group.stop()
        raise failures[0]
    return group


@dataclass
class ProxiedPair:
    """Serve processes behind nginx: browsers and clients go to `url`."""

    group: ServerGroup
    nginx: Nginx

    @property
    def url(self) -> str:
        return self.nginx.url
