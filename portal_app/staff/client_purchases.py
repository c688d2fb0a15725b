"""A client's purchases and subscriptions of the services catalog (SPEC §12), on the staff client page: shown only
when the client has any, redrawn when a payment, renewal or cancellation changes them."""

from __future__ import annotations

import uuid

from nicegui import ui

from components.status_badge import status_badge
from models.catalog import PurchaseStatus
from portal_app.live import follow
from services.card_payments import purchases, subscriptions
from services.card_payments.purchases import PurchaseView
from services.card_payments.subscriptions import SubscriptionView
from services.core import events
from services.core.actors import StaffActor
from services.core.formatting import Formats

PURCHASE_STATUS = {
    PurchaseStatus.creating: ("Starting checkout", "#6b7280"),
    PurchaseStatus.open: ("Awaiting payment", "#6b7280"),
    PurchaseStatus.pending: ("Payment pending", "#d97706"),
    PurchaseStatus.paid: ("Paid", "#16a34a"),
    PurchaseStatus.failed: ("Failed", "#dc2626"),
    PurchaseStatus.expired: ("Expired", "#6b7280"),
    PurchaseStatus.error: ("Checkout error", "#dc2626"),
    PurchaseStatus.review: ("Needs review", "#d97706"),
}
# Stripe's subscription statuses, as staff read them
SUBSCRIPTION_STATUS = {
    "active": ("Active", "#16a34a"),
    "trialing": ("Trial", "#16a34a"),
    "past_due": ("Past due", "#d97706"),
    "unpaid": ("Unpaid", "#dc2626"),
    "paused": ("Paused", "#6b7280"),
    "incomplete": ("Incomplete", "#d97706"),
    "incomplete_expired": ("Expired", "#6b7280"),
    "canceled": ("Canceled", "#6b7280"),
}


def amount_text(minor: int, currency: str, interval_value: str, recurring: bool, formats: Formats) -> str:
    amount = formats.money(minor, currency)
    return f"{amount} / {interval_value}" if recurring else amount


def _purchase_row(row: PurchaseView, formats: Formats) -> None:
    with ui.row().classes("w-full items-center gap-4 border-b border-gray-200 py-2 text-sm") as line:
        line.mark("purchase", f"purchase-{row.id}")
        ui.label(row.service_name).classes("font-medium flex-1 min-w-0 break-words")
        ui.label(formats.day(row.created_at)).classes("text-gray-500")
        label, color = PURCHASE_STATUS.get(row.status, (row.status.value, "#6b7280"))
        status_badge(label, color).mark("purchase-status")
        if row.project_id:
            ui.link("Project", f"/projects/{row.project_id}").mark("purchase-project")
        if row.invoice_id:
            ui.link("Invoice", f"/invoices/{row.invoice_id}").mark("purchase-invoice")
        recurring = row.interval.value != "one_time"
        ui.label(amount_text(row.amount_minor, row.currency, row.interval.value, recurring, formats)).classes(
            "tabular-nums"
        ).mark("purchase-amount")


def _subscription_row(row: SubscriptionView, formats: Formats) -> None:
    with ui.row().classes("w-full items-center gap-4 border-b border-gray-200 py-2 text-sm") as line:
        line.mark("subscription", f"subscription-{row.id}")
        with ui.column().classes("gap-0 flex-1 min-w-0"):
            ui.label(row.service_name).classes("font-medium break-words")
            details = []
            if row.ended:
                if row.canceled_at:
                    details.append(f"Ended {formats.day(row.canceled_at)}")
            elif row.current_period_end:
                verb = "Ends" if row.cancel_at_period_end else "Renews"
                details.append(f"{verb} {formats.day(row.current_period_end)}")
            if row.invoice_count:
                details.append(f"{row.invoice_count} invoice{'s' if row.invoice_count != 1 else ''}")
            if details:
                ui.label(" · ".join(details)).classes("text-gray-500").mark("subscription-details")
        if row.cancel_at_period_end and not row.ended:
            ui.badge("Cancels at period end", color="warning").props("outline").mark("subscription-cancels")
        label, color = SUBSCRIPTION_STATUS.get(row.status, (row.status.replace("_", " ").capitalize(), "#6b7280"))
        status_badge(label, color).mark("subscription-status")
        ui.label(amount_text(row.amount_minor, row.currency, row.interval.value, True, formats)).classes(
            "tabular-nums"
        ).mark("subscription-amount")


class PurchasesSections:
    """The Subscriptions and Purchases cards; nothing at all for a client who never bought from the catalog."""

    def __init__(self, actor: StaffActor, formats: Formats, client_id: uuid.UUID) -> None:
        self.actor, self.formats, self.client_id = actor, formats, client_id

    @ui.refreshable_method
    async def draw(self) -> None:
        bought = await purchases.list_purchases(self.actor, self.client_id)
        subscribed = await subscriptions.list_subscriptions(self.actor, self.client_id)
        if subscribed:
            with ui.card().classes("w-full").props("flat bordered").mark("subscriptions"):
                ui.label("Subscriptions").classes("text-lg font-semibold")
                for subscription in subscribed:
                    _subscription_row(subscription, self.formats)
        if bought:
            with ui.card().classes("w-full").props("flat bordered").mark("purchases"):
                ui.label("Purchases").classes("text-lg font-semibold")
                for purchase in bought:
                    _purchase_row(purchase, self.formats)

    async def show(self) -> None:
        """Draw the sections in the page being built, and follow this client's purchases."""
        await self.draw()
        client_id, org_id = self.client_id, self.actor.org_id
        follow(
            events.PurchasesChanged, lambda event: (event.org_id, event.client_id) == (org_id, client_id), self.redraw
        )

    async def redraw(self) -> None:
        await self.draw.refresh()
