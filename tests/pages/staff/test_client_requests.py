"""A client's requests across its projects, on one staff board."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing.user import User

from models.collaboration import RequestStatus
from services.projects import projects, work_requests
from services.projects.work_requests import RequestInput
from tests.support.factories import make_world
from tests.support.pages import act_until, sees_within, signed_in


async def test_the_board_spans_the_clients_projects_and_moves_cards(user: User) -> None:
    world = await make_world("acme")
    app = await projects.create_project(world.actor, world.client.id, projects.ProjectInput(name="Acme App"))
    web_card = await work_requests.create_request(world.actor, world.project.id, RequestInput("Fix the footer"))
    app_card = await work_requests.create_request(world.portal_actor(), app.id, RequestInput("Dark mode please"))
    await projects.create_project(world.actor, world.client.id, projects.ProjectInput(name="Acme Print"))

    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    user.find(kind=ui.link, content="All requests").click()
    await user.should_see("Requests · Acme Client", retries=50)
    await sees_within(user, f"request-{web_card.id}", "Acme Website")
    await sees_within(user, f"request-{app_card.id}", "Acme App")
    await sees_within(user, f"request-{app_card.id}", "Client request")  # asked for in the portal
    await sees_within(user, "column-backlog", "Dark mode please")
    # each project keeps its own order: both cards are at the top of their project's backlog
    await user.should_not_see(marker=f"move-{app_card.id}-up")
    await user.should_not_see(marker=f"move-{app_card.id}-down")

    async def moved() -> bool:
        return (await work_requests.get_request(world.actor, app_card.id)).status == RequestStatus.done

    await act_until(user, f"move-{app_card.id}-done", lambda element: element.click(), moved)
    await sees_within(user, "column-done", "Dark mode please")

    # a request a contact sends meanwhile shows up without a reload
    await work_requests.create_request(world.portal_actor(), app.id, RequestInput("Add a FAQ"))
    await sees_within(user, "column-backlog", "Add a FAQ")


async def test_another_organizations_client_and_project_are_not_found(user: User) -> None:
    theirs = await make_world("acme")
    mine = await make_world("globex")
    await signed_in(user, mine.owner_email)
    for path, text in (
        (f"/clients/{theirs.client.id}/requests", "This client does not exist."),
        (f"/projects/{theirs.project.id}", "This project does not exist."),
        ("/clients/not-a-uuid/requests", "This client does not exist."),
    ):
        response = await user.http_client.get(path)
        assert response.status_code == 404, path
        assert theirs.client.name not in response.text
        assert text in response.text
