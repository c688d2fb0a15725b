"""Portico's command line: serve (default), migrate, create-org, create-api-token, demo, run-job,
rotate-file-keys."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from portal_app.settings import Settings, listening_url

T = TypeVar("T")


def _settings() -> Settings:
    return Settings()


async def _with_services(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    from portal_app.service_setup import configure_services
    from services.core import db

    configure_services(settings)
    try:
        return await work()
    finally:
        await db.close()


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from services.core.migrations import upgrade

    asyncio.run(upgrade(settings.resolved_database_url))
    print("database is up to date")
    return 0


def cmd_create_org(args: argparse.Namespace, settings: Settings) -> int:
    from services.core.actors import SystemActor
    from services.organizations import organizations

    async def work() -> object:
        return await organizations.create_organization(
            SystemActor(label="cli"),
            name=args.name,
            slug=args.slug,
            owner_email=args.owner_email,
            owner_password=args.password,
        )

    print(asyncio.run(_with_services(settings, work)))
    return 0


def cmd_create_api_token(args: argparse.Namespace, settings: Settings) -> int:
    from services.staff import api_tokens

    print(asyncio.run(_with_services(settings, lambda: api_tokens.create_token_for(args.org, args.email, args.name))))
    return 0


def cmd_set_stripe_account(args: argparse.Namespace, settings: Settings) -> int:
    from services.card_payments import stripe_accounts
    from services.core.errors import ServiceError

    try:
        print(asyncio.run(_with_services(settings, lambda: stripe_accounts.bind_account(args.org, args.account))))
    except ServiceError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    return 0


DEMO_LOGIN_FILE = "demo-login.txt"


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from services import demo

    login_file = settings.var_dir / DEMO_LOGIN_FILE

    async def work() -> demo.DemoLogin | None:
        if args.if_empty and await demo.has_any_organization():
            return None
        return await demo.seed()

    login = asyncio.run(_with_services(settings, work))
    if login is not None:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(login_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{login.email}\n{login.password}\n{login.slug}\n")
    _print_demo_login(settings, login_file)
    return 0


def _print_demo_login(settings: Settings, login_file: Path) -> None:
    if not login_file.exists():
        print("Database already has organizations; no demo was seeded.")
        return
    email, password, slug = login_file.read_text().split("\n")[:3]
    print("Portico demo agency")
    print(f"  Staff sign-in: {settings.base_url}/login")
    print(f"    email:    {email}")
    print(f"    password: {password}")
    print(f"  Client portal: {settings.base_url}/portal/{slug}/login  (e.g. jane@acme-outdoor.test)")


def cmd_run_job(args: argparse.Namespace, settings: Settings) -> int:
    from portal_app.jobs import JOBS, run_scheduled

    job = JOBS.get(args.name)
    if job is None:
        print(f"unknown job {args.name!r}; jobs: {', '.join(sorted(JOBS))}", file=sys.stderr)
        return 2
    if args.scheduled:  # as the scheduler would: not when another process ran it within its interval
        print(asyncio.run(_with_services(settings, lambda: run_scheduled(args.name))))
    else:
        print(asyncio.run(_with_services(settings, job)))
    return 0


def cmd_rotate_file_keys(args: argparse.Namespace, settings: Settings) -> int:
    """Every local file under the current secret key; the last line printed is the count."""
    from services.adapters import file_crypto, storage

    async def work() -> file_crypto.Rotation | None:
        store = storage.get()
        return await store.rotate_keys() if isinstance(store, storage.LocalStorage) else None

    done = asyncio.run(_with_services(settings, work))
    if done is None:
        print("nothing to rewrap: the S3 store encrypts files with its own keys (server-side encryption)")
        return 0
    if done.damaged:
        print(
            f"{done.damaged} file(s) could not be read and were left as they are (see the log)"
            " — is the secret key they were stored under listed in PORTAL_PREVIOUS_SECRET_KEYS?",
            file=sys.stderr,
        )
    print(f"rewrapped {done.rewrapped} file(s), encrypted {done.encrypted} plaintext file(s)")
    return 1 if done.damaged else 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """The scheduled jobs and the outbox worker in a process of their own, until SIGTERM or Ctrl-C."""
    import signal

    from portal_app.jobs import run_worker

    async def work() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sign in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sign, stop.set)
        await run_worker(settings, stop)

    print("Worker running: scheduled jobs and the outbox (the web processes need PORTAL_SCHEDULER_ENABLED=false)")
    asyncio.run(_with_services(settings, work))
    return 0


def _direct_mode_refusal(settings: Settings) -> str:
    """PORTAL_STRIPE_DIRECT with more than one organization must not start (SPEC §16)."""
    if not settings.stripe_direct:
        return ""
    from sqlalchemy.exc import DBAPIError

    from services.organizations import card_account

    try:
        return asyncio.run(_with_services(settings, card_account.direct_mode_refusal))
    except DBAPIError:  # no database yet (not migrated): no organization either
        return ""


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if settings.redis_url:  # NiceGUI's user storage (the running timer) in the same Redis, shared by every process
        os.environ.setdefault("NICEGUI_REDIS_URL", settings.redis_url)  # read when nicegui is imported, just below
    from nicegui import run, ui

    from portal_app import large_blocks
    from portal_app.app import create_app
    from portal_app.compression import PagesOnlyGZip
    from portal_app.page_language import DEFAULT_LANGUAGE

    if refusal := _direct_mode_refusal(settings):
        print(refusal, file=sys.stderr)
        return 2
    # PDFs render in a process pool; spawned workers do not inherit the scheduler's and the server's threads.
    run.process_pool_start_method = "spawn"
    large_blocks.keep_apart()  # before the app allocates: its large blocks stay apart from the heap
    create_app(settings)
    if settings.gc_tuning:
        from nicegui import app

        from portal_app import collector

        app.on_startup(collector.tune)  # after the app's own start-up: what it made is frozen too
    print(f"Listening on {listening_url(settings.host, settings.port)}  (links use {settings.base_url})", flush=True)
    if notice := settings.base_url_mismatch():
        logging.getLogger("portico").warning(notice)
    ui.run(
        host=settings.host,
        port=settings.port,
        title="Portico",
        language=DEFAULT_LANGUAGE,  # <html lang> on pages with no organization; the others speak its (page_language)
        reload=False,
        show=False,
        show_welcome_message=False,
        favicon="🏛️",
        storage_secret=settings.resolved_secret_key,
        gzip_middleware_factory=PagesOnlyGZip,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="Portico: client portal and staff workspace.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("serve", help="serve the app (default)").set_defaults(run=cmd_serve)
    commands.add_parser("migrate", help="upgrade the database to the latest revision").set_defaults(run=cmd_migrate)
    org = commands.add_parser("create-org", help="create an organization and its owner; prints the organization id")
    org.add_argument("--name", required=True)
    org.add_argument("--slug", required=True)
    org.add_argument("--owner-email", required=True)
    org.add_argument("--password", required=True)
    org.set_defaults(run=cmd_create_org)
    token = commands.add_parser("create-api-token", help="create a staff API token; prints it (shown once)")
    token.add_argument("--org", required=True, help="organization slug")
    token.add_argument("--email", required=True, help="staff member's email")
    token.add_argument("--name", default="cli", help="a label for the token")
    token.set_defaults(run=cmd_create_api_token)
    account = commands.add_parser(
        "set-stripe-account", help="bind an organization to an existing connected Stripe account; prints its id"
    )
    account.add_argument("--org", required=True, help="organization slug")
    account.add_argument("--account", required=True, help="the connected account's id (acct_…)")
    account.set_defaults(run=cmd_set_stripe_account)
    demo = commands.add_parser("demo", help="seed a demo agency with clients, contacts and projects")
    demo.add_argument("--if-empty", action="store_true", help="only when the database has no organization yet")
    demo.set_defaults(run=cmd_demo)
    job = commands.add_parser("run-job", help="run one scheduled job now and exit")
    job.add_argument(
        "name", help="outbox (send queued mail), reminders (payment reminders) or purge (expired sessions)"
    )
    job.add_argument(
        "--scheduled", action="store_true", help="as the scheduler runs it: skipped when run within its interval"
    )
    job.set_defaults(run=cmd_run_job)
    commands.add_parser("worker", help="run the scheduled jobs and the outbox, without the web server").set_defaults(
        run=cmd_worker
    )
    commands.add_parser(
        "rotate-file-keys",
        help="rewrap stored files' keys under the current secret key and encrypt files stored before encryption",
    ).set_defaults(run=cmd_rotate_file_keys)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    settings = _settings()
    run = getattr(args, "run", cmd_serve)
    from services.core.errors import ServiceError

    try:
        return run(args, settings)
    except ServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
