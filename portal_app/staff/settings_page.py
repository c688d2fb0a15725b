"""Settings: the organization's name, slug and portal link, invoicing, the logo, uploads, card payments, API
tokens."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.responses import RedirectResponse
from nicegui import ui

from components.copy_link import copy_link
from components.forms import FieldErrors
from portal_app.runtime import get_settings
from portal_app.staff.document_settings_form import documents_form
from portal_app.staff.home import portal_url
from portal_app.staff.invoice_settings import invoicing_form, logo_form
from portal_app.staff.layout import StaffPage, frame, staff_page
from portal_app.staff.stripe_settings import stripe_section
from portal_app.staff.undelivered_mail import undelivered_section
from portal_app.staff.upload_settings_form import uploads_form
from services.core import formatting
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.documents import wording
from services.files import upload_settings
from services.organizations import organizations
from services.staff import api_tokens

SAMPLE_MOMENT = datetime(2026, 11, 29, 19, 5, tzinfo=UTC)  # what the example under the locale fields shows


def locale_fields(org: organizations.OrganizationView) -> tuple[ui.select, ui.select]:
    """Locale and time zone: how money and dates read on every page, mail and PDF, with an example of each."""
    locales = {code: formatting.locale_name(code) for code in formatting.OFFERED_LOCALES}
    locales.setdefault(org.locale, org.locale)  # one set through the API stays chosen, under its own name
    zones = {zone: zone.replace("_", " ") for zone in formatting.timezone_names()}
    with ui.row().classes("w-full gap-4"):
        locale = ui.select(locales, value=org.locale, label="Locale", with_input=True)
        locale.props("outlined").classes("flex-1 min-w-[16rem]")
        timezone = ui.select(zones, value=org.timezone, label="Time zone", with_input=True)
        timezone.props("outlined").classes("flex-1 min-w-[16rem]")
    example = ui.label().classes("text-sm text-gray-600").mark("locale-example")

    def show_example() -> None:
        formats = formatting.Formats(locale.value or org.locale, timezone.value or org.timezone)
        example.text = (
            f"Amounts read {formats.money(914500, 'EUR')} or {formats.money(914500, 'USD')}; "
            f"times {formats.moment(SAMPLE_MOMENT)}; dates are typed as {formats.input_day(SAMPLE_MOMENT.date())}."
        )

    for field in (locale, timezone):
        field.on_value_change(show_example)
    show_example()
    return locale, timezone


def require_sso_switch(org: organizations.OrganizationView) -> ui.switch | None:
    """ "Require SSO", offered only when this server has an OpenID Connect provider to require."""
    if not get_settings().oidc_configured:
        return None
    switch = ui.switch("Require SSO", value=org.require_sso).mark("require-sso")
    ui.label(
        "Staff sign in with “Sign in with SSO” only. Owners keep their password as a break-glass path "
        "(each such sign-in is in the audit log), so the agency is never locked out if the provider is down."
    ).classes("text-sm text-gray-600")
    return switch


def organization_form(actor: StaffActor, org: organizations.OrganizationView) -> None:
    editable = actor.is_admin
    with ui.card().classes("w-full").props("flat bordered"):
        ui.label("Organization").classes("text-lg font-semibold")
        if not editable:
            ui.label("Only owners and admins can change these settings.").classes("text-sm text-gray-600")
        name = ui.input("Organization name", value=org.name).props("outlined").classes("w-full")
        slug = ui.input("Slug", value=org.slug).props("outlined").classes("w-full")
        slug.props('hint="Used in the portal address: lower-case letters, digits and dashes."')
        support = ui.input("Support email", value=org.support_email).props("outlined type=email").classes("w-full")
        welcome = (
            ui.textarea("Portal welcome message", value=org.welcome_message)
            .props("outlined autogrow")
            .classes("w-full")
        )
        with ui.row().classes("items-center gap-6"):
            accent = ui.color_input("Portal accent color", value=org.accent_color).props("outlined dense")
            accent.button.props["aria-label"] = "Pick the accent color"  # an icon-only button needs a name
            portal = ui.switch("Client portal on", value=org.portal_enabled)
        sso = require_sso_switch(org)
        locale, timezone = locale_fields(org)
        errors = FieldErrors(
            name=name,
            slug=slug,
            support_email=support,
            welcome_message=welcome,
            accent_color=accent,
            locale=locale,
            timezone=timezone,
        )
        link = copy_link("Portal link", portal_url(org.slug))

        async def save() -> None:
            changes = organizations.OrganizationChanges(
                name=name.value,
                slug=slug.value,
                accent_color=accent.value,
                welcome_message=welcome.value,
                support_email=support.value,
                portal_enabled=portal.value,
                locale=locale.value or "",
                timezone=timezone.value or "",
                require_sso=sso.value if sso else None,
            )
            try:
                view = await organizations.update_organization(actor, changes)
            except ServiceError as exc:
                errors.show(getattr(exc, "field", None), exc.message)
                return
            errors.clear()
            link.value = portal_url(view.slug)
            slug.value = view.slug
            ui.notify("Settings saved", type="positive")

        save_button = ui.button("Save settings", on_click=save)
        if not editable:
            for field in (name, slug, support, welcome, accent, portal, locale, timezone, save_button):
                field.disable()
            if sso:
                sso.disable()


async def token_section(actor: StaffActor, formats: formatting.Formats) -> None:
    @ui.refreshable
    async def token_list() -> None:
        tokens = await api_tokens.list_tokens(actor)
        if not tokens:
            ui.label("You have no API tokens.").classes("text-gray-500 text-sm")
        for token in tokens:
            with ui.row().classes("w-full items-center gap-4 border-b border-gray-200 py-1 text-sm"):
                ui.label(token.name).classes("font-medium flex-1")
                ui.label(f"{token.prefix}…").classes("font-mono")
                ui.label(f"used {formats.day(token.last_used_at)}" if token.last_used_at else "never used").classes(
                    "text-gray-500"
                )
                ui.button("Revoke", on_click=lambda t=token: revoke(t)).props("flat dense color=negative")

    async def revoke(token: api_tokens.ApiTokenRow) -> None:
        try:
            await api_tokens.revoke_token(actor, token.id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
        else:
            ui.notify(f"Revoked {token.name}", type="positive")
        await token_list.refresh()

    async def create() -> None:
        try:
            value = await api_tokens.create_token(actor, label.value)
        except ServiceError as exc:
            errors.show(getattr(exc, "field", None), exc.message)
            return
        errors.clear()
        label.value = ""
        shown.value = value
        shown_row.set_visibility(True)
        await token_list.refresh()

    with ui.card().classes("w-full").props("flat bordered"):
        ui.label("API tokens").classes("text-lg font-semibold")
        ui.label(
            f"Tokens act as you in this organization. API documentation: {get_settings().base_url}/api/docs"
        ).classes("text-sm text-gray-600")
        with ui.row().classes("w-full items-start gap-3"):
            label = ui.input("Token name", placeholder="e.g. accounting sync").props("outlined dense").classes("flex-1")
            ui.button("Create token", on_click=create)
        errors = FieldErrors(name=label)
        with ui.column().classes("w-full gap-1") as shown_row:
            ui.label("Copy this token now: it is shown only once.").classes("text-amber-700 text-sm")
            shown = copy_link("New token", "")
        shown_row.set_visibility(False)
        await token_list()


@staff_page("/settings")
async def settings_page(context: StaffPage, stripe: str = "") -> RedirectResponse | None:
    """`?stripe=` says how the way back from Stripe's onboarding went (portal_app.routes.stripe_connect)."""
    org = context.org
    invoicing = await organizations.get_invoice_settings(context.actor)
    uploads = await upload_settings.get_upload_settings(context.actor)
    wordings = await wording.list_own_wordings(context.actor)
    with frame(context, "Settings"):
        organization_form(context.actor, org)
        invoicing_form(context.actor, invoicing)
        logo_form(context.actor, org.slug, invoicing)
        uploads_form(context.actor, uploads)
        documents_form(context.actor, wordings)
        await stripe_section(context, stripe)
        await token_section(context.actor, org.formats)
        await undelivered_section(context.actor, org.formats)
    return None
