from services import clients
from tests.support.factories import make_world


async def test_world_on_both_databases(database):
    world = await make_world("acme")
    page = await clients.list_clients(world.actor)
    assert [c.name for c in page.items] == ["Acme Client"]
