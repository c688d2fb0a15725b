"""Full page views per second: Portico's portal pages against a bare NiceGUI app, both real server processes.

    .venv/bin/python -m bench.pages [--rounds 5] [--seconds 3] [--concurrency 1 2 4]
                                    [--invoices 200] [--requests 200] [--milestones 200] [--updates 200]
                                    [--bare-rows 200] [--bare-cards N]

A view is what a browser does to show a NiceGUI page: the GET, then the page's websocket until its client is
connected (bench/nicegui_client.py), then the tab is closed. Portico runs `main.py serve` on a temporary
SQLite database with one client (--invoices invoices) and one project (--requests, --milestones, --updates),
viewed by its signed-in portal contact; the baseline is bench/bare_app.py in its own process. Two pairs:

- the portal Invoices page against one `ui.table` of --bare-rows rows;
- the portal project page against --bare-cards cards drawn like a board card (default: as many cards as the
  project page shows, counted in its HTML, so the pair follows the page while it is being paginated).

Each round measures every pair at each concurrency (workers each opening views one after another for
--seconds), Portico and the baseline in turn, alternating which goes first. Prints the element counts of every
page, then per pair and concurrency the median views/s with the lowest and highest round, the ratio of the
medians, and every answer other than 200 and every error. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import portal_data
from bench.figures import ratio, with_spread
from bench.nicegui_client import Browser, CookieSpec, PageShape, Tally, ViewFailed, open_page, page_shape, view
from bench.servers import Server, start_bare, start_portico, wait_healthy

WARM_UP_SECONDS = 1.0


@dataclass(frozen=True)
class Target:
    label: str
    server: Server
    path: str
    cookies: list[CookieSpec]


@dataclass
class Results:
    """Views per second of each round, and the failures of all rounds, for one target at one concurrency."""

    rates: list[float] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)


async def measure(target: Target, concurrency: int, seconds: float) -> tuple[float, Tally]:
    """`concurrency` browsers opening views one after another for `seconds`: views per second, and the tally."""
    return await measure_browsers(
        [Browser(target.server.url, target.cookies) for _ in range(concurrency)], target.path, seconds
    )


async def measure_browsers(
    browsers: list[Browser], path: str, seconds: float, latencies: list[float] | None = None
) -> tuple[float, Tally]:
    """Each browser opening views of `path` one after another for `seconds`, then closed: views/s and the tally.

    With `latencies`, each successful view's seconds are appended to it (bench/soak.py's percentiles)."""
    deadline = time.perf_counter() + seconds

    async def worker(browser: Browser) -> Tally:
        tally = Tally()
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                await view(browser, path)
                tally.ok += 1
            except ViewFailed as failure:
                tally.failed(failure)
                continue
            if latencies is not None:
                latencies.append(time.perf_counter() - began)
        return tally

    began = time.perf_counter()
    try:
        tallies = await asyncio.gather(*(worker(b) for b in browsers))
    finally:
        for browser in browsers:
            await browser.close()
    elapsed = time.perf_counter() - began
    total = Tally()
    for tally in tallies:
        total.add(tally)
    return total.ok / elapsed, total


async def shape_of(target: Target) -> PageShape | str:
    browser = Browser(target.server.url, target.cookies)
    try:
        return page_shape((await open_page(browser, target.path)).html)
    except ViewFailed as failure:
        return f"cannot open: {failure.kind}"
    finally:
        await browser.close()


async def run_rounds(
    pairs: list[tuple[Target, Target]], concurrencies: list[int], rounds: int, seconds: float
) -> dict[tuple[str, int], Results]:
    results: dict[tuple[str, int], Results] = {}
    for pair in pairs:
        for target in pair:
            await measure(target, 1, WARM_UP_SECONDS)  # first views load templates and caches: not a figure
    for round_number in range(rounds):
        for pair_number, pair in enumerate(pairs):
            for concurrency in concurrencies:
                turn = pair if (round_number + pair_number) % 2 == 0 else pair[::-1]
                for target in turn:
                    rate, tally = await measure(target, concurrency, seconds)
                    result = results.setdefault((target.label, concurrency), Results())
                    result.rates.append(rate)
                    result.tally.add(tally)
        print(f"  round {round_number + 1}/{rounds} done", flush=True)
    return results


def report(
    pairs: list[tuple[Target, Target]], concurrencies: list[int], results: dict[tuple[str, int], Results]
) -> None:
    for portico, bare in pairs:
        print(f"\n{portico.label} ({portico.path}) against {bare.label} ({bare.path})")
        print(f"  {'concurrency':<12}{'Portico views/s':<24}{'bare views/s':<24}{'bare/Portico':<14}failures")
        for concurrency in concurrencies:
            ours, theirs = results[(portico.label, concurrency)], results[(bare.label, concurrency)]
            print(
                f"  {concurrency:<12}{with_spread(ours.rates):<24}{with_spread(theirs.rates):<24}"
                f"{ratio(theirs.rates, ours.rates):<14}"
                f"Portico: {ours.tally.problems()}; bare: {theirs.tally.problems()}"
            )


async def main_async(args: argparse.Namespace, folder: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{folder / 'portico.db'}"
    sizes = portal_data.Sizes(args.invoices, args.requests, args.milestones, args.updates)
    site = await portal_data.seed(database_url, sizes)
    (session,) = await portal_data.sign_in(database_url, site)
    portal_cookie = [CookieSpec("portico_portal", session, site.cookie_path)]
    portico, bare = start_portico(folder / "var", database_url), start_bare(folder)
    try:
        wait_healthy(portico)
        wait_healthy(bare)
        invoices = Target("portal invoices", portico, site.invoices_path, portal_cookie)
        project = Target("portal project", portico, site.project_path, portal_cookie)
        project_shape = await shape_of(project)
        cards = args.bare_cards
        if cards is None:
            cards = project_shape.cards if isinstance(project_shape, PageShape) else sizes.requests
        pairs = [
            (invoices, Target("bare table", bare, f"/table?rows={args.bare_rows}", [])),
            (project, Target("bare cards", bare, f"/cards?cards={cards}", [])),
        ]
        print(f"data: {sizes}; one portal session; Portico pid {portico.process.pid}, bare pid {bare.process.pid}")
        for pair in pairs:
            for target in pair:
                print(f"  {target.label:<16} {await shape_of(target)}")
        print(
            f"{args.rounds} interleaved rounds of {args.seconds:g} s per measurement; "
            "views/s as median (lowest–highest round)",
            flush=True,
        )
        results = await run_rounds(pairs, args.concurrency, args.rounds, args.seconds)
        report(pairs, args.concurrency, results)
        portico.print_logged_errors()
        bare.print_logged_errors()
    finally:
        portico.stop()
        bare.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one measurement")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4])
    portal_data.add_size_arguments(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portico-bench-pages-") as folder:
        asyncio.run(main_async(args, Path(folder)))


if __name__ == "__main__":
    main()
