"""Staff side of calendar feeds: a contact's active calendar links on the client page, each with a revoke."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing.user import User

from services.core import audit
from services.projects import calendar_feeds
from tests.support.factories import make_world
from tests.support.isolation import sign_in as start_portal_session
from tests.support.pages import eventually, signed_in


async def test_staff_see_and_revoke_a_contacts_calendar_links(user: User) -> None:
    world = await make_world("acme")
    await start_portal_session(world.contact.id)  # the contact has signed in, as anyone with a feed has
    jane = world.portal_actor()
    project = await calendar_feeds.feed_link(jane, world.project.id)
    everything = await calendar_feeds.feed_link(jane)

    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    await user.should_see(kind=ui.label, content="Last sign-in")
    expansion = next(iter(user.find(kind=ui.expansion, content="Calendar links").elements))
    expansion.value = True
    await user.should_see(marker=f"calendar-feed-{project.feed_id}", retries=50)
    await user.should_see(marker=f"calendar-feed-{everything.feed_id}")
    await user.should_see("All projects")
    await user.should_see("Never fetched")

    user.find(marker=f"revoke-calendar-feed-{project.feed_id}").click()
    await user.should_see(marker="confirm", retries=50)
    user.find(marker="confirm").click()
    await user.should_see("Calendar link revoked; it no longer works.", retries=50)
    await user.should_not_see(marker=f"calendar-feed-{project.feed_id}", retries=50)

    async def ended() -> bool:
        return await calendar_feeds.open_feed(project.url.rsplit("/", 1)[1].removesuffix(".ics")) is None

    await eventually(ended)
    assert await calendar_feeds.open_feed(everything.url.rsplit("/", 1)[1].removesuffix(".ics")) is not None
    events = await audit.list_events(world.actor, audit.AuditFilter(action="calendar_feed.revoked"))
    assert [e.target_label for e in events.items] == ["Jane Doe · Acme Website"]
