"""The staff inbox page and the unread count in the navigation: unread per user, opened to its request, live."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing.user import User

from services.projects import discussion, inbox, work_requests
from services.projects.work_requests import RequestInput
from tests.support.factories import add_member, make_world
from tests.support.pages import eventually, sees_within, signed_in, the


def badge_reads(user: User, text: str | None) -> bool:
    """The navigation's unread badge shows `text`, or is hidden when `text` is None (the user finds visible
    elements only)."""
    try:
        shown = next(iter(user.find(marker="inbox-unread").elements))
    except AssertionError:
        return text is None
    return isinstance(shown, ui.badge) and shown.text == text


async def test_a_portal_request_is_unread_until_opened_and_opens_its_request(user: User) -> None:
    world = await make_world("acme")
    member = await add_member(world.actor.org_id, "sam@acme.test")
    await work_requests.create_request(world.portal_actor(), world.project.id, RequestInput("Dark mode"))
    [item] = (await inbox.list_items(world.actor)).items

    await signed_in(user, world.owner_email)
    await eventually(lambda: badge_reads(user, "1"))  # on every page, in the navigation
    await user.open("/inbox")
    await user.should_see("New request: Dark mode", retries=50)
    await sees_within(user, f"inbox-{item.id}", "Jane Doe · Acme Client · Acme Website")
    await sees_within(user, f"inbox-{item.id}", "Request")

    user.find(marker=f"inbox-{item.id}").click()
    dialog = (await the(user, "request-dialog")).parent_slot.parent  # type: ignore[union-attr]
    await sees_within(user, "request-dialog", "Dark mode")  # the project page, with the request's dialog filled
    assert isinstance(dialog, ui.dialog) and dialog.value  # and open
    await user.should_see("Acme Website")
    await eventually(lambda: badge_reads(user, None))
    assert (await inbox.unread_count(world.actor), await inbox.unread_count(member)) == (0, 1)

    await user.open("/inbox")
    await user.should_see("New request: Dark mode")
    assert (await inbox.list_items(world.actor, unread_only=True)).total == 0


async def test_new_items_arrive_live_and_mark_all_read_clears_them(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/inbox")
    await user.should_see("Nothing in the inbox yet.")
    assert badge_reads(user, None)

    news = await discussion.post_update(world.actor, world.project.id, "The design is ready", "public")
    await discussion.add_comment(world.portal_actor(), "Love it", update_id=news.id)
    await work_requests.send_feedback(world.portal_actor(), world.project.id, "The menu is hard to find")
    await user.should_see("Reply to an update: Love it", retries=100)  # no reload
    await user.should_see("Feedback: The menu is hard to find", retries=100)
    await eventually(lambda: badge_reads(user, "2"))

    user.find(marker="mark-all-read").click()
    await eventually(lambda: badge_reads(user, None))
    assert await inbox.unread_count(world.actor) == 0
    user.find("Unread only").click()
    await user.should_see("Nothing unread.", retries=50)


async def test_another_organizations_staff_see_nothing_of_the_inbox(user: User) -> None:
    theirs = await make_world("acme")
    mine = await make_world("globex")
    await work_requests.create_request(theirs.portal_actor(), theirs.project.id, RequestInput("Acme secret"))
    await signed_in(user, mine.owner_email)
    await user.open("/inbox")
    await user.should_see("Nothing in the inbox yet.")
    await user.should_not_see("Acme secret")
    assert badge_reads(user, None)
