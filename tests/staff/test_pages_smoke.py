from nicegui import ui
from nicegui.testing.user import User

from tests.support.factories import PASSWORD, make_world


async def sign_in(user: User, email: str, password: str = PASSWORD) -> None:
    await user.open("/login")
    user.find("Email").type(email)
    user.find("Password").type(password)
    user.find(kind=ui.button, content="Sign in").click()


async def test_clients_table(user: User, app_client) -> None:
    world = await make_world("acme")
    await sign_in(user, world.owner_email)
    await user.should_see("Recent activity", retries=50)
    await user.open("/clients")
    table = user.find(ui.table).elements.pop()
    print(table.pagination, table.rows)
    assert table.pagination["rowsNumber"] == 1
