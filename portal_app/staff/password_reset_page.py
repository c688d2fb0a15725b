"""/forgot-password and /reset-password/{token}: a staff user who forgot their password sets a new one by mail.

Both are open to everyone. The link's GET only reads (mail scanners open links); the form's submit sets the
password and signs in as /login does, through a ticket bound to this browser and the cookie route.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request
from nicegui import APIRouter, ui

from components.forms import FieldErrors
from portal_app.auth.browser import browser_id
from portal_app.auth.password_reset import NEUTRAL_SENT, request_reset, reset_and_sign_in
from portal_app.auth.requests import client_ip, user_agent
from portal_app.auth.staff import ticket_url
from portal_app.liveness import PAGE_BUILD_SECONDS
from services.core.errors import Invalid
from services.staff.password_reset import TTL_WORDS, reset_is_usable

router = APIRouter()
FORGOT_PATH = "/forgot-password"
DEAD_LINK = f"This reset link no longer works. Reset links work once and expire after {TTL_WORDS}."


@contextmanager
def _card(subtitle: str) -> Iterator[None]:
    """The sign-in page's frame: the name above, a card below."""
    ui.colors(primary="#4f46e5")
    with ui.column().classes("absolute-center w-full max-w-sm items-stretch gap-3 p-4"):
        ui.label("Portico").classes("text-3xl font-bold text-primary text-center")
        ui.label(subtitle).classes("text-center text-gray-600")
        with ui.card().classes("w-full").props("flat bordered"):
            yield
        ui.link("Back to sign in", "/login").classes("text-sm text-center")


def _dead_link() -> None:
    ui.label(DEAD_LINK).props("role=alert")
    ui.link("Ask for a new link", FORGOT_PATH)


@router.page(FORGOT_PATH, title="Forgot your password? · Portico", response_timeout=PAGE_BUILD_SECONDS)
async def forgot_password_page(request: Request) -> None:
    ip = client_ip(request)

    async def submit() -> None:
        if not email.value.strip():
            errors.show("email", "Enter your email.")
            return
        errors.clear()
        button.disable()
        try:
            await request_reset(email.value, ip=ip)
        finally:
            button.enable()
        form.set_visibility(False)
        sent.set_visibility(True)

    with _card("Reset your password"):
        with ui.column().classes("w-full items-stretch gap-3") as form:
            ui.label("Type the email you sign in with; we will mail you a link to choose a new password.").classes(
                "text-sm text-gray-600"
            )
            email = ui.input("Email").props("type=email autocomplete=username autofocus outlined").classes("w-full")
            button = ui.button("Send reset link", on_click=submit).classes("w-full")
            email.on("keydown.enter", submit)
        sent = ui.label(NEUTRAL_SENT).props("role=status")
        sent.set_visibility(False)
    errors = FieldErrors(email=email)


@router.page("/reset-password/{token}", title="Choose a new password · Portico", response_timeout=PAGE_BUILD_SECONDS)
async def reset_password_page(request: Request, token: str) -> None:
    ip, agent, browser = client_ip(request), user_agent(request), browser_id(request)

    async def submit() -> None:
        errors.clear()
        if password.value != confirm.value:
            errors.show("confirm", "The two passwords differ.")
            return
        button.disable()
        try:
            ticket = await reset_and_sign_in(token, password.value, ip=ip, agent=agent, browser=browser)
        except Invalid as exc:
            errors.show("password", exc.message)
            return
        finally:
            button.enable()
        if ticket is None:  # used (perhaps by another tab) or expired since the page was shown
            form.clear()
            with form:
                _dead_link()
            return
        ui.navigate.to(ticket_url(ticket, "/"))

    with _card("Choose a new password"):
        if not await reset_is_usable(token):
            _dead_link()
            return
        with ui.column().classes("w-full items-stretch gap-3") as form:
            ui.label("Setting it signs you out on every other device.").classes("text-sm text-gray-600")
            password = (
                ui.input("New password", password=True)
                .props("autocomplete=new-password autofocus outlined")
                .classes("w-full")
            )
            confirm = ui.input("Confirm password", password=True).props("autocomplete=new-password outlined")
            confirm.classes("w-full")
            button = ui.button("Set password", on_click=submit).classes("w-full")
            confirm.on("keydown.enter", submit)
    errors = FieldErrors(password=password, confirm=confirm)
