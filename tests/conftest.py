"""Fixtures: SQLite and a throwaway PostgreSQL cluster (mandatory under CI=true), Redis, an SMTP server, mail config."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import stripe
from argon2 import PasswordHasher
from nicegui.testing.user import User

from portal_app.settings import Settings
from services.adapters import mail_transport, oidc, storage, stripe_gateway
from services.core import clock, config, db, shared_state
from services.core.migrations import upgrade
from services.staff import passwords
from tests.support.clock import T0
from tests.support.compiled_cache import share
from tests.support.db import IN_CI, fresh_postgres_url, fresh_sqlite_url, required_cluster
from tests.support.live import LiveServer, start_server
from tests.support.oidc import OidcProvider, start_provider
from tests.support.postgres import Cluster
from tests.support.redis_server import RedisServer, running_redis
from tests.support.s3 import S3Server, new_bucket, running_s3
from tests.support.smtp import SmtpServer
from tests.support.stripe_standin import StripeStandIn, start_standin
from tests.support.ui import new_user, simulated_app


def _temporary_files_in_memory(shm: Path = Path("/dev/shm"), room: int = 2 << 30) -> None:  # noqa: S108
    """Every temporary file of the tests (pytest's tmp_path, the SQLite databases, the PostgreSQL cluster, the
    servers the tests start) in memory when the machine has room there. On disk, each CREATE DATABASE of a fresh
    PostgreSQL database took half a second and each SQLite commit synced its log (tmpfs: 20 ms, and free)."""
    if "TMPDIR" in os.environ or not shm.is_dir() or not os.access(shm, os.W_OK):
        return
    if shutil.disk_usage(shm).free < room:
        return
    os.environ["TMPDIR"] = str(shm)  # the servers and browsers the tests start inherit it
    tempfile.tempdir = None  # tempfile reads TMPDIR again on its next call


_temporary_files_in_memory()

# The stripe library would otherwise write a telemetry id under $HOME on its first request.
stripe.enable_telemetry = False

_create_engine = db.create_async_engine
# Each test's fresh engine compiles with the statements the tests before it compiled (tests/support/compiled_cache).
db.create_async_engine = lambda url, **kwargs: share(_create_engine(url, **kwargs))


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its cheapest: tests are about behaviour, and every factory organization hashes a password."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(autouse=True)
def service_config() -> Iterator[config.ServiceConfig]:
    """The base URL and secret key services build links and HMACs with."""
    previous = config.get()
    current = config.ServiceConfig(base_url="http://portico.test", secret_key="test-secret-key")
    config.configure(current)
    yield current
    config.configure(previous)


@pytest.fixture(autouse=True)
def shared_state_in_database() -> Iterator[None]:
    """Rate limits and tickets in the test's own (fresh) database, so every test starts with none, unless the test
    points them elsewhere (`redis_url`)."""
    shared_state.configure("")
    yield
    shared_state.configure("")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """Debian's redis-server on 127.0.0.1, for the whole session (mandatory under CI=true)."""
    running = ExitStack()
    try:
        server = running.enter_context(running_redis())
    except (FileNotFoundError, OSError) as exc:
        if IN_CI:
            pytest.fail(f"Redis is required under CI but could not start: {exc}")
        pytest.skip(f"Redis not available: {exc}")
    with running:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of the session's Redis, emptied for this test."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture(autouse=True)
def no_stripe() -> Iterator[None]:
    """Card payments off unless a test asks for the stand-in (an app build may have switched them on)."""
    stripe_gateway.configure(stripe_gateway.StripeConfig())
    yield
    stripe_gateway.configure(stripe_gateway.StripeConfig())


@pytest.fixture(autouse=True)
def no_oidc() -> Iterator[None]:
    """Single sign-on off unless a test configures it (an app build may have switched it on)."""
    oidc.configure(oidc.OidcConfig())
    yield
    oidc.configure(oidc.OidcConfig())


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    """A real OpenID Connect provider (oidc-provider-mock) on 127.0.0.1, for the whole session."""
    with start_provider() as provider:
        yield provider


@pytest.fixture
def stripe_standin() -> Iterator[StripeStandIn]:
    """A loopback Stripe for this test, and the service layer pointed at it."""
    with start_standin() as standin:
        stripe_gateway.configure(
            stripe_gateway.StripeConfig(
                secret_key=standin.secret_key,
                webhook_secret=standin.webhook_secret,
                api_base=standin.url,
                connect_webhook_secret=standin.connect_webhook_secret,
            )
        )
        yield standin


@pytest.fixture
def at() -> Iterator[Callable[..., None]]:
    """Freeze the services' clock at T0; `at(timedelta)` moves it to T0 + the offset."""
    clock.freeze(T0)
    yield lambda offset=timedelta(0): clock.freeze(T0 + offset)
    clock.freeze(None)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = required_cluster()
    cluster.run_sql("CREATE DATABASE portico_template")
    asyncio.run(upgrade(cluster.url("portico_template")))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: each test that uses it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield fresh_sqlite_url(sqlite_template, tmp_path)
        return
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    url, name = fresh_postgres_url(cluster)
    yield url
    cluster.run_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def postgres_url(pg_cluster: Cluster) -> Iterator[str]:
    """A migrated, empty PostgreSQL database, for tests of PostgreSQL-only behaviour (concurrency)."""
    url, name = fresh_postgres_url(pg_cluster)
    yield url
    pg_cluster.run_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    return fresh_sqlite_url(sqlite_template, tmp_path)


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[db.Database]:
    """services.db configured on a fresh database, SQLite and PostgreSQL."""
    database = db.configure(db_url)
    yield database
    await db.close()


@pytest.fixture
async def sqlite_database(sqlite_url: str) -> AsyncIterator[db.Database]:
    database = db.configure(sqlite_url)
    yield database
    await db.close()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on 127.0.0.1, for the whole session (each test makes its own bucket)."""
    with running_s3() as server:
        yield server


@pytest.fixture(autouse=True)
def file_store(tmp_path: Path) -> Iterator[storage.Storage]:
    """Every test stores files in a directory of its own (the default back end); `both_stores` runs on S3 too."""
    store = storage.LocalStorage(tmp_path / "files")
    storage.configure(store)
    yield store


@pytest.fixture(params=["local", "s3"])
def both_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[storage.Storage]:
    """The test runs twice: on a directory, and on a fresh bucket of moto's S3 server."""
    if request.param == "local":
        store: storage.Storage = storage.LocalStorage(tmp_path / "files")
    else:
        store = new_bucket(request.getfixturevalue("s3_server"))
    storage.configure(store)
    yield store


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer, tmp_path: Path) -> Iterator[SmtpServer]:
    """Mail goes over SMTP to the test server; its inbox starts empty."""
    smtp_server.inbox.clear()
    previous = mail_transport.get_config()
    mail_transport.configure(
        mail_transport.MailConfig(
            smtp_url=smtp_server.url, mail_from="Portico <portico@agency.test>", outbox_dir=tmp_path / "outbox"
        )
    )
    yield smtp_server
    mail_transport.configure(previous)


@pytest.fixture
def file_outbox(tmp_path: Path) -> Iterator[Path]:
    """Mail is written to a temporary var/outbox."""
    previous = mail_transport.get_config()
    outbox = tmp_path / "outbox"
    mail_transport.configure(
        mail_transport.MailConfig(smtp_url="", mail_from="Portico <portico@agency.test>", outbox_dir=outbox)
    )
    yield outbox
    mail_transport.configure(previous)


@pytest.fixture
def app_settings(sqlite_url: str, tmp_path: Path) -> Settings:
    """Settings for an in-process app: its own SQLite database and var dir, no scheduler."""
    return Settings(
        database_url=sqlite_url,
        var_dir=tmp_path / "var",
        base_url="http://portico.test",
        secret_key="test-secret-key",
        scheduler_enabled=False,
        _env_file=None,
    )


@pytest.fixture
async def app_client(app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app (pages, routes, API) in-process, with an HTTP client bound to it."""
    async with simulated_app(app_settings) as client:
        yield client


@pytest.fixture
async def user(app_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> AsyncIterator[User]:
    """NiceGUI's simulated user on Portico's pages; fails the test on any ERROR log, like NiceGUI's own fixture."""
    simulated = new_user(app_client)
    yield simulated
    errors = [r for r in caplog.get_records("call") if r.levelname == "ERROR" and not _unanswered_drawer_question(r)]
    assert not errors, f"unexpected ERROR logs: {[r.getMessage() for r in errors]}"


def _unanswered_drawer_question(record: logging.LogRecord) -> bool:
    """NiceGUI's simulated user answers the drawer's "are you open?" script, but only once its handshake is over
    (`User.open` patches the outbox after it): when the outbox runs in between, the question times out after 1 s.
    A race of the simulation alone (a browser answers), so it is not counted as the page's error."""
    if record.exc_info is None or record.exc_info[2] is None:
        return False
    frames = traceback.extract_tb(record.exc_info[2])
    return any(frame.name == "_request_value" and frame.filename.endswith("drawer.py") for frame in frames)


@pytest.fixture
async def live_server(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[LiveServer]:
    """`python main.py serve` on its own SQLite database; this test process shares the database to seed it."""
    url = fresh_sqlite_url(sqlite_template, tmp_path)
    server = await asyncio.to_thread(start_server, url, tmp_path / "var")
    db.configure(url)
    yield server
    await db.close()
    server.stop()
