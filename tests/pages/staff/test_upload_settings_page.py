"""Settings → Uploads: an owner saves the largest file and the accepted kinds, bad values are refused on their
fields, and a member sees the settings without being able to change them."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing.user import User

from models import Role
from services.files import upload_settings
from services.files.upload_settings import UploadSettings
from tests.support.factories import add_member, make_world
from tests.support.pages import eventually, signed_in, the


async def open_settings(user: User, email: str) -> None:
    await signed_in(user, email)
    await user.open("/settings")
    await user.should_see(marker="uploads-card", retries=50)


async def test_an_owner_saves_the_limit_and_the_kinds(user: User) -> None:
    world = await make_world("acme")
    await open_settings(user, world.owner_email)
    limit = await the(user, "upload-limit", ui.number)
    assert limit.value == 50
    assert [(await the(user, f"kind-{k}", ui.checkbox)).value for k in ("images", "pdf", "video", "archives")] == [
        True
    ] * 4
    limit.value = 25
    (await the(user, "kind-video", ui.checkbox)).value = False
    (await the(user, "kind-archives", ui.checkbox)).value = False
    user.find(marker="save-uploads").click()
    await user.should_see("Upload settings saved", retries=50)
    assert await upload_settings.get_upload_settings(world.actor) == UploadSettings(
        25, ("images", "pdf", "text", "documents")
    )
    # the Files card now says what is accepted
    await user.open(f"/clients/{world.client.id}")
    await user.should_see("Up to 25 MB per file", retries=50)
    [hint] = user.find(marker="upload-limits").elements
    assert isinstance(hint, ui.label) and "Video" not in hint.text and "PDF documents" in hint.text


async def test_bad_values_are_refused_on_their_fields(user: User) -> None:
    world = await make_world("acme")
    await open_settings(user, world.owner_email)
    limit = await the(user, "upload-limit", ui.number)
    limit.value = 0
    for key in ("images", "pdf", "video", "text", "documents", "archives"):
        (await the(user, f"kind-{key}", ui.checkbox)).value = False
    user.find(marker="save-uploads").click()
    await eventually(
        lambda: limit.props.get("error-message") == "The largest file is a whole number of MB from 1 to 1024."
    )
    kinds_error = await the(user, "kinds-error", ui.label)
    await eventually(lambda: kinds_error.visible and kinds_error.text == "Accept at least one kind of file.")
    assert (await upload_settings.get_upload_settings(world.actor)).limit_mb == 50

    limit.value = 2000
    (await the(user, "kind-pdf", ui.checkbox)).value = True
    user.find(marker="save-uploads").click()
    await eventually(lambda: not kinds_error.visible)
    assert limit.props.get("error-message") == "The largest file is a whole number of MB from 1 to 1024."
    assert await upload_settings.get_upload_settings(world.actor) == UploadSettings(
        50, ("images", "pdf", "video", "text", "documents", "archives")
    )

    limit.value = 10
    user.find(marker="save-uploads").click()
    await user.should_see("Upload settings saved", retries=50)
    assert limit.props.get("error-message") is None
    assert await upload_settings.get_upload_settings(world.actor) == UploadSettings(10, ("pdf",))


async def test_a_member_sees_the_settings_but_cannot_change_them(user: User) -> None:
    world = await make_world("acme")
    await add_member(world.actor.org_id, "member@acme.test", Role.member)
    await open_settings(user, "member@acme.test")
    limit = await the(user, "upload-limit", ui.number)
    save = await the(user, "save-uploads", ui.button)
    assert not limit.enabled and not save.enabled
    assert not (await the(user, "kind-pdf", ui.checkbox)).enabled
    await user.should_see("Only owners and admins can change these settings.")
