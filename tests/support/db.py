"""Database helpers for tests: counting the statements a call sends, fresh databases from templates."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, event, func, select

from models.base import Base
from services.core.actors import SystemActor
from services.core.db import Database, unit_of_work
from tests.support.postgres import Cluster, start_cluster


@contextmanager
def counted(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def required_cluster() -> Cluster:
    """A throwaway PostgreSQL cluster; without PostgreSQL the test skips, or fails under CI (where it must run)."""
    try:
        return start_cluster()
    except (FileNotFoundError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI but could not start: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")


def fresh_sqlite_url(template: Path, directory: Path) -> str:
    path = directory / f"portico-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


def fresh_postgres_url(cluster: Cluster, template: str = "portico_template") -> tuple[str, str]:
    """A new database copied from `template`, file by file: for a template of a few megabytes that took 29 ms, where
    writing it through the WAL (PostgreSQL's default) took 46."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    cluster.run_sql(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
    return cluster.url(name), name


async def count(model: type[Base], *conditions: ColumnElement[bool]) -> int:
    async with unit_of_work(SystemActor()) as session:
        return await session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
