"""A team (an agency, a client with two portal contacts, a project) and a local file store for its documents."""

from __future__ import annotations

import pytest

from tests.support.factories import Team, make_team


@pytest.fixture
async def team(database, file_store) -> Team:
    return await make_team("acme")
