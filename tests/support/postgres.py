"""A throwaway PostgreSQL cluster: initdb + pg_ctl on 127.0.0.1, as the postgres user when running as root."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg


def find_bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    bindir: Path
    datadir: Path
    port: int
    user: str
    options: str = ""  # the server's command-line settings, to start it again as it was
    _admin: psycopg.Connection[Any] | None = field(default=None, init=False, repr=False, compare=False)

    def pg_ctl(self, *args: str) -> None:
        _run_as_owner([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), *args])

    def shut_down(self) -> None:
        """As an administrator restarting it does ("fast": sessions are cut, their transactions rolled back)."""
        self._disconnect()
        self.pg_ctl("-m", "fast", "-w", "stop")

    def start_again(self) -> None:
        """On its port, with its settings, after `shut_down`."""
        self.pg_ctl("-o", self.options, "-l", str(self.datadir.parent / "log"), "-w", "start")

    @contextmanager
    def down(self) -> Iterator[None]:
        self.shut_down()
        try:
            yield
        finally:
            self.start_again()

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def run_sql(self, sql: str, database: str = "postgres") -> None:
        """One statement, in autocommit (CREATE and DROP DATABASE refuse a transaction). The connection to the
        `postgres` database is kept open: a psql process per statement took 45 ms, twice in every PostgreSQL test."""
        if database != "postgres":
            with self._connect(database) as other:
                other.execute(sql.encode())
            return
        if self._admin is None or self._admin.closed or self._admin.broken:
            self._admin = self._connect("postgres")
        self._admin.execute(sql.encode())

    def _connect(self, database: str) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname=database, autocommit=True, connect_timeout=5
        )

    def _disconnect(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None

    def stop(self) -> None:
        self._disconnect()
        _run_as_owner([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"], check=False)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def _run_as_owner(cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[bytes]:
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=check, capture_output=True)


def start_cluster() -> Cluster:
    bindir = find_bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    root = Path(tempfile.mkdtemp(prefix="portico-pg-"))
    datadir = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    _run_as_owner([str(bindir / "initdb"), "-D", str(datadir), "-U", user, "-A", "trust", "-E", "UTF8", "--no-sync"])
    port = free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    _run_as_owner([str(bindir / "pg_ctl"), "-D", str(datadir), "-o", options, "-l", str(root / "log"), "-w", "start"])
    cluster = Cluster(bindir=bindir, datadir=datadir, port=port, user=user, options=options)
    deadline = time.monotonic() + 30
    while True:
        try:
            cluster.run_sql("SELECT 1")
            return cluster
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
