from nicegui import ui
from services import clients
from tests.staff.test_pages_smoke import sign_in
from tests.support.factories import make_world

async def test_dbg(user, app_client):
    world = await make_world("acme")
    print("direct", await clients.list_clients(world.actor))
    await sign_in(user, world.owner_email)
    await user.should_see("Recent activity", retries=50)
    await user.open("/clients")
    for t in user.find(ui.table).elements:
        print("T", t.id, t.rows, t.pagination)
    print(user.find(ui.input).elements)
