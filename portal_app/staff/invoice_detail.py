"""One invoice for staff: lines, totals, payments and card attempts, the public link, and what can be done next."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi.responses import RedirectResponse
from nicegui import ui

from components.confirm import confirm as ask_first
from components.copy_link import copy_link
from components.date_input import date_input
from components.forms import FieldErrors, dialog_actions
from components.invoice_totals import invoice_totals
from components.status_badge import status_badge
from components.table_columns import column
from models.invoices import InvoiceStatus
from portal_app.live import follow, staff_hears
from portal_app.responses import pdf_path
from portal_app.staff.layout import StaffPage, frame, not_found, staff_page
from portal_app.staff.send_dialog import send_dialog
from services.billing import how_to_pay, invoice_views, invoices, manual_payments, presentation
from services.billing.invoice_views import PORTAL_STATUSES, InvoiceDetail
from services.billing.presentation import line_amount_minor, payment_text, totals_rows
from services.card_payments import checkout_views, stripe_accounts
from services.card_payments.checkout_views import AttemptRow
from services.core import clock, money
from services.core.actors import StaffActor
from services.core.errors import NotFound, ServiceError
from services.core.events import InvoicePaymentChanged
from services.core.formatting import Formats

LINE_COLUMNS = [
    column("description", "Description"),
    column("quantity", "Quantity", align="right"),
    column("unit_price", "Unit price", align="right"),
    column("tax_rate", "Tax", align="right"),
    column("amount", "Amount", align="right"),
]

Refresh = Callable[[InvoiceDetail], Awaitable[None]]

ATTEMPT_VIA = {"portal": "Portal", "public": "Public link"}
# Card payment attempts as staff read them; the colour says which ones need a look.
ATTEMPT_STATUS = {
    "creating": ("Starting", "grey"),
    "open": ("Waiting for the payer", "primary"),
    "pending": ("Bank payment processing", "warning"),
    "paid": ("Paid", "positive"),
    "failed": ("Failed", "negative"),
    "expired": ("Expired unpaid", "grey"),
    "error": ("Stripe error", "grey"),
    "review": ("Needs review", "negative"),
}
FLAGGED = ("failed", "review")


def _no_way_to_pay(detail: InvoiceDetail) -> str:
    if how_to_pay.instructions_missing(detail.payment_instructions, card_payments=detail.card_payments):
        return (
            "There are no payment instructions and no card payments: the client will not be told how to pay. "
            "Add payment instructions in Settings, or send it anyway."
        )
    return ""


def payment_dialog(
    actor: StaffActor, current: Callable[[], InvoiceDetail], refresh: Refresh, formats: Formats
) -> Callable:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        title = ui.label().classes("text-lg font-semibold")
        amount_input = ui.input("Amount").props("outlined").classes("w-full")
        paid_on = date_input("Date", mask=formats.date_mask).classes("w-full")
        method = ui.select(manual_payments.PAYMENT_METHODS, label="Method", value="bank_transfer").props("outlined")
        method.classes("w-full")
        reference = ui.input("Reference").props("outlined").classes("w-full")
        errors = FieldErrors(amount=amount_input, paid_on=paid_on, method=method, reference=reference)

        async def save() -> None:
            try:
                day = formats.read_day(paid_on.value, "paid_on", "The payment date")
                data = manual_payments.PaymentInput(
                    amount=amount_input.value or "",
                    paid_on=day,
                    method=method.value or "",
                    reference=reference.value or "",
                )
                detail = await manual_payments.record_payment(actor, current().id, data)
            except ServiceError as exc:
                errors.show(getattr(exc, "field", None), exc.message)
                return
            dialog.close()
            ui.notify(
                f"Payment recorded; {detail.number} is {invoice_views.STATUS_LABELS[detail.status].lower()}.",
                type="positive",
            )
            await refresh(detail)

        dialog_actions(dialog, "Save payment", save)

    def open_dialog() -> None:
        detail = current()
        title.text = f"Record a payment for {detail.number}"
        amount_input.value = str(money.from_minor(detail.amount_due_minor, detail.currency))
        amount_input.props(f'suffix="{detail.currency}"')
        paid_on.value = formats.input_day(clock.now().date())
        method.value, reference.value = "bank_transfer", ""
        errors.clear()
        dialog.open()

    return open_dialog


def void_dialog(actor: StaffActor, current: Callable[[], InvoiceDetail], refresh: Refresh) -> Callable:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        title = ui.label().classes("text-lg font-semibold")
        ui.label("A void invoice stays in the records but can no longer be sent or paid.").classes("text-sm")

        async def void() -> None:
            try:
                detail = await invoices.void_invoice(actor, current().id)
            except ServiceError as exc:
                ui.notify(exc.message, type="negative")
                return
            dialog.close()
            ui.notify(f"{detail.number} is void.", type="positive")
            await refresh(detail)

        with ui.row().classes("w-full justify-end"):
            ui.button("Cancel", on_click=dialog.close).props("flat")
            ui.button("Void invoice", on_click=void).props("color=negative").mark("confirm-void")

    def open_dialog() -> None:
        title.text = f"Void {current().number}?"
        dialog.open()

    return open_dialog


def summary(detail: InvoiceDetail) -> None:
    formats = detail.formats
    with ui.grid(columns=2).classes("gap-x-8 gap-y-1 text-sm"):
        ui.label("Client").classes("text-gray-500")
        ui.link(detail.buyer.name, f"/clients/{detail.client_id}")
        for label, value in (
            ("Project", detail.project_name),
            ("Issued", formats.day(detail.issue_date)),
            ("Due", formats.day(detail.due_date)),
            ("Sent", formats.moment(detail.sent_at) if detail.sent_at else "not yet"),
        ):
            ui.label(label).classes("text-gray-500")
            ui.label(value or "—")


def lines_and_totals(detail: InvoiceDetail) -> None:
    formats = detail.formats
    rows = [
        {
            "id": n,
            "description": line.description,
            "quantity": formats.number(line.quantity),
            "unit_price": formats.money(line.unit_price_minor, detail.currency),
            "tax_rate": formats.percent(line.tax_rate),
            "amount": formats.money(line_amount_minor(line, detail.discount_percent), detail.currency),
        }
        for n, line in enumerate(detail.lines)
    ]
    ui.table(columns=LINE_COLUMNS, rows=rows, row_key="id").props(
        'flat bordered hide-bottom :grid="Quasar.Screen.lt.sm"'
    ).classes("w-full")
    invoice_totals(totals_rows(detail))
    for label, text in (("Notes", detail.notes), ("Terms", detail.terms)):
        if text:
            ui.label(label).classes("text-sm text-gray-500 mt-2")
            ui.label(text).classes("whitespace-pre-line text-sm")


def payment_list(detail: InvoiceDetail) -> None:
    formats = detail.formats
    if not detail.payments:
        ui.label("No payments yet.").classes("text-gray-500 text-sm")
    for payment in detail.payments:
        with ui.row().classes("w-full items-center gap-4 border-b border-gray-200 py-1 text-sm"):
            ui.label(formats.day(payment.paid_on)).classes("w-28")
            ui.label(manual_payments.PAYMENT_METHODS.get(payment.method, payment.method)).classes("w-32")
            ui.label(payment.reference or "").classes("flex-1 text-gray-600")
            ui.label(payment_text(payment.amount_minor, payment.currency, formats)).classes("tabular-nums")


def attempt_list(attempts: list[AttemptRow], formats: Formats) -> None:
    """Each press of Pay and what became of it; failed ones and those needing review stand out."""
    for attempt in attempts:
        label, colour = ATTEMPT_STATUS.get(attempt.status, (attempt.status, "grey"))
        flagged = attempt.status in FLAGGED
        tint = " bg-red-50" if flagged else ""
        with (
            ui.row()
            .classes("w-full items-center gap-4 border-b border-gray-200 py-1 text-sm" + tint)
            .mark(f"attempt-{attempt.status}")
        ):
            ui.label(formats.moment(attempt.created_at)).classes("w-44")
            ui.label(ATTEMPT_VIA.get(attempt.via, attempt.via)).classes("w-24")
            ui.label(formats.money(attempt.amount_minor, attempt.currency)).classes("w-32 tabular-nums")
            ui.badge(label, color=colour).props("" if flagged else "outline")
            ui.label(attempt.error).classes("flex-1 " + ("text-negative" if flagged else "text-gray-600"))
            if attempt.stripe_session_id:
                ui.label(attempt.stripe_session_id).classes("font-mono text-xs text-gray-500 break-all")


@dataclass(frozen=True)
class Actions:
    send: Callable[[], Any]
    record_payment: Callable[[], Any]
    void: Callable[[], Any]
    duplicate: Callable[[], Any]
    delete: Callable[[], Any]


def card_payments(shown: InvoiceDetail, attempts: list[AttemptRow], no_cards: str) -> None:
    """The invoice's card payment attempts, and why the client sees no Pay button on it when they do not."""
    if attempts:
        with ui.card().classes("w-full").props("flat bordered").mark("card-payments"):
            ui.label("Card payments").classes("text-lg font-semibold")
            attempt_list(attempts, shown.formats)
    if not no_cards or shown.status not in invoice_views.OPEN_STATUSES:
        return
    with ui.row().classes("w-full items-center gap-2 rounded bg-amber-50 px-4 py-2").mark("no-card-payments"):
        ui.icon("credit_card_off").classes("text-amber-800")
        ui.label(no_cards).classes("text-sm text-amber-900")
        ui.link("Settings", "/settings").classes("text-sm")


def actions(shown: InvoiceDetail, do: Actions) -> None:
    """The invoice's buttons, those its status allows."""
    if shown.status == "draft":
        ui.button("Edit", icon="edit", on_click=lambda: ui.navigate.to(f"/invoices/{shown.id}/edit")).mark(
            "action-edit"
        )
    if shown.status != "void":
        ui.button("Send" if shown.status == "draft" else "Resend", icon="send", on_click=do.send).mark("action-send")
    if shown.status in invoice_views.OPEN_STATUSES:
        ui.button("Record payment", icon="payments", on_click=do.record_payment).mark("action-payment")
    ui.button("Duplicate", icon="content_copy", on_click=do.duplicate).props("flat").mark("action-duplicate")
    if shown.status != "void" and not shown.amount_paid_minor:
        ui.button("Void", icon="block", on_click=do.void).props("flat color=negative").mark("action-void")
    if shown.status == "draft":  # a draft was never sent: it can go altogether, and its hours with it
        ui.button("Delete draft", icon="delete", on_click=do.delete).props("flat color=negative").mark("action-delete")


@staff_page("/invoices/{invoice_id}")
async def invoice_page(context: StaffPage, invoice_id: str, send: str = "") -> RedirectResponse | None:
    """`?send=1` (the editor's "Save and send") opens the send dialog at once, with its recipients to confirm."""
    actor = context.actor
    try:
        detail = await invoices.get_invoice(actor, invoice_id)
    except NotFound:
        with frame(context, "Invoice"):
            not_found("This invoice does not exist.")
        return None
    state = {"detail": detail}
    attempts = await checkout_views.list_attempts(actor, detail.id)
    no_cards = "" if detail.card_payments else (await stripe_accounts.account_view(actor)).why_not

    def current() -> InvoiceDetail:
        return state["detail"]

    async def refresh(new: InvoiceDetail) -> None:
        state["detail"] = new
        content.refresh()

    async def reload() -> None:
        """A card payment landed: the invoice and its attempts as they are now."""
        nonlocal attempts
        try:
            new = await invoices.get_invoice(actor, detail.id)
            attempts = await checkout_views.list_attempts(actor, detail.id)
        except NotFound:  # gone meanwhile: say so the way a fresh load would
            ui.navigate.reload()
            return
        await refresh(new)

    async def duplicate() -> None:
        try:
            copy = await invoices.duplicate_invoice(actor, current().id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return
        ui.notify(f"Copied to the new draft {copy.number}", type="positive")
        ui.navigate.to(f"/invoices/{copy.id}/edit")

    async def delete() -> None:
        shown = current()
        if not await ask_first(
            f"Delete the draft {shown.number}?",
            "It is gone for good; its number is not used again. Hours it billed can be billed again.",
            "Delete draft",
        ):
            return
        try:
            await invoices.delete_draft(actor, shown.id)
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
            return
        ui.notify(f"Deleted the draft {shown.number}", type="positive")
        ui.navigate.to("/invoices")

    @ui.refreshable
    def content() -> None:
        shown = current()
        with ui.card().classes("w-full").props("flat bordered"):
            with ui.row().classes("w-full items-center gap-3"):
                ui.label(shown.number).classes("text-xl font-semibold")
                badge = presentation.status_badge(shown.display_status)
                status_badge(badge.label, badge.color).mark("invoice-status")
                ui.space()
                actions(shown, Actions(open_send, open_payment, open_void, duplicate, delete))
            summary(shown)
        with ui.card().classes("w-full").props("flat bordered"):
            lines_and_totals(shown)
        with ui.card().classes("w-full").props("flat bordered"):
            ui.label("Payments").classes("text-lg font-semibold")
            payment_list(shown)
        card_payments(shown, attempts, no_cards)
        with ui.card().classes("w-full").props("flat bordered"):
            ui.label("Public link").classes("text-lg font-semibold")
            if shown.status in PORTAL_STATUSES:
                ui.label(
                    "Anyone with this link can view, download and pay the invoice; each view is recorded."
                ).classes("text-sm text-gray-600")
                copy_link("Public link", shown.public_url)
            else:  # the link answers "not found" for a draft or a void invoice: offering it would mislead
                draft = shown.status == InvoiceStatus.draft
                note = "No public link yet: it works once the invoice is sent." if draft else "A void invoice has none."
                ui.label(note).classes("text-sm text-gray-600").mark("no-public-link")
            ui.link("Download PDF", pdf_path(shown.id), new_tab=True).classes("text-sm").mark("invoice-pdf")

    with frame(context, f"Invoice {detail.number}"):
        ui.link("← All invoices", "/invoices").classes("text-sm")
        open_send = send_dialog(
            current,
            recipients=lambda detail: invoices.list_recipients(actor, detail.id),
            send=lambda detail: invoices.send_invoice(actor, detail.id),
            refresh=refresh,
            goes="The invoice, its link and its PDF go to:",
            warning=_no_way_to_pay,
            warning_marker="send-without-payment-instructions",
        )
        open_payment = payment_dialog(actor, current, refresh, detail.formats)
        open_void = void_dialog(actor, current, refresh)
        content()
        if send and detail.status == InvoiceStatus.draft:
            await open_send()
    # A card payment landing on this invoice (a webhook, a payer's return) redraws it without a reload.
    follow(InvoicePaymentChanged, lambda event: staff_hears(actor, event) and event.invoice_id == detail.id, reload)
    return None
