"""The quote endpoints of the REST API over HTTP, on SQLite and PostgreSQL: drafting with exact money strings,
refusals naming their field, sending, the acceptance record, expiry, converting, listing and scoping."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from models import Invoice, Quote
from services.clients import clients
from services.quotes import acceptance, quote_views
from services.staff import api_tokens
from tests.support.clock import T0
from tests.support.db import count
from tests.support.factories import OrgWorld, make_world

TODAY = T0.date()
ROW_KEYS = {
    "id",
    "number",
    "title",
    "status",
    "client_id",
    "client_name",
    "currency",
    "issue_date",
    "valid_until",
    "total",
    "public_url",
}
DETAIL_KEYS = ROW_KEYS | {
    "project_id",
    "start_project",
    "project_template_id",
    "discount_percent",
    "deposit_percent",
    "notes",
    "terms",
    "subtotal",
    "discount",
    "tax",
    "deposit_amount",
    "lines",
    "sent_at",
    "decided_at",
    "decline_reason",
    "acceptance",
    "converted",
    "invoice_id",
    "invoice_number",
    "sha256",
}
LINES = [
    {"description": "Design", "quantity": "10", "unit_price": "100.00", "tax_rate": "20"},
    {"description": "Hosting", "quantity": "1", "unit_price": "240.00"},
]


@pytest.fixture
async def world(database, at) -> OrgWorld:
    """Acme, with the services' clock frozen at T0 (the 10th of March 2026) so dates and expiry are fixed."""
    return await make_world("acme")


def body(world: OrgWorld, **overrides) -> dict:
    return {
        "client_id": str(world.client.id),
        "currency": "USD",
        "valid_until": "2026-04-09",
        "lines": LINES,
        **overrides,
    }


async def create(api: httpx.AsyncClient, world: OrgWorld, **overrides) -> dict:
    response = await api.post("/api/v1/quotes", json=body(world, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def sent(api: httpx.AsyncClient, world: OrgWorld, **overrides) -> dict:
    created = await create(api, world, **overrides)
    response = await api.post(f"/api/v1/quotes/{created['id']}/send")
    assert response.status_code == 200, response.text
    return response.json()


def signature(quote: dict, name: str = "Jane Doe") -> acceptance.Signature:
    return acceptance.Signature(full_name=name, agreed=True, shown_sha256=quote["sha256"], user_agent="Firefox/140")


# --- drafting ------------------------------------------------------------------------------------------------------


async def test_create_answers_201_with_the_quote_number_and_exact_money(api, world):
    created = await create(
        api,
        world,
        title="Website",
        project_id=str(world.project.id),
        deposit_percent="30",
        notes="Thank you",
        terms="Half now, half on launch.",
    )
    assert set(created) == DETAIL_KEYS
    uuid.UUID(created["id"])
    assert {k: created[k] for k in ("number", "title", "status", "currency", "issue_date", "valid_until")} == {
        "number": "Q-0001",
        "title": "Website",
        "status": "draft",
        "currency": "USD",
        "issue_date": TODAY.isoformat(),
        "valid_until": "2026-04-09",
    }
    # net 1000 + 240, tax 20 % of 1000; the deposit is 30 % of each rate's net with its tax: 300 + 60 + 72
    money = {k: created[k] for k in ("subtotal", "discount", "tax", "total", "deposit_percent", "deposit_amount")}
    assert money == {
        "subtotal": "1240.00",
        "discount": "0.00",
        "tax": "200.00",
        "total": "1440.00",
        "deposit_percent": "30",
        "deposit_amount": "432.00",
    }
    assert created["lines"] == [
        {
            "description": "Design",
            "quantity": "10",
            "unit_price": "100.00",
            "tax_rate": "20",
            "net": "1000.00",
            "tax": "200.00",
        },
        {
            "description": "Hosting",
            "quantity": "1",
            "unit_price": "240.00",
            "tax_rate": "0",
            "net": "240.00",
            "tax": "0.00",
        },
    ]
    assert (created["project_id"], created["client_name"], created["notes"], created["terms"]) == (
        str(world.project.id),
        "Acme Client",
        "Thank you",
        "Half now, half on launch.",
    )
    assert (created["acceptance"], created["invoice_id"], created["sent_at"], created["converted"]) == (
        None,
        None,
        None,
        False,
    )
    assert created["public_url"] == quote_views.public_url(uuid.UUID(created["id"]))
    assert len(created["sha256"]) == 64
    fetched = await api.get(f"/api/v1/quotes/{created['id']}")
    assert (fetched.status_code, fetched.json()) == (200, created)
    # the quote sequence is the quote's own: the next is Q-0002, and no invoice number was taken
    assert (await create(api, world))["number"] == "Q-0002"
    assert await count(Invoice) == 0


@pytest.mark.parametrize(
    ("currency", "line", "total"),
    [
        ("JPY", {"quantity": 3, "unit_price": 1200}, "3600"),
        ("KWD", {"quantity": "2", "unit_price": "0.125", "tax_rate": "5"}, "0.263"),
    ],
)
async def test_currencies_keep_their_own_decimals(api, world, currency, line, total):
    created = await create(api, world, currency=currency, lines=[{"description": "Work", **line}])
    assert (created["currency"], created["total"], created["deposit_amount"]) == (currency, total, total)


# --- bad input -----------------------------------------------------------------------------------------------------


def line(**changes) -> list[dict]:
    return [{"description": "Design", "quantity": "1", "unit_price": "10.00", **changes}]


BAD = [
    ("unknown-currency", {"currency": "XYZ"}, "currency"),
    ("no-lines", {"lines": []}, "lines"),
    ("negative-quantity", {"lines": line(quantity="-1")}, "lines.0.quantity"),
    ("second-line-price", {"lines": [*line(), *line(unit_price="1.005")]}, "lines.1.unit_price"),
    ("tax-over-100", {"lines": line(tax_rate="150")}, "lines.0.tax_rate"),
    ("blank-description", {"lines": line(description=" ")}, "lines.0.description"),
    ("float-price", {"lines": line(unit_price=10.5)}, "unit_price"),
    ("valid-before-issue", {"issue_date": "2026-03-10", "valid_until": "2026-03-09"}, "valid_until"),
    ("valid-over-a-year", {"valid_until": "2027-06-01"}, "valid_until"),
    ("missing-valid-until", {"valid_until": None}, "valid_until"),
    ("impossible-date", {"valid_until": "2026-02-30"}, "valid_until"),
    ("deposit-over-100", {"deposit_percent": "150"}, "deposit_percent"),
    ("deposit-float", {"deposit_percent": 30.0}, "deposit_percent"),
    ("discount-decimals", {"discount_percent": "5.555"}, "discount_percent"),
    ("title-too-long", {"title": "x" * 201}, "title"),
    ("unknown-key", {"colour": "red"}, "colour"),
    ("start-project-text", {"start_project": "yes"}, "start_project"),
    ("client-malformed", {"client_id": "nope"}, "client_id"),
    ("foreign-project", {"project_id": str(uuid.uuid4())}, "project_id"),
    ("unknown-template", {"start_project": True, "project_template_id": str(uuid.uuid4())}, "project_template_id"),
]


@pytest.mark.parametrize(("overrides", "field"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
async def test_bad_bodies_are_422_name_the_field_and_create_nothing(api, world, overrides, field):
    sent_body = {k: v for k, v in body(world, **overrides).items() if v is not None}
    response = await api.post("/api/v1/quotes", json=sent_body)
    assert response.status_code == 422, response.text
    detail = response.json()
    named = [detail.get("field")] if isinstance(detail["detail"], str) else [e["loc"][-1] for e in detail["detail"]]
    assert field in named
    assert await count(Quote) == 0
    assert (await create(api, world))["number"] == "Q-0001"  # and no number was burned


async def test_refusals_say_what_is_wrong_and_where(api, world):
    response = await api.post("/api/v1/quotes", json=body(world, lines=line(quantity="ten")))
    refused = response.json()
    assert (set(refused), refused["field"]) == ({"detail", "field"}, "lines.0.quantity")
    assert refused["detail"].startswith("Line 1")
    response = await api.post("/api/v1/quotes", json=body(world, lines=[]))
    assert response.json() == {"detail": "A quote needs at least one line.", "field": "lines"}
    response = await api.post("/api/v1/quotes", json=body(world, lines=line(unit_price=0.1)))
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "lines", 0, "unit_price"]
    assert "float cannot hold money exactly" in error["msg"]


# --- changing a draft ----------------------------------------------------------------------------------------------


async def test_patch_changes_a_draft_and_keeps_what_is_left_out(api, world):
    created = await create(api, world, title="Website", issue_date="2026-03-09", deposit_percent="50")
    response = await api.patch(
        f"/api/v1/quotes/{created['id']}",
        json={"title": "Website and shop", "lines": [{"description": "Shop", "quantity": "2", "unit_price": "500"}]},
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["title"], changed["total"], changed["deposit_amount"]) == ("Website and shop", "1000.00", "500.00")
    assert [ln["description"] for ln in changed["lines"]] == ["Shop"]
    # what was left out stays: the number, the dates, the deposit
    kept = ("number", "issue_date", "valid_until", "deposit_percent", "client_id", "currency")
    assert {k: changed[k] for k in kept} == {k: created[k] for k in kept}
    assert changed["sha256"] != created["sha256"]

    beta = await clients.create_client(world.actor, clients.ClientInput(name="Beta", email="ap@beta.test"))
    with_project = await create(api, world, project_id=str(world.project.id))
    moved = await api.patch(f"/api/v1/quotes/{with_project['id']}", json={"client_id": str(beta.id)})
    assert (moved.status_code, moved.json()["client_name"], moved.json()["project_id"]) == (200, "Beta", None)


async def test_patch_refuses_bad_input_and_sent_quotes_and_changes_nothing(api, world):
    created = await create(api, world, title="Website")
    url = f"/api/v1/quotes/{created['id']}"
    for bad, field in [
        ({"title": None}, "title"),
        ({"lines": None}, "lines"),
        ({"archived": True}, "archived"),
        ({"lines": line(quantity="0")}, "lines.0.quantity"),
        ({"valid_until": "2026-03-01"}, "valid_until"),
    ]:
        response = await api.patch(url, json=bad)
        assert response.status_code == 422, bad
        detail = response.json()
        named = [detail.get("field")] if isinstance(detail["detail"], str) else [e["loc"][-1] for e in detail["detail"]]
        assert field in named, (bad, detail)
    assert (await api.get(url)).json() == created

    await api.post(f"{url}/send")
    response = await api.patch(url, json={"title": "Changed after sending"})
    assert response.status_code == 409
    assert "Only drafts" in response.json()["detail"]
    assert (await api.get(url)).json()["title"] == "Website"


# --- sending, the public link --------------------------------------------------------------------------------------


async def test_send_answers_the_sent_quote(api, world):
    created = await create(api, world)
    response = await api.post(f"/api/v1/quotes/{created['id']}/send")
    assert response.status_code == 200
    done = response.json()
    assert (done["status"], done["public_url"], done["sent_at"], done["number"]) == (
        "sent",
        created["public_url"],
        "2026-03-10T09:00:00Z",
        created["number"],
    )
    assert (await api.get(f"/api/v1/quotes/{created['id']}")).json() == done
    again = await api.post(f"/api/v1/quotes/{created['id']}/send")  # a resend: the same quote
    assert (again.status_code, again.json()["status"], again.json()["sent_at"]) == (200, "sent", done["sent_at"])


async def test_sending_without_a_recipient_is_422_and_leaves_a_draft(api, world):
    await clients.update_client(world.actor, world.client.id, clients.ClientInput(name="Acme Client", email=""))
    created = await create(api, world)
    response = await api.post(f"/api/v1/quotes/{created['id']}/send")
    assert (response.status_code, response.json()["field"]) == (422, "recipients")
    assert (await api.get(f"/api/v1/quotes/{created['id']}")).json()["status"] == "draft"


async def test_the_public_url_opens_a_sent_quote_and_not_a_draft(app_client: httpx.AsyncClient, at):
    """Through the whole app: the API mounted at /api, and the public link the answer names."""
    world = await make_world("acme")
    app_client.headers["Authorization"] = f"Bearer {await api_tokens.create_token(world.actor, 'test')}"
    draft = await create(app_client, world, title="Website")
    offered = await sent(app_client, world, title="Website")
    del app_client.headers["Authorization"]  # the link needs no token

    opened = await app_client.get(urlsplit(offered["public_url"]).path)
    assert opened.status_code == 200
    assert offered["number"] in opened.text
    unsent = await app_client.get(urlsplit(draft["public_url"]).path)
    assert unsent.status_code == 404
    assert draft["number"] not in unsent.text


# --- answers: acceptance, expiry, converting -----------------------------------------------------------------------


async def test_an_accepted_quote_shows_the_acceptance_record(api, world):
    offered = await sent(api, world, deposit_percent="30")
    await acceptance.accept_in_portal(world.portal_actor(), offered["id"], signature(offered))

    done = (await api.get(f"/api/v1/quotes/{offered['id']}")).json()
    assert (done["status"], done["decided_at"], done["converted"]) == ("accepted", "2026-03-10T09:00:00Z", False)
    assert done["acceptance"] == {
        "name": "Jane Doe",
        "contact_email": world.contact.email,
        "contact_id": str(world.contact.id),
        "accepted_at": "2026-03-10T09:00:00Z",
        "via": "portal",
        "sha256": done["sha256"],
    }
    assert done["sha256"] == offered["sha256"]  # what was signed is what was sent
    invoice = (await api.get(f"/api/v1/invoices/{done['invoice_id']}")).json()
    assert (invoice["number"], invoice["status"], invoice["total"]) == (done["invoice_number"], "sent", "432.00")
    # an answered quote is neither sent again nor converted
    for action in ("send", "convert"):
        response = await api.post(f"/api/v1/quotes/{offered['id']}/{action}")
        assert response.status_code == 409, action
        assert "accepted already" in response.json()["detail"]


async def test_a_declined_quote_says_why(api, world):
    offered = await sent(api, world)
    await acceptance.decline_in_portal(world.portal_actor(), offered["id"], "Over our budget this year.")
    done = (await api.get(f"/api/v1/quotes/{offered['id']}")).json()
    assert (done["status"], done["decline_reason"], done["acceptance"], done["invoice_id"]) == (
        "declined",
        "Over our budget this year.",
        None,
        None,
    )


async def test_a_quote_past_its_date_is_expired(api, world, at):
    offered = await sent(api, world, valid_until="2026-03-20")
    at(timedelta(days=10, hours=14))  # the 20th, 23:00 (UTC, the organization's time): valid all day
    assert (await api.get(f"/api/v1/quotes/{offered['id']}")).json()["status"] == "sent"
    at(timedelta(days=11, hours=1))
    expired = (await api.get(f"/api/v1/quotes/{offered['id']}")).json()
    assert expired["status"] == "expired"
    listed = (await api.get("/api/v1/quotes", params={"status": "expired"})).json()
    assert [row["status"] for row in listed["items"]] == ["expired"]
    assert (await api.get("/api/v1/quotes", params={"status": "sent"})).json()["total"] == 0
    response = await api.post(f"/api/v1/quotes/{offered['id']}/send")
    assert response.status_code == 409 and "expired" in response.json()["detail"]


async def test_convert_accepts_on_the_clients_word_and_drafts_the_invoice(api, world):
    offered = await sent(api, world)
    response = await api.post(f"/api/v1/quotes/{offered['id']}/convert")
    assert response.status_code == 200, response.text
    done = response.json()
    assert (done["status"], done["converted"], done["acceptance"]) == ("accepted", True, None)
    invoice = (await api.get(f"/api/v1/invoices/{done['invoice_id']}")).json()
    assert (invoice["number"], invoice["status"], invoice["total"], invoice["client_id"]) == (
        done["invoice_number"],
        "draft",  # staff review and send it
        "1440.00",
        str(world.client.id),
    )
    again = await api.post(f"/api/v1/quotes/{offered['id']}/convert")
    assert again.status_code == 409
    assert await count(Invoice) == 1


async def test_a_draft_is_not_converted(api, world):
    created = await create(api, world)
    response = await api.post(f"/api/v1/quotes/{created['id']}/convert")
    assert response.status_code == 409
    assert "Send the quote first" in response.json()["detail"]
    assert (await api.get(f"/api/v1/quotes/{created['id']}")).json()["status"] == "draft"
    assert await count(Invoice) == 0


# --- listing -------------------------------------------------------------------------------------------------------


async def test_list_filters_and_pages(api, world):
    beta = await clients.create_client(world.actor, clients.ClientInput(name="Beta", email="ap@beta.test"))
    portal = world.portal_actor()
    accepted = await sent(api, world, issue_date="2026-03-01", title="Logo")
    await acceptance.accept_in_portal(portal, accepted["id"], signature(accepted))
    declined = await sent(api, world, issue_date="2026-03-02", title="Brochure")
    await acceptance.decline_in_portal(portal, declined["id"], "Not now")
    open_one = await sent(
        api,
        world,
        issue_date="2026-03-03",
        client_id=str(beta.id),
        currency="JPY",
        lines=[{"description": "x", "quantity": 1, "unit_price": 5000}],
    )
    drafted = await create(api, world, title="Website")

    async def numbers(**params) -> list[str]:
        response = await api.get("/api/v1/quotes", params=params)
        assert response.status_code == 200, response.text
        listed = response.json()
        assert set(listed) == {"items", "total"}
        assert listed["total"] == len(listed["items"])
        return [row["number"] for row in listed["items"]]

    everything = [drafted["number"], open_one["number"], declined["number"], accepted["number"]]
    assert await numbers() == everything
    assert await numbers(status="draft") == [drafted["number"]]
    assert await numbers(status="sent") == [open_one["number"]]
    assert await numbers(status="accepted") == [accepted["number"]]
    assert await numbers(status="declined") == [declined["number"]]
    assert await numbers(status="expired") == []
    assert await numbers(client_id=str(beta.id)) == [open_one["number"]]
    assert await numbers(search="brochure") == [declined["number"]]

    page = (await api.get("/api/v1/quotes", params={"limit": 2, "offset": 1})).json()
    assert (page["total"], [r["number"] for r in page["items"]]) == (4, everything[1:3])
    row = page["items"][0]
    assert set(row) == ROW_KEYS
    assert {k: row[k] for k in ("currency", "total", "client_name", "status", "issue_date")} == {
        "currency": "JPY",
        "total": "5000",
        "client_name": "Beta",
        "status": "sent",
        "issue_date": "2026-03-03",
    }
    assert row["public_url"] == open_one["public_url"]


@pytest.mark.parametrize(
    "params",
    [{"status": "late"}, {"status": "Sent"}, {"client_id": "nope"}, {"limit": 0}, {"limit": 201}, {"offset": -1}],
)
async def test_bad_list_parameters_are_422(api, world, params):
    response = await api.get("/api/v1/quotes", params=params)
    assert response.status_code == 422
    assert "detail" in response.json()


# --- scoping -------------------------------------------------------------------------------------------------------


async def test_another_organizations_quotes_are_not_found(api, world, other, other_api):
    offered = await sent(other_api, other, title="Globex secret plan")
    drafted = await create(other_api, other, title="Globex draft")
    for quote in (offered, drafted):
        for method, url, json in [
            ("GET", f"/api/v1/quotes/{quote['id']}", None),
            ("PATCH", f"/api/v1/quotes/{quote['id']}", {"title": "Stolen"}),
            ("POST", f"/api/v1/quotes/{quote['id']}/send", None),
            ("POST", f"/api/v1/quotes/{quote['id']}/convert", None),
        ]:
            response = await api.request(method, url, json=json)
            assert (response.status_code, response.json()) == (404, {"detail": "Quote not found"}), (method, url)
    response = await api.post("/api/v1/quotes", json=body(world, client_id=str(other.client.id)))
    assert (response.status_code, response.json()) == (404, {"detail": "Client not found"})
    assert (await api.get("/api/v1/quotes")).json() == {"items": [], "total": 0}
    assert (await api.get("/api/v1/quotes", params={"client_id": str(other.client.id)})).json()["total"] == 0
    assert (await api.get("/api/v1/quotes", params={"search": "Globex"})).json()["total"] == 0
    # nothing of theirs changed
    assert (await other_api.get(f"/api/v1/quotes/{offered['id']}")).json() == offered
    assert (await other_api.get(f"/api/v1/quotes/{drafted['id']}")).json() == drafted
    assert await count(Invoice) == 0


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "0" * 40, "5f0c1f7e-2b1a-4c1e-9a57-0c7d6a3b9e11"])
async def test_malformed_or_unknown_ids_are_404(api, world, bad_id):
    for method, url, json in [
        ("GET", f"/api/v1/quotes/{bad_id}", None),
        ("PATCH", f"/api/v1/quotes/{bad_id}", {"title": "X"}),
        ("POST", f"/api/v1/quotes/{bad_id}/send", None),
        ("POST", f"/api/v1/quotes/{bad_id}/convert", None),
    ]:
        response = await api.request(method, url, json=json)
        assert (response.status_code, response.json()) == (404, {"detail": "Quote not found"}), (method, url)


async def test_openapi_documents_the_quote_endpoints(api):
    spec = (await api.get("/api/openapi.json")).json()
    assert set(spec["paths"]["/v1/quotes"]) == {"get", "post"}
    assert set(spec["paths"]["/v1/quotes/{quote_id}"]) == {"get", "patch"}
    assert set(spec["paths"]["/v1/quotes/{quote_id}/send"]) == {"post"}
    assert set(spec["paths"]["/v1/quotes/{quote_id}/convert"]) == {"post"}
    status = next(p for p in spec["paths"]["/v1/quotes"]["get"]["parameters"] if p["name"] == "status")
    assert "expired" in str(status["schema"])
