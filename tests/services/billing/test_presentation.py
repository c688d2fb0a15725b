"""One invoice presentation: the PDF, the public page, the portal and the staff page read the same totals and status."""

from __future__ import annotations

import io
from datetime import date

import httpx
from nicegui import ui
from nicegui.testing.user import User
from pypdf import PdfReader

from services.billing import invoice_views, invoices, manual_payments
from services.billing.invoice_pdf import render_invoice
from services.billing.invoices import InvoiceInput, LineInput
from services.billing.presentation import STATUS_TONES, TONE_COLORS, status_badge, totals_rows
from tests.support.factories import make_world
from tests.support.invoicing import mark_sent
from tests.support.pages import signed_in
from tests.support.portal import sign_in_contact
from tests.support.ui import new_user


def totals_shown(user: User) -> list[tuple[str, str]]:
    """The totals grid's labels in the order they are drawn, paired up: (label, amount)."""
    grid = next(iter(user.find(marker="invoice-totals").elements))
    texts = [child.text for child in grid.default_slot.children if isinstance(child, ui.label)]
    return list(zip(texts[::2], texts[1::2], strict=True))


async def test_every_rendering_shows_the_same_totals_rows(user: User, app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    drafted = await invoices.create_invoice(
        world.actor,
        InvoiceInput(
            client_id=world.client.id,
            lines=[LineInput("Design", "3", "400.00", "20"), LineInput("Hosting", "1", "50.00")],
            discount_percent="10",
            due_date=date(2030, 1, 1),
        ),
    )
    await mark_sent(drafted.id)
    await manual_payments.record_payment(world.actor, drafted.id, manual_payments.PaymentInput("100.00"))
    detail = await invoices.get_invoice(world.actor, drafted.id)
    pairs = [(row.label, row.text) for row in totals_rows(detail)]
    assert [label for label, _ in pairs] == ["Subtotal", "Discount (10%)", "Tax", "Total", "Amount paid", "Amount due"]

    pdf_text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(render_invoice(detail))).pages)
    public_html = (await app_client.get(f"/i/{invoice_views.public_token(detail.id)}")).text
    for label, amount in pairs:
        assert f"{label} {amount}" in " ".join(pdf_text.split())
        assert f"<td>{label}</td><td>{amount}</td>" in public_html

    await user.open(f"/portal/acme/invoices/{detail.id}")
    await user.should_see("Amount paid")
    assert totals_shown(user) == pairs

    staff = new_user(app_client)
    await signed_in(staff, world.owner_email)
    await staff.open(f"/invoices/{detail.id}")
    await staff.should_see("Amount paid")
    assert totals_shown(staff) == pairs


def test_each_status_has_one_label_and_one_colour() -> None:
    assert set(STATUS_TONES) == set(invoice_views.STATUS_LABELS)
    for status, label in invoice_views.STATUS_LABELS.items():
        badge = status_badge(status)
        assert (badge.label, badge.color) == (label, TONE_COLORS[STATUS_TONES[status]])
