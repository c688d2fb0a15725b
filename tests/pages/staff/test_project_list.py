"""The staff Projects page: every project of the organization, filtered by client, status and lead, with
progress and the next deadline."""

from __future__ import annotations

from datetime import date

from nicegui import ui
from nicegui.testing.user import User

from portal_app.staff.project_list import NO_MATCHES, NO_PROJECTS
from services.clients import clients
from services.projects import milestones, projects
from tests.support.factories import add_member, make_org, make_world
from tests.support.pages import eventually, signed_in, table_rows, the_table


async def shows(user: User, names: list[str]) -> None:
    """The table lists the projects `names` (in any order), once the last filter change has loaded."""
    await eventually(lambda: sorted(r["name"] for r in the_table(user).rows) == sorted(names))


def the_select(user: User, label: str) -> ui.select:
    return next(e for e in user.find(ui.select).elements if e.props.get("label") == label)


async def test_projects_show_lead_progress_and_next_deadline_and_filter(user: User) -> None:
    world = await make_world("acme")
    lea = await add_member(world.actor.org_id, "lea@acme.test", name="Lea Lead")
    globex = await clients.create_client(world.actor, clients.ClientInput(name="Globex"))
    app = await projects.create_project(
        world.actor,
        globex.id,
        projects.ProjectInput(name="Globex App", status="on_hold", lead_user_id=lea.user_id),
    )
    first = await milestones.add_milestone(
        world.actor, world.project.id, milestones.MilestoneInput("Design", date(2031, 1, 5))
    )
    await milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput("Build", date(2031, 2, 9)))
    await milestones.set_milestone_done(world.actor, first.id, True)

    await signed_in(user, world.owner_email)
    await user.open("/projects")
    await user.should_see("Projects")
    rows = await table_rows(user, 2)
    by_name = {r["name"]: r for r in rows}
    website = by_name["Acme Website"]
    assert (website["client"], website["lead"], website["status"]) == ("Acme Client", "—", "Active")
    assert (website["progress"], website["deadline"]) == (
        "50%",
        "Feb 9, 2031",
    )  # the open milestone's, as en_US writes it
    globex_app = by_name["Globex App"]
    assert (globex_app["lead"], globex_app["status"], globex_app["progress"], globex_app["deadline"]) == (
        "Lea Lead",
        "On hold",
        "0%",
        "—",
    )
    assert globex_app["id"] == str(app.id)  # the name links to /projects/<id>
    assert "'/projects/' + props.row.id" in the_table(user).slots["body-cell-name"].template  # type: ignore[operator]

    the_select(user, "Status").value = "on_hold"
    await shows(user, ["Globex App"])
    the_select(user, "Status").value = ""
    await shows(user, ["Acme Website", "Globex App"])
    the_select(user, "Lead").value = "none"
    await shows(user, ["Acme Website"])
    the_select(user, "Lead").value = str(lea.user_id)
    await shows(user, ["Globex App"])
    the_select(user, "Status").value = "completed"
    await shows(user, [])
    assert the_table(user).props["no-data-label"] == NO_MATCHES

    await user.open(f"/projects?client={world.client.id}")  # the client filter, from a link
    assert [r["name"] for r in await table_rows(user, 1)] == ["Acme Website"]
    assert the_select(user, "Client").value == str(world.client.id)
    the_select(user, "Client").value = str(globex.id)
    await shows(user, ["Globex App"])


async def test_an_organization_without_projects_says_so(user: User) -> None:
    actor = await make_org("acme")
    await make_world("globex")  # another organization's project is not listed
    await signed_in(user, actor.email)
    await user.open("/projects")
    assert await table_rows(user, 0) == []
    assert the_table(user).props["no-data-label"] == NO_PROJECTS
