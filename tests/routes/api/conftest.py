"""Organizations with API tokens, for the REST API tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.staff import api_tokens
from tests.support.api import api_http
from tests.support.factories import OrgWorld, make_world


@pytest.fixture
async def world(database) -> OrgWorld:
    return await make_world("acme")


@pytest.fixture
async def other(database) -> OrgWorld:
    return await make_world("globex")


@pytest.fixture
async def api(world: OrgWorld) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client carrying an API token of acme's owner."""
    async with api_http(await api_tokens.create_token(world.actor, "test")) as http:
        yield http


@pytest.fixture
async def other_api(other: OrgWorld) -> AsyncIterator[httpx.AsyncClient]:
    async with api_http(await api_tokens.create_token(other.actor, "test")) as http:
        yield http
