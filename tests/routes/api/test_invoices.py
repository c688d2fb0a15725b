"""The invoice endpoints of the REST API over HTTP, on SQLite and PostgreSQL: exact money strings, refusals, scoping."""

from __future__ import annotations

import uuid

import httpx
import pytest

from models import Invoice
from services.billing import invoice_views, invoices, manual_payments
from services.clients import clients
from tests.support.api import api_http
from tests.support.clock import T0
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world

TODAY = T0.date()
ROW_KEYS = {
    "id",
    "number",
    "status",
    "overdue",
    "client_id",
    "client_name",
    "currency",
    "issue_date",
    "due_date",
    "total",
    "amount_paid",
    "amount_due",
    "public_url",
}
DETAIL_KEYS = ROW_KEYS | {
    "project_id",
    "discount_percent",
    "notes",
    "terms",
    "subtotal",
    "discount",
    "tax",
    "sent_at",
    "lines",
    "payments",
}


@pytest.fixture
async def world(database, at) -> OrgWorld:
    """Acme, with the services' clock frozen so dates and overdue are fixed."""
    return await make_world("acme")


def body(world: OrgWorld, **overrides) -> dict:
    return {
        "client_id": str(world.client.id),
        "currency": "USD",
        "due_date": "2026-04-09",
        "lines": [{"description": "Design", "quantity": "10", "unit_price": "120.00", "tax_rate": "20"}],
        **overrides,
    }


async def create(api: httpx.AsyncClient, world: OrgWorld, **overrides) -> dict:
    response = await api.post("/api/v1/invoices", json=body(world, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


# --- creating ------------------------------------------------------------------------------------------------------


async def test_create_answers_201_with_exact_money_strings(api, world):
    created = await create(
        api,
        world,
        project_id=str(world.project.id),
        issue_date="2026-03-10",
        discount_percent="10",
        notes="Thank you",
        lines=[
            {"description": "Design", "quantity": "10", "unit_price": "120.05", "tax_rate": "20"},
            {"description": "Hosting", "quantity": "1.5", "unit_price": "9.99"},
        ],
    )
    assert set(created) == DETAIL_KEYS
    uuid.UUID(created["id"])
    assert {k: created[k] for k in ("number", "status", "overdue", "currency", "issue_date", "due_date")} == {
        "number": "INV-0001",
        "status": "draft",
        "overdue": False,
        "currency": "USD",
        "issue_date": "2026-03-10",
        "due_date": "2026-04-09",
    }
    # 1200.50 + 14.985→14.99 = 1215.49; 10 % off: 120.05 + 1.50; 20 % tax on 1080.45 = 216.09.
    money = {k: created[k] for k in ("subtotal", "discount", "tax", "total", "amount_paid", "amount_due")}
    assert money == {
        "subtotal": "1215.49",
        "discount": "121.55",
        "tax": "216.09",
        "total": "1310.03",
        "amount_paid": "0.00",
        "amount_due": "1310.03",
    }
    assert created["lines"] == [
        {
            "description": "Design",
            "quantity": "10",
            "unit_price": "120.05",
            "tax_rate": "20",
            "net": "1080.45",
            "tax": "216.09",
        },
        {
            "description": "Hosting",
            "quantity": "1.5",
            "unit_price": "9.99",
            "tax_rate": "0",
            "net": "13.49",
            "tax": "0.00",
        },
    ]
    assert (created["discount_percent"], created["notes"], created["payments"]) == ("10", "Thank you", [])
    assert (created["project_id"], created["client_name"], created["sent_at"]) == (
        str(world.project.id),
        "Acme Client",
        None,
    )
    assert created["public_url"] == invoice_views.public_url(uuid.UUID(created["id"]))
    fetched = await api.get(f"/api/v1/invoices/{created['id']}")
    assert (fetched.status_code, fetched.json()) == (200, created)


@pytest.mark.parametrize(
    ("currency", "line", "total"),
    [
        ("JPY", {"quantity": 3, "unit_price": 1200}, "3600"),
        ("JPY", {"quantity": "2", "unit_price": "1250", "tax_rate": "10"}, "2750"),
        ("KWD", {"quantity": "1", "unit_price": "12.5"}, "12.500"),
        ("kwd", {"quantity": "2", "unit_price": "0.125", "tax_rate": "5"}, "0.263"),
        ("BHD", {"quantity": "0.5", "unit_price": "1.001"}, "0.501"),
    ],
)
async def test_currencies_keep_their_own_decimals(api, world, currency, line, total):
    created = await create(api, world, currency=currency, lines=[{"description": "Work", **line}])
    assert (created["currency"], created["total"], created["amount_due"]) == (currency.upper(), total, total)


async def test_issue_date_defaults_to_today(api, world):
    created = await create(api, world)
    assert (created["issue_date"], created["total"]) == (TODAY.isoformat(), "1440.00")


# --- bad input -----------------------------------------------------------------------------------------------------


def line(**changes) -> list[dict]:
    return [{"description": "Design", "quantity": "1", "unit_price": "10.00", **changes}]


BAD = [
    ("unknown-currency", {"currency": "XYZ"}, "currency"),
    ("no-lines", {"lines": []}, "lines"),
    ("float-quantity", {"lines": line(quantity=0.1)}, "quantity"),
    ("float-price", {"lines": line(unit_price=10.5)}, "unit_price"),
    ("float-integral", {"lines": line(unit_price=10.0)}, "unit_price"),
    ("float-tax", {"lines": line(tax_rate=20.0)}, "tax_rate"),
    ("bool-quantity", {"lines": line(quantity=True)}, "quantity"),
    ("null-price", {"lines": line(unit_price=None)}, "unit_price"),
    ("negative-quantity", {"lines": line(quantity="-1")}, "lines.0.quantity"),
    ("zero-quantity", {"lines": line(quantity=0)}, "lines.0.quantity"),
    ("negative-price", {"lines": line(unit_price="-10.00")}, "lines.0.unit_price"),
    ("too-many-decimals", {"lines": line(unit_price="10.005")}, "lines.0.unit_price"),
    ("jpy-decimals", {"currency": "JPY", "lines": line(unit_price="10.5")}, "lines.0.unit_price"),
    ("not-a-number", {"lines": line(quantity="ten")}, "lines.0.quantity"),
    ("comma-number", {"lines": line(unit_price="1,000.00")}, "lines.0.unit_price"),
    ("tax-over-100", {"lines": line(tax_rate="150")}, "lines.0.tax_rate"),
    ("discount-decimals", {"discount_percent": "5.555"}, "discount_percent"),
    ("impossible-date", {"due_date": "2026-02-30"}, "due_date"),
    ("not-a-date", {"due_date": "next friday"}, "due_date"),
    ("date-number", {"due_date": 20260409}, "due_date"),
    ("missing-due-date", {"due_date": None}, "due_date"),
    ("due-before-issue", {"issue_date": "2026-03-10", "due_date": "2026-03-09"}, "due_date"),
    ("unknown-key", {"colour": "red"}, "colour"),
    ("unknown-line-key", {"lines": line(sku="X1")}, "sku"),
    ("blank-description", {"lines": line(description=" ")}, "lines.0.description"),
    ("client-malformed", {"client_id": "nope"}, "client_id"),
    ("foreign-project", {"project_id": str(uuid.uuid4())}, "project_id"),
    ("huge-exponent-price", {"lines": line(unit_price="1e700000")}, "lines.0.unit_price"),
    ("overflowing-price", {"lines": line(unit_price="1e999999999")}, "lines.0.unit_price"),
    ("vanishing-price", {"lines": line(unit_price="1e-999999999")}, "lines.0.unit_price"),
    ("exponent-quantity", {"lines": line(quantity="1e3")}, "lines.0.quantity"),
    ("exponent-tax", {"lines": line(tax_rate="2e1")}, "lines.0.tax_rate"),
    ("vanishing-discount", {"discount_percent": "1e-999999999"}, "discount_percent"),
    ("huge-integer-price", {"lines": line(unit_price=10**30)}, "lines.0.unit_price"),
]


@pytest.mark.parametrize(("overrides", "field"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
async def test_bad_bodies_are_422_name_the_field_and_create_nothing(api, world, overrides, field):
    sent = {k: v for k, v in body(world, **overrides).items() if v is not None}
    response = await api.post("/api/v1/invoices", json=sent)
    assert response.status_code == 422, response.text
    detail = response.json()
    named = [detail.get("field")] if isinstance(detail["detail"], str) else [e["loc"][-1] for e in detail["detail"]]
    assert field in named
    assert await count(Invoice) == 0
    assert (await create(api, world))["number"] == "INV-0001"  # and no number was burned


async def test_floats_are_refused_with_a_clear_reason(api, world):
    response = await api.post("/api/v1/invoices", json=body(world, lines=line(unit_price=0.1)))
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "lines", 0, "unit_price"]
    assert "float cannot hold money exactly" in error["msg"]


async def test_service_refusals_say_what_is_wrong(api, world):
    response = await api.post("/api/v1/invoices", json=body(world, currency="XYZ"))
    assert response.json() == {"detail": "“XYZ” is not an ISO 4217 currency code.", "field": "currency"}
    response = await api.post("/api/v1/invoices", json=body(world, lines=[]))
    assert response.json() == {"detail": "An invoice needs at least one line.", "field": "lines"}


# --- sending and reading -------------------------------------------------------------------------------------------


async def test_send_answers_200_with_the_sent_invoice(api, world):
    created = await create(api, world)
    response = await api.post(f"/api/v1/invoices/{created['id']}/send")
    assert response.status_code == 200
    sent = response.json()
    assert (sent["status"], sent["public_url"], sent["sent_at"]) == (
        "sent",
        created["public_url"],
        "2026-03-10T09:00:00Z",
    )
    assert (await api.get(f"/api/v1/invoices/{created['id']}")).json()["status"] == "sent"


async def test_sending_a_void_invoice_is_409_and_no_recipient_is_422(api, world):
    created = await create(api, world)
    await invoices.void_invoice(world.actor, created["id"])
    response = await api.post(f"/api/v1/invoices/{created['id']}/send")
    assert response.status_code == 409
    assert isinstance(response.json()["detail"], str)

    await clients.update_client(world.actor, world.client.id, clients.ClientInput(name="Acme Client", email=""))
    drafted = await create(api, world)
    response = await api.post(f"/api/v1/invoices/{drafted['id']}/send")
    assert (response.status_code, response.json()["field"]) == (422, "recipients")
    assert (await api.get(f"/api/v1/invoices/{drafted['id']}")).json()["status"] == "draft"


async def test_an_overdue_invoice_keeps_its_status_and_says_overdue(api, world):
    created = await create(api, world, issue_date="2026-02-01", due_date="2026-03-01")
    await api.post(f"/api/v1/invoices/{created['id']}/send")
    await manual_payments.record_payment(
        world.actor, created["id"], manual_payments.PaymentInput("440.00", reference="TX-9")
    )
    fetched = (await api.get(f"/api/v1/invoices/{created['id']}")).json()
    assert (fetched["status"], fetched["overdue"]) == ("partially_paid", True)
    assert (fetched["total"], fetched["amount_paid"], fetched["amount_due"]) == ("1440.00", "440.00", "1000.00")
    [payment] = fetched["payments"]
    assert {k: payment[k] for k in ("amount", "paid_on", "method", "reference")} == {
        "amount": "440.00",
        "paid_on": "2026-03-10",
        "method": "bank_transfer",
        "reference": "TX-9",
    }


# --- listing -------------------------------------------------------------------------------------------------------


async def test_list_filters_and_pages(api, world):
    beta = await clients.create_client(world.actor, clients.ClientInput(name="Beta", email="ap@beta.test"))
    old = await create(api, world, issue_date="2026-01-05", due_date="2026-02-04")
    await api.post(f"/api/v1/invoices/{old['id']}/send")
    current = await create(
        api,
        world,
        client_id=str(beta.id),
        currency="JPY",
        lines=[{"description": "x", "quantity": 1, "unit_price": 5000}],
    )
    await api.post(f"/api/v1/invoices/{current['id']}/send")
    drafted = await create(api, world)

    async def numbers(**params) -> list[str]:
        response = await api.get("/api/v1/invoices", params=params)
        assert response.status_code == 200, response.text
        listed = response.json()
        assert set(listed) == {"items", "total"}
        assert listed["total"] == len(listed["items"])
        return [row["number"] for row in listed["items"]]

    assert await numbers() == [drafted["number"], current["number"], old["number"]]
    assert await numbers(status="draft") == [drafted["number"]]
    assert await numbers(status="sent") == [current["number"], old["number"]]
    assert await numbers(status="open") == [current["number"], old["number"]]
    assert await numbers(status="overdue") == [old["number"]]
    assert await numbers(status="paid") == []
    assert await numbers(client_id=str(beta.id)) == [current["number"]]
    assert await numbers(date_from="2026-03-01") == [drafted["number"], current["number"]]
    assert await numbers(date_to="2026-01-31") == [old["number"]]

    response = await api.get("/api/v1/invoices", params={"limit": 2, "offset": 1})
    page = response.json()
    assert (page["total"], [r["number"] for r in page["items"]]) == (3, [current["number"], old["number"]])
    row = page["items"][0]
    assert set(row) == ROW_KEYS
    assert (row["currency"], row["total"], row["amount_due"], row["amount_paid"]) == ("JPY", "5000", "5000", "0")
    assert (row["client_name"], row["status"], row["overdue"]) == ("Beta", "sent", False)
    assert page["items"][1]["overdue"] is True


@pytest.mark.parametrize(
    "params",
    [
        {"status": "late"},
        {"status": "Paid"},
        {"client_id": "nope"},
        {"date_from": "2026-13-01"},
        {"date_from": "2026-03-10", "date_to": "2026-03-01"},
        {"limit": 0},
        {"limit": 201},
        {"offset": -1},
    ],
)
async def test_bad_list_parameters_are_422(api, world, params):
    response = await api.get("/api/v1/invoices", params=params)
    assert response.status_code == 422
    assert "detail" in response.json()


# --- scoping and authentication --------------------------------------------------------------------------------------


async def test_another_organizations_invoices_are_not_found(api, world):
    other = await make_world("globex")
    theirs = await invoices.create_invoice(
        other.actor, invoices.InvoiceInput(client_id=other.client.id, lines=[invoices.LineInput("X", "1", "1.00")])
    )
    for method, url in [("GET", f"/api/v1/invoices/{theirs.id}"), ("POST", f"/api/v1/invoices/{theirs.id}/send")]:
        response = await api.request(method, url)
        assert (response.status_code, response.json()) == (404, {"detail": "Invoice not found"})
    response = await api.post("/api/v1/invoices", json=body(world, client_id=str(other.client.id)))
    assert (response.status_code, response.json()) == (404, {"detail": "Client not found"})
    assert (await api.get("/api/v1/invoices")).json() == {"items": [], "total": 0}
    assert (await api.get("/api/v1/invoices", params={"client_id": str(other.client.id)})).json()["total"] == 0
    assert (await invoices.get_invoice(other.actor, theirs.id)).status.value == "draft"


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "0" * 40, "5f0c1f7e-2b1a-4c1e-9a57-0c7d6a3b9e11"])
async def test_malformed_or_unknown_ids_are_404(api, bad_id):
    for method, url in [("GET", f"/api/v1/invoices/{bad_id}"), ("POST", f"/api/v1/invoices/{bad_id}/send")]:
        response = await api.request(method, url)
        assert response.status_code == 404, (method, url)


async def test_every_invoice_endpoint_needs_a_token(world):
    drafted = await invoices.create_invoice(
        world.actor, invoices.InvoiceInput(client_id=world.client.id, lines=[invoices.LineInput("X", "1", "1.00")])
    )
    async with api_http() as anonymous, api_http("ptk_" + "x" * 43) as forged:
        for http in (anonymous, forged):
            for method, url in [
                ("GET", "/api/v1/invoices"),
                ("POST", "/api/v1/invoices"),
                ("GET", f"/api/v1/invoices/{drafted.id}"),
                ("POST", f"/api/v1/invoices/{drafted.id}/send"),
            ]:
                response = await http.request(method, url, json=body(world) if method == "POST" else None)
                assert response.status_code == 401, (method, url)
                assert response.headers["www-authenticate"].startswith("Bearer")
    assert await count(Invoice) == 1
    assert (await invoices.get_invoice(world.actor, drafted.id)).status.value == "draft"


async def test_openapi_documents_the_invoice_endpoints():
    async with api_http() as http:
        spec = (await http.get("/api/openapi.json")).json()
    assert {"/v1/invoices", "/v1/invoices/{invoice_id}", "/v1/invoices/{invoice_id}/send"} <= set(spec["paths"])
    assert set(spec["paths"]["/v1/invoices"]) == {"get", "post"}
    assert spec["paths"]["/v1/invoices"]["post"]["security"] == [{"HTTPBearer": []}]
    status = next(p for p in spec["paths"]["/v1/invoices"]["get"]["parameters"] if p["name"] == "status")
    assert "overdue" in str(status["schema"])
