"""/portal/{slug}/services: the organization's public services, each with "Buy" or "Subscribe" (SPEC §12).

Open without signing in, so an agency can link to it from its website: a visitor gives an email and a company
name and goes to Stripe Checkout; a contact signed in to this portal sees the portal's frame, goes to Checkout at
once, and finds the client's subscriptions above the list (status, renewal, "Cancel at period end").

Nothing is made here before payment: `services.card_payments.purchases` opens the Checkout Session, and settles
what Stripe reports (the webhook, or `confirm_return` when the buyer comes back to this page). The page never says
whether an email is already known: the visitor's flow and the thank-you are the same either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request
from nicegui import APIRouter, ui
from nicegui.events import ClickEventArguments

from components.confirm import confirm
from portal_app.auth.portal import base_path, current_portal
from portal_app.auth.requests import client_ip
from portal_app.live import Coalesced, follow
from portal_app.liveness import PAGE_BUILD_SECONDS
from portal_app.portal.layout import PortalPage, brand, empty_state, frame, unknown_portal
from services.card_payments import purchases, subscriptions
from services.card_payments.subscriptions import SubscriptionView
from services.catalog import catalog
from services.catalog.catalog import ServiceView
from services.core import events
from services.core.errors import Invalid, NotFound, ServiceError
from services.core.formatting import Formats
from services.organizations import organizations
from services.organizations.organizations import OrganizationView

router = APIRouter()

SECTION = "/services"
THANKS = "Thank you! Your payment is being confirmed. We have emailed you the details and a link to your client portal."
CANCELLED = "Payment cancelled. Nothing was charged."
PER_INTERVAL = {"month": " / month", "year": " / year"}
# Stripe's subscription statuses in words; anything else is written from its own name.
STATUS_WORDS = {
    "active": "Active",
    "trialing": "Trial",
    "past_due": "Past due",
    "unpaid": "Unpaid",
    "incomplete": "Incomplete",
    "incomplete_expired": "Expired",
    "canceled": "Canceled",
    "paused": "Paused",
}
STATUS_COLORS = {"active": "positive", "trialing": "positive", "past_due": "warning", "unpaid": "negative"}


def price_text(formats: Formats, minor: int, currency: str, interval: str) -> str:
    """ "$1,200.00", "$99.00 / month", "1.188,00 € / year": the organization's money format and the interval."""
    return formats.money(minor, currency) + PER_INTERVAL.get(str(interval), "")


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status) or status.replace("_", " ").capitalize()


def period_text(subscription: SubscriptionView, formats: Formats) -> str:
    """ "Renews on …", "Ends on …" (cancelled at the period end) or "Ended on …"; empty when Stripe gave no date."""
    if subscription.ended:
        return f"Ended on {formats.day(subscription.canceled_at)}" if subscription.canceled_at else ""
    if subscription.current_period_end is None:
        return ""
    verb = "Ends" if subscription.cancel_at_period_end else "Renews"
    return f"{verb} on {formats.day(subscription.current_period_end)}"


@contextmanager
def _public_shell(org: OrganizationView) -> Iterator[None]:
    """The page for a visitor: the organization's logo, name and accent colour, no portal navigation."""
    brand(org)
    ui.page_title(f"Services · {org.name}")
    with ui.header().classes("items-center justify-between bg-white text-gray-900 border-b border-gray-200 px-4 py-2"):
        with ui.row().classes("items-center gap-2 no-wrap"):
            if org.has_logo:
                logo = ui.element("img").classes("h-8 w-auto max-w-[10rem] object-contain").mark("logo")
                logo.props["src"], logo.props["alt"] = f"{base_path(org.slug)}/logo", ""
            ui.label(org.name).classes("text-lg font-bold text-primary")
        ui.link("Client sign-in", f"{base_path(org.slug)}/login").classes("text-sm text-primary").mark("sign-in")
    with ui.column().classes("w-full max-w-5xl mx-auto p-4 gap-4"):
        ui.label("Services").classes("text-2xl font-semibold")
        yield


def _return_notice(purchase: str) -> None:
    """Back from Checkout: the same words whatever happened to the email (known or not) and the payment."""
    if purchase == "success":
        text, tone = THANKS, "bg-green-100 text-green-900"
    elif purchase == "cancelled":  # only known values: the address is never echoed
        text, tone = CANCELLED, "bg-gray-100"
    else:
        return
    notice = ui.label(text).classes(f"w-full rounded px-4 py-3 {tone}").mark("purchase-notice")
    notice.props["role"] = "status"


class _Storefront:
    """The list of services and, for a signed-in contact, their subscriptions; redrawn when either changes."""

    def __init__(self, org: OrganizationView, page: PortalPage | None, ip: str) -> None:
        self.org, self.page, self.ip = org, page, ip
        self.formats = org.formats
        self.services: list[ServiceView] = []
        self.subscriptions: list[SubscriptionView] = []
        self.chosen: ServiceView | None = None

    # --- data ------------------------------------------------------------------------------------------------------

    async def load_services(self) -> None:
        if self.page is not None:
            self.services = await catalog.list_services(self.page.actor)
        else:
            self.services = await catalog.on_offer_at(self.org.id)

    async def load_subscriptions(self) -> None:
        if self.page is not None:
            self.subscriptions = await subscriptions.list_subscriptions(self.page.actor)

    async def catalog_changed(self) -> None:
        await self.load_services()
        self.draw_services.refresh()

    async def purchases_changed(self) -> None:
        await self.load_subscriptions()
        self.draw_subscriptions.refresh()

    # --- the subscriptions -----------------------------------------------------------------------------------------

    @ui.refreshable_method
    def draw_subscriptions(self) -> None:
        if self.page is None or not self.subscriptions:
            return
        ui.label("Your subscriptions").classes("text-lg font-semibold")
        with ui.card().classes("w-full gap-0 p-0").props("flat bordered").mark("subscriptions"):
            for index, item in enumerate(self.subscriptions):
                if index:
                    ui.separator()
                self._subscription_row(item)

    def _subscription_row(self, item: SubscriptionView) -> None:
        with ui.row().classes("w-full items-center gap-3 px-4 py-3").mark(f"subscription-{item.id}"):
            with ui.column().classes("gap-0 flex-1 min-w-[12rem]"):
                ui.label(item.service_name).classes("font-medium break-words")
                ui.label(price_text(self.formats, item.amount_minor, item.currency, item.interval)).classes(
                    "text-sm text-gray-700"
                )
            ui.badge(status_words(item.status), color=STATUS_COLORS.get(item.status, "grey")).mark(
                "subscription-status"
            )
            ui.label(period_text(item, self.formats)).classes("text-sm text-gray-600").mark("subscription-period")
            if not item.ended and not item.cancel_at_period_end:

                async def cancel(event: ClickEventArguments, item: SubscriptionView = item) -> None:
                    await self.cancel(event, item)

                button = ui.button("Cancel at period end", on_click=cancel).props("flat no-caps color=negative")
                button.props["aria-label"] = f"Cancel {item.service_name} at period end"
                button.mark("cancel-subscription")

    async def cancel(self, event: ClickEventArguments, item: SubscriptionView) -> None:
        assert self.page is not None
        until = f" until {self.formats.day(item.current_period_end)}" if item.current_period_end else ""
        if not await confirm(
            f"Cancel {item.service_name} at the end of the period?",
            f"It stays active{until} and will not renew. Nothing more will be charged.",
            "Cancel at period end",
        ):
            return
        button = event.sender
        assert isinstance(button, ui.button)
        button.disable()
        try:
            changed = await subscriptions.cancel_at_period_end(self.page.actor, item.id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            if not button.is_deleted:
                button.enable()
            return
        ends = f" It ends on {self.formats.day(changed.current_period_end)}." if changed.current_period_end else ""
        ui.notify(f"{changed.service_name} will not renew.{ends}", type="positive")
        await self.purchases_changed()

    # --- the services ----------------------------------------------------------------------------------------------

    @ui.refreshable_method
    def draw_services(self) -> None:
        if not self.services:
            empty_state("storefront", "No services on offer", "Services you can buy here will be listed on this page.")
            return
        if not self.org.card_payments:
            contact = self.org.support_email or self.org.name
            ui.label(f"Buying online is not available at the moment. To order, please contact {contact}.").classes(
                "w-full rounded px-4 py-3 bg-gray-100"
            ).mark("no-card-payments")
        with ui.column().classes("w-full gap-3").mark("services"):
            for service in self.services:
                self._service_card(service)

    def _service_card(self, service: ServiceView) -> None:
        with ui.card().classes("w-full").props("flat bordered").mark("service"):
            with ui.row().classes("w-full items-start justify-between gap-3 no-wrap max-sm:flex-wrap"):
                with ui.column().classes("gap-1 flex-1 min-w-0"):
                    ui.label(service.name).classes("text-lg font-medium break-words")
                    if service.description:
                        ui.label(service.description).classes("text-gray-700 whitespace-pre-line break-words")
                with ui.column().classes("items-end gap-2 shrink-0"):
                    price = price_text(self.formats, service.price_minor, service.currency, service.interval)
                    ui.label(price).classes("text-lg font-semibold whitespace-nowrap").mark("price")
                    if self.org.card_payments:
                        label = "Subscribe" if service.recurring else "Buy"

                        async def buy(event: ClickEventArguments, service: ServiceView = service) -> None:
                            await self.buy(event, service)

                        button = ui.button(label, on_click=buy).props("unelevated no-caps").mark("buy")
                        button.props["aria-label"] = f"{label}: {service.name}, {price}"

    async def buy(self, event: ClickEventArguments, service: ServiceView) -> None:
        if self.page is None:
            self.open_visitor_dialog(service)
            return
        button = event.sender
        assert isinstance(button, ui.button)
        button.disable()  # one press, one Checkout Session
        try:
            url = await purchases.start_contact_purchase(self.page.actor, service.id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            if not button.is_deleted:
                button.enable()
            if isinstance(exc, NotFound):
                await self.catalog_changed()  # no longer on offer: the list as it is now
            return
        ui.navigate.to(url)

    # --- the visitor's dialog --------------------------------------------------------------------------------------

    def build_visitor_dialog(self) -> None:
        with ui.dialog() as self.dialog, ui.card().classes("w-full max-w-md gap-3").mark("visitor-dialog"):
            self.dialog_title = ui.label().classes("text-lg font-semibold break-words")
            self.dialog_price = ui.label().classes("text-gray-700")
            ui.label("We send the receipt, and a link to your client portal, to this email address.").classes(
                "text-sm text-gray-600"
            )
            self.email = ui.input("Email").props("type=email autocomplete=email outlined").classes("w-full")
            self.company = ui.input("Company").props("autocomplete=organization outlined").classes("w-full")
            self.problem = ui.label().classes("text-sm text-negative").mark("visitor-error")
            self.problem.props["role"] = "alert"
            self.problem.set_visibility(False)
            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=self.dialog.close).props("flat no-caps")
                self.proceed_button = ui.button("Continue to payment", on_click=self.proceed).props(
                    "unelevated no-caps"
                )
            self.email.on("keydown.enter", self.proceed)
            self.company.on("keydown.enter", self.proceed)

    def open_visitor_dialog(self, service: ServiceView) -> None:
        self.chosen = service
        self.dialog_title.text = f"Subscribe to {service.name}" if service.recurring else f"Buy {service.name}"
        self.dialog_price.text = price_text(self.formats, service.price_minor, service.currency, service.interval)
        self._clear_problems()
        self.proceed_button.enable()
        self.dialog.open()

    def _clear_problems(self) -> None:
        for field in (self.email, self.company):
            field.props.pop("error", None)
            field.props.pop("error-message", None)
            field.update()
        self.problem.text = ""
        self.problem.set_visibility(False)

    def _show_problems(self, exc: ServiceError) -> None:
        fields = {"email": self.email, "company": self.company}
        problems = exc.problems if isinstance(exc, Invalid) else ()
        general = []
        for problem in problems or (exc,):
            target = fields.get(getattr(problem, "field", None) or "")
            if target is None:
                general.append(problem.message)
                continue
            target.props["error"] = True
            target.props["error-message"] = problem.message
            target.update()
        if general:
            self.problem.text = " ".join(general)
            self.problem.set_visibility(True)

    async def proceed(self) -> None:
        service = self.chosen
        if service is None or not self.proceed_button.enabled:
            return  # a second press (or Enter) while the first is on its way
        self._clear_problems()
        self.proceed_button.disable()  # one press, one Checkout Session
        try:
            url = await purchases.start_visitor_purchase(
                self.org.id, service.id, self.email.value or "", self.company.value or "", ip=self.ip
            )
        except ServiceError as exc:
            self._show_problems(exc)
            self.proceed_button.enable()
            if isinstance(exc, NotFound):
                await self.catalog_changed()
            return
        ui.navigate.to(url)


@router.page("/portal/{slug}/services", response_timeout=PAGE_BUILD_SECONDS)
async def portal_services(request: Request, slug: str, purchase: str = "", session_id: str = "") -> None:
    org = await organizations.portal_by_slug(slug)
    if org is None or not org.portal_enabled:
        unknown_portal()  # the login page's 404: a portal that is switched off sells nothing either
        return
    resolved = await current_portal(request, org)
    if purchase == "success" and session_id:
        # Back from Checkout: settle now from Stripe's record (a session of this organization only). What it found
        # is not shown: the thank-you is the same for a known email, a new one, or a payment still in flight.
        await purchases.confirm_return(org.id, session_id)
    page = PortalPage(resolved.actor, resolved.session_id, org) if resolved is not None else None
    store = _Storefront(org, page, client_ip(request))
    await store.load_services()
    await store.load_subscriptions()
    with frame(page, "Services", SECTION) if page is not None else _public_shell(org):
        _return_notice(purchase)
        store.draw_subscriptions()
        store.draw_services()
        if page is None:
            store.build_visitor_dialog()
    follow(events.CatalogChanged, lambda event: event.org_id == org.id, Coalesced(store.catalog_changed))
    if page is not None:
        actor = page.actor
        follow(
            events.PurchasesChanged,
            lambda event: (event.org_id, event.client_id) == (actor.org_id, actor.client_id),
            Coalesced(store.purchases_changed),
        )
