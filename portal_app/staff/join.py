"""/join/{token}: the page an invitation's link opens. Not behind the staff guard: the link's secret is the key.

A new email chooses a name and password; an email that already has an account (in another organization) joins
with that account's password. Success signs in as /login does: a ticket bound to this browser, exchanged for
the session cookie by an HTTP route.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from nicegui import APIRouter, ui

from components.forms import FieldErrors
from portal_app.auth.browser import browser_id
from portal_app.auth.requests import client_ip, user_agent
from portal_app.auth.staff import email_limiter, ip_limiter, ticket_url, tickets
from portal_app.liveness import PAGE_BUILD_SECONDS
from portal_app.runtime import get_settings
from services.core.common import email_identity
from services.core.errors import Invalid, NotFound
from services.staff import team
from services.staff.team import DEAD_LINK, ROLE_NAMES

router = APIRouter()


def sso_url(token: str) -> str:
    return f"/auth/oidc/start?invitation={quote(token)}"


def dead_link() -> None:
    with ui.column().classes("items-center gap-2").mark("dead-link"):
        ui.icon("link_off", size="xl").classes("text-gray-400")
        ui.label("This invitation cannot be used").classes("text-xl")
        ui.label(DEAD_LINK).classes("text-gray-600 text-center")
        ui.link("Go to sign-in", "/login")


@router.page("/join/{token}", title="Join your team · Portico", response_timeout=PAGE_BUILD_SECONDS)
async def join_page(request: Request, token: str) -> None:
    ip, agent, browser = client_ip(request), user_agent(request), browser_id(request)
    view = await team.invitation_for_token(token)
    ui.colors(primary="#4f46e5")
    with ui.column().classes("absolute-center w-full max-w-sm items-stretch gap-3 p-4"):
        ui.label("Portico").classes("text-3xl font-bold text-primary text-center")
        if view is None:
            dead_link()
            return
        ui.label(f"Join {view.org_name}").classes("text-xl text-center").mark("join-org")
        ui.label(f"You are invited as {ROLE_NAMES[view.role]}, with the email {view.email}.").classes(
            "text-center text-gray-600 break-all"
        )
        with ui.card().classes("w-full").props("flat bordered") as card:
            name = None
            if view.require_sso:
                ui.label(f"{view.org_name} signs its staff in with single sign-on.").classes("text-sm")
            elif view.has_account:
                ui.label("You already have a Portico account: join with its password.").classes("text-sm")
            else:
                name = ui.input("Name").props("autocomplete=name autofocus outlined").classes("w-full")
            password = ui.input("Password", password=True).props("outlined").classes("w-full")
            password.props("autocomplete=" + ("current-password" if view.has_account else "new-password"))
            errors = FieldErrors(password=password, **({"name": name} if name else {}))

            async def submit() -> None:
                errors.clear()
                if view.has_account:
                    # The account's password is guessed here as on /login: the same limits apply.
                    allowed = await email_limiter.hit(email_identity(view.email)) & await ip_limiter.hit(ip)
                    if not allowed:
                        errors.show("password", "Too many attempts. Wait a few minutes and try again.")
                        return
                button.disable()
                try:
                    who = await team.accept_with_password(
                        token, name.value if name else "", password.value, ip=ip, user_agent=agent
                    )
                except Invalid as exc:
                    errors.show_all([(p.field, p.message) for p in exc.problems])
                    return
                except NotFound:
                    card.clear()
                    with card:
                        dead_link()
                    return
                finally:
                    if not button.is_deleted:
                        button.enable()
                ui.navigate.to(ticket_url(await tickets.issue(who, browser=browser), "/"))

            button = ui.button("Join the team" if view.has_account else "Create account", on_click=submit)
            button.classes("w-full").mark("join")
            password.on("keydown.enter", submit)
            if view.require_sso:
                password.set_visibility(False)
                button.set_visibility(False)
            if get_settings().oidc_configured:
                ui.button("Sign in with SSO", on_click=lambda: ui.navigate.to(sso_url(token))).props("outline").classes(
                    "w-full"
                )
