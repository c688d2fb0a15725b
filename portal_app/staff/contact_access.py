"""One contact on the client page: portal access, billing and active toggles, invitation, last sign-in, sessions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from services.clients import contacts, magic_links, portal_sessions
from services.clients.contacts import ContactView
from services.core.actors import StaffActor
from services.core.errors import ServiceError


def contact_row(actor: StaffActor, contact: ContactView, on_changed: Callable[[], Awaitable[None]]) -> None:
    async def toggle(what: str, change: contacts.ContactChanges, state: bool) -> None:
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
                f"Last sign-in {contact.last_sign_in_at:%Y-%m-%d %H:%M}"
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
            sessions_panel(actor, contact)


def sessions_panel(actor: StaffActor, contact: ContactView) -> None:
    """Signed-in browsers, loaded when opened (one query per click, not one per contact on every page load)."""

    @ui.refreshable
    async def session_list() -> None:
        rows = await portal_sessions.list_for_contact(actor, contact.id)
        if not rows:
            ui.label("No active sessions.").classes("text-sm text-gray-500")
        for row in rows:
            with ui.row().classes("w-full items-center gap-4 text-sm"):
                ui.label(f"Since {row.created_at:%Y-%m-%d %H:%M}").classes("w-40")
                ui.label(f"Last seen {row.last_seen_at:%Y-%m-%d %H:%M}").classes("w-44")
                ui.label(row.ip or "—").classes("w-28 font-mono")
                ui.label(row.user_agent or "unknown browser").classes("flex-1 truncate text-gray-600")
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
