"""The staff workspace pages, driven by NiceGUI's simulated user over the real app and services."""

from __future__ import annotations

import httpx
from nicegui import ui
from nicegui.testing.user import User
from sqlalchemy import update

from models.mail import MailStatus, OutboxMail
from services.clients import clients, contacts
from services.core import audit
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.mail import outbox
from services.organizations import organizations
from services.projects import projects
from tests.support.factories import make_org, make_world
from tests.support.pages import eventually, signed_in, table_rows, the_table


async def test_home_shows_counts_and_the_portal_link(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.should_see("Active projects")
    await user.should_see("http://portico.test/portal/acme/")
    await user.should_see("client.created")  # recent activity


async def test_clients_are_paginated_and_searched_on_the_server(user: User) -> None:
    actor = await make_org("acme")
    for n in range(30):
        await clients.create_client(actor, clients.ClientInput(name=f"Client {n:02d}", email=f"c{n}@clients.test"))
    await clients.create_client(actor, clients.ClientInput(name="Zebra 100% Co"))
    await signed_in(user, actor.email)
    await user.open("/clients")
    rows = await table_rows(user, 25)
    assert [r["name"] for r in rows][:2] == ["Client 00", "Client 01"]
    table = the_table(user)
    assert table.pagination["rowsNumber"] == 31
    user.find(ui.table).trigger("request", {"pagination": {"page": 2, "rowsPerPage": 25}})  # as the browser asks
    rows = await table_rows(user, 6)
    assert rows[-1]["name"] == "Zebra 100% Co"
    box = next(e for e in user.find(ui.input).elements if e.props.get("placeholder") == "Search by name or email")
    box.value = "100%"
    rows = await table_rows(user, 1)
    assert rows[0]["name"] == "Zebra 100% Co"
    assert the_table(user).pagination["rowsNumber"] == 1


async def test_new_client_form_validates_then_opens_the_client(user: User) -> None:
    actor = await make_org("acme")
    await signed_in(user, actor.email)
    await user.open("/clients")
    user.find("New client").click()
    user.find(kind=ui.button, content="Save").click()
    name_field = next(e for e in user.find(ui.input).elements if e.props.get("label") == "Name")
    await eventually(lambda: name_field.props.get("error-message"))
    assert name_field.props["error-message"] == "Name is required."
    assert (await clients.list_clients(actor)).total == 0
    name_field.value = "Globex"
    email_field = next(e for e in user.find(ui.input).elements if e.props.get("label") == "Email")
    email_field.value = "not an email"
    user.find(kind=ui.button, content="Save").click()
    await eventually(lambda: email_field.props.get("error-message"))
    assert "not valid" in email_field.props["error-message"]
    assert (await clients.list_clients(actor)).total == 0
    email_field.value = "hello@globex.test"
    user.find(kind=ui.button, content="Save").click()
    await user.should_see("Contacts", retries=50)
    await user.should_see("hello@globex.test")
    assert (await clients.list_clients(actor)).total == 1


async def test_client_page_adds_contacts_and_toggles_access(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    await user.should_see("Jane Doe")
    await user.should_see("Acme Website")
    user.find("Add contact").click()
    dialog_inputs = {
        "Name": next(iter(user.find(kind=ui.input, marker="contact-name").elements)),
        "Email": next(iter(user.find(kind=ui.input, marker="contact-email").elements)),
    }
    dialog_inputs["Name"].value = "Sam Lee"
    dialog_inputs["Email"].value = "JANE@client-acme.test"  # taken, case-insensitively
    user.find(kind=ui.button, content="Add contact").click()
    await eventually(lambda: dialog_inputs["Email"].props.get("error-message"))
    assert "already exists" in dialog_inputs["Email"].props["error-message"]
    dialog_inputs["Email"].value = "sam@client-acme.test"
    user.find(kind=ui.button, content="Add contact").click()

    async def emails() -> set[str]:
        return {c.email for c in (await contacts.list_contacts(world.actor, world.client.id)).items}

    async def added() -> bool:
        return len(await emails()) == 2

    await eventually(added)
    assert await emails() == {"jane@client-acme.test", "sam@client-acme.test"}
    await user.should_see(kind=ui.label, content="sam@client-acme.test")
    switch = next(
        e
        for e in user.find(ui.switch).elements
        if e.props.get("aria-label") == "Portal access for jane@client-acme.test"
    )
    switch.value = False
    await user.should_see("Remove Jane Doe's portal access?")
    user.find(marker="cancel").click()  # asked first: nothing changes until confirmed
    await user.should_not_see("Remove Jane Doe's portal access?")
    assert (await contacts.get_contact(world.actor, world.contact.id)).portal_enabled
    switch = next(
        e
        for e in user.find(ui.switch).elements
        if e.props.get("aria-label") == "Portal access for jane@client-acme.test"
    )
    assert switch.value is True  # redrawn as it still is
    switch.value = False
    await user.should_see("Remove Jane Doe's portal access?")
    user.find(marker="confirm").click()

    async def access_off() -> bool:
        return not (await contacts.get_contact(world.actor, world.contact.id)).portal_enabled

    await eventually(access_off)
    assert not (await contacts.get_contact(world.actor, world.contact.id)).portal_enabled
    events = await audit.list_events(world.actor, audit.AuditFilter(action="contact.portal_access_changed"))
    assert events.total == 1 and events.items[0].detail == {"portal_enabled": False}


async def test_deactivating_a_contact_asks_first(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    await user.should_see("Jane Doe")
    active = next(
        e for e in user.find(ui.switch).elements if e.props.get("aria-label") == "Active: jane@client-acme.test"
    )
    active.value = False
    await user.should_see("Deactivate Jane Doe?")
    user.find(marker="confirm").click()

    async def deactivated() -> bool:
        return not (await contacts.get_contact(world.actor, world.contact.id)).active

    await eventually(deactivated)


async def test_the_new_contact_form_makes_a_clients_first_contact_its_billing_contact(user: User) -> None:
    world = await make_world("acme")
    empty = await clients.create_client(world.actor, clients.ClientInput(name="Initech"))
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{empty.id}")
    await user.should_see("No contacts yet", retries=50)
    user.find(marker="add-contact").click()
    billing = next(iter(user.find(kind=ui.switch, marker="contact-billing").elements))
    assert billing.value is True
    next(iter(user.find(kind=ui.input, marker="contact-name").elements)).value = "Peter"
    next(iter(user.find(kind=ui.input, marker="contact-email").elements)).value = "peter@initech.test"
    user.find(marker="save-contact").click()

    async def added() -> list[contacts.ContactView]:
        return (await contacts.list_contacts(world.actor, empty.id)).items

    [peter] = await eventually(added)
    assert peter.billing

    await user.open(f"/clients/{world.client.id}")  # Jane is already there: the next contact starts without billing
    await user.should_see("Jane Doe", retries=50)
    user.find(marker="add-contact").click()
    billing = next(iter(user.find(kind=ui.switch, marker="contact-billing").elements))
    assert billing.value is False


async def test_another_organizations_client_and_project_are_not_found(
    user: User, app_client: httpx.AsyncClient
) -> None:
    theirs = await make_world("acme")
    mine = await make_world("globex")
    await signed_in(user, mine.owner_email)
    for path, text in (
        (f"/clients/{theirs.client.id}", "This client does not exist."),
        (f"/projects/{theirs.project.id}", "This project does not exist."),
        ("/clients/not-a-uuid", "This client does not exist."),
    ):
        response = await user.http_client.get(path)
        assert response.status_code == 404, path
        assert theirs.client.name not in response.text
        assert theirs.project.name not in response.text
        assert text in response.text
    await user.open("/clients")
    rows = await table_rows(user, 1)
    assert [r["name"] for r in rows] == [mine.client.name]


async def test_project_page_shows_and_edits_the_project(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/projects/{world.project.id}")
    await user.should_see("Acme Website")
    await user.should_see(world.client.name)
    user.find(kind=ui.button, content="Edit").click()
    fields = {e.props.get("label"): e for e in user.find(ui.input).elements}
    fields["Phase"].value = "Design"
    fields["Start date"].value = "05/01/2026"
    fields["Due date"].value = "04/01/2026"
    user.find(kind=ui.button, content="Save").click()
    await eventually(lambda: fields["Due date"].props.get("error-message"))
    assert fields["Due date"].props["error-message"] == "The due date cannot be before the start date."
    fields["Due date"].value = "06/30/2026"
    user.find(kind=ui.button, content="Save").click()
    await user.should_see(kind=ui.label, content="Jun 30, 2026", retries=50)
    view = await projects.get_project(world.actor, world.project.id)
    assert (view.phase, str(view.due_date)) == ("Design", "2026-06-30")


async def test_audit_log_filters_by_action(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/audit")
    rows = await table_rows(user)
    assert {r["action"] for r in rows} >= {"client.created", "contact.created", "project.created", "staff.signed_in"}
    select = next(e for e in user.find(ui.select).elements if e.props.get("label") == "Action")
    select.value = "contact.created"
    rows = await table_rows(user, 1)
    assert rows[0]["action"] == "contact.created" and "added the contact jane@client-acme.test" in rows[0]["what"]


async def test_people_lists_staff_with_roles(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/people")
    await user.should_see("owner@acme.test", retries=50)
    await user.should_see(marker="member-role")  # an owner may change roles, their own included


async def test_settings_saves_name_and_slug_and_rejects_a_bad_slug(user: User) -> None:
    world = await make_world("acme")
    await make_org("taken")
    await signed_in(user, world.owner_email)
    await user.open("/settings")
    fields = {e.props.get("label"): e for e in user.find(ui.input).elements}
    fields["Slug"].value = "Not a slug!"
    user.find(kind=ui.button, content="Save settings").click()
    await eventually(lambda: fields["Slug"].props.get("error-message"))
    assert "lower-case letters" in fields["Slug"].props["error-message"]
    fields["Slug"].value = "taken"
    user.find(kind=ui.button, content="Save settings").click()
    await user.should_see("The slug “taken” is taken.", retries=50)
    fields["Organization name"].value = "Acme Agency"
    fields["Slug"].value = "acme-agency"
    user.find(kind=ui.button, content="Save settings").click()
    await user.should_see("Settings saved", retries=50)
    org = await organizations.get_organization(world.actor)
    assert (org.name, org.slug) == ("Acme Agency", "acme-agency")
    assert fields["Portal link"].value == "http://portico.test/portal/acme-agency/"


async def test_settings_creates_an_api_token_shown_once(user: User, app_client: httpx.AsyncClient) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/settings")
    fields = {e.props.get("label"): e for e in user.find(ui.input).elements}
    fields["Token name"].value = "zapier"
    user.find(kind=ui.button, content="Create token").click()

    def shown_token() -> str | None:
        return next(
            (e.value for e in user.find(ui.input).elements if e.props.get("label") == "New token" and e.value), None
        )

    token = await eventually(shown_token)
    assert token.startswith("ptk_")
    response = await app_client.get("/api/v1/clients", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["total"] == 1


async def test_user_text_is_never_rendered_as_html(user: User) -> None:
    actor = await make_org("acme")
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    client = await clients.create_client(actor, clients.ClientInput(name=evil, address=evil))
    await signed_in(user, actor.email)
    response = await user.http_client.get(f"/clients/{client.id}")
    assert response.status_code == 200
    assert "<script>alert(2)</script>" not in response.text
    assert '<img src=x onerror="alert(1)">' not in response.text
    await user.open(f"/clients/{client.id}")
    labels = [e for e in user.find(ui.label).elements if e.text == evil]
    assert labels and all(not isinstance(e, ui.html) for e in labels)


async def test_settings_show_mail_that_could_not_be_sent(user: User) -> None:
    world = await make_world("acme")
    async with unit_of_work(SystemActor()) as session:
        outbox.queue(
            session, to="jane@client-acme.test", subject="Invoice INV-0007", text="x", org_id=world.actor.org_id
        )
    async with unit_of_work(SystemActor()) as session:
        await session.execute(
            update(OutboxMail).values(status=MailStatus.failed, last_error="SMTPRecipientsRefused: mailbox unknown")
        )
    await signed_in(user, world.owner_email)
    await user.open("/settings")
    await user.should_see("Mail that could not be sent")
    await user.should_see("Invoice INV-0007")
    await user.should_see("SMTPRecipientsRefused: mailbox unknown")


async def test_a_clients_contacts_come_a_page_at_a_time(user: User) -> None:
    world = await make_world("acme")
    for n in range(50):  # with the world's Jane: 51
        await contacts.create_contact(
            world.actor, world.client.id, contacts.ContactInput(email=f"p{n:02d}@acme.test", name=f"Person {n:02d}")
        )
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    await user.should_see("Person 48")
    await user.should_not_see("Person 49")  # by name: Jane Doe comes before the Persons
    user.find(marker="more-contacts").click()
    await user.should_see("Person 49", retries=50)
    await user.should_not_see(marker="more-contacts")
