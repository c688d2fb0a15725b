"""Home: counts, the portal link, recent activity."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import APIRouter, ui

from components.copy_link import copy_link
from components.stat_card import stat_card
from portal_app.runtime import get_settings
from portal_app.staff.layout import frame, guard
from services import audit, organizations

router = APIRouter()


def portal_url(slug: str) -> str:
    return f"{get_settings().base_url}/portal/{slug}/"


@router.page("/")
async def home_page(request: Request) -> RedirectResponse | None:
    context = await guard(request)
    if isinstance(context, RedirectResponse):
        return context
    org = context.org
    counts = await organizations.workspace_counts(context.actor)
    recent = await audit.list_events(context.actor, audit.AuditFilter(), limit=8)
    with frame(context, "Home"):
        with ui.row().classes("w-full gap-4"):
            stat_card("Clients", counts.clients, icon="business", href="/clients")
            stat_card("Contacts", counts.contacts, icon="person")
            stat_card("With portal access", counts.portal_contacts, icon="vpn_key")
            stat_card("Active projects", counts.active_projects, icon="work")
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
                    ui.label(f"{event.at:%Y-%m-%d %H:%M}").classes("text-gray-500 w-32")
                    ui.label(event.action).classes("font-mono w-56")
                    ui.label(event.target_label).classes("flex-1")
                    ui.label(event.actor_label).classes("text-gray-500")
    return None
