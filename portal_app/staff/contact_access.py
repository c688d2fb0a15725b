"""One contact on the client page: portal access, billing and active toggles, invitation, last sign-in, sessions,
calendar links."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from components.confirm import confirm
from portal_app.staff.contact_calendar_feeds import calendar_feeds_panel
from services.clients import contacts, magic_links, portal_sessions
from services.clients.contacts import ContactView
from services.core import user_agents
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.core.formatting import Formats

# Turning these off signs the contact out everywhere at once: asked first.
ASKS = {
    "Portal access": (
        "Remove {name}'s portal access?",
        "They are signed out at once and cannot sign in until access is given back.",
        "Remove access",
    ),
    "Contact": (
        "Deactivate {name}?",
        "They are signed out at once, get no more mail, and cannot sign in until reactivated.",
        "Deactivate",
    ),
}


def contact_row(
    actor: StaffActor, contact: ContactView, on_changed: Callable[[], Awaitable[None]], formats: Formats
) -> None:
    async def toggle(what: str, change: contacts.ContactChanges, state: bool) -> None:
        if not state and what in ASKS:
            question, consequence, action = ASKS[what]
            if not await confirm(question.format(name=contact.name), consequence, action):
                await on_changed()  # redraws the switch as it still is
                return
        try:
            view = await contacts.update_contact(actor, contact.id, change)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
        else:
            ui.notify(f"{what} {'on' if state else 'off'} for {view.email}", type="positive")
        await on_changed()

    async def invite() -> None:
        try:
            await magic_links.send_invitation(actor, contact.id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
        else:
            ui.notify(f"Invitation sent to {contact.email}", type="positive")

    with ui.column().classes("w-full gap-1 border-b border-gray-200 py-2"):
        with ui.row().classes("w-full items-center gap-4"):
            with ui.column().classes("gap-0 flex-1"):
                ui.label(contact.name).classes(
                    "font-medium" + ("" if contact.active else " line-through text-gray-400")
                )
                ui.label(" · ".join(x for x in (contact.email, contact.title) if x)).classes("text-sm text-gray-600")
            ui.label(
                f"Last sign-in {formats.moment(contact.last_sign_in_at)}"
                if contact.last_sign_in_at
                else "Never signed in"
            ).classes("text-xs text-gray-500")
            ui.switch(
                "Portal access",
                value=contact.portal_enabled,
                on_change=lambda e: toggle("Portal access", contacts.ContactChanges(portal_enabled=e.value), e.value),
            ).props(f"aria-label='Portal access for {contact.email}'")
            ui.switch(
                "Billing",
                value=contact.billing,
                on_change=lambda e: toggle("Billing", contacts.ContactChanges(billing=e.value), e.value),
            ).props(f"aria-label='Billing: {contact.email}'").tooltip("Receives invoices and payment reminders")
            ui.switch(
                "Active",
                value=contact.active,
                on_change=lambda e: toggle("Contact", contacts.ContactChanges(active=e.value), e.value),
            ).props(f"aria-label='Active: {contact.email}'")
            invite_button = ui.button("Send invitation", icon="send", on_click=invite).props("flat dense no-caps")
            invite_button.mark(f"invite-{contact.email}")
            if not (contact.active and contact.portal_enabled):
                invite_button.disable()
        if contact.portal_enabled and contact.last_sign_in_at:
            sessions_panel(actor, contact, formats)
        if contact.last_sign_in_at:  # feeds are made in the portal: a contact who never signed in has none
            calendar_feeds_panel(actor, contact, formats)


def sessions_panel(actor: StaffActor, contact: ContactView, formats: Formats) -> None:
    """Signed-in browsers, loaded when opened (one query per click, not one per contact on every page load)."""

    @ui.refreshable
    async def session_list() -> None:
        rows = await portal_sessions.list_for_contact(actor, contact.id)
        if not rows:
            ui.label("No active sessions.").classes("text-sm text-gray-500")
        for row in rows:
            with ui.row().classes("w-full items-center gap-4 text-sm"):
                ui.label(f"Since {formats.moment(row.created_at)}").classes("w-48")
                ui.label(f"Last seen {formats.moment(row.last_seen_at)}").classes("w-52")
                ui.label(row.ip or "—").classes("w-28 font-mono")
                browser = ui.label(user_agents.summary(row.user_agent or "")).classes("flex-1 truncate text-gray-600")
                if row.user_agent:
                    browser.tooltip(row.user_agent)
                ui.button("Revoke", on_click=lambda r=row: revoke(r.id)).props("flat dense color=negative")

    async def revoke(session_id) -> None:
        try:
            await portal_sessions.revoke(actor, session_id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
        else:
            ui.notify("Session ended; that browser is signed out.", type="positive")
        await session_list.refresh()

    loaded = False

    async def opened(event) -> None:
        nonlocal loaded
        if event.value and not loaded:
            loaded = True
            with body:
                await session_list()

    with (
        ui.expansion("Portal sessions", icon="devices", on_value_change=opened).classes("w-full text-sm").props("dense")
    ):
        body = ui.column().classes("w-full gap-1")
