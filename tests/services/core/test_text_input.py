"""Typed text: single-line fields refuse line breaks (they end up in mail headers), long texts are bounded in lines."""

from __future__ import annotations

import pytest

from services.clients import clients, contacts
from services.core.common import one_line, optional_text, required_text
from services.core.errors import Invalid
from services.organizations import organizations
from services.projects import milestones, projects
from tests.support.factories import make_world

BREAKS = ["\r\n", "\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x1e"]


@pytest.mark.parametrize("brk", BREAKS, ids=[repr(b) for b in BREAKS])
def test_single_line_fields_refuse_every_line_break(brk: str) -> None:
    with pytest.raises(Invalid, match="Name must be on one line") as error:
        required_text(f"Evil{brk}Bcc: attacker@evil.test", "name", "Name", 200)
    assert error.value.field == "name"
    with pytest.raises(Invalid, match="must be on one line"):
        optional_text(f"a{brk}b", "title", "Title", 100)


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\x9b"])
def test_control_characters_are_refused_everywhere(control: str) -> None:
    with pytest.raises(Invalid, match="not allowed"):
        required_text(f"a{control}b", "name", "Name", 200)
    with pytest.raises(Invalid, match="not allowed"):
        optional_text(f"a{control}b", "address", "Address", 1000, max_lines=12)


def test_multi_line_fields_keep_their_lines_up_to_the_bound() -> None:
    assert optional_text(" 1 Main St\r\nSpringfield\u2028USA ", "address", "Address", 1000, max_lines=3) == (
        "1 Main St\nSpringfield\nUSA"
    )
    with pytest.raises(Invalid, match="too many lines \\(at most 20\\)"):
        required_text("a\n" * 240 + "z", "lines.0.description", "Line 1 description", 500, max_lines=20)
    assert required_text("a\tb", "name", "Name", 10) == "a\tb"  # a tab is not a line break


def test_one_line_flattens_stored_text_for_a_subject() -> None:
    assert one_line("Evil\r\nBcc: x@evil.test\x00 and\u2028more") == "Evil Bcc: x@evil.test and more"
    assert one_line("x" * 400) == "x" * 299 + "…"


async def test_services_refuse_line_breaks_in_names_and_titles(database) -> None:
    world = await make_world("acme")
    evil = "Initech\r\nBcc: attacker@evil.test"
    refusals = [
        clients.create_client(world.actor, clients.ClientInput(name=evil)),
        projects.create_project(world.actor, world.client.id, projects.ProjectInput(name=evil)),
        projects.create_project(world.actor, world.client.id, projects.ProjectInput(name="Site", phase=evil)),
        contacts.create_contact(
            world.actor, world.client.id, contacts.ContactInput(email="x@initech.test", name=evil, portal_enabled=True)
        ),
        milestones.add_milestone(world.actor, world.project.id, milestones.MilestoneInput(evil)),
        organizations.update_organization(world.actor, organizations.OrganizationChanges(name=evil, slug="acme")),
    ]
    for attempt in refusals:
        with pytest.raises(Invalid, match="must be on one line"):
            await attempt
    assert [c.name for c in (await clients.list_clients(world.actor)).items] == ["Acme Client"]
