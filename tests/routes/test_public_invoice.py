"""The public invoice link `/i/{token}` and its PDF, over HTTP against the whole app."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from datetime import date

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from models.audit import AuditEvent
from models.invoices import Invoice, InvoiceView
from services.billing import invoice_access, invoice_views, invoices, manual_payments
from services.billing.invoice_views import InvoiceDetail
from services.billing.invoices import LineInput
from services.clients import clients
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.organizations import organizations
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import issue_invoice
from tests.support.locales import speak

NO_TRACE = {"referrer-policy": "no-referrer", "cache-control": "no-store", "x-robots-tag": "noindex"}


def token_of(detail: InvoiceDetail) -> str:
    return invoice_views.public_token(detail.id)


def assert_no_trace(response: httpx.Response) -> None:
    for header, value in NO_TRACE.items():
        assert response.headers[header] == value, header


@pytest.fixture
async def acme(app_client: httpx.AsyncClient) -> OrgWorld:
    world = await make_world("acme")
    await organizations.update_invoice_settings(
        world.actor, organizations.InvoiceSettingsChanges(payment_instructions="Pay to IBAN GB33 BUKB 2020 1555 55")
    )
    return world


async def test_the_link_shows_the_invoice(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    detail = await issue_invoice(acme, notes="Thanks!")
    response = await app_client.get(f"/i/{token_of(detail)}")
    assert response.status_code == 200
    assert_no_trace(response)
    page = response.text
    for expected in (
        detail.number,
        "Acme",  # the seller
        "Acme Client",  # the buyer
        "Website design",
        "$1,200.00",  # 10 × 120.00
        "Total</td><td>$1,440.00",
        "Amount paid</td><td>$0.00",
        "Amount due</td><td>$1,440.00",
        "Pay to IBAN GB33 BUKB 2020 1555 55",
        "Thanks!",
        f'href="/i/{token_of(detail)}/pdf"',
        "Download PDF",
        ">Sent<",
    ):
        assert expected in page, expected
    assert "coming soon" not in page.lower()
    assert "/pay" not in page  # no Stripe key in this app: no Pay button


async def test_every_view_is_recorded(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    detail = await issue_invoice(acme)
    for _ in range(2):
        assert (
            await app_client.get(f"/i/{token_of(detail)}", headers={"User-Agent": "Scanner/1.0"})
        ).status_code == 200
    async with unit_of_work(SystemActor()) as session:
        views = list(await session.scalars(select(InvoiceView).where(InvoiceView.invoice_id == detail.id)))
        audits = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "invoice.viewed", AuditEvent.target_id == detail.id)
            )
        )
    assert [(v.via, v.user_agent, v.contact_id, v.org_id) for v in views] == [
        ("public", "Scanner/1.0", None, acme.actor.org_id)
    ] * 2
    assert len(audits) == 2 and audits[0].detail["via"] == "public" and audits[0].org_id == acme.actor.org_id


async def test_a_draft_has_no_public_face(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    draft = await issue_invoice(acme, send=False)
    voided = await invoices.void_invoice(acme.actor, (await issue_invoice(acme, send=False)).id)
    for detail in (draft, voided):  # a draft voided before it went out never had a public face either
        for path in (f"/i/{token_of(detail)}", f"/i/{token_of(detail)}/pdf"):
            response = await app_client.get(path)
            assert response.status_code == 404, path
            assert detail.number not in response.text and "Website design" not in response.text
            assert_no_trace(response)
        assert await count(InvoiceView, InvoiceView.invoice_id == detail.id) == 0


async def test_a_sent_then_voided_invoice_says_it_is_void(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    detail = await invoices.void_invoice(acme.actor, (await issue_invoice(acme)).id)
    response = await app_client.get(f"/i/{token_of(detail)}")
    assert response.status_code == 200
    assert ">Void<" in response.text and "This invoice was voided" in response.text
    assert "Pay to IBAN" not in response.text  # nothing to pay on a void invoice


async def test_overdue_and_payments_show(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    detail = await issue_invoice(acme, issue_date=date(2025, 1, 1), due_date=date(2025, 1, 31))
    await manual_payments.record_payment(
        acme.actor, detail.id, manual_payments.PaymentInput("440.00", paid_on=date(2025, 2, 3))
    )
    page = (await app_client.get(f"/i/{token_of(detail)}")).text
    assert ">Overdue<" in page
    assert "Amount paid</td><td>$440.00" in page and "Amount due</td><td>$1,000.00" in page
    assert "Feb 3, 2025 · Paid $440.00" in page


async def test_a_german_agencys_link_and_pdf_read_the_german_way(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    await speak(acme, "de_DE", "Europe/Berlin")
    lines = [LineInput("Beratung", "2.5", "3658.00")]
    detail = await issue_invoice(
        acme, currency="EUR", lines=lines, issue_date=date(2026, 11, 29), due_date=date(2026, 12, 29)
    )
    await manual_payments.record_payment(
        acme.actor, detail.id, manual_payments.PaymentInput("1000.00", paid_on=date(2026, 11, 30))
    )
    page = (await app_client.get(f"/i/{token_of(detail)}")).text.replace("\xa0", " ")
    for expected in (
        "Issued 29.11.2026",
        "Due 29.12.2026",
        ">2,5</td>",  # the quantity
        ">3.658,00 €</td>",  # the unit price
        "Total</td><td>9.145,00 €",
        "Amount due</td><td>8.145,00 €",
        "30.11.2026 · Paid 1.000,00 €",
    ):
        assert expected in page, expected
    assert "9145.00" not in page and "EUR" not in page
    response = await app_client.get(f"/i/{token_of(detail)}/pdf")
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    for expected in ("Issue date: 29.11.2026", "Due date: 29.12.2026", "3.658,00 €", "Amount due 8.145,00 €"):
        assert expected in text, expected


async def test_unknown_and_malformed_tokens_are_not_found_without_a_lookup(
    app_client: httpx.AsyncClient, acme: OrgWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    detail = await issue_invoice(acme)
    unknown = secrets.token_hex(32)
    response = await app_client.get(f"/i/{unknown}")
    assert response.status_code == 404 and "Invoice not found" in response.text
    assert_no_trace(response)

    async def no_lookup(*args: object, **kwargs: object) -> None:
        raise AssertionError("a malformed token reached the lookup")

    monkeypatch.setattr(invoice_access, "open_public", no_lookup)
    good = token_of(detail)
    for token in ("abc", good[:-1], good + "0", good.upper(), "g" * 64, "x" * 5000, "%00" * 30, "'%20OR%201=1--"):
        for suffix in ("", "/pdf"):
            response = await app_client.get(f"/i/{token}{suffix}")
            assert response.status_code == 404, (token[:20], suffix)
            assert detail.number not in response.text
    assert await count(InvoiceView, InvoiceView.invoice_id == detail.id) == 0


async def test_the_pdf_downloads_and_is_recorded(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    detail = await issue_invoice(acme)
    response = await app_client.get(f"/i/{token_of(detail)}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{detail.number}.pdf"'
    assert_no_trace(response)
    assert response.content.startswith(b"%PDF")
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert detail.number in text and "Amount due $1,440.00" in text and "Pay to IBAN GB33" in text
    assert await count(InvoiceView, InvoiceView.invoice_id == detail.id, InvoiceView.via == "pdf") == 1


async def test_the_token_is_256_bits_and_stored_only_as_its_hash(acme: OrgWorld) -> None:
    first, second = await issue_invoice(acme), await issue_invoice(acme)
    token = token_of(first)
    assert re.fullmatch(r"[0-9a-f]{64}", token)  # 64 hex digits: 256 bits (≥ 128 required)
    assert token != token_of(second) and first.public_url.endswith(f"/i/{token}")
    async with unit_of_work(SystemActor()) as session:
        stored = await session.scalar(select(Invoice.public_token_hash).where(Invoice.id == first.id))
    assert stored == hashlib.sha256(token.encode()).hexdigest() and stored != token


async def test_user_text_is_escaped(app_client: httpx.AsyncClient, acme: OrgWorld) -> None:
    evil = "<script>alert(1)</script>"
    client = await clients.create_client(
        acme.actor, clients.ClientInput(name=evil, email="evil@client.test", address=f'<img src=x onerror="{evil}">')
    )
    detail = await issue_invoice(
        acme, client_id=client.id, lines=[LineInput(f"Design {evil} & <b>more</b>", "1", "10.00")], notes=evil
    )
    page = (await app_client.get(f"/i/{token_of(detail)}")).text
    assert evil not in page and "<img src=x" not in page and "<b>more</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Design &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;more&lt;/b&gt;" in page
