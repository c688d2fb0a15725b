"""What the portal's invoice and quote pages both show: the parties and dates, and the lines."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from nicegui import ui

from components.table_columns import column
from services.billing.invoice_views import LineView, Party
from services.billing.presentation import line_amount_minor
from services.core.formatting import Formats


def facts(seller: Party, buyer_heading: str, buyer: Party, dates: Sequence[str], project_name: str) -> None:
    """From, to ("Billed to", "Prepared for"), and the document's dates and project."""
    with ui.row().classes("w-full gap-4"):
        for heading, party in (("From", seller), (buyer_heading, buyer)):
            with ui.card().classes("flex-1 min-w-[14rem] gap-1").props("flat bordered"):
                ui.label(heading).classes("text-xs uppercase text-gray-500")
                ui.label(party.name).classes("font-medium")
                if party.address:
                    ui.label(party.address).classes("text-sm whitespace-pre-line")
        with ui.card().classes("min-w-[12rem] gap-1").props("flat bordered"):
            ui.label("Dates").classes("text-xs uppercase text-gray-500")
            for date in dates:
                ui.label(date).classes("text-sm")
            if project_name:
                ui.label(f"Project: {project_name}").classes("text-sm")


def lines_table(lines: Sequence[LineView], currency: str, discount_percent: Decimal, formats: Formats) -> ui.table:
    columns = [
        {
            **column("description", "Description"),
            "classes": "whitespace-pre-line break-words",
            "style": "min-width:14rem",
        },
        column("quantity", "Qty", align="right"),
        column("unit_price", "Unit price", align="right"),
        column("tax", "Tax", align="right"),
        column("amount", "Amount", align="right"),
    ]
    rows = [
        {
            "id": n,
            "description": line.description,
            "quantity": formats.number(line.quantity),
            "unit_price": formats.money(line.unit_price_minor, currency),
            "tax": formats.percent(line.tax_rate),
            "amount": formats.money(line_amount_minor(line, discount_percent), currency),
        }
        for n, line in enumerate(lines)
    ]
    # Cards on a phone (one per line), so no column is cut off.
    return (
        ui.table(columns=columns, rows=rows, row_key="id")
        .classes("w-full")
        .props('flat bordered wrap-cells :grid="Quasar.Screen.lt.sm"')
    )
