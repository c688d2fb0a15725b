"""A generated document is a file of one client's project: nobody else's contact, and no other organization,
lists, opens or hears of it; unshared, even its own client's contacts do not."""

from __future__ import annotations

import pytest

from services.clients import clients, contacts
from services.core.actors import Actor
from services.core.errors import NotFound
from services.documents import making
from services.files import files
from services.projects import projects
from tests.support.documents import document_files, mails_to
from tests.support.factories import make_world


async def test_a_generated_document_reaches_its_own_clients_contacts_only(database, file_store) -> None:
    acme, bravo = await make_world("acme"), await make_world("bravo")
    neighbour = await clients.create_client(acme.actor, clients.ClientInput(name="Neighbour Ltd"))
    nosy = await contacts.create_contact(
        acme.actor,
        neighbour.id,
        contacts.ContactInput(email="nosy@neighbour.test", name="Nosy", portal_enabled=True),
    )
    await projects.create_project(acme.actor, neighbour.id, projects.ProjectInput(name="Neighbour site"))
    assert await making.make_due() == 3  # a welcome packet for each of the three projects
    [ours] = await document_files(acme.project.id)

    outsiders: list[Actor] = [acme.portal_actor(nosy), bravo.portal_actor(), bravo.actor]
    for outsider in outsiders:
        with pytest.raises(NotFound):
            await files.open_download(outsider, ours.id)
        with pytest.raises(NotFound):
            await files.get_file(outsider, ours.id)
        listed = await files.list_files(outsider, client_id=bravo.client.id)
        assert ours.id not in {f.id for f in listed.items}
    neighbours = await files.list_files(acme.portal_actor(nosy))
    assert [f.name for f in neighbours.items] == ["Welcome packet – Neighbour site.pdf"]
    assert [m.subject for m in await mails_to("nosy@neighbour.test")] == ["Neighbour site: welcome packet from Acme"]
    assert [m.subject for m in await mails_to("jane@client-acme.test")] == ["Acme Website: welcome packet from Acme"]

    assert (await files.open_download(acme.portal_actor(), ours.id)).content_type == "application/pdf"
    await files.set_shared(acme.actor, ours.id, False)
    with pytest.raises(NotFound):
        await files.open_download(acme.portal_actor(), ours.id)
    assert (await files.list_files(acme.portal_actor())).items == []
    with pytest.raises(NotFound):  # another organization's staff cannot share it back
        await files.set_shared(bravo.actor, ours.id, True)
