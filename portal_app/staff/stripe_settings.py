"""The Card payments (Stripe) card of the settings page: whether clients can pay by card, and how to wire it up.

It shows state and setup steps only, never a key: every member may read it. The keys themselves live in the
server's environment (PORTAL_STRIPE_*), not in the database, so nothing here edits them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from nicegui import ui
from nicegui.events import ClickEventArguments

from components.copy_link import copy_link
from components.forms import pressed
from services.card_payments import checkout, checkout_views
from services.card_payments.checkout_views import StripeOverview
from services.core.actors import StaffActor
from services.core.formatting import Formats

SETTINGS_TO_SET = (
    ("PORTAL_STRIPE_SECRET_KEY", "the secret key (sk_test_… or sk_live_…) from Stripe's Developers → API keys"),
    ("PORTAL_STRIPE_WEBHOOK_SECRET", "the signing secret (whsec_…) of the webhook endpoint below"),
    ("PORTAL_STRIPE_API_BASE", "optional: another Stripe-compatible API address, for testing"),
)


def _without_credentials(url: str) -> str:
    """The address as configured, less any user:password@ in it: this card is for every member to read."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl()


def _fact(label: str, value: str, *, marker: str, warn: bool = False) -> None:
    ui.label(label).classes("text-gray-500")
    ui.label(value).classes("text-amber-800 font-medium" if warn else "").mark(marker)


def _setup_note(overview: StripeOverview) -> None:
    if overview.status.configured:
        return
    with ui.column().classes("w-full gap-1 rounded bg-gray-100 px-4 py-3").mark("stripe-not-configured"):
        ui.label("Stripe is not configured: clients are shown no Pay button.").classes("font-medium")
        ui.label("To take card payments, set these on the server and restart Portico:").classes("text-sm")
        for name, what in SETTINGS_TO_SET:
            with ui.row().classes("gap-2 text-sm items-baseline"):
                ui.label(name).classes("font-mono")
                ui.label(what).classes("text-gray-600")


def _facts(overview: StripeOverview, formats: Formats) -> None:
    status = overview.status
    with ui.grid(columns=2).classes("gap-x-8 gap-y-1 text-sm"):
        if status.configured:
            mode = "Live: clients' cards are charged" if status.mode == "live" else "Test: no real money moves"
            _fact("Card payments", "On: invoices with an amount due show a Pay button", marker="stripe-on")
            _fact("Mode", mode, marker="stripe-mode")
        else:
            _fact("Card payments", "Off", marker="stripe-on")
        if status.webhook_configured:
            _fact("Webhook signing secret", "Set", marker="stripe-webhook-secret")
        elif status.configured:
            _fact(
                "Webhook signing secret",
                "Missing: payments are confirmed only when the payer comes back or by the periodic check",
                marker="stripe-webhook-secret",
                warn=True,
            )
        else:
            _fact("Webhook signing secret", "Not set", marker="stripe-webhook-secret")
        if status.custom_api_base:
            _fact("API address", _without_credentials(status.custom_api_base), marker="stripe-api-base")
        last = formats.moment(overview.last_webhook_at) if overview.last_webhook_at else "none yet"
        _fact("Last webhook received", last, marker="stripe-last-webhook")
        _fact("Sessions waiting for the payer", str(overview.open_attempts), marker="stripe-open")
        _fact(
            "Payments needing review",
            str(overview.needs_review),
            marker="stripe-review",
            warn=overview.needs_review > 0,
        )


def _webhook_setup(overview: StripeOverview) -> None:
    ui.label("Webhook").classes("font-medium mt-2")
    ui.label("In Stripe (Developers → Webhooks), add an endpoint with this URL:").classes("text-sm text-gray-600")
    copy_link("Webhook endpoint URL", overview.webhook_url).mark("stripe-webhook-url")
    ui.label("and select these events:").classes("text-sm text-gray-600")
    with ui.column().classes("gap-0 pl-2"):
        for event in checkout.HANDLED_EVENTS:
            ui.label(event).classes("font-mono text-sm").mark("stripe-event")


def _connection_check(actor: StaffActor) -> None:
    async def check(event: ClickEventArguments) -> None:
        result.set_text("Asking Stripe…")
        result.classes(replace="text-sm text-gray-600")
        async with pressed(event):
            reason = await checkout_views.check_stripe(actor)
        if reason:
            result.set_text(f"Stripe did not answer: {reason}")
            result.classes(replace="text-sm text-negative")
        else:
            result.set_text("Stripe answered.")
            result.classes(replace="text-sm text-positive")

    with ui.row().classes("items-center gap-3 mt-2"):
        ui.button("Check connection", icon="sync", on_click=check).props("outline no-caps").mark("stripe-check")
        result = ui.label("").classes("text-sm").mark("stripe-check-result")


async def stripe_section(actor: StaffActor, formats: Formats) -> None:
    overview = await checkout_views.stripe_overview(actor)
    with ui.card().classes("w-full").props("flat bordered").mark("stripe-settings"):
        ui.label("Card payments (Stripe)").classes("text-lg font-semibold")
        _setup_note(overview)
        _facts(overview, formats)
        _webhook_setup(overview)
        if overview.status.configured:
            _connection_check(actor)
