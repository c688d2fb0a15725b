"""The isolation tests' two organizations, built fresh for each test."""

from __future__ import annotations

import pytest

from tests.isolation.world import Worlds, make_worlds


@pytest.fixture
async def worlds(database) -> Worlds:
    return await make_worlds()
