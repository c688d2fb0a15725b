"""Home: counts, receivables (aging, invoiced vs collected), the portal link, recent activity."""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import ui

from components.copy_link import copy_link
from components.stat_card import stat_card
from portal_app.runtime import get_settings
from portal_app.staff.layout import StaffPage, frame, staff_page
from services.billing import receivables
from services.core import audit, audit_words, money
from services.core.formatting import Formats
from services.organizations import organizations


def portal_url(slug: str) -> str:
    return f"{get_settings().base_url}/portal/{slug}/"


def aging_card(rows: list[receivables.AgingRow], formats: Formats) -> None:
    # Wide enough for six amounts side by side; on a narrow screen the table scrolls inside the card.
    with ui.card().classes("flex-1 min-w-[min(34rem,100%)]").props("flat bordered"):
        with ui.row().classes("w-full items-center justify-between"):
            ui.label("Accounts receivable").classes("text-lg font-semibold")
            ui.link("Overdue invoices", "/invoices?status=overdue").classes("text-sm")
        if not rows:
            ui.label("Nothing is owed right now.").classes("text-gray-500 text-sm")
            return
        # Amounts are as wide as the locale writes them: the table scrolls inside its card rather than overflow it.
        with (
            # A region that scrolls takes keyboard focus, so arrow keys can scroll it (WCAG 2.1.1).
            ui.element("div")
            .classes("w-full overflow-x-auto")
            .props('tabindex=0 role=region aria-label="Accounts receivable by age"'),
            ui.grid(columns=f"auto repeat({len(receivables.AGING_BUCKETS) + 1}, auto)").classes(
                "gap-x-4 gap-y-1 text-sm"
            ),
        ):
            for heading in ("", *receivables.AGING_BUCKETS, "Total"):
                ui.label(heading).classes("text-gray-500 text-right")
            for row in rows:
                ui.label(row.currency).classes("font-semibold")
                for n, value in enumerate((*row.buckets, row.total_minor)):
                    text = formats.money(value, row.currency) if value or n == len(row.buckets) else "—"
                    ui.label(text).classes("text-right tabular-nums whitespace-nowrap").mark(
                        f"aging-{row.currency}-{n}"
                    )


def cash_chart(rows: list[receivables.MonthRow], formats: Formats) -> None:
    currency = rows[0].currency if rows else ""
    with ui.card().classes("flex-1 min-w-[22rem]").props("flat bordered"):
        ui.label("Invoiced vs collected").classes("text-lg font-semibold")
        # Decimal strings, not floats: ECharts reads numeric strings, and the amounts stay exact.
        # The tooltip and the axis write amounts as the organization does ("$9,145.00", "9.145,00 €"), in the
        # browser's Intl with the same locale and currency (both validated codes, so safe inside the script).
        intl = (
            f"new Intl.NumberFormat('{formats.locale.replace('_', '-')}', {{style: 'currency', currency: '{currency}'"
        )
        ui.echart(
            {
                "animation": False,  # drawn at once: no bars caught half-grown
                "tooltip": {"trigger": "axis", ":valueFormatter": f"v => {intl}}}).format(v)"},
                "color": ["#4f46e5", "#16a34a"],
                "legend": {"data": ["Invoiced", "Collected"], "top": 0},
                "grid": {"left": 8, "right": 8, "top": 36, "bottom": 8, "containLabel": True},
                "xAxis": {"type": "category", "data": [formats.month(r.month) for r in rows]},
                "yAxis": {
                    "type": "value",
                    "axisLabel": {":formatter": f"v => {intl}, notation: 'compact'}}).format(v)"},
                },
                "series": [
                    {
                        "name": "Invoiced",
                        "type": "bar",
                        "data": [str(money.from_minor(r.invoiced_minor, r.currency)) for r in rows],
                    },
                    {
                        "name": "Collected",
                        "type": "bar",
                        "data": [str(money.from_minor(r.collected_minor, r.currency)) for r in rows],
                    },
                ],
            }
        ).classes("w-full h-64")
        if any(r.other_currency_items for r in rows):
            ui.label(
                f"Only amounts in {currency}, the default currency, are shown; invoices and payments in other "
                "currencies are left out."
            ).classes("text-xs text-gray-500")


@staff_page("/")
async def home_page(context: StaffPage) -> RedirectResponse | None:
    org = context.org
    formats = org.formats
    counts = await organizations.workspace_counts(context.actor)
    recent = await audit.list_events(context.actor, audit.AuditFilter(), limit=8)
    aging = await receivables.aging(context.actor)
    months = await receivables.invoiced_vs_collected(context.actor)
    with frame(context, "Home"):
        with ui.row().classes("w-full gap-4"):
            stat_card("Clients", counts.clients, icon="business", href="/clients")
            stat_card("Contacts", counts.contacts, icon="person")
            stat_card("With portal access", counts.portal_contacts, icon="vpn_key")
            stat_card("Active projects", counts.active_projects, icon="work")
        with ui.row().classes("w-full gap-4 items-start"):
            aging_card(aging, formats)
            cash_chart(months, formats)
        with ui.card().classes("w-full").props("flat bordered"):
            ui.label("Client portal").classes("text-lg font-semibold")
            ui.label("Share this link with your clients' contacts; they sign in with a link sent by email.").classes(
                "text-sm text-gray-600"
            )
            copy_link("Portal link", portal_url(org.slug))
            if not org.portal_enabled:
                ui.label("The portal is switched off in Settings.").classes("text-amber-700 text-sm")
        with ui.card().classes("w-full").props("flat bordered"):
            with ui.row().classes("w-full items-center justify-between"):
                ui.label("Recent activity").classes("text-lg font-semibold")
                ui.link("Audit log", "/audit").classes("text-sm")
            if not recent.items:
                ui.label("Nothing has happened yet.").classes("text-gray-500")
            for event in recent.items:
                with ui.row().classes("w-full gap-3 text-sm"):
                    ui.label(formats.moment(event.at)).classes("text-gray-500 w-40")
                    ui.label(
                        audit_words.sentence(event.who, event.action, event.target_label, event.detail, formats)
                    ).classes("flex-1").tooltip(event.action)
    return None
