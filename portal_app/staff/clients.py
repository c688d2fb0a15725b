"""Clients: the searchable, server-side paginated list, and the form to add one."""

from __future__ import annotations

from fastapi.responses import RedirectResponse
from nicegui import ui

from components.forms import FieldErrors, dialog_actions
from components.paged_table import PagedTable
from components.table_columns import column
from portal_app.staff.layout import StaffPage, frame, staff_page
from services.clients import clients
from services.core.actors import StaffActor
from services.core.errors import ServiceError

COLUMNS = [
    column("name", "Name"),
    column("email", "Email"),
    column("contacts", "Contacts", align="right"),
    column("projects", "Projects", align="right"),
    column("created", "Added"),
]


def client_dialog(actor: StaffActor, on_saved, existing: clients.ClientView | None = None) -> ui.dialog:
    """The add/edit client form. Calls `on_saved(view)` after a successful save."""
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        ui.label("Edit client" if existing else "New client").classes("text-lg font-semibold")
        name = ui.input("Name", value=existing.name if existing else "").props("outlined autofocus").classes("w-full")
        email = (
            ui.input("Email", value=existing.email if existing else "").props("outlined type=email").classes("w-full")
        )
        phone = ui.input("Phone", value=existing.phone if existing else "").props("outlined").classes("w-full")
        address = (
            ui.textarea("Address", value=existing.address if existing else "")
            .props("outlined autogrow")
            .classes("w-full")
        )
        errors = FieldErrors(name=name, email=email, phone=phone, address=address)

        async def save() -> None:
            data = clients.ClientInput(name=name.value, email=email.value, phone=phone.value, address=address.value)
            try:
                view = (
                    await clients.update_client(actor, existing.id, data)
                    if existing
                    else await clients.create_client(actor, data)
                )
            except ServiceError as exc:
                errors.show(getattr(exc, "field", None), exc.message)
                return
            dialog.close()
            ui.notify(f"Saved {view.name}", type="positive")
            await on_saved(view)

        dialog_actions(dialog, "Save", save)
    return dialog


@staff_page("/clients")
async def clients_page(context: StaffPage, q: str = "") -> RedirectResponse | None:
    actor, formats = context.actor, context.org.formats

    async def fetch(limit: int, offset: int) -> tuple[list[dict], int]:
        page = await clients.list_clients(actor, search=search.value or "", limit=limit, offset=offset)
        rows = [
            {
                "id": str(c.id),
                "name": c.name,
                "email": c.email,
                "contacts": c.contacts,
                "projects": c.projects,
                "created": formats.day(c.created_at),
            }
            for c in page.items
        ]
        return rows, page.total

    async def opened(view: clients.ClientView) -> None:
        ui.navigate.to(f"/clients/{view.id}")

    with frame(context, "Clients"):
        dialog = client_dialog(actor, opened)
        with ui.row().classes("w-full items-center gap-3"):
            search = (
                ui.input(placeholder="Search by name or email", value=q)
                .props("outlined dense clearable debounce=300 aria-label=Search")
                .classes("flex-1")
            )
            with search.add_slot("prepend"):
                ui.icon("search")
            ui.button("New client", icon="add", on_click=dialog.open)
        table = PagedTable(COLUMNS, fetch)
        table.link_column("name", "'/clients/' + props.row.id")
        search.on_value_change(table.reset)
        await table.load()
    return None
