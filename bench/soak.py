"""A bounded soak: many open portal tabs, page views, payments with their webhooks and a reminder sweep, at once.

    .venv/bin/python -m bench.soak [--only sqlite|postgres] [--seconds 600] [--tabs 500] [--viewers 4]
                                   [--pay-every 0.5] [--sweep-at 0.4] [--sample-every 5] [--warm-up S]
                                   [--payer-invoices 5000] [--invoices 200] [--requests 200] [...]

One `main.py serve` process (scheduler on, as in production; bench/servers.py) on a database seeded with
bench/portal_data.py's portal (a client with --invoices invoices, a project with --requests requests,
--milestones milestones and --updates updates, its contact signed in) and a second organization of --payer-invoices
open invoices (bench/data.py: due dates from 40 days ago on, so nearly each has a reminder step due), both paid
into connected accounts of the loopback Stripe stand-in (tests/support/stripe_standin.py). Everything runs on
127.0.0.1, and every part of the load stops by count or by time.

First --tabs tabs are opened (bench/tabs.py's `Side`: half on the portal Invoices page, half on the project page,
four at a time) and kept connected to the end, answering pings as a browser does. Then, for --seconds:

- --viewers browsers open full views one after another (GET, websocket until NiceGUI's client is connected,
  closed: bench/pages.py's `measure_browsers`), half of them on each page;
- every --pay-every seconds, Pay on an invoice's public link (`POST /i/{token}/pay`: an attempt row and a
  Checkout Session from the stand-in), the session completed at the stand-in, and its signed
  `checkout.session.completed` posted to `/webhooks/stripe`; one event in four is posted twice at once
  (concurrent duplicates), another one in four again a little later (Stripe's retry);
- at --sweep-at of the run, `main.py run-job reminders` in its own process on the same database;
- every --sample-every seconds, the server's RSS and open file descriptors (psutil) and its /healthz, which
  reports the event loop's lag (portal_app/loop_watch.py).

Errors are counted, and must be 0: a failed tab opening, a tab not connected at the end, a failed view, a Pay
not sent to Checkout, a webhook answered other than 2xx or with an unexpected result, a failed sweep (or one
that found nothing to remind), a /healthz other than 200, a line the server logged as an error, and a count of
payments in the database other than the webhooks that recorded one. Prints p50/p95/p99 of views, Pay and
webhooks, the RSS and descriptors over time with the loop lag, and whether RSS grew after the warm-up (median
of the last third of the samples against the first third). tests/load/test_soak.py runs the same code for a
minute on SQLite and asserts no errors; nothing here asserts anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import math
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
import psutil
from sqlalchemy import select

from bench import portal_data
from bench.data import generate
from bench.figures import median, percentile
from bench.nicegui_client import TIMEOUT, Browser, CookieSpec, Tally
from bench.pages import measure_browsers
from bench.payments import use_standin
from bench.servers import ROOT, Server, portico_environment, start_portico, wait_healthy
from bench.tabs import Side
from models import Invoice, Organization, Payment
from portal_app.loop_watch import LoopWatch
from services.adapters import stripe_gateway
from services.billing import invoice_views
from services.card_payments import stripe_accounts
from services.core import db
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from tests.support.db import count
from tests.support.stripe_standin import StripeStandIn, start_standin

PAYER_SLUG = "payer"
PAYER_CLIENTS = 100
PAYER_DUE_IN_DAYS = 21
SWEEP_SLUG = "overdue"
SWEEP_CLIENTS = 100
RSS_GROWTH = 0.05  # RSS "grew" when the last third's median is more than 5 % above the first third's
TABLE_ROWS = 12  # rows of the printed RSS table; every sample is kept in the report
SWEEP_LINE = re.compile(r"queued reminders for (\d+) invoice")


@dataclass(frozen=True)
class Options:
    """How big and how long: the defaults are the full soak, tests/load/test_soak.py a minute of it."""

    tabs: int = 500
    seconds: float = 600.0
    viewers: int = 4
    pay_every: float = 0.5
    sweep_at: float = 0.4  # share of --seconds after which the sweep starts
    sample_every: float = 5.0
    warm_up: float | None = None  # seconds of load not compared for RSS growth; None: a sixth, at most 60 s
    payer_invoices: int | None = None  # None: one per Pay the run can make
    sweep_invoices: int = 5_000
    sizes: portal_data.Sizes = field(default_factory=portal_data.Sizes)
    gc_tuning: bool = True  # False: the server's collector as Python sets it (portal_app/collector.py), to compare

    @property
    def payer_invoice_count(self) -> int:
        return self.payer_invoices if self.payer_invoices is not None else math.ceil(self.seconds / self.pay_every) + 10

    @property
    def warm_up_seconds(self) -> float:
        return self.warm_up if self.warm_up is not None else min(60.0, self.seconds / 6)


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the server answered, before the tabs opened
    rss_mib: float
    fds: int
    tabs_connected: int
    views: int
    webhooks: int
    lag_last_minute_ms: float


@dataclass
class Report:
    """What one soak saw. `errors` counts every failure by kind; a good run has none."""

    label: str
    options: Options
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[Sample] = field(default_factory=list)
    views: Tally = field(default_factory=Tally)
    view_seconds: list[float] = field(default_factory=list)
    pay_seconds: list[float] = field(default_factory=list)
    webhook_seconds: list[float] = field(default_factory=list)
    webhook_results: Counter[str] = field(default_factory=Counter)
    tabs_opened_in: float = 0.0
    load_began_at: float = 0.0  # seconds from the first sample to the start of the load
    tabs_connected: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    sweep: str = "not run"
    loop_lag_ms: dict[str, float] = field(default_factory=dict)
    client_lag_ms: float = 0.0
    logged_errors: list[str] = field(default_factory=list)

    def error(self, kind: str, n: int = 1) -> None:
        self.errors[kind] += n


@dataclass
class Site:
    """The seeded database: the portal's paths and cookie, and the public tokens of the invoices to pay."""

    portal: portal_data.PortalSite
    cookies: list[CookieSpec]
    tokens: list[str]


async def seed(database_url: str, options: Options, standin: StripeStandIn) -> Site:
    """The portal (bench/portal_data.py), the payer organization, both bound to stand-in accounts, a session."""
    portal = await portal_data.seed(database_url, options.sizes)  # migrates, configures the secret key
    db.configure(database_url)
    try:
        # Due in three weeks: no reminder step is due yet, so the sweep `serve` runs as it starts leaves them alone.
        payer = await generate(
            clients=PAYER_CLIENTS,
            invoices_count=options.payer_invoice_count,
            slug=PAYER_SLUG,
            today=date.today() + timedelta(days=PAYER_DUE_IN_DAYS),
            due_spread=0,
        )
        for slug in (portal_data.SLUG, PAYER_SLUG):  # as bench/payments.py: each org paid into its own account
            await stripe_accounts.bind_account(slug, standin.create_account())
        async with unit_of_work(SystemActor(label="bench")) as session:
            ids = list(
                await session.scalars(
                    select(Invoice.id)
                    .join(Organization)
                    .where(Organization.id == payer.org_id)
                    .order_by(Invoice.number)
                )
            )
    finally:
        await db.close()
    (session_cookie,) = await portal_data.sign_in(database_url, portal)
    cookies = [CookieSpec("portico_portal", session_cookie, portal.cookie_path)]
    return Site(portal, cookies, [invoice_views.public_token(invoice_id) for invoice_id in ids])


def tab_sides(server: Server, site: Site) -> list[Side]:
    """Where the held tabs go: half on the Invoices page, half on the project page."""
    return [
        Side("tabs on invoices", server, site.portal.invoices_path, site.cookies),
        Side("tabs on project", server, site.portal.project_path, site.cookies),
    ]


async def open_tabs(sides: list[Side], report: Report) -> None:
    """--tabs tabs shared among `sides`, each side's opened four at a time (bench/tabs.py), one side after the other."""
    began = time.perf_counter()
    for n, side in enumerate(sides):
        await side.open_tabs(report.options.tabs // len(sides) + (n < report.options.tabs % len(sides)))
        report.error("tab openings failed", sum(side.tally.non_200.values()) + sum(side.tally.errors.values()))
    report.tabs_opened_in = time.perf_counter() - began


async def views(server: Server, site: Site, report: Report) -> None:
    """--viewers browsers viewing pages back to back for the whole run, half on each page."""
    browsers = [Browser(server.url, site.cookies) for _ in range(report.options.viewers)]
    paths = (site.portal.invoices_path, site.portal.project_path)
    results = await asyncio.gather(
        *(
            measure_browsers(browsers[n :: len(paths)], path, report.options.seconds, report.view_seconds)
            for n, path in enumerate(paths)
        )
    )
    for _, tally in results:
        report.views.add(tally)
    report.error("views failed", sum(report.views.non_200.values()) + sum(report.views.errors.values()))


class Payments:
    """Pay on public links and the webhooks that follow, each delivered once, twice at once, or again later."""

    def __init__(self, server: Server, standin: StripeStandIn, tokens: list[str], report: Report) -> None:
        self.standin, self.tokens, self.report = standin, list(reversed(tokens)), report
        self.http = httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT, follow_redirects=False)
        self.delivered = 0

    async def run(self) -> None:
        deadline = time.perf_counter() + self.report.options.seconds
        retries: list[dict] = []
        due = time.perf_counter()
        try:
            while time.perf_counter() < deadline and self.tokens:
                again, retries = retries, []
                for event in again:  # last round's retries: the event is known by now
                    await self.post(event, {"duplicate"})
                session_id = await self.pay(self.tokens.pop())
                if session_id is not None:
                    self.standin.complete(session_id)
                    event = self.standin.event("checkout.session.completed", session_id)
                    self.delivered += 1
                    if self.delivered % 4 == 1:
                        await self.post_twice_at_once(event)
                    else:
                        await self.post(event, {"paid"})
                        if self.delivered % 4 == 3:
                            retries.append(event)
                due += self.report.options.pay_every
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            for event in retries:
                await self.post(event, {"duplicate"})
        finally:
            await self.http.aclose()

    async def pay(self, token: str) -> str | None:
        """Press Pay: the Checkout Session's id from the redirect to the stand-in's page, or None (counted)."""
        began = time.perf_counter()
        try:
            response = await self.http.post(f"/i/{token}/pay")
        except httpx.HTTPError as exc:
            self.report.error(f"Pay {type(exc).__name__}")
            return None
        self.report.pay_seconds.append(time.perf_counter() - began)
        location = response.headers.get("location", "")
        if response.status_code != 303 or not location.startswith(f"{self.standin.url}/pay/"):
            self.report.error(f"Pay answered {response.status_code} {location[:60]}")
            return None
        return location.rsplit("/", 1)[1]

    async def post(self, event: dict, expected: set[str]) -> str | None:
        """One signed delivery; its result ("paid", "duplicate"), counted, or None when it failed (counted)."""
        body, headers = self.standin.signed(event)  # signed at delivery, as Stripe signs each attempt
        began = time.perf_counter()
        try:
            response = await self.http.post("/webhooks/stripe", content=body, headers=headers)
        except httpx.HTTPError as exc:
            self.report.error(f"webhook {type(exc).__name__}")
            return None
        self.report.webhook_seconds.append(time.perf_counter() - began)
        if not 200 <= response.status_code < 300:
            self.report.error(f"webhook answered {response.status_code}")
            return None
        result = str(response.json().get("result"))
        self.report.webhook_results[result] += 1
        if result not in expected:
            self.report.error(f"webhook result {result!r}, not {'/'.join(sorted(expected))}")
        return result

    async def post_twice_at_once(self, event: dict) -> None:
        results = await asyncio.gather(*(self.post(event, {"paid", "duplicate"}) for _ in range(2)))
        if None not in results and sorted(results, key=str) != ["duplicate", "paid"]:
            self.report.error("concurrent duplicates not recorded exactly once")


async def overdue_invoices(database_url: str, invoices: int) -> float:
    """An organization of `invoices` open invoices with reminder steps due (bench/data.py), inserted now; seconds.

    `serve` sweeps once as it starts (then hourly), so invoices seeded before it started are reminded already:
    these arrive while the load runs, for the sweep to find, as the next hour's invoices would.
    """
    db.configure(database_url)
    try:
        return (await generate(clients=SWEEP_CLIENTS, invoices_count=invoices, slug=SWEEP_SLUG)).seconds
    finally:
        await db.close()


async def sweep(server: Server, database_url: str, folder: Path, extra_env: dict[str, str], report: Report) -> None:
    """--sweep-invoices overdue invoices inserted, then `main.py run-job reminders` in its own process on the
    server's database, --sweep-at into the run."""
    started = report.options.seconds * report.options.sweep_at
    await asyncio.sleep(started)
    inserted = await overdue_invoices(database_url, report.options.sweep_invoices)
    env = portico_environment(folder / "job-var", database_url, server.port, extra_env)
    began = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "main.py",
        "run-job",
        "reminders",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(max(120.0, report.options.seconds)):
            output = (await process.communicate())[0].decode(errors="replace").strip()
    except TimeoutError:
        process.kill()
        await process.wait()
        report.error("sweep timed out")
        report.sweep = "timed out"
        return
    seconds = time.perf_counter() - began
    found = SWEEP_LINE.search(output)
    report.sweep = (
        f"{report.options.sweep_invoices:,} overdue invoices inserted at {started:.0f} s in {inserted:.1f} s, then "
        f"{output.splitlines()[-1] if output else '(no output)'} in {seconds:.1f} s"
    )
    if process.returncode != 0:
        report.error("sweep failed")
        report.sweep += f"; exit {process.returncode}:\n{output[-2000:]}"
    elif found is None or int(found.group(1)) == 0:
        report.error("sweep reminded nothing")


class Sampler:
    """The server's RSS, open descriptors and /healthz every --sample-every seconds, from before the tabs open."""

    def __init__(self, server: Server, report: Report, sides: list[Side]) -> None:
        self.server, self.report, self.sides = server, report, sides
        self.process = psutil.Process(server.process.pid)
        self.http = httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT)
        self.began = time.perf_counter()
        self.stop = asyncio.Event()

    async def run(self) -> None:
        try:
            while not self.stop.is_set():
                await self.sample()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), self.report.options.sample_every)
            await self.sample()
        finally:
            await self.http.aclose()

    async def health(self) -> dict[str, float]:
        """The loop lag /healthz reports; a failed or non-200 answer is an error."""
        try:
            response = await self.http.get("/healthz")
        except httpx.HTTPError as exc:
            self.report.error(f"/healthz {type(exc).__name__}")
            return {}
        if response.status_code != 200:
            self.report.error(f"/healthz answered {response.status_code}")
        return dict(response.json().get("loop_lag_ms", {}))

    async def sample(self) -> None:
        lag = await self.health()
        if lag:
            self.report.loop_lag_ms = lag
        now = time.perf_counter()
        with self.process.oneshot():
            rss, fds = self.process.memory_info().rss / 2**20, self.process.num_fds()
        self.report.samples.append(
            Sample(
                at=now - self.began,
                rss_mib=rss,
                fds=fds,
                tabs_connected=sum(side.connected for side in self.sides),
                views=len(self.report.view_seconds),
                webhooks=len(self.report.webhook_seconds),
                lag_last_minute_ms=lag.get("last_minute", float("nan")),
            )
        )


async def check_payments(database_url: str, report: Report) -> None:
    """Every webhook that answered "paid" left exactly one Payment, and no other made one."""
    db.configure(database_url)
    try:
        recorded = await count(Payment)
    finally:
        await db.close()
    if recorded != report.webhook_results["paid"]:
        report.error(f"{recorded} payments in the database for {report.webhook_results['paid']} paid webhooks")


async def run_soak(database_url: str, folder: Path, options: Options, label: str) -> Report:
    """The whole soak on a migrated-here database at `database_url`; its own server, stand-in and processes."""
    report = Report(label, options)
    previous_stripe = stripe_gateway.get_config()
    standin = start_standin()
    server: Server | None = None
    sides: list[Side] = []  # the held tabs, closed whatever happens
    try:
        use_standin(standin)  # binding the accounts asks the stand-in for their state, as bench/payments.py does
        site = await seed(database_url, options, standin)
        extra_env = {**standin.serve_environment(), "PORTAL_GC_TUNING": str(options.gc_tuning).lower()}
        server = start_portico(folder / "var", database_url, extra_env)
        await asyncio.to_thread(wait_healthy, server)
        print(
            f"[{label}] serve pid {server.process.pid}; {options.tabs} tabs, {options.viewers} viewers, "
            f"Pay + webhook every {options.pay_every:g} s, sweep at {options.seconds * options.sweep_at:.0f} s, "
            f"{options.seconds:g} s of load ({options.warm_up_seconds:g} s warm-up)",
            flush=True,
        )
        sides = tab_sides(server, site)
        sampler = Sampler(server, report, sides)
        sampling = asyncio.create_task(sampler.run())
        client_watch = LoopWatch()
        try:
            await open_tabs(sides, report)
            print(f"[{label}] {options.tabs} tabs opened in {report.tabs_opened_in:.1f} s; load starts", flush=True)
            client_watch.start()
            report.load_began_at = time.perf_counter() - sampler.began
            await asyncio.gather(
                views(server, site, report),
                Payments(server, standin, site.tokens, report).run(),
                sweep(server, database_url, folder, extra_env, report),
            )
        finally:
            sampler.stop.set()
            await sampling
            report.client_lag_ms = round(client_watch.worst * 1000, 1)
            await client_watch.stop()
        report.tabs_connected = sum(side.connected for side in sides)
        for side in sides:
            report.dropped.update(tab.end for tab in side.tabs if not tab.connected)
        report.error("tabs dropped", sum(len(side.tabs) - side.connected for side in sides))
        await check_payments(database_url, report)
        if server.process.poll() is not None:
            report.error(f"server exited with {server.process.returncode}")
    finally:
        for side in sides:
            await side.close()
        if server is not None:
            server.stop()
            report.logged_errors = server.logged_errors()
            report.error("server logged errors", len(report.logged_errors))
        standin.stop()
        stripe_gateway.configure(previous_stripe)
    return report


def _ms(seconds: list[float]) -> str:
    if not seconds:
        return "none"
    p50, p95, p99 = (percentile(seconds, share) * 1000 for share in (0.5, 0.95, 0.99))
    return f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms"


def _phase(sample: Sample, report: Report) -> str:
    if sample.at < report.load_began_at:
        return "tabs opening"
    return "warm-up" if sample.at < report.load_began_at + report.options.warm_up_seconds else "load"


def rss_growth(report: Report) -> str:
    """The median RSS of the last third of the samples after the warm-up against the first third's."""
    settled = [s.rss_mib for s in report.samples if _phase(s, report) == "load"]
    third = len(settled) // 3
    if third == 0:
        return f"too few samples after the warm-up ({len(settled)}) to compare thirds"
    first, last = median(settled[:third]), median(settled[-third:])
    verdict = "grew" if last > first * (1 + RSS_GROWTH) else "did not grow"
    return (
        f"median of the first third {first:.1f} MiB, of the last third {last:.1f} MiB: {last - first:+.1f} MiB "
        f"({(last / first - 1) * 100:+.1f} %): {verdict} (threshold {RSS_GROWTH * 100:.0f} %), "
        f"{len(settled)} samples after the warm-up"
    )


def print_report(report: Report) -> None:
    label, options, load = f"[{report.label}]", report.options, max(report.options.seconds, 1e-9)
    print(
        f"{label} tabs: {options.tabs} opened in {report.tabs_opened_in:.1f} s, {report.tabs_connected} still connected"
    )
    if report.dropped:
        print(f"{label}   dropped: " + ", ".join(f"{why} x{n}" for why, n in report.dropped.most_common()))
    print(
        f"{label} views: {report.views.ok:,} ({report.views.ok / load:.1f}/s) {_ms(report.view_seconds)}; "
        f"failed: {report.views.problems()}"
    )
    print(f"{label} Pay: {len(report.pay_seconds):,} {_ms(report.pay_seconds)}")
    results = ", ".join(f"{result} {n:,}" for result, n in report.webhook_results.most_common())
    print(f"{label} webhooks: {len(report.webhook_seconds):,} ({results or 'none'}) {_ms(report.webhook_seconds)}")
    print(f"{label} reminder sweep: {report.sweep}")
    lag = report.loop_lag_ms
    print(
        f"{label} server event loop lag: worst {lag.get('worst', float('nan')):.0f} ms since start, "
        f"{lag.get('last_minute', float('nan')):.0f} ms in the last minute; "
        f"the soak's own loop: worst {report.client_lag_ms:.0f} ms"
    )
    print(f"{label} server over time ({len(report.samples)} samples every {options.sample_every:g} s):")
    print(
        f"    {'t (s)':>7} {'phase':<13}{'RSS MiB':>9}{'fds':>6}{'tabs':>6}{'views':>8}{'webhooks':>9}{'lag 1 min ms':>14}"
    )
    step = max(1, -(-len(report.samples) // TABLE_ROWS))
    shown = report.samples[::step]
    if report.samples and shown[-1] is not report.samples[-1]:
        shown.append(report.samples[-1])
    for sample in shown:
        print(
            f"    {sample.at:7.0f} {_phase(sample, report):<13}{sample.rss_mib:9.1f}{sample.fds:6d}"
            f"{sample.tabs_connected:6d}{sample.views:8,d}{sample.webhooks:9,d}{sample.lag_last_minute_ms:14.0f}"
        )
    print(f"{label} RSS after the warm-up: {rss_growth(report)}")
    settled = [s.fds for s in report.samples if _phase(s, report) == "load"]
    if settled:
        print(f"{label} open fds after the warm-up: {min(settled)}–{max(settled)}, last {settled[-1]}")
    for line in report.logged_errors[:5]:
        print(f"{label}   server logged: {line[:200]}")
    total = sum(report.errors.values())
    listed = ", ".join(f"{kind} x{n}" for kind, n in report.errors.most_common() if n)
    print(f"{label} errors: {total}" + (f" ({listed})" if listed else ""), flush=True)


def sqlite_url(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder / 'portico.db'}"


def options_from(args: argparse.Namespace) -> Options:
    return Options(
        tabs=args.tabs,
        seconds=args.seconds,
        viewers=args.viewers,
        pay_every=args.pay_every,
        sweep_at=args.sweep_at,
        sample_every=args.sample_every,
        warm_up=args.warm_up,
        payer_invoices=args.payer_invoices,
        sweep_invoices=args.sweep_invoices,
        sizes=portal_data.Sizes(args.invoices, args.requests, args.milestones, args.updates),
    )


def collector_modes(choice: str) -> list[bool]:
    """The server's collector for each run: tuned, Python's own, or both in turn (same load, same machine)."""
    return {"tuned": [True], "untuned": [False], "both": [False, True]}[choice]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    parser.add_argument("--seconds", type=float, default=600.0, help="length of the load, after the tabs opened")
    parser.add_argument("--tabs", type=int, default=500, help="tabs held open for the whole run")
    parser.add_argument("--viewers", type=int, default=4, help="browsers viewing pages back to back")
    parser.add_argument("--pay-every", type=float, default=0.5, help="seconds between Pay + webhook")
    parser.add_argument("--sweep-at", type=float, default=0.4, help="share of the run before the reminder sweep")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds between RSS/fd/healthz samples")
    parser.add_argument("--warm-up", type=float, help="seconds of load left out of the RSS comparison")
    parser.add_argument("--payer-invoices", type=int, help="open invoices to pay (default: one per Pay of the run)")
    parser.add_argument("--sweep-invoices", type=int, default=5_000, help="overdue invoices inserted for the sweep")
    for size in ("invoices", "requests", "milestones", "updates"):
        parser.add_argument(f"--{size}", type=int, default=200, help=f"{size} of the portal's pages")
    parser.add_argument(
        "--gc",
        choices=("tuned", "untuned", "both"),
        default="tuned",
        help="the server's garbage collector: as serve sets it, as Python sets it, or a run of each in turn",
    )
    args = parser.parse_args()
    failed = False
    for tuned in collector_modes(args.gc):
        options = dataclasses.replace(options_from(args), gc_tuning=tuned)
        suffix = "" if args.gc == "tuned" else (" gc tuned" if tuned else " gc untuned")
        if args.only != "postgres":
            with tempfile.TemporaryDirectory(prefix="portico-bench-soak-") as folder:
                report = asyncio.run(run_soak(sqlite_url(Path(folder)), Path(folder), options, "sqlite" + suffix))
                print_report(report)
                failed |= bool(+report.errors)
        if args.only != "sqlite":
            from tests.support.postgres import start_cluster

            cluster = start_cluster()
            try:
                cluster.run_sql("CREATE DATABASE soak")
                with tempfile.TemporaryDirectory(prefix="portico-bench-soak-") as folder:
                    report = asyncio.run(run_soak(cluster.url("soak"), Path(folder), options, "postgres" + suffix))
                    print_report(report)
                    failed |= bool(+report.errors)
            finally:
                cluster.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
