"""An agency with a client, two portal contacts and a project; and the same for a second client."""

from __future__ import annotations

import pytest

from tests.support.factories import Team, make_team


@pytest.fixture
async def team(database) -> Team:
    return await make_team("acme")
