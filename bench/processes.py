"""One `serve` process against two, both behind nginx on one PostgreSQL: page views per second and open tabs.

    .venv/bin/python -m bench.processes [--rounds 3] [--seconds 5] [--concurrency 4 8] [--tabs 100] [--hold 10]
                                        [--invoices 200] [--requests 200] [--milestones 200] [--updates 200]

The portal Invoices page of bench/portal_data.py's site, seeded into a throwaway PostgreSQL cluster
(tests/support/postgres.py), viewed by its signed-in contact. Two `main.py serve` processes (scheduler off, as
web processes run beside a worker) share the database; two nginx instances (tests/support/nginx.py, the README's
configuration with `hash $cookie_portico_browser consistent`) sit in front: "1 process" has the first server as
its only upstream, "2 processes" has both. Each simulated browser (bench/nicegui_client.py) carries its own
`portico_browser` cookie, chosen so that the browsers split evenly over the upstreams, as many real browsers
would; nginx is the same in both configurations, so the figures differ by the processes alone.

Each round measures views/s at each concurrency (a view: GET, websocket, client connected, closed; as
bench/pages.py), then opens --tabs tabs and holds them --hold seconds (as bench/tabs.py), the configurations
taking turns going first. Prints medians with the lowest and highest round, the ratio 2/1, every failure, how
many tabs were still connected at the end of the hold and the servers' RSS growth per tab. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import portal_data
from bench.figures import ratio, with_spread
from bench.nicegui_client import Browser, CookieSpec, Tab, Tally, ViewFailed
from bench.pages import measure_browsers
from bench.servers import Server, start_portico, wait_healthy
from tests.support.nginx import UPSTREAM_HEADER, Nginx, start_nginx
from tests.support.postgres import free_port, start_cluster

BROWSER_COOKIE = "portico_browser"
SETTLE_SECONDS = 6.0  # NiceGUI deletes a closed page's client after its 3 s reconnect timeout


@dataclass
class Setup:
    label: str
    proxy: Nginx
    servers: list[Server]
    cookies: list[CookieSpec]
    path: str

    def rss_mib(self) -> float:
        return sum(server.rss_mib() for server in self.servers)

    async def browsers(self, count: int) -> list[Browser]:
        """`count` browsers whose cookies send them to the upstreams in turn (the first, the second, the first…)."""
        upstreams = [f"127.0.0.1:{server.port}" for server in self.servers]
        browsers = []
        async with httpx.AsyncClient(base_url=self.proxy.url, timeout=10) as probe:
            for n in range(count):
                wanted = upstreams[n % len(upstreams)]
                while True:
                    value = secrets.token_urlsafe(32)
                    answer = await probe.get("/healthz", cookies={BROWSER_COOKIE: value})
                    if answer.headers.get(UPSTREAM_HEADER) == wanted:
                        break
                browser = Browser(self.proxy.url, self.cookies)
                browser.http.cookies.set(BROWSER_COOKIE, value, domain="127.0.0.1", path="/")
                browsers.append(browser)
        return browsers


@dataclass
class Figures:
    rates: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    tallies: dict[str, Tally] = field(default_factory=dict)
    open_rates: dict[str, list[float]] = field(default_factory=dict)
    held: dict[str, list[float]] = field(default_factory=dict)
    mib_per_tab: dict[str, list[float]] = field(default_factory=dict)
    dropped: dict[str, Counter[str]] = field(default_factory=dict)

    def tally(self, label: str) -> Tally:
        return self.tallies.setdefault(label, Tally())


async def views(setup: Setup, concurrency: int, seconds: float, figures: Figures) -> None:
    rate, tally = await measure_browsers(await setup.browsers(concurrency), setup.path, seconds)
    figures.rates.setdefault((setup.label, concurrency), []).append(rate)
    figures.tally(setup.label).add(tally)


async def hold_tabs(setup: Setup, count: int, hold: float, figures: Figures, opening_concurrency: int = 4) -> None:
    """Open `count` tabs (`opening_concurrency` browsers, each its share in turn), hold them, close them."""
    browsers = await setup.browsers(opening_concurrency)
    tabs: list[Tab] = []
    rss_before = setup.rss_mib()
    loop = asyncio.get_running_loop()
    began = loop.time()

    async def open_share(browser: Browser, share: int) -> None:
        for _ in range(share):
            tab = Tab(browser, setup.path)
            try:
                await tab.open()
                tabs.append(tab)
            except ViewFailed as failure:
                figures.tally(setup.label).failed(failure)

    shares = [count // len(browsers) + (n < count % len(browsers)) for n in range(len(browsers))]
    try:
        await asyncio.gather(*(open_share(b, s) for b, s in zip(browsers, shares, strict=True)))
        figures.open_rates.setdefault(setup.label, []).append(len(tabs) / (loop.time() - began))
        await asyncio.sleep(hold)
        figures.held.setdefault(setup.label, []).append(sum(tab.connected for tab in tabs))
        figures.dropped.setdefault(setup.label, Counter()).update(tab.end for tab in tabs if not tab.connected)
        figures.mib_per_tab.setdefault(setup.label, []).append((setup.rss_mib() - rss_before) / count)
    finally:
        await asyncio.gather(*(tab.close() for tab in tabs))
        for browser in browsers:
            with contextlib.suppress(Exception):
                await browser.close()
    await asyncio.sleep(SETTLE_SECONDS)


async def run_rounds(setups: list[Setup], args: argparse.Namespace) -> Figures:
    figures = Figures()
    for setup in setups:  # warm-up: the first views load templates and caches on every process
        await measure_browsers(await setup.browsers(len(setup.servers)), setup.path, 1.0)
    for round_number in range(args.rounds):
        turn = setups if round_number % 2 == 0 else setups[::-1]
        for concurrency in args.concurrency:
            for setup in turn:
                await views(setup, concurrency, args.seconds, figures)
        if args.tabs:
            for setup in turn:
                await hold_tabs(setup, args.tabs, args.hold, figures)
        print(f"  round {round_number + 1}/{args.rounds} done", flush=True)
    return figures


def report(setups: list[Setup], args: argparse.Namespace, figures: Figures) -> None:
    one, two = setups
    print(f"\nportal Invoices page ({one.path}) through nginx; views/s as median (lowest–highest round)")
    print(f"  {'concurrency':<14}{'1 process':<24}{'2 processes':<24}2/1")
    for concurrency in args.concurrency:
        mine, theirs = figures.rates[(one.label, concurrency)], figures.rates[(two.label, concurrency)]
        print(f"  {concurrency:<14}{with_spread(mine):<24}{with_spread(theirs):<24}{ratio(theirs, mine)}")
    if args.tabs:
        print(f"\n{args.tabs} tabs opened by 4 browsers, held {args.hold:g} s")
        for setup in setups:
            print(
                f"  {setup.label:<14}opened {with_spread(figures.open_rates[setup.label])} tabs/s; "
                f"connected at the end {with_spread(figures.held[setup.label], 0)} of {args.tabs}; "
                f"server RSS {with_spread(figures.mib_per_tab[setup.label], 3)} MiB/tab (all its processes)"
            )
            if dropped := figures.dropped.get(setup.label):
                print("    dropped: " + ", ".join(f"{reason} x{count}" for reason, count in dropped.most_common()))
        print(f"  opening 2/1: {ratio(figures.open_rates[two.label], figures.open_rates[one.label])}")
    for setup in setups:
        print(f"  failures, {setup.label}: {figures.tally(setup.label).problems()}")
    for server in two.servers:
        server.print_logged_errors()


async def main_async(args: argparse.Namespace, folder: Path) -> None:
    cluster = start_cluster()
    servers: list[Server] = []
    proxies: list[Nginx] = []
    try:
        cluster.run_sql("CREATE DATABASE bench")
        database_url = cluster.url("bench")
        sizes = portal_data.Sizes(args.invoices, args.requests, args.milestones, args.updates)
        site = await portal_data.seed(database_url, sizes)
        (session,) = await portal_data.sign_in(database_url, site)
        cookies = [CookieSpec("portico_portal", session, site.cookie_path)]
        one_port, two_port = free_port(), free_port()
        env = {"PORTAL_SCHEDULER_ENABLED": "false", "PORTAL_BASE_URL": f"http://127.0.0.1:{two_port}"}
        servers = [start_portico(folder / f"var-{n}", database_url, env) for n in range(2)]
        for server in servers:
            wait_healthy(server)
        proxies = [
            start_nginx([servers[0].port], port=one_port, cookie=BROWSER_COOKIE),
            start_nginx([s.port for s in servers], port=two_port, cookie=BROWSER_COOKIE),
        ]
        setups = [
            Setup("1 process", proxies[0], servers[:1], cookies, site.invoices_path),
            Setup("2 processes", proxies[1], servers, cookies, site.invoices_path),
        ]
        print(
            f"data: {sizes}; PostgreSQL; serve pids {[s.process.pid for s in servers]}; "
            f"{args.rounds} interleaved rounds of {args.seconds:g} s per measurement",
            flush=True,
        )
        report(setups, args, await run_rounds(setups, args))
    finally:
        for proxy in proxies:
            proxy.stop()
        for server in servers:
            server.stop()
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one views/s measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--tabs", type=int, default=100, help="tabs opened and held per configuration; 0: none")
    parser.add_argument("--hold", type=float, default=10.0, help="seconds the tabs stay open")
    portal_data.add_size_arguments(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portico-bench-processes-") as folder:
        asyncio.run(main_async(args, Path(folder)))


if __name__ == "__main__":
    main()
