"""The portal shell: the organization's branding, navigation, sign-out, and the guard every portal page runs."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from portal_app import look
from portal_app.auth.portal import base_path, current_portal
from portal_app.auth.return_to import remember, requested_path
from portal_app.live import follow
from portal_app.page_language import speak
from portal_app.pages import PageFunction, guarded_page
from portal_app.runtime import get_settings
from services.clients import portal_sessions
from services.core import events
from services.core.actors import PortalActor
from services.organizations import organizations
from services.organizations.organizations import OrganizationView

NAVIGATION = [
    ("Home", "/", "home"),
    ("Invoices", "/invoices", "receipt_long"),
    ("Quotes", "/quotes", "request_quote"),
    ("Projects", "/projects", "work"),
    ("Files", "/files", "folder"),
    ("Hours", "/hours", "schedule"),
    ("Services", "/services", "storefront"),
]
SESSION_CHECK_SECONDS = 30.0
SIGNING_OUT = "portal_signing_out"  # a flag in the NiceGUI client's storage


@dataclass(frozen=True, slots=True)
class PortalPage:
    actor: PortalActor
    session_id: uuid.UUID
    org: OrganizationView

    def href(self, path: str = "") -> str:
        return f"{base_path(self.org.slug)}{path}"


async def guard(request: Request, slug: str) -> PortalPage | RedirectResponse | None:
    """The signed-in contact's page context; a redirect to the login page; or None for an unknown portal.

    The organization may come from a short cache (emptied when its settings change); the session never does:
    every load checks it in the database, so a revoked session or a contact's removed access is refused at once.
    """
    org = await organizations.portal_by_slug(slug)
    if org is None:
        return None
    resolved = await current_portal(request, org)
    if resolved is None:
        response = RedirectResponse(f"{base_path(org.slug)}/login", status_code=303)
        # after signing in, back to this page (a deliverable mailed for review, say): return_to.py
        remember(response, org.slug, requested_path(request), secure=get_settings().secure_cookies)
        return response
    return PortalPage(resolved.actor, resolved.session_id, org)


def unknown_portal() -> None:
    ui.context.client.status_code = 404
    with ui.column().classes("absolute-center items-center gap-2"):
        ui.icon("search_off", size="xl").classes("text-gray-400")
        ui.label("There is no client portal at this address.").classes("text-xl")


async def open_page(request: Request, slug: str) -> PortalPage | RedirectResponse | None:
    """The page's context, or what to answer instead (login redirect; unknown portal or portal off, drawn: None)."""
    page = await guard(request, slug)
    if page is None:
        unknown_portal()
    elif isinstance(page, PortalPage) and not page.org.portal_enabled:
        portal_off(page)  # before the page asks for any data
        return None
    return page


def portal_page(path: str, **options: Any) -> Callable[[PageFunction], PageFunction]:
    """Declare a portal page: its function gets the signed-in contact's `PortalPage` first (see portal_app.pages)."""
    return guarded_page(path, kind="portal", guard=open_page, context_type=PortalPage, **options)


def brand(org: OrganizationView) -> None:
    speak(org.locale)
    ui.colors(primary=look.readable_accent(org.accent_color), **look.PALETTE)
    ui.page_title(org.name)


@contextmanager
def frame(page: PortalPage, title: str, section: str) -> Iterator[None]:
    """The branded shell around a portal page's content."""
    with _shell(page, title, section):
        ui.label(title).classes("text-2xl font-semibold")
        yield


def portal_off(page: PortalPage) -> None:
    """The whole page while the organization has switched its portal off: the shell and a notice, no data."""
    with _shell(page, "Client portal", ""):
        portal_off_notice(page.org)


@contextmanager
def _shell(page: PortalPage, title: str, section: str) -> Iterator[None]:
    brand(page.org)
    ui.page_title(f"{title} · {page.org.name}")
    with ui.header().classes("items-center justify-between bg-white text-gray-900 border-b border-gray-200 px-4 py-2"):
        look.skip_link()
        with ui.row().classes("items-center gap-6"):
            with ui.row().classes("items-center gap-2 no-wrap"):
                if page.org.has_logo:
                    logo = ui.element("img").classes("h-8 w-auto max-w-[10rem] object-contain").mark("logo")
                    logo.props["src"], logo.props["alt"] = page.href("/logo"), ""  # the name beside it says it all
                ui.label(page.org.name).classes("text-lg font-bold text-primary")
            with ui.row().classes("gap-1 max-sm:hidden"):
                for label, path, _icon in NAVIGATION:
                    active = path == section
                    ui.link(label, page.href(path)).classes(
                        "px-3 py-1 rounded no-underline "
                        + ("bg-primary text-white" if active else "text-gray-700 hover:bg-gray-100")
                    ).props(f"aria-label={label}")
        with ui.row().classes("items-center gap-3"):
            ui.label(page.actor.email).classes("text-sm text-gray-600 max-sm:hidden")
            ui.button("Sign out", icon="logout", on_click=lambda: sign_out(page)).props("flat dense no-caps")
    # No gaps between the items: seven thumb-sized targets share a 360px screen.
    with ui.footer().classes("sm:hidden bg-white border-t border-gray-200 justify-around gap-0 px-1 py-1 no-wrap"):
        for label, path, icon in NAVIGATION:
            active = path == section
            with ui.link(target=page.href(path)).classes(
                "flex flex-col flex-1 items-center justify-center min-h-[48px] text-xs no-underline rounded "
                + ("text-primary font-semibold" if active else "text-gray-700")
            ) as link:
                ui.icon(icon)
                ui.label(label)
            link.props(f'aria-label="{label}"' + (' aria-current="page"' if active else ""))
    with ui.column().classes("w-full max-w-5xl mx-auto p-4 gap-4"):
        look.main_landmark()
        yield
    _follow_session(page)


def portal_off_notice(org: OrganizationView) -> None:
    with ui.card().classes("w-full items-center py-10").props("flat bordered"):
        ui.icon("lock", size="xl").classes("text-gray-400")
        ui.label("The client portal is currently unavailable").classes("text-xl")
        contact = f" Please contact {org.support_email}." if org.support_email else ""
        ui.label(f"{org.name} has switched the portal off for now.{contact}").classes("text-gray-600")


def _follow_session(page: PortalPage) -> None:
    """Leave the page for the login page as soon as this session ends, here or anywhere else."""
    client = ui.context.client
    login = f"{base_path(page.org.slug)}/login"

    async def leave() -> None:
        ui.navigate.to(login)

    # Not in the tab that is signing out: navigating now would cancel its sign-out POST before the
    # browser applies that response's Set-Cookie, and the dead cookie would stay in the browser.
    follow(
        events.PortalSessionsEnded,
        lambda event: page.session_id in event.session_ids and not client.storage.get(SIGNING_OUT),
        leave,
    )

    async def check() -> None:  # catches what no event announces: idle and absolute timeouts
        if not client.storage.get(SIGNING_OUT) and not await portal_sessions.is_live(page.session_id):
            ui.navigate.to(login)

    ui.timer(SESSION_CHECK_SECONDS, check, immediate=False)  # the guard checked it as it built this page


def sign_out(page: PortalPage) -> None:
    action = f"{base_path(page.org.slug)}/sign-out"
    ui.context.client.storage[SIGNING_OUT] = True  # the POST's redirect takes this tab to the login page
    ui.run_javascript(
        f"const f = document.createElement('form'); f.method = 'post'; f.action = '{action}';"
        "document.body.appendChild(f); f.submit();"
    )


def empty_state(icon: str, title: str, text: str) -> None:
    with ui.card().classes("w-full items-center py-10 gap-2").props("flat bordered"):
        ui.icon(icon, size="xl").classes("text-gray-400")
        ui.label(title).classes("text-lg")
        ui.label(text).classes("text-gray-600 text-center")
