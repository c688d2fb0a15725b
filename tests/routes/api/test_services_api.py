"""The services catalog over the REST API (SPEC §12, appendix A): create, list, change; refusals and scoping."""

from __future__ import annotations

import uuid

import httpx
import pytest

from models.organizations import Role
from services.catalog import catalog
from services.staff import api_tokens
from tests.support.api import api_http
from tests.support.factories import OrgWorld, add_member

KEYS = {"id", "name", "description", "price", "currency", "interval", "public", "position", "archived"}


def body(**overrides: object) -> dict:
    return {
        "name": "Website audit",
        "description": "A full review.",
        "price": "1200.00",
        "currency": "USD",
        "interval": "one_time",
        "public": True,
        **overrides,
    }


async def created(api: httpx.AsyncClient, **overrides: object) -> dict:
    response = await api.post("/api/v1/services", json=body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_answers_the_service_with_a_decimal_price(api, world: OrgWorld) -> None:
    service = await created(api)
    assert set(service) == KEYS
    assert {k: v for k, v in service.items() if k != "id"} == {
        "name": "Website audit",
        "description": "A full review.",
        "price": "1200.00",
        "currency": "USD",
        "interval": "one_time",
        "public": True,
        "position": 1,
        "archived": False,
    }
    view = await catalog.get_service(world.actor, service["id"])
    assert (view.price_minor, view.currency) == (120000, "USD")
    monthly = await created(api, name="Care plan", price="99", currency="jpy", interval="month", public=False)
    assert (monthly["price"], monthly["currency"], monthly["interval"], monthly["position"]) == (
        "99",
        "JPY",
        "month",
        2,
    )
    assert (await created(api, name="Hosting", price="12.5", currency="KWD", interval="year"))["price"] == "12.500"


async def test_defaults_leave_a_hidden_one_time_service(api) -> None:
    response = await api.post("/api/v1/services", json={"name": "Audit", "price": "10", "currency": "EUR"})
    assert response.status_code == 201, response.text
    service = response.json()
    assert (service["description"], service["interval"], service["public"]) == ("", "one_time", False)


async def test_list_is_the_menu_in_order_and_pages(api, world: OrgWorld) -> None:
    ids = [(await created(api, name=f"Service {n}"))["id"] for n in range(5)]
    listed = (await api.get("/api/v1/services")).json()
    assert listed["total"] == 5
    assert [s["id"] for s in listed["items"]] == ids
    assert set(listed["items"][0]) == KEYS
    page = (await api.get("/api/v1/services", params={"limit": 2, "offset": 3})).json()
    assert ([s["id"] for s in page["items"]], page["total"]) == (ids[3:], 5)
    assert (await api.get("/api/v1/services", params={"offset": 10})).json() == {"items": [], "total": 5}
    assert (await api.get("/api/v1/services", params={"limit": 0})).status_code == 422

    await catalog.set_archived(world.actor, ids[0], True)
    assert (await api.get("/api/v1/services")).json()["total"] == 4
    archived = (await api.get("/api/v1/services", params={"archived": "true"})).json()
    assert [(s["id"], s["archived"]) for s in archived["items"]] == [(ids[0], True)]
    assert (await api.get(f"/api/v1/services/{ids[0]}")).json()["archived"] is True


async def test_patch_changes_only_the_fields_sent(api, world: OrgWorld) -> None:
    service = await created(api)
    response = await api.patch(f"/api/v1/services/{service['id']}", json={"price": "1500.50", "public": False})
    assert response.status_code == 200, response.text
    assert response.json() == service | {"price": "1500.50", "public": False}
    renamed = (await api.patch(f"/api/v1/services/{service['id']}", json={"name": "Audit", "interval": "year"})).json()
    assert (renamed["name"], renamed["interval"], renamed["price"]) == ("Audit", "year", "1500.50")
    assert (await api.patch(f"/api/v1/services/{service['id']}", json={})).json() == renamed
    euro = (await api.patch(f"/api/v1/services/{service['id']}", json={"currency": "EUR"})).json()
    assert (euro["price"], euro["currency"]) == ("1500.50", "EUR")  # the amount kept as it reads
    view = await catalog.get_service(world.actor, service["id"])
    assert (view.name, view.price_minor, view.currency, view.public) == ("Audit", 150050, "EUR", False)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": None}, "name"),
        ({"name": "   "}, "name"),
        ({"price": "abc"}, "price"),
        ({"price": "-5"}, "price"),
        ({"price": "0"}, "price"),
        ({"price": 12.5}, "price"),
        ({"price": "1.001"}, "price"),
        ({"interval": "week"}, "interval"),
        ({"currency": "XYZ"}, "currency"),
        ({"public": "yes"}, "public"),
        ({"extra": 1}, "extra"),
    ],
    ids=lambda value: str(value),
)
async def test_bad_bodies_are_422_and_create_nothing(api, world: OrgWorld, overrides: dict, field: str) -> None:
    sent = body(**overrides)
    if sent.get("name") is None:
        del sent["name"]
    response = await api.post("/api/v1/services", json=sent)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    if isinstance(detail, str):  # the service's refusal names its field
        assert response.json()["field"] == field
    else:  # the body's shape: pydantic's list, naming the key
        assert detail[0]["loc"][-1] == field
    assert await catalog.list_services(world.actor) == []


async def test_bad_patches_are_422_and_change_nothing(api, world: OrgWorld) -> None:
    service = await created(api)
    url = f"/api/v1/services/{service['id']}"
    for sent in ({"price": "abc"}, {"price": "-1"}, {"interval": "week"}, {"currency": "XYZ"}, {"name": None}):
        response = await api.patch(url, json=sent)
        assert response.status_code == 422, (sent, response.text)
        assert "detail" in response.json()
    assert (await api.get(url)).json() == service


async def test_members_read_but_may_not_change_the_catalog(api, world: OrgWorld) -> None:
    service = await created(api)
    member = await add_member(world.actor.org_id, "mia@acme.test", Role.member)
    async with api_http(await api_tokens.create_token(member, "member")) as http:
        assert (await http.get("/api/v1/services")).json()["total"] == 1
        refused = await http.post("/api/v1/services", json=body(name="Sneaky"))
        assert refused.status_code == 403
        assert isinstance(refused.json()["detail"], str)
        patched = await http.patch(f"/api/v1/services/{service['id']}", json={"price": "1"})
        assert patched.status_code == 403
    assert [v.name for v in await catalog.list_services(world.actor)] == ["Website audit"]
    assert (await catalog.get_service(world.actor, service["id"])).price_minor == 120000


async def test_another_organizations_service_is_not_found(api, world: OrgWorld, other, other_api) -> None:
    service = await created(api)
    for method, url, sent in (
        ("GET", f"/api/v1/services/{service['id']}", None),
        ("PATCH", f"/api/v1/services/{service['id']}", {"name": "Stolen"}),
        ("GET", f"/api/v1/services/{uuid.uuid4()}", None),
        ("GET", "/api/v1/services/not-an-id", None),
    ):
        response = await other_api.request(method, url, json=sent)
        assert response.status_code == 404, (method, url)
        assert isinstance(response.json()["detail"], str)
    assert (await other_api.get("/api/v1/services")).json() == {"items": [], "total": 0}
    assert (await catalog.get_service(world.actor, service["id"])).name == "Website audit"


async def test_without_a_token_the_catalog_is_401() -> None:
    async with api_http() as http:
        assert (await http.get("/api/v1/services")).status_code == 401
        assert (await http.post("/api/v1/services", json=body())).status_code == 401
