"""The isolation tests' two organizations, built fresh for each test, and the two layers of scoping."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from services import scoping
from tests.isolation.world import Worlds, make_worlds


@pytest.fixture
async def worlds(database) -> Worlds:
    return await make_worlds()


@pytest.fixture(params=["both layers", "explicit filters only"])
def layers(request):
    """The second run takes the scoping hook away: each query's own filters must suffice on their own."""
    if request.param == "both layers":
        yield request.param
        return
    event.remove(Session, "do_orm_execute", scoping._add_actor_criteria)
    try:
        yield request.param
    finally:
        event.listen(Session, "do_orm_execute", scoping._add_actor_criteria)
