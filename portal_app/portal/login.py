"""/portal/{slug}/login: ask for a sign-in link by email, or type the code from the mail."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import APIRouter, ui

from portal_app.auth.browser import browser_id
from portal_app.auth.portal import (
    CODE_ERROR,
    NEUTRAL_SENT,
    base_path,
    current_portal,
    request_link,
    sign_in_with_code,
    ticket_url,
)
from portal_app.auth.requests import client_ip, user_agent
from portal_app.liveness import PAGE_BUILD_SECONDS
from portal_app.portal.layout import brand, unknown_portal
from services.organizations import organizations

router = APIRouter()


@router.page("/portal/{slug}/login", response_timeout=PAGE_BUILD_SECONDS)
async def portal_login(request: Request, slug: str) -> RedirectResponse | None:
    org = await organizations.find_by_slug(slug)
    if org is None:
        unknown_portal()
        return None
    if await current_portal(request, org) is not None:
        return RedirectResponse(f"{base_path(org.slug)}/", status_code=303)
    ip, agent, browser = client_ip(request), user_agent(request), browser_id(request)

    async def send() -> None:
        if not email.value.strip():
            email.props["error"] = True
            email.props["error-message"] = "Enter your email address."
            return
        email.props.pop("error", None)
        send_button.disable()
        try:
            await request_link(org, email.value, ip=ip)
        finally:
            send_button.enable()
        sent.set_visibility(True)
        code.run_method("focus")

    async def use_code() -> None:
        code_error.set_visibility(False)
        if not email.value.strip() or not code.value.strip():
            code_error.text = "Enter your email address and the 6-digit code from the email."
            code_error.set_visibility(True)
            return
        ticket = await sign_in_with_code(org, email.value, code.value, ip=ip, agent=agent, browser=browser)
        if ticket is None:
            code.value = ""
            code_error.text = CODE_ERROR
            code_error.set_visibility(True)
            return
        ui.navigate.to(ticket_url(org.slug, ticket))

    brand(org)
    ui.page_title(f"Sign in · {org.name}")
    with ui.column().classes("absolute-center w-full max-w-sm items-stretch gap-3 p-4"):
        ui.label(org.name).classes("text-3xl font-bold text-primary text-center")
        ui.label("Client portal").classes("text-center text-gray-600")
        with ui.card().classes("w-full").props("flat bordered"):
            ui.label("Enter your email and we'll send you a sign-in link.").classes("text-sm text-gray-700")
            email = ui.input("Email").props("type=email autocomplete=email autofocus outlined").classes("w-full")
            send_button = ui.button("Send sign-in link", on_click=send).classes("w-full")
            email.on("keydown.enter", send)
            with ui.column().classes("w-full gap-2") as sent:
                ui.label(NEUTRAL_SENT).classes("text-sm text-positive").props("role=status")
                ui.separator()
                ui.label("Got a code? Type it here instead of clicking the link.").classes("text-sm text-gray-700")
                code = ui.input("Code").props("inputmode=numeric autocomplete=one-time-code maxlength=6 outlined")
                code.classes("w-full")
                code_error = ui.label().classes("text-negative text-sm").props("role=alert")
                code_error.set_visibility(False)
                ui.button("Sign in", on_click=use_code).classes("w-full")
                code.on("keydown.enter", use_code)
            sent.set_visibility(False)
        if org.support_email:
            ui.label(f"Trouble signing in? Write to {org.support_email}.").classes("text-xs text-gray-500 text-center")
    return None
