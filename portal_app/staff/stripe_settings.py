"""The Card payments (Stripe) card of the settings page: the organization's own Stripe account (Stripe Connect),
whether clients can pay by card and why not, and how the server's operator wires Stripe up.

Every member may read it; owners and admins connect, refresh and disconnect the account. It shows state and
setup steps only, never a key: the platform's keys live in the server's environment (PORTAL_STRIPE_*).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from nicegui import ui
from nicegui.events import ClickEventArguments

from components.confirm import confirm
from components.copy_link import copy_link
from components.forms import pressed
from portal_app.staff.layout import StaffPage
from services.card_payments import checkout_views, stripe_accounts, webhooks
from services.card_payments.checkout_views import StripeOverview
from services.card_payments.stripe_accounts import AccountView
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.core.formatting import Formats

SETTINGS_TO_SET = (
    ("PORTAL_STRIPE_SECRET_KEY", "the platform's secret key (sk_test_… or sk_live_…), with Stripe Connect enabled"),
    ("PORTAL_STRIPE_WEBHOOK_SECRET", "the signing secret (whsec_…) of the platform's webhook endpoint"),
    ("PORTAL_STRIPE_CONNECT_WEBHOOK_SECRET", "the signing secret of the endpoint for connected accounts' events"),
    ("PORTAL_STRIPE_API_BASE", "optional: another Stripe-compatible API address, for testing"),
)
# What the way back from Stripe's onboarding (portal_app.routes.stripe_connect) says on arrival.
RETURN_NOTICES = {
    "returned": ("Back from Stripe. The account's state below is what Stripe reports now.", "positive"),
    "wrong-session": (
        "That link from Stripe was not for this session, so nothing was changed. Press “Connect Stripe” again.",
        "negative",
    ),
    "unavailable": ("Stripe could not be reached, so nothing was changed. Please try again shortly.", "negative"),
}


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
        ui.label("To take card payments, the server's operator sets these and restarts Portico:").classes("text-sm")
        for name, what in SETTINGS_TO_SET:
            with ui.row().classes("gap-2 text-sm items-baseline"):
                ui.label(name).classes("font-mono")
                ui.label(what).classes("text-gray-600")


def _enabled(flag: bool, account: AccountView) -> str:
    if account.reported_at is None:
        return "Not reported by Stripe yet"
    return "Enabled" if flag else "Not enabled yet"


def _account_facts(account: AccountView, formats: Formats) -> None:
    with ui.grid(columns=2).classes("gap-x-8 gap-y-1 text-sm"):
        if account.direct:
            _fact("Stripe account", "The platform's own (direct mode)", marker="stripe-account")
        else:
            _fact("Stripe account", account.account_id or "None connected", marker="stripe-account")
        if account.account_id and not account.direct:
            _fact(
                "Charges",
                _enabled(account.charges_enabled, account),
                marker="stripe-charges",
                warn=not account.charges_enabled,
            )
            _fact(
                "Payouts",
                _enabled(account.payouts_enabled, account),
                marker="stripe-payouts",
                warn=not account.payouts_enabled,
            )
            if account.requirements_due:
                _fact(
                    "Stripe still needs", ", ".join(account.requirements_due), marker="stripe-requirements", warn=True
                )
            if account.reported_at is not None:
                _fact("Reported by Stripe", formats.moment(account.reported_at), marker="stripe-reported")
        if account.card_payments:
            _fact("Card payments", "On: invoices with an amount due show a Pay button", marker="stripe-on")
        else:
            _fact("Card payments", "Off", marker="stripe-on", warn=True)
    if account.why_not:
        ui.label(account.why_not).classes("text-sm text-amber-800").mark("stripe-why-not")


def _account_actions(context: StaffPage, account: AccountView, redraw: ui.refreshable) -> None:
    if account.direct or not account.may_manage:
        return
    actor, session_id = context.actor, context.session_id
    attempt_key = secrets.token_urlsafe(12)  # one per page: a double click reuses the account Stripe made first

    async def connect(event: ClickEventArguments) -> None:
        async with pressed(event):
            try:
                url = await stripe_accounts.start_onboarding(actor, session_id, attempt_key)
            except ServiceError as exc:
                ui.notify(exc.message, type="negative")
                return
        ui.navigate.to(url)

    async def refresh(event: ClickEventArguments) -> None:
        async with pressed(event):
            try:
                await stripe_accounts.refresh_state(actor)
            except ServiceError as exc:
                ui.notify(exc.message, type="negative")
                return
        redraw.refresh()

    async def disconnect() -> None:
        if not await confirm(
            f"Disconnect {account.account_id}?",
            "Clients will see no Pay button until a Stripe account is connected again, and checkouts still open on "
            "this account are ended. The account itself stays yours at Stripe, with its money and history.",
            "Disconnect",
        ):
            return
        try:
            await stripe_accounts.disconnect(actor)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return
        ui.notify("Stripe account disconnected", type="positive")
        redraw.refresh()

    with ui.row().classes("items-center gap-3 mt-2"):
        if not account.account_id:
            label = "Connect Stripe"
        elif account.reported_at is not None and account.charges_enabled and not account.requirements_due:
            label = ""
        else:
            label = "Continue Stripe onboarding"
        if label:
            ui.button(label, icon="link", on_click=connect).props("unelevated no-caps").mark("stripe-connect")
        if account.account_id:
            ui.button("Refresh", icon="sync", on_click=refresh).props("outline no-caps").mark("stripe-refresh")
            ui.button("Disconnect", icon="link_off", on_click=disconnect).props("flat no-caps color=negative").mark(
                "stripe-disconnect"
            )


def _service_facts(overview: StripeOverview, formats: Formats) -> None:
    status = overview.status
    with ui.grid(columns=2).classes("gap-x-8 gap-y-1 text-sm"):
        if status.configured:
            mode = "Live: clients' cards are charged" if status.mode == "live" else "Test: no real money moves"
            _fact("Mode", mode, marker="stripe-mode")
        else:
            _fact("Card payments", "Off", marker="stripe-on")
        signed = status.connect_webhook_configured if not status.direct else status.webhook_configured
        if signed:
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
    with ui.expansion("Webhook setup (for the server's operator)").classes("w-full text-sm").mark("stripe-webhooks"):
        ui.label(
            "In Stripe (Developers → Webhooks), add this endpoint twice: once listening to events on your account, "
            "once listening to events on connected accounts. Each has its own signing secret."
        ).classes("text-sm text-gray-600")
        copy_link("Webhook endpoint URL", overview.webhook_url).mark("stripe-webhook-url")
        ui.label("Select these events:").classes("text-sm text-gray-600")
        with ui.column().classes("gap-0 pl-2"):
            for event in (*webhooks.CHECKOUT_EVENTS, *webhooks.CATALOG_EVENTS, *webhooks.ACCOUNT_EVENTS):
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
        ui.button("Check connection", icon="network_check", on_click=check).props("outline no-caps").mark(
            "stripe-check"
        )
        result = ui.label("").classes("text-sm").mark("stripe-check-result")


async def stripe_section(context: StaffPage, returned: str = "") -> None:
    formats = context.org.formats
    with ui.card().classes("w-full").props("flat bordered").mark("stripe-settings"):
        ui.label("Card payments (Stripe)").classes("text-lg font-semibold")
        if notice := RETURN_NOTICES.get(returned):
            text, tone = notice
            ui.label(text).classes(f"text-sm text-{tone}").mark("stripe-return-notice")

        @ui.refreshable
        async def content() -> None:
            overview = await checkout_views.stripe_overview(context.actor)
            _setup_note(overview)
            if overview.status.configured:
                account = await stripe_accounts.account_view(context.actor)
                _account_facts(account, formats)
                _account_actions(context, account, content)
            _service_facts(overview, formats)
            _webhook_setup(overview)
            if overview.status.configured:
                _connection_check(context.actor)

        await content()
