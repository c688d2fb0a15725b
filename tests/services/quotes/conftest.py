"""An agency with a client, two portal contacts (Jane, John) and a project."""

from __future__ import annotations

import pytest

from tests.support.factories import Team, make_team


@pytest.fixture
async def team(database) -> Team:
    return await make_team("acme")
