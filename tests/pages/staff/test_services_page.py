"""The staff Services page (SPEC §12): owners and admins shape the catalog, members read it."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing.user import User

from models.catalog import Interval
from models.organizations import Role
from services.catalog import catalog
from services.catalog.catalog import ServiceInput, ServiceView, TemplateMilestone
from services.core.actors import StaffActor
from tests.support.factories import add_member, make_world
from tests.support.locales import speak
from tests.support.pages import error_of, eventually, sees_within, signed_in, the


async def add(actor: StaffActor, name: str, price: str = "1200.00", **options: object) -> ServiceView:
    values: dict = {"currency": "USD", "public": True} | options
    return await catalog.create_service(actor, ServiceInput(name=name, price=price, **values))


async def in_order(actor: StaffActor, expected: list[str]) -> bool:
    return await names(actor) == expected


def texts(user: User, marker: str) -> list[str]:
    return [e.text for e in user.find(kind=ui.label, marker=marker).elements]


async def names(actor: StaffActor, *, archived: bool = False) -> list[str]:
    return [view.name for view in await catalog.list_services(actor, archived=archived)]


async def test_an_owner_creates_a_service_with_a_template_and_sees_it_listed(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/services")
    await user.should_see(marker="no-services", retries=50)
    user.find(marker="new-service").click()
    (await the(user, "service-name-input", ui.input)).value = "Website audit"
    (await the(user, "service-description", ui.textarea)).value = "A full review of your site."
    (await the(user, "service-price-input", ui.input)).value = "1200"
    assert (await the(user, "service-currency", ui.input)).value == "USD"  # the organization's default
    (await the(user, "service-interval", ui.select)).value = "month"
    (await the(user, "service-public", ui.switch)).value = True
    user.find(marker="add-template-milestone").click()
    user.find(marker="add-template-milestone").click()
    await eventually(lambda: len(user.find(marker="template-milestone-title").elements) == 2)
    titles = sorted(user.find(kind=ui.input, marker="template-milestone-title").elements, key=lambda e: e.id)
    days = sorted(user.find(kind=ui.number, marker="template-milestone-days").elements, key=lambda e: e.id)
    titles[0].value, days[0].value = "Kick-off", 0
    titles[1].value, days[1].value = "Report", 14
    (await the(user, "service-request-title", ui.input)).value = "Send us your logins"
    user.find(marker="save-service").click()
    await user.should_see("Saved Website audit", retries=50)

    [view] = await catalog.list_services(world.actor)
    assert (view.name, view.price_minor, view.currency, view.interval, view.public) == (
        "Website audit",
        120000,
        "USD",
        Interval.month,
        True,
    )
    assert view.milestones == (TemplateMilestone("Kick-off", 0), TemplateMilestone("Report", 14))
    assert view.request_title == "Send us your logins"
    await sees_within(user, f"service-{view.id}", "$1,200.00 / month")
    await sees_within(user, f"service-{view.id}", marker="service-public-badge")
    await sees_within(user, f"service-{view.id}", "A full review of your site.")


async def test_a_bad_price_shows_on_the_field_and_creates_nothing(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/services")
    user.find(marker="new-service").click()
    (await the(user, "service-name-input", ui.input)).value = "Audit"
    price = await the(user, "service-price-input", ui.input)
    price.value = "abc"
    user.find(marker="save-service").click()
    assert "number" in await eventually(error_of(price))
    price.value = "-5"
    user.find(marker="save-service").click()
    assert await eventually(lambda: error_of(price)() == "The price must be above zero.")
    assert await catalog.list_services(world.actor) == []


async def test_editing_a_service_keeps_its_template_and_changes_its_price(user: User) -> None:
    world = await make_world("acme")
    view = await add(world.actor, "Audit", milestones=(TemplateMilestone("Kick-off", 0),))
    await signed_in(user, world.owner_email)
    await user.open("/services")
    await sees_within(user, f"service-{view.id}", "$1,200.00")
    user.find(marker="service-edit").click()
    price = await the(user, "service-price-input", ui.input)
    assert price.value == "1200.00"
    assert [e.value for e in user.find(kind=ui.input, marker="template-milestone-title").elements] == ["Kick-off"]
    price.value = "1500.50"
    user.find(marker="save-service").click()
    await sees_within(user, f"service-{view.id}", "$1,500.50")
    edited = await catalog.get_service(world.actor, view.id)
    assert (edited.price_minor, edited.milestones) == (150050, (TemplateMilestone("Kick-off", 0),))


async def test_services_move_up_and_down_the_menu(user: User) -> None:
    world = await make_world("acme")
    first = await add(world.actor, "First")
    await add(world.actor, "Second")
    third = await add(world.actor, "Third")
    await signed_in(user, world.owner_email)
    await user.open("/services")
    await user.should_see("Third", retries=50)
    with user.scope(marker=f"service-{first.id}"):
        user.find(marker="service-down").click()
    await eventually(lambda: in_order(world.actor, ["Second", "First", "Third"]))
    await sees_within(user, f"service-{first.id}", marker="service-up")
    with user.scope(marker=f"service-{third.id}"):
        user.find(marker="service-up").click()
    await eventually(lambda: in_order(world.actor, ["Second", "Third", "First"]))


async def test_hide_show_archive_and_restore(user: User) -> None:
    world = await make_world("acme")
    view = await add(world.actor, "Audit")
    await signed_in(user, world.owner_email)
    await user.open("/services")
    await sees_within(user, f"service-{view.id}", marker="service-public-badge")
    user.find(marker="service-toggle").click()
    await sees_within(user, f"service-{view.id}", marker="service-hidden-badge")
    assert (await catalog.get_service(world.actor, view.id)).public is False
    user.find(marker="service-toggle").click()
    await sees_within(user, f"service-{view.id}", marker="service-public-badge")
    assert (await catalog.get_service(world.actor, view.id)).public is True

    user.find(marker="service-archive").click()
    await user.should_see(marker="confirm", retries=50)
    user.find(marker="confirm").click()
    await user.should_not_see(marker="service-row", retries=50)
    assert await names(world.actor, archived=True) == ["Audit"]
    (await the(user, "show-archived", ui.switch)).value = True
    await user.should_see(marker="archived-services", retries=50)
    await sees_within(user, "archived-services", "Audit")
    user.find(marker="service-restore").click()
    await user.should_see(marker="service-row", retries=50)
    assert await names(world.actor) == ["Audit"]
    assert await names(world.actor, archived=True) == []


async def test_members_read_the_menu_without_controls(user: User) -> None:
    world = await make_world("acme")
    await add(world.actor, "Audit", description="What we look at.")
    await add(world.actor, "Care plan", "99", interval="year", public=False)
    member = await add_member(world.actor.org_id, "m@acme.test", Role.member)
    await signed_in(user, member.email)
    await user.open("/services")
    await user.should_see("Care plan", retries=50)
    assert sorted(texts(user, "service-price")) == ["$1,200.00", "$99.00 / year"]
    await user.should_see(marker="service-hidden-badge")
    for marker in ("new-service", "service-edit", "service-up", "service-toggle", "service-archive", "show-archived"):
        await user.should_not_see(marker=marker)


async def test_the_page_redraws_when_the_catalog_changes_elsewhere(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/services")
    await user.should_see(marker="no-services", retries=50)
    await add(world.actor, "Made elsewhere")
    await user.should_see("Made elsewhere", retries=50)


async def test_a_german_organization_reads_its_prices_in_german(user: User) -> None:
    world = await make_world("acme")
    await speak(world, "de_DE", "Europe/Berlin")
    await add(world.actor, "Audit", currency="EUR")
    await signed_in(user, world.owner_email)
    await user.open("/services")
    await user.should_see("Audit", retries=50)
    assert texts(user, "service-price") == ["1.200,00\xa0€"]


async def test_a_template_milestone_without_a_title_is_refused_under_the_template(user: User) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open("/services")
    user.find(marker="new-service").click()
    (await the(user, "service-name-input", ui.input)).value = "Audit"
    (await the(user, "service-price-input", ui.input)).value = "100"
    user.find(marker="add-template-milestone").click()
    await the(user, "template-milestone-title", ui.input)
    user.find(marker="save-service").click()
    error = await the(user, "milestones-error", ui.label)
    assert await eventually(lambda: error.visible and "Milestone title" in error.text)
    user.find(marker="remove-template-milestone").click()
    await user.should_not_see(marker="template-milestone-title", retries=50)
    user.find(marker="save-service").click()
    await user.should_see("Saved Audit", retries=50)
    assert [view.milestones for view in await catalog.list_services(world.actor)] == [()]
