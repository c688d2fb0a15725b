"""The portal's pages for a signed-in contact: the shell, Home, Projects, empty states, isolation, escaping."""

from __future__ import annotations

import httpx
import pytest
from nicegui import ui
from nicegui.testing.user import User

from portal_app.auth.portal import PORTAL_COOKIE
from services.clients import clients
from services.organizations import organizations
from services.projects import projects
from tests.support.factories import OrgWorld, make_world
from tests.support.portal import sign_in_contact

NAVIGATION = ("Home", "Invoices", "Projects", "Files", "Sign out")
PAGES = ("/", "/projects", "/invoices", "/files")


@pytest.fixture
async def acme(user: User) -> OrgWorld:
    """Acme's contact Jane, signed in in the simulated browser."""
    world = await make_world("acme")
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    return world


def label_texts(user: User) -> list[str]:
    return [e.text for e in user.find(ui.label).elements]


async def test_the_shell_shows_the_organization_and_the_navigation(user: User, acme: OrgWorld) -> None:
    await organizations.update_organization(
        acme.actor, organizations.OrganizationChanges(name="Acme Agency", slug="acme")
    )
    for path in PAGES:
        await user.open(f"/portal/acme{path}")
        await user.should_see(kind=ui.label, content="Acme Agency")
        assert "Acme Agency" in label_texts(user), path
        for item in NAVIGATION:
            await user.should_see(item)
    links = {e.text: e.props["href"] for e in user.find(ui.link).elements if e.text in NAVIGATION}
    assert links == {
        "Home": "/portal/acme/",
        "Invoices": "/portal/acme/invoices",
        "Projects": "/portal/acme/projects",
        "Files": "/portal/acme/files",
    }


async def test_home_shows_the_welcome_and_the_clients_projects(user: User, acme: OrgWorld) -> None:
    changes = organizations.OrganizationChanges(name="Acme", slug="acme", welcome_message="Hello from the Acme team!")
    await organizations.update_organization(acme.actor, changes)
    await projects.create_project(acme.actor, acme.client.id, projects.ProjectInput(name="Brand Refresh"))
    await user.open("/portal/acme/")
    await user.should_see(kind=ui.label, content="Hello from the Acme team!")
    await user.should_see(kind=ui.label, content="Acme Website")
    await user.should_see(kind=ui.label, content="Brand Refresh")
    await user.should_see("All 2 projects")


async def test_projects_lists_only_this_clients_projects(user: User, acme: OrgWorld) -> None:
    other = await clients.create_client(acme.actor, clients.ClientInput(name="Other Client"))
    await projects.create_project(acme.actor, other.id, projects.ProjectInput(name="Secret Rebrand"))
    await make_world("globex")
    for path in ("/", "/projects"):
        await user.open(f"/portal/acme{path}")
        await user.should_see(kind=ui.label, content="Acme Website")
        assert not any(t in ("Secret Rebrand", "Globex Website") for t in label_texts(user)), path
        response = await user.http_client.get(f"/portal/acme{path}")
        assert "Secret Rebrand" not in response.text and "Globex Website" not in response.text


async def test_a_project_link_opens_the_project(user: User, acme: OrgWorld) -> None:
    await user.open("/portal/acme/projects")
    [link] = [
        e for e in user.find(ui.link).elements if e.props.get("href") == f"/portal/acme/projects/{acme.project.id}"
    ]
    await user.open(link.props["href"])
    await user.should_see(kind=ui.label, content="Acme Website")
    await user.should_see("← All projects")


@pytest.mark.parametrize(
    ("path", "title"), [("/invoices", "No invoices"), ("/files", "No files")], ids=["invoices", "files"]
)
async def test_invoices_and_files_have_clean_empty_states(user: User, acme: OrgWorld, path: str, title: str) -> None:
    await user.open(f"/portal/acme{path}")
    await user.should_see(kind=ui.label, content=title)
    assert not [t for t in label_texts(user) if "coming soon" in t.lower()]
    response = await user.http_client.get(f"/portal/acme{path}")
    assert response.status_code == 200 and "coming soon" not in response.text.lower()


async def test_portal_switched_off_shows_a_notice_instead_of_data(user: User, acme: OrgWorld) -> None:
    changes = organizations.OrganizationChanges(name="Acme", slug="acme", portal_enabled=False)
    await organizations.update_organization(acme.actor, changes)
    for path in (*PAGES, f"/projects/{acme.project.id}"):
        await user.open(f"/portal/acme{path}")
        await user.should_see(kind=ui.label, content="The client portal is currently unavailable")
        await user.should_not_see(kind=ui.label, content="Acme Website")
        response = await user.http_client.get(f"/portal/acme{path}")
        assert "Acme Website" not in response.text, path


async def test_another_clients_and_organizations_projects_are_not_found(user: User, acme: OrgWorld) -> None:
    other = await clients.create_client(acme.actor, clients.ClientInput(name="Other Client"))
    neighbour = await projects.create_project(acme.actor, other.id, projects.ProjectInput(name="Secret Rebrand"))
    globex = await make_world("globex")
    foreign = ("Secret Rebrand", "Other Client", "Globex Website", "Globex Client")

    for project_id in (neighbour.id, globex.project.id, "not-a-uuid"):
        response = await user.http_client.get(f"/portal/acme/projects/{project_id}")
        assert response.status_code == 404, project_id
        assert not [name for name in foreign if name in response.text], project_id
    await user.open("/portal/acme/")
    assert not [t for t in label_texts(user) if t in foreign]

    # A's cookie, sent to B's portal as if it were B's: B's portal does not know it.
    token = user.http_client.cookies.get(PORTAL_COOKIE)
    assert token
    async with httpx.AsyncClient(transport=user.http_client._transport, base_url="http://test") as browser:
        browser.cookies.set(PORTAL_COOKIE, token)
        for path in (*PAGES, f"/projects/{globex.project.id}", f"/projects/{acme.project.id}"):
            response = await browser.get(f"/portal/globex{path}")
            assert (response.status_code, response.headers["location"]) == (303, "/portal/globex/login"), path
        assert (await browser.get("/portal/acme/")).status_code == 200  # the same cookie works where it belongs


async def test_user_text_is_never_rendered_as_html(user: User, acme: OrgWorld) -> None:
    evil = "<script>alert(1)</script>"
    project = await projects.create_project(
        acme.actor, acme.client.id, projects.ProjectInput(name=evil, description=f'<img src=x onerror="{evil}">')
    )
    for path in ("/", "/projects", f"/projects/{project.id}"):
        response = await user.http_client.get(f"/portal/acme{path}")
        assert response.status_code == 200
        assert evil not in response.text and "<img src=x" not in response.text, path
        await user.open(f"/portal/acme{path}")
        labels = [e for e in user.find(ui.label).elements if e.text == evil]
        assert labels and all(not isinstance(e, ui.html) for e in labels), path
