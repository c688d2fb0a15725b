"""Cold start: from process start to the first 200 on /healthz, Portico's `main.py serve` against bare NiceGUI.

    .venv/bin/python -m bench.coldstart [--rounds 7] [--imports 15]

Portico starts as in production, with a fresh var dir per start holding a copy of a database migrated
beforehand: `serve` neither checks nor runs migrations (`main.py migrate` does, before it), so migration time
is not in the figure; it is measured on its own, as `main.py migrate` on an up-to-date database. Portico is
started twice per round: from this tree as it is, and from a copy of its code with the bytecode compiled, as
an installed deployment has it. The two differ where Python writes no bytecode (PYTHONDONTWRITEBYTECODE, an
editable install): each start of this tree then compiles every Portico module from source again; the line
"bytecode" says how many modules that is here. The baseline is bench/bare_app.py with its one /healthz route
(`--healthz-only`), whose NiceGUI and libraries come compiled from the virtualenv.

After one start of each to warm the file cache, each round starts the three one after the other, rotating
which goes first; medians, the lowest and highest round and the ratios are printed. With --imports N, one
more start of the compiled copy runs under `python -X importtime` and the N top-level packages with the most
import time (their modules' own time, wherever they were imported from) are listed. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.figures import ratio, with_spread
from bench.servers import ROOT, SECRET_KEY, Server, start_bare, start_portico, wait_healthy
from services.core.migrations import upgrade

CODE = ("portal_app", "services", "models", "components")  # what `serve` imports of Portico, with main.py


def fresh_var_dir(folder: Path, template: Path, name: str) -> tuple[Path, str]:
    var_dir = folder / name
    var_dir.mkdir()
    shutil.copyfile(template, var_dir / "portico.db")
    return var_dir, f"sqlite+aiosqlite:///{var_dir / 'portico.db'}"


def timed_start(server: Server) -> float:
    try:
        return wait_healthy(server)
    finally:
        server.stop()


def deployed_copy(folder: Path) -> Path:
    """Portico's code copied with its bytecode compiled, as `pip install` (not editable) leaves a deployment."""
    target = folder / "deployed"
    target.mkdir()
    shutil.copy2(ROOT / "main.py", target / "main.py")
    for package in CODE:
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__"))
    # compileall writes bytecode whatever PYTHONDONTWRITEBYTECODE says: that only stops the import system.
    compileall.compile_dir(target, quiet=1)
    return target


def uncompiled_modules() -> tuple[int, int]:
    """Modules of this tree without current bytecode beside them, of all of them."""
    sources = [ROOT / "main.py", *(p for package in CODE for p in (ROOT / package).rglob("*.py"))]
    missing = 0
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        missing += not cached.exists() or cached.stat().st_mtime < source.stat().st_mtime
    return missing, len(sources)


def migrate_seconds(folder: Path, template: Path) -> float:
    """`main.py migrate` on an up-to-date database: what a deploy runs before `serve`."""
    var_dir, url = fresh_var_dir(folder, template, "migrate")
    env = {**os.environ, "PORTAL_VAR_DIR": str(var_dir), "PORTAL_DATABASE_URL": url, "PORTAL_SECRET_KEY": SECRET_KEY}
    began = time.perf_counter()
    subprocess.run([sys.executable, "main.py", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - began


def import_profile(folder: Path, template: Path, deployed: Path, top: int) -> list[tuple[str, float]]:
    """One start of the compiled copy under -X importtime: milliseconds of import self time per top-level package."""
    var_dir, url = fresh_var_dir(folder, template, "importtime")
    server = start_portico(var_dir, url, {"PYTHONPROFILEIMPORTTIME": "1"}, root=deployed)
    timed_start(server)
    totals: Counter[str] = Counter()
    for line in server.log_path.read_text(errors="replace").splitlines():
        fields = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(fields) != 3 or not fields[0].strip().isdigit():
            continue
        totals[fields[2].strip().split(".")[0]] += int(fields[0])
    return [(name, micro / 1000) for name, micro in totals.most_common(top)] + [("total", totals.total() / 1000)]


def interleaved(folder: Path, template: Path, deployed: Path, rounds: int) -> dict[str, list[float]]:
    """Seconds to the first /healthz of each round, per side; the sides take turns going first."""
    sides: dict[str, Callable[[int], Server]] = {
        "tree": lambda n: start_portico(*fresh_var_dir(folder, template, f"tree-{n}")),
        "compiled": lambda n: start_portico(*fresh_var_dir(folder, template, f"compiled-{n}"), root=deployed),
        "bare": lambda _: start_bare(folder, healthz_only=True),
    }
    names = list(sides)
    for name in names:  # the first start reads files no start has read yet (the copy's): a warm-up, not a figure
        timed_start(sides[name](-1))
    results: dict[str, list[float]] = {name: [] for name in names}
    for n in range(rounds):
        for name in names[n % 3 :] + names[: n % 3]:
            results[name].append(timed_start(sides[name](n)))
        figures = ", ".join(f"{name} {results[name][-1]:.2f} s" for name in names)
        print(f"  round {n + 1}/{rounds}: {figures}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--imports", type=int, default=15, help="list the N packages slowest to import (0: none)")
    args = parser.parse_args()
    missing, modules = uncompiled_modules()
    flag = " (PYTHONDONTWRITEBYTECODE is set)" if sys.flags.dont_write_bytecode else ""
    print(f"bytecode: {missing} of Portico's {modules} modules in this tree have none cached{flag}", flush=True)
    with tempfile.TemporaryDirectory(prefix="portico-bench-coldstart-") as tmp:
        folder = Path(tmp)
        template = folder / "migrated.db"
        asyncio.run(upgrade(f"sqlite+aiosqlite:///{template}"))
        deployed = deployed_copy(folder)
        results = interleaved(folder, template, deployed, args.rounds)
        tree, compiled, bare = results["tree"], results["compiled"], results["bare"]
        print(f"\nseconds from process start to the first 200 on /healthz, {args.rounds} interleaved rounds")
        print(f"  Portico, this tree                {with_spread(tree, 2)}   {ratio(tree, bare)} of bare")
        print(f"  Portico, compiled copy            {with_spread(compiled, 2)}   {ratio(compiled, bare)} of bare")
        print(f"  bare NiceGUI, one /healthz route  {with_spread(bare, 2)}")
        print(f"  not included: main.py migrate on an up-to-date database, {migrate_seconds(folder, template):.2f} s")
        if args.imports:
            print("\nimport self time by top-level package in one start of the compiled copy (-X importtime), ms")
            for name, ms in import_profile(folder, template, deployed, args.imports):
                print(f"  {name:<24}{ms:8.1f}")


if __name__ == "__main__":
    main()
