"""Invoicing settings and the logo: the service's validation, and the Settings page's two cards."""

from __future__ import annotations

import dataclasses
import struct
import zlib

import httpx
import pytest
from nicegui import ui
from nicegui.testing.user import User

from models.organizations import Role
from services.core import audit
from services.core.db import Database
from services.core.errors import Forbidden, Invalid
from services.organizations import organizations
from services.organizations.organizations import InvoiceSettingsChanges
from tests.support.factories import make_org, make_world
from tests.support.pages import eventually, signed_in


def tiny_png() -> bytes:
    """A real 1×1 RGB PNG: signature, IHDR, IDAT, IEND, with their CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x4f\x46\xe5"))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (InvoiceSettingsChanges(invoice_prefix="INV 2026"), "invoice_prefix"),  # a space
        (InvoiceSettingsChanges(invoice_prefix="A" * 21), "invoice_prefix"),
        (InvoiceSettingsChanges(page_size="A5"), "page_size"),
        (InvoiceSettingsChanges(default_currency="EURO"), "default_currency"),
        (InvoiceSettingsChanges(payment_terms_days="366"), "payment_terms_days"),
        (InvoiceSettingsChanges(payment_terms_days="-1"), "payment_terms_days"),
        (InvoiceSettingsChanges(payment_terms_days="7.5"), "payment_terms_days"),
        (InvoiceSettingsChanges(reminder_schedule="-3, 0, 7, 7"), "reminder_schedule"),
        (InvoiceSettingsChanges(reminder_schedule="-61"), "reminder_schedule"),
        (InvoiceSettingsChanges(reminder_schedule="366"), "reminder_schedule"),
        (InvoiceSettingsChanges(reminder_schedule="1,2,3,4,5,6,7,8,9,10,11"), "reminder_schedule"),
        (InvoiceSettingsChanges(reminder_schedule="a week"), "reminder_schedule"),
        (InvoiceSettingsChanges(payment_instructions="x" * 2001), "payment_instructions"),
        (InvoiceSettingsChanges(address="x" * 1001), "address"),
    ],
)
async def test_invoice_settings_are_validated(database: Database, changes: InvoiceSettingsChanges, field: str) -> None:
    actor = await make_org("acme")
    before = await organizations.get_invoice_settings(actor)
    with pytest.raises(Invalid) as raised:
        await organizations.update_invoice_settings(actor, changes)
    assert raised.value.field == field
    assert await organizations.get_invoice_settings(actor) == before


async def test_invoice_settings_save_normalised_and_audited(database: Database) -> None:
    actor = await make_org("acme")
    saved = await organizations.update_invoice_settings(
        actor,
        InvoiceSettingsChanges(
            invoice_prefix="AC/2026-",
            page_size="Letter",
            default_currency="eur",
            payment_terms_days="14",
            reminder_schedule=" 30, -60 ,0; 365",
            payment_instructions="IBAN DE00 1234",
        ),
    )
    assert (saved.invoice_prefix, saved.page_size, saved.default_currency, saved.payment_terms_days) == (
        "AC/2026-",
        "Letter",
        "EUR",
        14,
    )
    assert saved.reminder_schedule == (-60, 0, 30, 365)
    assert await organizations.get_invoice_settings(actor) == saved
    events = await audit.list_events(actor, audit.AuditFilter(action="org.invoice_settings_updated"))
    assert events.total == 1 and events.items[0].detail["default_currency"] == ["USD", "EUR"]
    member = dataclasses.replace(actor, role=Role.member)
    with pytest.raises(Forbidden):
        await organizations.update_invoice_settings(member, InvoiceSettingsChanges(page_size="A4"))
    with pytest.raises(Forbidden):
        await organizations.update_logo(member, tiny_png())


async def test_logo_is_checked_by_content(database: Database) -> None:
    actor = await make_org("acme")
    for data, message in (
        (b"just some text, named logo.png", "PNG or JPEG"),
        (b"GIF89a\x01\x00\x01\x00", "PNG or JPEG"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * organizations.MAX_LOGO_BYTES, "512 KB"),
    ):
        with pytest.raises(Invalid, match=message):
            await organizations.update_logo(actor, data)
    assert not (await organizations.get_invoice_settings(actor)).has_logo
    jpeg = await organizations.update_logo(actor, b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    assert (jpeg.has_logo, jpeg.logo_content_type) == (True, "image/jpeg")
    removed = await organizations.remove_logo(actor)
    assert (removed.has_logo, removed.logo_content_type) == (False, "")
    actions = {e.action for e in (await audit.list_events(actor, audit.AuditFilter())).items}
    assert {"org.logo_updated", "org.logo_removed"} <= actions


async def test_settings_page_saves_invoicing_settings(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/settings")
    await user.should_see("Invoicing")
    fields = {e.props.get("label"): e for e in user.find(ui.input).elements}
    assert fields["Reminder schedule"].value == "-3, 0, 7, 14, 30"
    fields["Reminder schedule"].value = "-3, 0, soon"
    fields["Invoice number prefix"].value = "AC-"
    user.find(kind=ui.button, content="Save invoicing settings").click()
    await eventually(lambda: fields["Reminder schedule"].props.get("error-message"))
    assert "whole number" in fields["Reminder schedule"].props["error-message"]
    assert (await organizations.get_invoice_settings(world.actor)).invoice_prefix == "INV-"
    fields["Reminder schedule"].value = "14, -7, 0"
    fields["Default currency"].value = "gbp"
    fields["Payment terms (days)"].value = "45"
    fields["Payment instructions"].value = "Sort code 00-00-00"
    fields["Organization address"].value = "1 High Street\nLondon"
    next(e for e in user.find(ui.select).elements if e.props.get("label") == "PDF page size").value = "Letter"
    user.find(kind=ui.button, content="Save invoicing settings").click()
    await user.should_see("Invoicing settings saved", retries=50)
    saved = await organizations.get_invoice_settings(world.actor)
    assert (saved.invoice_prefix, saved.default_currency, saved.payment_terms_days, saved.page_size) == (
        "AC-",
        "GBP",
        45,
        "Letter",
    )
    assert saved.reminder_schedule == (-7, 0, 14)
    assert (saved.payment_instructions, saved.address) == ("Sort code 00-00-00", "1 High Street\nLondon")
    assert fields["Reminder schedule"].value == "-7, 0, 14"
    assert fields["Reminder schedule"].props.get("error-message") is None


async def test_settings_page_uploads_a_png_logo_and_refuses_a_renamed_text_file(
    user: User, app_client: httpx.AsyncClient
) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/settings")
    await user.should_see("No logo yet", retries=50)
    upload = next(iter(user.find(ui.upload).elements))

    await upload.handle_uploads([ui.upload.SmallFileUpload("logo.png", "image/png", b"Hello, I am text.")])
    await user.should_see("The logo must be a PNG or JPEG image.", retries=50)
    assert not (await organizations.get_invoice_settings(world.actor)).has_logo

    png = tiny_png()
    await upload.handle_uploads([ui.upload.SmallFileUpload("logo.png", "image/png", png)])
    await user.should_see("Logo saved", retries=50)
    await user.should_see(marker="logo-preview")
    assert (await organizations.get_invoice_settings(world.actor)).logo_content_type == "image/png"
    served = await app_client.get("/portal/acme/logo")
    assert served.status_code == 200 and served.content == png

    user.find(kind=ui.button, content="Remove logo").click()
    await user.should_see("Logo removed", retries=50)
    assert not (await organizations.get_invoice_settings(world.actor)).has_logo
