"""/login: email and password."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import APIRouter, ui

from portal_app.auth.browser import browser_id
from portal_app.auth.oidc import SSO_ERRORS, start_url
from portal_app.auth.requests import client_ip, safe_next
from portal_app.auth.staff import NEUTRAL_ERROR, current_staff, sign_in, ticket_url
from portal_app.liveness import PAGE_BUILD_SECONDS
from portal_app.runtime import get_settings
from services.staff.staff import SsoRequired

router = APIRouter()


@router.page("/login", title="Sign in · Portico", response_timeout=PAGE_BUILD_SECONDS)
async def login_page(
    request: Request, next: str = "/", expired: str = "", sso_error: str = ""
) -> RedirectResponse | None:
    if await current_staff(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    ip, browser = client_ip(request), browser_id(request)
    target = safe_next(next)

    async def submit() -> None:
        error.set_visibility(False)
        if not email.value.strip() or not password.value:
            error.text = "Enter your email and password."
            error.set_visibility(True)
            return
        button.disable()
        try:
            ticket = await sign_in(email.value, password.value, ip=ip, browser=browser)
        except SsoRequired as exc:
            password.value = ""
            error.text = exc.message
            error.set_visibility(True)
            return
        finally:
            button.enable()
        if ticket is None:
            password.value = ""
            error.text = NEUTRAL_ERROR
            error.set_visibility(True)
            return
        ui.navigate.to(ticket_url(ticket, target))

    ui.colors(primary="#4f46e5")
    with ui.column().classes("absolute-center w-full max-w-sm items-stretch gap-3 p-4"):
        ui.label("Portico").classes("text-3xl font-bold text-primary text-center")
        ui.label("Sign in to your workspace").classes("text-center text-gray-600")
        if expired:
            ui.label("That sign-in took too long. Please sign in again.").classes("text-amber-700 text-sm text-center")
        if sso_error in SSO_ERRORS:
            ui.label(SSO_ERRORS[sso_error]).classes("text-negative text-sm text-center").props("role=alert")
        with ui.card().classes("w-full").props("flat bordered"):
            email = ui.input("Email").props("type=email autocomplete=username autofocus outlined").classes("w-full")
            password = (
                ui.input("Password", password=True).props("autocomplete=current-password outlined").classes("w-full")
            )
            error = ui.label().classes("text-negative text-sm").props("role=alert")
            error.set_visibility(False)
            button = ui.button("Sign in", on_click=submit).classes("w-full")
            ui.link("Forgot your password?", "/forgot-password").classes("text-sm text-center")
            if get_settings().oidc_configured:
                ui.button("Sign in with SSO", on_click=lambda: ui.navigate.to(start_url(target))).props(
                    "outline"
                ).classes("w-full")
            email.on("keydown.enter", submit)
            password.on("keydown.enter", submit)
    return None
