"""An organization in the in-process app, and HTTP clients signed in as its owner and as its contact."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from portal_app.auth.portal import PORTAL_COOKIE
from tests.support.factories import OrgWorld, make_world
from tests.support.isolation import sign_in
from tests.support.signin import staff_cookie


@pytest.fixture
async def acme(app_client: httpx.AsyncClient) -> OrgWorld:
    return await make_world("acme")


@pytest.fixture
async def staff_http(app_client: httpx.AsyncClient, acme: OrgWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=app_client._transport, base_url="http://test") as http:
        await staff_cookie(http, acme.owner_email)
        yield http


@pytest.fixture
async def portal_http(app_client: httpx.AsyncClient, acme: OrgWorld) -> AsyncIterator[httpx.AsyncClient]:
    _, cookie = await sign_in(acme.contact.id)
    headers = {"Cookie": f"{PORTAL_COOKIE}={cookie}"}
    async with httpx.AsyncClient(transport=app_client._transport, base_url="http://test", headers=headers) as http:
        yield http
