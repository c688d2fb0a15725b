"""The shared staff layout: header, navigation, sign-out, and the guard every staff page starts with."""

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
from portal_app.auth.staff import SIGN_OUT_PATH, current_staff, login_redirect
from portal_app.live import follow
from portal_app.page_language import speak
from portal_app.pages import PageFunction, guarded_page
from portal_app.staff.inbox_badge import INBOX_PATH, unread_badge
from services.core import events
from services.core.actors import StaffActor
from services.organizations import organizations
from services.organizations.organizations import OrganizationView
from services.projects import inbox
from services.staff import staff_sessions
from services.time import entries

TIME_PATH = "/time"
APPROVALS_PATH = "/time/approvals"
NAVIGATION = [
    ("Home", "/", "home"),
    ("Clients", "/clients", "business"),
    ("Projects", "/projects", "work"),
    ("Inbox", INBOX_PATH, "inbox"),
    ("Time", TIME_PATH, "schedule"),
    ("Approvals", APPROVALS_PATH, "fact_check"),  # only for those who may approve time
    ("Invoices", "/invoices", "receipt_long"),
    ("Quotes", "/quotes", "request_quote"),
    ("Services", "/services", "storefront"),
    ("Audit log", "/audit", "history"),
    ("People", "/people", "group"),
    ("Settings", "/settings", "settings"),
]
# How often an open tab checks that its session still lives (sign-out elsewhere, revocation, timeouts).
SESSION_CHECK_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class StaffPage:
    """What every staff page knows: who is looking, through which session, in which organization."""

    actor: StaffActor
    session_id: uuid.UUID
    org: OrganizationView
    inbox_unread: int = 0  # for the navigation's badge, read as the page is built
    may_approve: bool = False  # owners, admins and project leads: "Approvals" in the navigation


async def guard(request: Request) -> StaffPage | RedirectResponse:
    """The page context of a signed-in request, or the redirect to /login every staff page returns instead."""
    context = await current_staff(request)
    if context is None:
        return login_redirect(request)
    return StaffPage(
        context.actor,
        context.session_id,
        await organizations.get_organization(context.actor),
        await inbox.unread_count(context.actor),
        await entries.may_decide(context.actor),
    )


def staff_page(path: str, **options: Any) -> Callable[[PageFunction], PageFunction]:
    """Declare a staff page: its function gets the signed-in `StaffPage` first (see portal_app.pages)."""
    return guarded_page(path, kind="staff", guard=guard, context_type=StaffPage, **options)


@contextmanager
def frame(context: StaffPage, title: str) -> Iterator[None]:
    speak(context.org.locale)
    ui.page_title(f"{title} · Portico")
    ui.colors(primary="#4f46e5", **look.PALETTE)
    current = ui.context.client.page.path
    drawer: ui.left_drawer  # opened by the header's menu button, built below it
    with ui.header().classes("items-center justify-between bg-white text-gray-900 border-b border-gray-200 px-4 py-2"):
        look.skip_link()
        with ui.row().classes("items-center gap-2"):
            ui.button(icon="menu", on_click=lambda: drawer.toggle()).props(
                "flat round dense aria-label='Menu'"
            ).classes("lg:hidden")
            ui.label("Portico").classes("text-lg font-bold text-primary")
            ui.label(context.org.name).classes("text-gray-500")
        with ui.row().classes("items-center gap-3"):
            ui.label(context.actor.email).classes("text-sm text-gray-600 max-sm:hidden")
            ui.button("Sign out", icon="logout", on_click=sign_out).props("flat dense no-caps")
    with (
        ui.left_drawer(value=None)  # open beside the page on wide screens, closed over it on small ones
        .classes("bg-gray-50 border-r border-gray-200")
        .props("width=220 breakpoint=1024") as drawer
    ):
        shown = [item for item in NAVIGATION if item[1] != APPROVALS_PATH or context.may_approve]
        # the longest link the path starts with is the one lit: /time/approvals is Approvals, not Time
        lit = max(
            (href for _, href, _ in shown if href == current or (href != "/" and current.startswith(href))),
            key=len,
            default="",
        )
        for label, href, icon in shown:
            active = href == lit
            with ui.link(target=href).classes(
                "flex items-center gap-3 px-3 py-2 rounded no-underline "
                + ("bg-indigo-100 text-primary font-semibold" if active else "text-gray-700 hover:bg-gray-100")
            ):
                ui.icon(icon)
                ui.label(label)
                if href == INBOX_PATH:
                    unread_badge(context.actor, context.inbox_unread)
    with ui.column().classes("w-full max-w-6xl mx-auto p-4 gap-4"):
        look.main_landmark()
        ui.label(title).classes("text-2xl font-semibold")
        yield
    # An ended session that an event announces (a password reset) leaves at once; the timer catches the rest.
    follow(events.StaffSessionsEnded, lambda event: context.session_id in event.session_ids, _to_login)
    # A new role takes effect in open tabs at once: they reload and are built with it.
    follow(
        events.StaffRoleChanged,
        lambda event: (event.org_id, event.user_id) == (context.actor.org_id, context.actor.user_id),
        _reload,
    )
    # Created last: a timer waits for the websocket, and NiceGUI then sends the page before the build finishes.
    # Not at once: the guard checked the session a moment ago, as it built this page.
    ui.timer(SESSION_CHECK_SECONDS, lambda: _check_session(context), immediate=False)


async def _reload() -> None:
    ui.navigate.reload()


async def _to_login() -> None:
    ui.navigate.to("/login")


async def _check_session(context: StaffPage) -> None:
    if not await staff_sessions.is_live(context.session_id):
        ui.navigate.to("/login")


def sign_out() -> None:
    """POST to the sign-out route from a form, so the cookie is dropped by an HTTP answer (and no link can do it)."""
    ui.run_javascript(
        f"const f = document.createElement('form'); f.method = 'post'; f.action = '{SIGN_OUT_PATH}';"
        "document.body.appendChild(f); f.submit();"
    )


def not_found(message: str = "Not found") -> None:
    """What a page shows for an id the actor may not see, with the 404 status."""
    ui.context.client.status_code = 404
    with ui.column().classes("items-center w-full py-16 gap-2"):
        ui.icon("search_off", size="xl").classes("text-gray-400")
        ui.label(message).classes("text-xl")
        ui.link("Back to clients", "/clients")
