"""The app factory: wires services, plain routes, pages, middleware and background jobs into NiceGUI's app."""

from __future__ import annotations

import logging
from collections.abc import Callable

from nicegui import app
from starlette.types import ASGIApp, Receive, Scope, Send

from portal_app import (
    element_cleanup,
    failures,
    jobs,
    liveness,
    look,
    loop_watch,
    nicegui_speedups,
    runtime,
    tab_storage,
)
from portal_app.auth import oidc as oidc_auth
from portal_app.auth import portal as portal_auth
from portal_app.auth import staff as staff_auth
from portal_app.auth.browser import BrowserCookie
from portal_app.pages import page_router
from portal_app.portal import deliverable_page as portal_deliverable_page
from portal_app.portal import files_page as portal_files_page
from portal_app.portal import hours_page as portal_hours_page
from portal_app.portal import invoices as portal_invoices
from portal_app.portal import login as portal_login
from portal_app.portal import pages as portal_pages
from portal_app.portal import project_page as portal_project_page
from portal_app.portal import quotes as portal_quotes
from portal_app.portal import services_page as portal_services_page
from portal_app.routes import (
    calendar_feeds,
    file_downloads,
    health,
    hours_csv,
    notifications_optout,
    public_invoice,
    public_quote,
    staff_downloads,
    stripe_connect,
    stripe_webhook,
)
from portal_app.security import SecurityHeaders
from portal_app.service_setup import configure_services
from portal_app.settings import Settings
from portal_app.staff import (
    audit_log,
    client_detail,
    client_requests,
    clients,
    home,
    inbox_page,
    invoice_detail,
    invoice_editor,
    invoices,
    join,
    login,
    password_reset_page,
    people,
    project_detail,
    project_list,
    quote_detail,
    quote_editor,
    quote_list,
    services_page,
    settings_page,
    time_approvals,
    time_page,
)
from portal_app.upload_limit import BodyLimit
from services.core import broadcast, db, shared_state

log = logging.getLogger("portico")

# Importing a page module declares its guarded pages (portal_app.pages collects them, page_router mounts them).
PAGE_MODULES = (
    home,
    clients,
    client_detail,
    client_requests,
    project_list,
    project_detail,
    inbox_page,
    invoices,
    invoice_editor,
    invoice_detail,
    quote_list,
    quote_editor,
    quote_detail,
    audit_log,
    people,
    services_page,
    settings_page,
    time_page,
    time_approvals,
    portal_pages,
    portal_project_page,
    portal_invoices,
    portal_files_page,
    portal_deliverable_page,
    portal_hours_page,
    portal_quotes,
)
# Open to everyone: the two sign-in pages, the password reset, the portal's Services page, and plain routes that
# check access themselves.
PUBLIC_ROUTERS = (
    login.router,
    join.router,
    password_reset_page.router,
    portal_login.router,
    portal_pages.router,
    portal_invoices.router,
    portal_quotes.router,
    portal_services_page.router,
)
API_MOUNT = "/api"


def create_app(settings: Settings) -> None:
    nicegui_speedups.install()
    element_cleanup.install()
    tab_storage.install()
    look.install()
    runtime.set_settings(settings)
    configure_services(settings)

    failures.install()
    app.include_router(health.router)
    app.include_router(staff_auth.build_router(settings))
    app.include_router(oidc_auth.build_router(settings))
    app.include_router(portal_auth.build_router(settings))
    app.include_router(public_invoice.router)
    app.include_router(public_quote.router)
    app.include_router(notifications_optout.router)
    app.include_router(staff_downloads.router)
    app.include_router(file_downloads.router)
    app.include_router(calendar_feeds.router)
    app.include_router(hours_csv.router)
    app.include_router(stripe_webhook.router)
    app.include_router(stripe_connect.router)
    _mount_api()
    for router in PUBLIC_ROUTERS:
        app.include_router(router)
    app.include_router(page_router())
    app.add_middleware(BodyLimit)  # innermost of the three: the others still mark its 413
    app.add_middleware(BrowserCookie, secure=settings.secure_cookies)
    app.add_middleware(SecurityHeaders, https=settings.secure_cookies)

    background = jobs.Background() if settings.scheduler_enabled else None
    linked: list[broadcast.Broadcast] = []  # made on start-up: it needs the running event loop

    async def startup() -> None:
        liveness.tolerate_busy_moments()
        loop_watch.watch.start()  # for /healthz: how late the loop wakes up, from the first moment it serves
        if live := jobs.live_changes(settings):
            live.start()
            linked.append(live)
        if background:
            await background.start()

    async def shutdown() -> None:
        if background:
            await background.shutdown()
        while linked:
            await linked.pop().stop()
        await shared_state.close()
        await db.close()
        await loop_watch.watch.stop()

    app.on_startup(startup)
    app.on_shutdown(shutdown)


class BuiltOnFirstRequest:
    """An ASGI app made by `build` when its first request comes, then kept: a part no start-up needs to wait for."""

    def __init__(self, build: Callable[[], ASGIApp]) -> None:
        self._build = build
        self._app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:
            self._app = self._build()  # synchronous: two first requests cannot both build it
        await self._app(scope, receive, send)


def _build_api() -> ASGIApp:
    from portal_app.routes import api

    return api.build_api()


def _mount_api() -> None:
    # A mount survives NiceGUI's test resets (which remove plain routes only), so replace any earlier one.
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != API_MOUNT]
    # The REST API's modules and FastAPI's analysis of its 24 operations take 0.1–0.2 s, and no page needs them:
    # its first request builds it (once), so `serve` answers sooner.
    app.mount(API_MOUNT, BuiltOnFirstRequest(_build_api))
