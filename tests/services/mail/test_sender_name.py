"""Mail goes out under its organization's name, at the configured address; no name can break the headers."""

from __future__ import annotations

import pytest

from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.mail import outbox
from tests.support.factories import make_org
from tests.support.invoicing import set_org
from tests.support.mail import HOSTILE_NAME, sender_name


async def queue_for(org_id) -> None:
    async with unit_of_work(SystemActor(label="test")) as session:
        outbox.queue(session, to="jane@client.test", subject="Hi", text="Hello", html="<p>Hello</p>", org_id=org_id)


async def test_the_organizations_name_is_the_senders_name(database, smtp, at):
    actor = await make_org("acme", name="Acme Studio")
    await queue_for(actor.org_id)
    await queue_for(None)  # no organization: the configured sender as it is
    assert await outbox.send_due() == 2
    by_name = {str(m["From"]) for m in smtp.inbox.wait_for(2)}
    assert by_name == {"Acme Studio <portico@agency.test>", "Portico <portico@agency.test>"}


async def test_the_name_is_read_when_the_mail_is_sent(database, smtp, at):
    actor = await make_org("acme", name="Acme")
    await queue_for(actor.org_id)
    await set_org(actor.org_id, name="Acme Renamed")
    assert await outbox.send_due() == 1
    [message] = smtp.inbox.wait_for(1)
    assert sender_name(message) == "Acme Renamed"


@pytest.mark.parametrize(
    "name",
    [
        'Acme, "The Best" Ltd.',
        "Café Ünïcode & Söhne",
        HOSTILE_NAME,
        "Acme\r\nBcc: victim@evil.test",
        "Acme <boss@evil.test>, other@evil.test",
    ],
)
async def test_no_name_breaks_the_from_header(database, smtp, at, name):
    actor = await make_org("acme")
    await set_org(actor.org_id, name=name)  # as stored, past the form's checks
    await queue_for(actor.org_id)
    assert await outbox.send_due() == 1
    [message] = smtp.inbox.wait_for(1)
    [address] = message["From"].addresses
    assert address.addr_spec == "portico@agency.test"
    assert address.display_name == " ".join(name.split())
    assert message["Bcc"] is None and message.get_all("From") == [message["From"]]
    assert [m["To"] for m in smtp.inbox.messages] == ["jane@client.test"]
