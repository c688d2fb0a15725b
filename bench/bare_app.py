"""The baseline of the serving benchmarks: a bare NiceGUI 3 app, run as its own server process.

    .venv/bin/python -m bench.bare_app --port 8090 [--healthz-only]

It builds the same kind of elements as the Portico pages it stands beside, with no database, no sign-in and
no layout around them: `/table?rows=N` is one `ui.table` of N invoice-like rows (the columns of the portal's
Invoices page), `/cards?cards=N` is N cards drawn as the portal board draws a request (a card, its title, a
row with the requester and a comment count). `/healthz` answers plain JSON. With `--healthz-only` the app has
that route alone: the cold-start baseline. It imports nothing of Portico, so it starts as NiceGUI starts.
"""

from __future__ import annotations

import argparse

from fastapi.responses import JSONResponse
from nicegui import app, ui

TABLE_COLUMNS = [
    {"name": name, "label": label, "field": name, "align": align}
    for name, label, align in (
        ("number", "Number", "left"),
        ("issued", "Issued", "left"),
        ("due", "Due", "left"),
        ("status", "Status", "left"),
        ("total", "Total", "right"),
        ("amount_due", "Amount due", "right"),
        ("pdf", "PDF", "left"),
        ("pay", "", "left"),
    )
]


def _row(n: int) -> dict[str, object]:
    return {
        "id": f"row-{n}",
        "number": f"INV-{n + 1:06d}",
        "href": f"/invoices/{n}",
        "pdf": f"/invoices/{n}/pdf",
        "issued": "1 Oct 2026",
        "due": "31 Oct 2026",
        "status": "Open",
        "status_color": "#2563eb",
        "total": "USD 1,234.56",
        "amount_due": "USD 1,234.56",
        "pay": True,
    }


def _card(n: int) -> None:
    with ui.card().classes("w-full gap-1 p-3").props("flat bordered"):
        ui.label(f"Request {n}").classes("font-medium break-words")
        with ui.row().classes("w-full items-center justify-between gap-2 text-xs text-gray-600"):
            ui.label("From Person 1")
            with ui.row().classes("items-center gap-1 no-wrap"):
                ui.icon("chat_bubble_outline", size="xs")
                ui.label("2")


def add_pages() -> None:
    @ui.page("/table")
    def table_page(rows: int = 200) -> None:
        ui.label("Invoices").classes("text-2xl font-semibold")
        ui.table(columns=TABLE_COLUMNS, rows=[_row(n) for n in range(rows)], row_key="id").classes("w-full")

    @ui.page("/cards")
    def cards_page(cards: int = 200) -> None:
        ui.label("Project").classes("text-2xl font-semibold")
        with ui.column().classes("w-full gap-2"):
            for n in range(cards):
                _card(n)


def add_healthz() -> None:
    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--healthz-only", action="store_true", help="one /healthz route, no pages")
    args = parser.parse_args()
    add_healthz()
    if not args.healthz_only:
        add_pages()
    # As Portico's `serve` runs NiceGUI: no reload, no browser, the same storage cookie.
    ui.run(
        host="127.0.0.1",
        port=args.port,
        reload=False,
        show=False,
        show_welcome_message=False,
        storage_secret="bench-secret-key",
    )


if __name__ == "__main__":
    main()
