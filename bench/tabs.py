"""Server memory per open tab: N connected pages on Portico's portal pages and on a bare NiceGUI app.

    .venv/bin/python -m bench.tabs [--tabs 200] [--hold 60] [--rounds 3] [--bare-rows 200] [--bare-cards N]
                                   [--invoices 200] [--requests 200] [--milestones 200] [--updates 200]

Two pairs, as in bench/pages.py: the portal Invoices page against one `ui.table` of --bare-rows rows, and the
portal project page against --bare-cards board-like cards (default: as many as the project page shows). For
each pair, each round starts a fresh Portico (`main.py serve`, one signed-in portal session for every tab)
and a fresh bare app, opens a few warm-up views and waits for NiceGUI to drop their clients, reads each
server's VmRSS, then opens --tabs tabs on each (GET + websocket until the client is connected; the sides take
turns going first) and keeps them all open for --hold seconds, answering Engine.IO pings and acknowledging
messages as NiceGUI's page script does. Prints the RSS before, after opening and at the end of the hold, MiB
per tab (median and spread of the rounds, and the ratio), how many tabs were still connected at the end of the
hold, and every failed opening. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import portal_data
from bench.figures import ratio, with_spread
from bench.nicegui_client import Browser, CookieSpec, Tab, Tally, ViewFailed, open_page, page_shape, view
from bench.servers import Server, start_bare, start_portico, wait_healthy

OPENING_CONCURRENCY = 4  # tabs opened at once on one server (browsers, each opening its tabs in turn)
WARM_UP_VIEWS = 3
SETTLE_SECONDS = 6.0  # NiceGUI deletes a closed page's client after its 3 s reconnect timeout


@dataclass
class Side:
    """One server with its open tabs."""

    label: str
    server: Server
    path: str
    cookies: list[CookieSpec]
    browsers: list[Browser] = field(default_factory=list)
    tabs: list[Tab] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    rss_before: float = 0.0
    rss_open: float = 0.0
    rss_end: float = 0.0

    @property
    def connected(self) -> int:
        return sum(tab.connected for tab in self.tabs)

    async def warm_up(self) -> None:
        browser = Browser(self.server.url, self.cookies)
        try:
            for _ in range(WARM_UP_VIEWS):
                with contextlib.suppress(ViewFailed):
                    await view(browser, self.path)
        finally:
            await browser.close()

    async def open_tabs(self, count: int) -> None:
        self.rss_before = self.server.rss_mib()
        self.browsers = [Browser(self.server.url, self.cookies) for _ in range(OPENING_CONCURRENCY)]
        shares = [count // OPENING_CONCURRENCY + (n < count % OPENING_CONCURRENCY) for n in range(len(self.browsers))]

        async def open_share(browser: Browser, share: int) -> None:
            for _ in range(share):
                tab = Tab(browser, self.path)
                try:
                    await tab.open()
                    self.tabs.append(tab)
                    self.tally.ok += 1
                except ViewFailed as failure:
                    self.tally.failed(failure)

        await asyncio.gather(*(open_share(b, s) for b, s in zip(self.browsers, shares, strict=True)))
        self.rss_open = self.server.rss_mib()

    async def close(self) -> None:
        await asyncio.gather(*(tab.close() for tab in self.tabs))
        for browser in self.browsers:
            await browser.close()


@dataclass
class Figures:
    """Per label, over the rounds: MiB per tab after opening and at the end of the hold, and what was dropped."""

    per_tab_open: dict[str, list[float]] = field(default_factory=dict)
    per_tab_end: dict[str, list[float]] = field(default_factory=dict)

    def add(self, side: Side, tabs: int) -> None:
        self.per_tab_open.setdefault(side.label, []).append((side.rss_open - side.rss_before) / tabs)
        self.per_tab_end.setdefault(side.label, []).append((side.rss_end - side.rss_before) / tabs)


def print_side(side: Side, tabs: int) -> None:
    print(
        f"    {side.label:<16} RSS {side.rss_before:7.1f} → {side.rss_open:7.1f} (opened) → {side.rss_end:7.1f} MiB "
        f"(held); {(side.rss_open - side.rss_before) / tabs:.3f} MiB/tab; "
        f"{side.connected}/{tabs} still connected; failed openings: {side.tally.problems()}",
        flush=True,
    )
    ended = Counter(tab.end for tab in side.tabs if not tab.connected)
    if ended:
        print("      dropped: " + ", ".join(f"{reason} x{count}" for reason, count in ended.most_common()))
    side.server.print_logged_errors()


async def one_round(sides: tuple[Side, Side], tabs: int, hold: float, figures: Figures) -> None:
    for side in sides:
        wait_healthy(side.server)
        await side.warm_up()
    await asyncio.sleep(SETTLE_SECONDS)
    try:
        for side in sides:
            await side.open_tabs(tabs)
        await asyncio.sleep(hold)
        for side in sides:
            side.rss_end = side.server.rss_mib()
            figures.add(side, tabs)
            print_side(side, tabs)
    finally:
        for side in sides:
            await side.close()
            side.server.stop()


async def bare_cards(args: argparse.Namespace, project: Side) -> int:
    """The baseline's card count: --bare-cards, else as many cards as Portico's project page shows."""
    if args.bare_cards is not None:
        return int(args.bare_cards)
    browser = Browser(project.server.url, project.cookies)
    try:
        return page_shape((await open_page(browser, project.path)).html).cards
    finally:
        await browser.close()


async def main_async(args: argparse.Namespace, folder: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{folder / 'portico.db'}"
    sizes = portal_data.Sizes(args.invoices, args.requests, args.milestones, args.updates)
    site = await portal_data.seed(database_url, sizes)
    (session,) = await portal_data.sign_in(database_url, site)
    cookies = [CookieSpec("portico_portal", session, site.cookie_path)]
    probe = Side("portal project", start_portico(folder / "probe", database_url), site.project_path, cookies)
    try:
        wait_healthy(probe.server)
        cards = await bare_cards(args, probe)
    finally:
        probe.server.stop()
    pairs = [
        ("portal invoices", site.invoices_path, "bare table", f"/table?rows={args.bare_rows}"),
        ("portal project", site.project_path, "bare cards", f"/cards?cards={cards}"),
    ]
    print(f"data: {sizes}; {args.tabs} tabs per server, held {args.hold:g} s; {args.rounds} rounds", flush=True)
    figures = Figures()
    for round_number in range(args.rounds):
        print(f"  round {round_number + 1}/{args.rounds}")
        for pair_number, (ours, our_path, theirs, their_path) in enumerate(pairs):
            var_dir = folder / f"var-{round_number}-{pair_number}"
            portico = Side(ours, start_portico(var_dir, database_url), our_path, cookies)
            bare = Side(theirs, start_bare(folder), their_path, [])
            turn = (portico, bare) if (round_number + pair_number) % 2 == 0 else (bare, portico)
            await one_round(turn, args.tabs, args.hold, figures)
    print("\nMiB of server RSS per open tab, median (lowest–highest round)")
    print(f"  {'page':<18}{'Portico':<22}{'bare':<22}{'Portico/bare':<14}at the end of the hold (Portico | bare)")
    for ours, _, theirs, _ in pairs:
        mine, base = figures.per_tab_open[ours], figures.per_tab_open[theirs]
        print(
            f"  {ours:<18}{with_spread(mine, 3):<22}{with_spread(base, 3):<22}{ratio(mine, base):<14}"
            f"{with_spread(figures.per_tab_end[ours], 3)} | {with_spread(figures.per_tab_end[theirs], 3)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tabs", type=int, default=200)
    parser.add_argument("--hold", type=float, default=60.0, help="seconds the tabs stay open")
    parser.add_argument("--rounds", type=int, default=3)
    portal_data.add_size_arguments(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portico-bench-tabs-") as folder:
        asyncio.run(main_async(args, Path(folder)))


if __name__ == "__main__":
    main()
