"""The portal Home's sections: what the client owes and what is due next, what waits for its review, open
requests, recent updates and files.

Fed with `client_overview.ClientOverview`; each section draws nothing when it has nothing to say, except the
balance, which says "all paid" once the client has had invoices.
"""

from __future__ import annotations

from nicegui import ui

from portal_app.file_links import portal_deliverable, portal_file
from portal_app.portal.layout import PortalPage
from services.billing.client_overview import ClientOverview, DueInvoice
from services.projects.work_requests import STATUS_LABELS as REQUEST_STATUS_LABELS

UPDATE_PREVIEW = 280  # characters of an update's body shown on Home; the project page has the rest


def balance_card(page: PortalPage, overview: ClientOverview) -> None:
    """Outstanding and overdue per currency, the next invoice to pay and a link to pay it."""
    fmt = page.org.formats
    owed = [b for b in overview.balances if b.outstanding_minor]
    with ui.card().classes("w-full gap-2").props("flat bordered").mark("balance"):
        ui.label("Your balance").classes("text-lg font-semibold")
        if not owed:
            ui.label("You're all paid up. Thank you!").classes("text-gray-700").mark("paid-up")
            ui.link("See your invoices", page.href("/invoices")).classes("text-sm")
            return
        with ui.row().classes("w-full gap-6"):
            for balance in owed:
                with ui.column().classes("gap-0").mark(f"balance-{balance.currency}"):
                    ui.label("Outstanding").classes("text-xs uppercase text-gray-500")
                    ui.label(fmt.money(balance.outstanding_minor, balance.currency)).classes("text-2xl font-semibold")
                    if balance.overdue_minor:
                        ui.label(f"{fmt.money(balance.overdue_minor, balance.currency)} overdue").classes(
                            "text-sm text-red-700 font-medium"
                        )
        if overview.next_due is not None:
            next_due_line(page, overview.next_due)
        ui.link("All invoices", page.href("/invoices")).classes("text-sm")


def next_due_line(page: PortalPage, invoice: DueInvoice) -> None:
    fmt = page.org.formats
    when = "was due" if invoice.overdue else "is due"
    with ui.row().classes("w-full items-center justify-between gap-2").mark("next-due"):
        ui.label(
            f"{invoice.number}: {fmt.money(invoice.amount_due_minor, invoice.currency)} {when} "
            f"{fmt.day(invoice.due_date)}"
        ).classes("text-sm " + ("text-red-700" if invoice.overdue else "text-gray-700"))
        ui.button("View and pay", on_click=lambda: ui.navigate.to(page.href(f"/invoices/{invoice.id}"))).props(
            "unelevated no-caps"
        )


def open_requests(page: PortalPage, overview: ClientOverview) -> None:
    if not overview.open_requests:
        return
    with ui.card().classes("w-full gap-1").props("flat bordered").mark("open-requests"):
        ui.label(f"Open requests ({overview.open_request_count})").classes("text-lg font-semibold")
        for item in overview.open_requests:
            with ui.row().classes("w-full items-center justify-between gap-2 min-h-[44px]"):
                ui.link(item.title, page.href(f"/projects/{item.project_id}")).classes("flex-1 min-w-0 break-words")
                ui.label(f"{item.project_name} · {REQUEST_STATUS_LABELS[item.status]}").classes("text-sm text-gray-600")


def recent_updates(page: PortalPage, overview: ClientOverview) -> None:
    if not overview.updates:
        return
    fmt = page.org.formats
    with ui.card().classes("w-full gap-3").props("flat bordered").mark("recent-updates"):
        ui.label("Recent updates").classes("text-lg font-semibold")
        for update in overview.updates:
            with ui.column().classes("w-full gap-0"):
                with ui.row().classes("w-full items-baseline gap-2"):
                    ui.link(update.project_name, page.href(f"/projects/{update.project_id}")).classes("font-medium")
                    ui.label(
                        f"{update.author_name} · {fmt.day(update.created_at.astimezone(fmt.zone).date())}"
                    ).classes("text-sm text-gray-600")
                body = update.body if len(update.body) <= UPDATE_PREVIEW else update.body[:UPDATE_PREVIEW] + "…"
                ui.label(body).classes("text-sm whitespace-pre-line break-words")


def awaiting_review(page: PortalPage, overview: ClientOverview) -> None:
    """Work the agency asked the client to look at: the first thing to do after paying."""
    if not overview.reviews:
        return
    fmt = page.org.formats
    with ui.card().classes("w-full gap-1").props("flat bordered").mark("awaiting-review"):
        ui.label("Waiting for your review").classes("text-lg font-semibold")
        for item in overview.reviews:
            with ui.row().classes("w-full items-center justify-between gap-2 min-h-[44px]"):
                with ui.column().classes("gap-0 flex-1 min-w-0"):
                    ui.label(f"{item.title} (version {item.version})").classes("font-medium break-words")
                    ui.label(f"{item.project_name} · sent {fmt.day(item.sent_at)}").classes("text-sm text-gray-600")
                ui.button(
                    "Review", on_click=lambda item=item: ui.navigate.to(portal_deliverable(page.org.slug, item.id))
                ).props("unelevated no-caps")


def recent_files(page: PortalPage, overview: ClientOverview) -> None:
    if not overview.files:
        return
    fmt = page.org.formats
    with ui.card().classes("w-full gap-1").props("flat bordered").mark("recent-files"):
        with ui.row().classes("w-full items-center justify-between"):
            ui.label("Recent files").classes("text-lg font-semibold")
            ui.link("All files", page.href("/files")).classes("text-sm")
        for item in overview.files:
            with ui.row().classes("w-full items-center justify-between gap-2 min-h-[44px]"):
                ui.link(item.name, portal_file(page.org.slug, item.id)).classes("flex-1 min-w-0 break-all")
                where = f"{item.project_name} · " if item.project_name else ""
                ui.label(f"{where}{fmt.size(item.size)} · {fmt.day(item.created_at)}").classes("text-sm text-gray-600")
