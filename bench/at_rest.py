"""Encryption at rest: Portico's local store (AES-GCM chunks, decrypted while streaming) against plain file I/O of
the same bytes, the same chunk size and the same worker threads; and drawing a generated document.

    .venv/bin/python -m bench.at_rest [--mb 50] [--rounds 7]

Each round writes the file through `LocalStorage.write` and reads it back through `LocalStorage.read`, and does
the same with a plain `open()` (write and read in 256 KiB chunks, each call in a worker thread, as the store does);
which goes first alternates. The table gives MB/s as the median with its spread, and the ratio of the medians.
The documents line draws a progress report of 30 milestones and 30 requests, beside an invoice PDF of 20 lines
(`bench.pdf`'s) drawn in the same rounds: the figure is the ratio of their medians.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

from bench.figures import ratio, with_spread
from bench.pdf import detail_with
from models.collaboration import RequestStatus
from models.documents import DocumentKind
from services.adapters import storage
from services.billing import invoice_pdf
from services.core import config
from services.core.formatting import Formats
from services.documents import content, document_pdf, wording

CHUNK = storage.CHUNK


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


async def _portico(store: storage.LocalStorage, data: bytes) -> tuple[float, float]:
    started = time.perf_counter()
    await store.write("bench/object", _chunks(data), max_size=len(data) + 1)
    written = time.perf_counter()
    size = 0
    async for chunk in store.read("bench/object"):
        size += len(chunk)
    assert size == len(data)
    return written - started, time.perf_counter() - written


async def _plain(folder: Path, data: bytes) -> tuple[float, float]:
    path = folder / "plain"
    started = time.perf_counter()
    with path.open("wb") as out:
        async for chunk in _chunks(data):
            await asyncio.to_thread(out.write, chunk)
    written = time.perf_counter()
    size = 0
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            size += len(chunk)
    assert size == len(data)
    return written - started, time.perf_counter() - written


def _report() -> content.DocumentContent:
    formats = Formats("en_US", "UTC")
    today = date(2026, 11, 30)
    milestones = tuple(
        content.MilestoneLine(f"Milestone {n}: design, build and review", today + timedelta(days=7 * n), None)
        for n in range(30)
    )
    requests = tuple(content.RequestLine(f"Request {n}: adjust the layout", RequestStatus.backlog) for n in range(30))
    words = wording.DEFAULTS[DocumentKind.progress].filled(project="Website", client="Client", organization="Agency")
    return content.DocumentContent(
        kind=DocumentKind.progress,
        wording=words,
        brand=content.Brand("Agency", "#4f46e5", "1 Main Street", "help@agency.test", "A4", "http://x/portal/a/", None),
        formats=formats,
        client_name="Client",
        project_name="Website",
        lead_name="Ana Lead",
        lead_email="ana@agency.test",
        start_date=today,
        due_date=today + timedelta(days=210),
        made_on=today,
        milestones=milestones,
        milestone=milestones[0],
        done_since=requests[:10],
        open_requests=requests,
        hours=content.Hours(600, 2400),
        completed_milestones=1,
        total_milestones=30,
    )


async def main(megabytes: int, rounds: int) -> None:
    config.configure(config.ServiceConfig(secret_key="bench-secret"))
    data = os.urandom(megabytes * 1024 * 1024)
    timings: dict[str, list[float]] = {key: [] for key in ("pw", "pr", "bw", "br")}
    with tempfile.TemporaryDirectory() as folder:
        store = storage.LocalStorage(Path(folder) / "files")
        await _portico(store, data[: 4 * CHUNK])  # warm-up
        await _plain(Path(folder), data[: 4 * CHUNK])
        for n in range(rounds):
            order = [("p", _portico(store, data)), ("b", _plain(Path(folder), data))]
            for label, call in order if n % 2 == 0 else reversed(order):
                write, read = await call
                timings[f"{label}w"].append(megabytes / write)
                timings[f"{label}r"].append(megabytes / read)
    print(f"{megabytes} MB, {rounds} rounds, MB/s median (lowest-highest)")
    print(f"  write: Portico {with_spread(timings['pw'])}, plain {with_spread(timings['bw'])}")
    print(f"         ratio {ratio(timings['pw'], timings['bw'])} of plain file I/O's speed")
    print(f"  read:  Portico {with_spread(timings['pr'])}, plain {with_spread(timings['br'])}")
    print(f"         ratio {ratio(timings['pr'], timings['br'])} of plain file I/O's speed")

    report, invoice = _report(), detail_with(20)
    drawn: dict[str, list[float]] = {"report": [], "invoice": []}
    document_pdf.render_document(report), invoice_pdf.render_invoice(invoice)  # warm-up: fonts
    for n in range(rounds * 2):
        pair = [
            ("report", lambda: document_pdf.render_document(report)),
            ("invoice", lambda: invoice_pdf.render_invoice(invoice)),
        ]
        for label, draw in pair if n % 2 == 0 else reversed(pair):
            started = time.perf_counter()
            draw()
            drawn[label].append((time.perf_counter() - started) * 1000)
    print(
        f"  progress report (30 milestones, 30 requests): {with_spread(drawn['report'], unit=' ms')}; "
        f"invoice of 20 lines: {with_spread(drawn['invoice'], unit=' ms')}; ratio {ratio(drawn['report'], drawn['invoice'])}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=7)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.mb, arguments.rounds))
