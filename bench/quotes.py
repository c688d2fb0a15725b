"""Quote acceptance: what a contact's "Accept and sign" costs, against sending an invoice of the same lines.

    .venv/bin/python -m bench.quotes [--rounds 30] [--lines 5]

Acceptance is one transaction that checks the signature against the quote's SHA-256, records it, makes the
invoice (the deposit's lines), sends it (its PDF and mail) and mails the signer the signed quote (a second PDF) and
the agency. The baseline is `send_invoice` of a draft with the quote's lines: one PDF and one mail, the work an
agency does when it sends an invoice by hand. Both run on one SQLite database, alternately first, after a warm-up;
the table gives the medians and p90 in milliseconds and their ratio. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from services.billing import invoices
from services.billing.line_items import LineInput
from services.core import config, db
from services.core.actors import PortalActor
from services.core.migrations import upgrade
from services.quotes import acceptance, quotes
from tests.support.factories import make_world


async def run(rounds: int, lines: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory(prefix="portico-bench-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        config.configure(config.ServiceConfig(base_url="http://bench.test", secret_key="bench-secret-key"))
        await upgrade(url)
        db.configure(url)
        world = await make_world("bench")
        contact = PortalActor(world.actor.org_id, world.client.id, world.contact.id, world.contact.email, "127.0.0.1")
        items = [LineInput(f"Work package {n + 1}", "2", "450.00", "20" if n % 2 else "0") for n in range(lines)]

        async def accept_one() -> float:
            draft = await quotes.create_quote(
                world.actor, quotes.QuoteInput(client_id=world.client.id, lines=items, deposit_percent="30")
            )
            sent = await quotes.send_quote(world.actor, draft.id)
            signature = acceptance.Signature("Jane Doe", True, sent.sha256, user_agent="bench")
            started = time.perf_counter()
            await acceptance.accept_in_portal(contact, sent.id, signature)
            return time.perf_counter() - started

        async def send_one() -> float:
            draft = await invoices.create_invoice(
                world.actor, invoices.InvoiceInput(client_id=world.client.id, lines=items)
            )
            started = time.perf_counter()
            await invoices.send_invoice(world.actor, draft.id)
            return time.perf_counter() - started

        await accept_one(), await send_one()  # warm-up: imports, reportlab's fonts, statement caches
        accepted: list[float] = []
        sent: list[float] = []
        for n in range(rounds):
            pair = (accept_one, send_one) if n % 2 == 0 else (send_one, accept_one)
            for step in pair:
                (accepted if step is accept_one else sent).append(await step())
        await db.close()
        return accepted, sent


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.9) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--lines", type=int, default=5)
    args = parser.parse_args()
    accepted, sent = asyncio.run(run(args.rounds, args.lines))
    (a_median, a_p90), (s_median, s_p90) = _ms(accepted), _ms(sent)
    print(f"{args.rounds} rounds, {args.lines} lines, SQLite")
    print(f"accept a quote (signature, invoice, 2 PDFs, 3 mails): median {a_median:.1f} ms, p90 {a_p90:.1f} ms")
    print(f"send an invoice (1 PDF, 1 mail):                     median {s_median:.1f} ms, p90 {s_p90:.1f} ms")
    print(f"ratio of the medians: {a_median / s_median:.2f}x")


if __name__ == "__main__":
    main()
