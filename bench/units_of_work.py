"""Units of work on SQLite: a pooled engine (what Portico uses) against a new connection per unit (NullPool).

    .venv/bin/python -m bench.units_of_work [--units 400] [--rounds 7]

Each unit of work opens a session, reads one row and commits, as a page's service call does. The two engines
run interleaved, round by round, on the same file; the medians and the ratio are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.pool import NullPool

from models import Organization
from services.core import db
from services.core.actors import SystemActor
from services.core.db import Database
from services.core.migrations import upgrade


async def units(database: Database, count: int) -> float:
    """Seconds per unit of work, over `count` units on `database`."""
    actor = SystemActor(label="bench")
    started = time.perf_counter()
    for _ in range(count):
        async with db.unit_of_work(actor) as session:
            await session.scalar(select(Organization.id).limit(1))
    return (time.perf_counter() - started) / count


async def main_async(count: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await upgrade(url)
        pooled: list[float] = []
        fresh: list[float] = []
        for _ in range(rounds):
            for engine_kwargs, results in (({}, pooled), ({"poolclass": NullPool}, fresh)):
                database = db.configure(url, **engine_kwargs)
                async with database.engine.connect() as connection:  # warm: the first connection is not the figure
                    await connection.execute(text("SELECT 1"))
                results.append(await units(database, count))
                await db.close()
    p, f = statistics.median(pooled) * 1000, statistics.median(fresh) * 1000
    spread = lambda xs: (max(xs) - min(xs)) * 1000  # noqa: E731
    print(f"{'engine':<28}{'ms per unit of work':>20}{'spread':>10}")
    print(f"{'pooled (Portico)':<28}{p:>20.3f}{spread(pooled):>10.3f}")
    print(f"{'new connection (NullPool)':<28}{f:>20.3f}{spread(fresh):>10.3f}")
    print(f"pooled is {f / p:.1f}x faster per unit of work ({count} units, {rounds} interleaved rounds, medians)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main_async(args.units, args.rounds))


if __name__ == "__main__":
    main()
