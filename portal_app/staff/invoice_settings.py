"""The Invoicing (invoices and quotes) and Logo cards of the settings page."""

from __future__ import annotations

from nicegui import events, ui

from components.forms import FieldErrors
from services.billing import how_to_pay
from services.core import clock, money
from services.core.actors import StaffActor
from services.core.errors import ServiceError
from services.organizations import organizations
from services.organizations.organizations import InvoiceSettings

SCHEDULE_HINT = (
    "Days relative to the due date, comma-separated: -3 is three days before, 0 the due date, 7 a week after."
)


def schedule_text(days: tuple[int, ...]) -> str:
    return ", ".join(str(d) for d in days)


def invoicing_form(actor: StaffActor, settings: InvoiceSettings) -> None:
    with ui.card().classes("w-full").props("flat bordered"):
        ui.label("Invoicing").classes("text-lg font-semibold")
        with ui.row().classes("w-full gap-4"):
            prefix = ui.input("Invoice number prefix", value=settings.invoice_prefix).props("outlined")
            prefix.props('hint="The next invoice is numbered with it, e.g. INV-0042."').classes("flex-1")
            page_size = ui.select(list(organizations.PAGE_SIZES), value=settings.page_size, label="PDF page size")
            page_size.props("outlined").classes("w-40")
        with ui.row().classes("w-full gap-4"):
            quote_prefix = ui.input("Quote number prefix", value=settings.quote_prefix).props("outlined")
            quote_prefix.props('hint="The next quote is numbered with it, e.g. Q-0042."').classes("flex-1")
            validity = ui.input("Quotes valid for (days)", value=str(settings.quote_validity_days))
            validity.props(
                f"outlined type=number min=1 max={organizations.MAX_QUOTE_VALIDITY_DAYS} "
                'hint="How long a new quote stays open to accept, from its issue date."'
            ).classes("w-64")
        with ui.row().classes("w-full gap-4"):
            currency = ui.input(
                "Default currency", value=settings.default_currency, autocomplete=sorted(money.EXPONENTS)
            ).props("outlined")
            currency.classes("w-48")
            terms = ui.input("Payment terms (days)", value=str(settings.payment_terms_days))
            terms.props("outlined type=number min=0 max=365").classes("w-48")
            schedule = ui.input("Reminder schedule", value=schedule_text(settings.reminder_schedule))
            schedule.props(f'outlined hint="{SCHEDULE_HINT}"').classes("flex-1 min-w-[16rem]")
        instructions = ui.textarea("Payment instructions", value=settings.payment_instructions)
        instructions.props('outlined autogrow hint="Printed on every invoice: bank details, how to pay."')
        instructions.classes("w-full")
        # Without card payments, these instructions are all an invoice mail can tell a client about paying.
        no_way_to_pay = ui.label(
            "No payment instructions and no card payments: invoice mails will not tell clients how to pay. "
            "Add bank details or other instructions here."
        ).classes("text-sm text-warning")
        no_way_to_pay.mark("payment-instructions-missing")
        no_way_to_pay.set_visibility(
            how_to_pay.instructions_missing(settings.payment_instructions, card_payments=settings.card_payments)
        )
        address = ui.textarea("Organization address", value=settings.address).props("outlined autogrow")
        address.classes("w-full")
        errors = FieldErrors(
            invoice_prefix=prefix,
            quote_prefix=quote_prefix,
            quote_validity_days=validity,
            page_size=page_size,
            default_currency=currency,
            payment_terms_days=terms,
            reminder_schedule=schedule,
            payment_instructions=instructions,
            address=address,
        )

        async def save() -> None:
            changes = organizations.InvoiceSettingsChanges(
                invoice_prefix=prefix.value or "",
                quote_prefix=quote_prefix.value or "",
                quote_validity_days=str(validity.value or ""),
                page_size=page_size.value or "",
                default_currency=currency.value or "",
                payment_terms_days=str(terms.value or ""),
                reminder_schedule=schedule.value or "",
                payment_instructions=instructions.value or "",
                address=address.value or "",
            )
            try:
                saved = await organizations.update_invoice_settings(actor, changes)
            except ServiceError as exc:
                errors.show(getattr(exc, "field", None), exc.message)
                return
            errors.clear()
            no_way_to_pay.set_visibility(
                how_to_pay.instructions_missing(saved.payment_instructions, card_payments=saved.card_payments)
            )
            prefix.value, currency.value = saved.invoice_prefix, saved.default_currency
            quote_prefix.value, validity.value = saved.quote_prefix, str(saved.quote_validity_days)
            schedule.value = schedule_text(saved.reminder_schedule)
            ui.notify("Invoicing settings saved", type="positive")

        save_button = ui.button("Save invoicing settings", on_click=save)
        if not actor.is_admin:
            fields = (prefix, quote_prefix, validity, page_size, currency, terms, schedule, instructions, address)
            for field in (*fields, save_button):
                field.disable()


def logo_form(actor: StaffActor, slug: str, settings: InvoiceSettings) -> None:
    state = {"has_logo": settings.has_logo}

    @ui.refreshable
    def preview() -> None:
        if state["has_logo"]:
            # A fresh query string each time, so the browser shows the new logo rather than its cached one.
            ui.image(f"/portal/{slug}/logo?v={clock.now().timestamp():.0f}").classes("w-48 h-24").props(
                "fit=contain"
            ).mark("logo-preview")
            remove_button = ui.button("Remove logo", icon="delete", on_click=remove).props("flat color=negative")
            remove_button.set_enabled(actor.is_admin)
        else:
            ui.label("No logo yet: invoices and the portal show the organization's name.").classes(
                "text-sm text-gray-500"
            )

    async def uploaded(event: events.UploadEventArguments) -> None:
        try:
            await organizations.update_logo(actor, await event.file.read())
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
        else:
            state["has_logo"] = True
            ui.notify("Logo saved", type="positive")
            preview.refresh()
        upload.reset()

    async def remove() -> None:
        try:
            await organizations.remove_logo(actor)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return
        state["has_logo"] = False
        ui.notify("Logo removed", type="positive")
        preview.refresh()

    with ui.card().classes("w-full").props("flat bordered"):
        ui.label("Logo").classes("text-lg font-semibold")
        ui.label("A PNG or JPEG of at most 512 KB, shown in the portal and on invoices.").classes(
            "text-sm text-gray-600"
        )
        with ui.row().classes("w-full items-center gap-6"):
            with ui.column().classes("items-start gap-2"):
                preview()
            upload = ui.upload(
                label="Upload a logo",
                auto_upload=True,
                max_file_size=organizations.MAX_LOGO_BYTES,
                on_upload=uploaded,
                on_rejected=lambda: ui.notify("The logo must be at most 512 KB.", type="negative"),
            ).props('accept="image/png,image/jpeg" flat bordered')
            if not actor.is_admin:
                upload.disable()
