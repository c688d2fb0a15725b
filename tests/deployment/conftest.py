"""Several `serve` processes on one PostgreSQL database, with and without nginx in front.

Starting a `serve` process costs seconds, so the pair is started once per session; tests that share it must not
depend on what another test left in the database (each makes its own organization).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver

from tests.support.browser import launch_chromium
from tests.support.db import fresh_postgres_url
from tests.support.nginx import nginx_or_skip
from tests.support.postgres import Cluster, free_port
from tests.support.processes import ProxiedPair, ServerGroup, start_servers


@pytest.fixture(scope="session")
def proxy_port() -> int:
    """The port nginx will listen on: the servers need it first, for their base URL."""
    return free_port()


@pytest.fixture(scope="session")
def pg_pair(pg_cluster: Cluster, proxy_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerGroup]:
    """Two `serve` processes on one fresh PostgreSQL database, scheduler off, links built on the proxy's URL; one pair
    for the session's deployment tests (each makes its own organization), since a start costs seconds."""
    url, name = fresh_postgres_url(pg_cluster)
    group = start_servers(url, tmp_path_factory.mktemp("pg-pair"), f"http://127.0.0.1:{proxy_port}")
    yield group
    group.stop()
    pg_cluster.run_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def proxied_pair(pg_pair: ServerGroup, proxy_port: int) -> Iterator[ProxiedPair]:
    """`pg_pair` behind nginx with `ip_hash`, the README's configuration."""
    proxy = nginx_or_skip(pg_pair.ports, port=proxy_port)
    yield ProxiedPair(pg_pair, proxy)
    proxy.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    driver = launch_chromium(tmp_path_factory.mktemp("downloads"))
    yield driver
    driver.quit()
