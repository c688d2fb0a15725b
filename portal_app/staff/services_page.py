"""Services: the agency's catalog (SPEC §12). Owners and admins add, edit, reorder, hide and archive services;
members read the menu. The page redraws when the catalog changes, here or in another session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.element import Element
from nicegui.events import ClickEventArguments, ValueChangeEventArguments

from components.confirm import confirm
from components.forms import FieldErrors, dialog_actions, pressed
from models.catalog import Interval
from portal_app.live import Coalesced, follow
from portal_app.staff.layout import StaffPage, frame, staff_page
from services.catalog import catalog
from services.catalog.catalog import INTERVAL_LABELS, MAX_MILESTONES, ServiceInput, ServiceView, TemplateMilestone
from services.core import events, money
from services.core.actors import StaffActor
from services.core.errors import Invalid, ServiceError
from services.core.formatting import Formats
from services.organizations import organizations

SERVICES_PATH = "/services"
EXCERPT = 160  # characters of the description shown in the list


def price_text(view: ServiceView, formats: Formats) -> str:
    """ "$1,200.00" for a one-time service, "$99.00 / month" for a recurring one."""
    amount = formats.money(view.price_minor, view.currency)
    return f"{amount} / {view.interval.value}" if view.recurring else amount


def excerpt(text: str, length: int = EXCERPT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


@dataclass
class _MilestoneRow:
    row: Element
    title: ui.input
    days: ui.number


class ServiceForm:
    """The New service / Edit service dialog, made on demand under `anchor` and gone when closed."""

    def __init__(self, actor: StaffActor, default_currency: str, existing: ServiceView | None = None) -> None:
        self.actor, self.existing = actor, existing
        self.rows: list[_MilestoneRow] = []
        with ui.dialog() as self.dialog, ui.card().classes("w-full max-w-2xl"):
            ui.label("Edit service" if existing else "New service").classes("text-lg font-semibold")
            self.name = ui.input("Name", value=existing.name if existing else "").props("outlined maxlength=200")
            self.name.classes("w-full").mark("service-name-input")
            self.description = ui.textarea("Description", value=existing.description if existing else "")
            self.description.props("outlined autogrow maxlength=4000").classes("w-full").mark("service-description")
            with ui.row().classes("w-full items-start gap-2 no-wrap"):
                price = str(money.from_minor(existing.price_minor, existing.currency)) if existing else ""
                self.price = ui.input("Price", value=price).props("outlined inputmode=decimal").classes("flex-1")
                self.price.mark("service-price-input")
                currency = existing.currency if existing else default_currency
                self.currency = ui.input("Currency", value=currency).props("outlined maxlength=3").classes("w-28")
                self.currency.mark("service-currency")
                choices = {interval.value: label for interval, label in INTERVAL_LABELS.items()}
                interval = existing.interval.value if existing else Interval.one_time.value
                self.interval = ui.select(choices, value=interval, label="Interval").props("outlined")
                self.interval.classes("w-36").mark("service-interval")
            self.public = ui.switch(
                "Public: on the portal's Services page", value=existing.public if existing else False
            )
            self.public.mark("service-public")
            ui.label("Project template").classes("font-medium mt-2")
            ui.label("The milestones of the project a purchase starts, due so many days after the purchase.").classes(
                "text-sm text-gray-600"
            )
            self.milestones = ui.column().classes("w-full gap-1")
            for milestone in existing.milestones if existing else ():
                self._add_row(milestone.title, milestone.offset_days)
            self.milestones_error = ui.label("").classes("text-sm text-negative").mark("milestones-error")
            self.milestones_error.visible = False
            ui.button("Add milestone", icon="add", on_click=lambda: self._add_row()).props("flat dense no-caps").mark(
                "add-template-milestone"
            )
            self.request_title = ui.input("First request", value=existing.request_title if existing else "")
            self.request_title.props("outlined maxlength=200").classes("w-full").mark("service-request-title")
            self.request_description = ui.textarea(
                "First request's description", value=existing.request_description if existing else ""
            )
            self.request_description.props("outlined autogrow maxlength=4000").classes("w-full")
            self.request_description.mark("service-request-description")
            self.errors = FieldErrors(
                name=self.name,
                description=self.description,
                price=self.price,
                currency=self.currency,
                interval=self.interval,
                request_title=self.request_title,
                request_description=self.request_description,
            )
            dialog_actions(self.dialog, "Save service" if existing else "Create service", self._save).mark(
                "save-service"
            )

    def _add_row(self, title: str = "", days: int = 0) -> None:
        if len(self.rows) >= MAX_MILESTONES:
            ui.notify(f"A template has at most {MAX_MILESTONES} milestones.", type="warning")
            return
        with self.milestones, ui.row().classes("w-full items-start gap-2 no-wrap") as row:
            title_input = ui.input("Title", value=title).props("outlined dense maxlength=200").classes("flex-1")
            title_input.mark("template-milestone-title")
            days_input = ui.number("Days after purchase", value=days, min=0, max=catalog.MAX_OFFSET_DAYS, step=1)
            days_input.props("outlined dense").classes("w-44").mark("template-milestone-days")
            entry = _MilestoneRow(row, title_input, days_input)
            remove = ui.button(icon="close", on_click=lambda: self._remove_row(entry)).props("flat round dense")
            remove.props["aria-label"] = "Remove milestone"
            remove.mark("remove-template-milestone")
        self.rows.append(entry)

    def _remove_row(self, entry: _MilestoneRow) -> None:
        self.rows.remove(entry)
        entry.row.delete()

    def _template(self) -> tuple[TemplateMilestone, ...]:
        """The rows as the service takes them; a day count that is not a whole number is refused here."""
        items = []
        for entry in self.rows:
            entry.days.props.pop("error", None)
            entry.days.props.pop("error-message", None)
            entry.days.update()
        for entry in self.rows:
            value = entry.days.value
            if value is None or not float(value).is_integer():
                entry.days.props["error"] = True
                entry.days.props["error-message"] = "Whole days"
                entry.days.update()
                raise Invalid("Enter the days after the purchase as a whole number.", "milestones")
            items.append(TemplateMilestone(entry.title.value or "", int(value)))
        return tuple(items)

    def _show(self, exc: ServiceError) -> None:
        problems = getattr(exc, "problems", (exc,))
        template = [p.message for p in problems if getattr(p, "field", None) == "milestones"]
        self.milestones_error.text = " ".join(template)
        self.milestones_error.visible = bool(template)
        self.errors.show_all(
            [(getattr(p, "field", None), p.message) for p in problems if getattr(p, "field", None) != "milestones"]
        )

    async def _save(self) -> None:
        try:
            data = ServiceInput(
                name=self.name.value or "",
                price=(self.price.value or "").strip(),
                currency=self.currency.value or "",
                interval=self.interval.value or "",
                description=self.description.value or "",
                public=bool(self.public.value),
                milestones=self._template(),
                request_title=self.request_title.value or "",
                request_description=self.request_description.value or "",
            )
            if self.existing is None:
                view = await catalog.create_service(self.actor, data)
            else:
                view = await catalog.update_service(self.actor, self.existing.id, data)
        except ServiceError as exc:
            self._show(exc)
            return
        ui.notify(f"Saved {view.name}", type="positive")
        self.dialog.submit(True)

    async def run(self) -> bool:
        """Show the dialog until it is saved or dismissed, then drop it; True when saved."""
        saved = await self.dialog
        if not self.dialog.is_deleted:
            self.dialog.delete()
        return bool(saved)


class ServicesList:
    """The menu in order and, for owners and admins, the archived services; each draw reads the catalog afresh."""

    def __init__(self, actor: StaffActor, formats: Formats, default_currency: str) -> None:
        self.actor, self.formats, self.default_currency = actor, formats, default_currency
        self.show_archived = False
        # Dialogs hang off this stable element: one made inside a redrawn row would vanish with the row.
        self.anchor = ui.element("div").classes("hidden")
        self.redraw = Coalesced(self._redraw)

    async def _redraw(self) -> None:
        await self.menu.refresh()
        await self.archived.refresh()

    async def _run(self, action: Awaitable[object]) -> None:
        try:
            await action
        except ServiceError as exc:
            ui.notify(exc.message, type="negative")
        await self.redraw()

    # --- the menu ----------------------------------------------------------------------------------------------

    @ui.refreshable_method
    async def menu(self) -> None:
        services = await catalog.list_services(self.actor)
        if not services:
            text = "No services yet." + (" Add what you sell with “New service”." if self.actor.is_admin else "")
            ui.label(text).classes("text-gray-500").mark("no-services")
        for index, view in enumerate(services):
            self._row(view, first=index == 0, last=index == len(services) - 1)

    def _row(self, view: ServiceView, *, first: bool = False, last: bool = False) -> None:
        with ui.row().classes("w-full items-start gap-4 border-b border-gray-200 py-3 no-wrap") as row:
            row.mark("service-row" if not view.archived else "archived-service-row", f"service-{view.id}")
            with ui.column().classes("gap-1 flex-1 min-w-0"):
                with ui.row().classes("items-center gap-2"):
                    ui.label(view.name).classes("font-medium break-words").mark("service-name")
                    if view.public:
                        ui.badge("Public", color="positive").props("outline").mark("service-public-badge")
                    else:
                        ui.badge("Hidden", color="grey").props("outline").mark("service-hidden-badge")
                    ui.label(INTERVAL_LABELS[view.interval]).classes("text-xs text-gray-500")
                if view.description:
                    ui.label(excerpt(view.description)).classes("text-sm text-gray-600 break-words").mark(
                        "service-description-excerpt"
                    )
                template = _template_summary(view)
                if template:
                    ui.label(template).classes("text-xs text-gray-500").mark("service-template")
            ui.label(price_text(view, self.formats)).classes("tabular-nums whitespace-nowrap").mark("service-price")
            if self.actor.is_admin:
                if view.archived:
                    self._archived_actions(view)
                else:
                    self._actions(view, first, last)

    def _actions(self, view: ServiceView, first: bool, last: bool) -> None:
        with ui.row().classes("items-center gap-0 no-wrap"):
            up = ui.button(
                icon="arrow_upward", on_click=lambda: self._run(catalog.move_service(self.actor, view.id, -1))
            )
            up.props("flat round dense size=sm").mark("service-up")
            up.props["aria-label"] = f"Move {view.name} up"
            up.set_enabled(not first)
            down = ui.button(
                icon="arrow_downward", on_click=lambda: self._run(catalog.move_service(self.actor, view.id, 1))
            )
            down.props("flat round dense size=sm").mark("service-down")
            down.props["aria-label"] = f"Move {view.name} down"
            down.set_enabled(not last)
            ui.button("Edit", icon="edit", on_click=lambda: self._edit(view)).props("flat dense no-caps").mark(
                "service-edit"
            )

            async def toggle(event: ClickEventArguments) -> None:
                async with pressed(event):
                    changes = catalog.ServiceChanges(public=not view.public)
                    await self._run(catalog.update_service(self.actor, view.id, changes))

            ui.button(
                "Hide" if view.public else "Show",
                icon="visibility_off" if view.public else "visibility",
                on_click=toggle,
            ).props("flat dense no-caps").mark("service-toggle")
            ui.button("Archive", icon="archive", on_click=lambda: self._archive(view)).props(
                "flat dense no-caps color=negative"
            ).mark("service-archive")

    def _archived_actions(self, view: ServiceView) -> None:
        async def restore(event: ClickEventArguments) -> None:
            async with pressed(event):
                await self._run(catalog.set_archived(self.actor, view.id, False))

        ui.button("Restore", icon="unarchive", on_click=restore).props("flat dense no-caps").mark("service-restore")

    async def _edit(self, view: ServiceView | None = None) -> None:
        with self.anchor:
            form = ServiceForm(self.actor, self.default_currency, view)
        form.dialog.open()
        if await form.run():
            await self.redraw()

    async def _archive(self, view: ServiceView) -> None:
        with self.anchor:
            confirmed = await confirm(
                f"Archive “{view.name}”?",
                "It leaves the menu and the portal; its purchases and subscriptions are kept. You can restore it.",
                "Archive",
            )
        if confirmed:
            await self._run(catalog.set_archived(self.actor, view.id, True))

    # --- archived ----------------------------------------------------------------------------------------------

    def archived_switch(self) -> None:
        """Owners and admins may look at the archived services, to restore one."""
        if self.actor.is_admin:
            switch = ui.switch("Show archived services", value=self.show_archived).mark("show-archived")
            switch.on_value_change(self._toggle_archived)

    @ui.refreshable_method
    async def archived(self) -> None:
        if not self.actor.is_admin or not self.show_archived:
            return
        services = await catalog.list_services(self.actor, archived=True)
        with ui.column().classes("w-full gap-0").mark("archived-services"):
            ui.label("Archived").classes("text-lg font-semibold")
            if not services:
                ui.label("No archived services.").classes("text-sm text-gray-500")
            for view in services:
                self._row(view)

    async def _toggle_archived(self, event: ValueChangeEventArguments) -> None:
        self.show_archived = bool(event.value)
        await self.archived.refresh()

    async def new_service(self) -> None:
        await self._edit(None)


def _template_summary(view: ServiceView) -> str:
    parts = []
    if view.milestones:
        count = len(view.milestones)
        parts.append(f"{count} milestone{'s' if count != 1 else ''}")
    if view.request_title:
        parts.append(f"first request “{view.request_title}”")
    return "Starts a project: " + ", ".join(parts) if parts else ""


def _follows_catalog(context: StaffPage) -> Callable[[events.CatalogChanged], bool]:
    return lambda event: event.org_id == context.actor.org_id


@staff_page(SERVICES_PATH)
async def services_page(context: StaffPage) -> RedirectResponse | None:
    actor, formats = context.actor, context.org.formats
    # a new service is priced in the organization's currency unless told otherwise; only admins make one
    default_currency = (await organizations.get_invoice_settings(actor)).default_currency if actor.is_admin else ""

    with frame(context, "Services"):
        listing = ServicesList(actor, formats, default_currency)
        with ui.row().classes("w-full items-center justify-between"):
            ui.label("What you sell from the portal: one-time work and subscriptions, in menu order.").classes(
                "text-gray-600"
            )
            if actor.is_admin:
                ui.button("New service", icon="add", on_click=listing.new_service).mark("new-service")
        with ui.card().classes("w-full").props("flat bordered"):
            await listing.menu()
        listing.archived_switch()
        await listing.archived()
    follow(events.CatalogChanged, _follows_catalog(context), listing.redraw)
    return None
