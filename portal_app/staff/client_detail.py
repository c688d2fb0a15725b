"""A client: details, contacts (portal access, billing and active toggles), projects, files, latest invoices and
quotes, and what it bought from the services catalog (subscriptions and purchases)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.responses import RedirectResponse
from nicegui import ui

from components.forms import FieldErrors, dialog_actions
from components.status_badge import status_badge
from portal_app.staff.client_purchases import PurchasesSections
from portal_app.staff.clients import client_dialog
from portal_app.staff.contact_access import contact_row
from portal_app.staff.files_section import FilesSection
from portal_app.staff.layout import StaffPage, frame, not_found, staff_page
from portal_app.staff.project_detail import project_dialog
from services.billing import invoice_listing, presentation
from services.billing.invoice_views import InvoiceRow
from services.clients import clients, contacts
from services.core.actors import StaffActor
from services.core.common import MAX_PAGE_SIZE, Page
from services.core.errors import NotFound, ServiceError
from services.core.formatting import Formats
from services.projects import projects
from services.projects.projects import STATUS_LABELS
from services.quotes import quote_views, quotes
from services.quotes.quote_views import QuoteRow

CONTACTS_PAGE = 50


def contact_dialog(actor: StaffActor, client_id, on_saved) -> Callable[[bool], None]:
    """The New contact form; the function it returns opens it, with Billing on for the client's first contact
    (as the service defaults it: invoices need someone to go to)."""
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
        ui.label("New contact").classes("text-lg font-semibold")
        name = ui.input("Name").props("outlined autofocus").classes("w-full").mark("contact-name")
        email = ui.input("Email").props("outlined type=email").classes("w-full").mark("contact-email")
        title = ui.input("Job title").props("outlined").classes("w-full").mark("contact-title")
        with ui.row().classes("gap-6"):
            portal = ui.switch("Portal access", value=True)
            billing = ui.switch("Billing contact", value=False).tooltip("Receives invoices and payment reminders")
            billing.mark("contact-billing")
        errors = FieldErrors(name=name, email=email, title=title)

        async def save() -> None:
            data = contacts.ContactInput(
                email=email.value,
                name=name.value,
                title=title.value,
                portal_enabled=portal.value,
                billing=billing.value,
            )
            try:
                view = await contacts.create_contact(actor, client_id, data)
            except ServiceError as exc:
                errors.show(getattr(exc, "field", None) or ("email" if exc.status_code == 409 else None), exc.message)
                return
            dialog.close()
            name.value = email.value = title.value = ""
            errors.clear()
            ui.notify(f"Added {view.name}", type="positive")
            await on_saved()

        dialog_actions(dialog, "Add contact", save).mark("save-contact")

    def open_form(first_contact: bool) -> None:
        billing.value = first_contact
        dialog.open()

    return open_form


def _details(view: clients.ClientView, edit: Callable[[], object]) -> None:
    with ui.card().classes("w-full").props("flat bordered"):
        with ui.row().classes("w-full items-center justify-between"):
            ui.label("Details").classes("text-lg font-semibold")
            ui.button("Edit", icon="edit", on_click=edit).props("flat dense")
        with ui.grid(columns=2).classes("gap-x-8 gap-y-1 text-sm"):
            for label, value in (("Email", view.email), ("Phone", view.phone), ("Address", view.address)):
                ui.label(label).classes("text-gray-500")
                ui.label(value or "—").classes("whitespace-pre-line")


def _projects(page: Page[projects.ProjectView], formats: Formats) -> None:
    if not page.items:
        ui.label("No projects yet.").classes("text-gray-500")
    for project in page.items:
        with ui.row().classes("w-full items-center gap-4 border-b border-gray-200 py-2"):
            ui.link(project.name, f"/projects/{project.id}").classes("font-medium flex-1")
            ui.badge(STATUS_LABELS[project.status]).props("outline")
            ui.label(f"Due {formats.day(project.due_date)}" if project.due_date else "").classes(
                "text-sm text-gray-500"
            )
    if page.total > len(page.items):
        ui.label(f"Showing {len(page.items)} of {page.total}.").classes("text-sm text-gray-500")


def _quotes(page: Page[QuoteRow], client_id: uuid.UUID, formats: Formats) -> None:
    """The latest quotes, and a link to all of them when there are more."""
    if not page.items:
        ui.label("No quotes yet.").classes("text-gray-500")
    for row in page.items:
        with ui.row().classes("w-full items-center gap-4 border-b border-gray-200 py-2 text-sm"):
            ui.link(row.number, f"/quotes/{row.id}").classes("font-medium w-32")
            ui.label(row.title).classes("text-gray-700 flex-1 truncate")
            ui.label(formats.day(row.issue_date)).classes("text-gray-500")
            badge = quote_views.status_badge(row.display_status)
            status_badge(badge.label, badge.color)
            ui.label(formats.money(row.total_minor, row.currency)).classes("tabular-nums w-28 text-right")
    if page.total > len(page.items):
        ui.link(f"All {page.total} quotes", f"/quotes?client={client_id}").classes("text-sm")


def _invoices(page: Page[InvoiceRow], client_id: uuid.UUID, formats: Formats) -> None:
    """The latest invoices, and a link to all of them when there are more."""
    if not page.items:
        ui.label("No invoices yet.").classes("text-gray-500")
    for row in page.items:
        with ui.row().classes("w-full items-center gap-4 border-b border-gray-200 py-2 text-sm"):
            ui.link(row.number, f"/invoices/{row.id}").classes("font-medium w-32")
            ui.label(formats.day(row.issue_date)).classes("text-gray-500")
            badge = presentation.status_badge(row.display_status)
            status_badge(badge.label, badge.color)
            ui.space()
            ui.label(formats.money(row.total_minor, row.currency)).classes("tabular-nums")
    if page.total > len(page.items):
        ui.link(f"All {page.total} invoices", f"/invoices?client={client_id}").classes("text-sm")


@staff_page("/clients/{client_id}")
async def client_page(context: StaffPage, client_id: str) -> RedirectResponse | None:
    actor, formats = context.actor, context.org.formats
    try:
        client = await clients.get_client(actor, client_id)
    except NotFound:
        with frame(context, "Client"):
            not_found("This client does not exist.")
        return None

    contacts_shown = CONTACTS_PAGE  # "Show more" raises it
    contact_count = 0  # as last listed: the New contact form starts Billing on for the first

    @ui.refreshable
    async def contact_list() -> None:
        nonlocal contact_count
        page = await contacts.list_contacts(actor, client.id, limit=contacts_shown)
        contact_count = page.total
        if not page.items:
            ui.label("No contacts yet. Add the people who should see this client's work.").classes("text-gray-500")
        for contact in page.items:
            contact_row(actor, contact, contact_list.refresh, formats)
        more = page.total - len(page.items)
        if more > 0 and contacts_shown < MAX_PAGE_SIZE:
            ui.button(f"Show more ({more})", on_click=more_contacts).props("flat dense no-caps").mark("more-contacts")
        elif more > 0:
            ui.label(f"Showing the first {len(page.items)} of {page.total} contacts.").classes("text-sm text-gray-500")

    async def more_contacts() -> None:
        nonlocal contacts_shown
        contacts_shown = min(contacts_shown + CONTACTS_PAGE, MAX_PAGE_SIZE)
        await contact_list.refresh()

    @ui.refreshable
    async def project_list() -> None:
        _projects(await projects.list_projects(actor, client_id=client.id, limit=200), formats)

    async def client_saved(view: clients.ClientView) -> None:
        ui.navigate.reload()  # the name is the page's heading too

    async def project_saved(view: projects.ProjectView) -> None:
        await project_list.refresh()

    with frame(context, client.name):
        ui.link("← All clients", "/clients").classes("text-sm")
        edit = client_dialog(actor, client_saved, existing=client)
        _details(client, edit.open)
        add_contact = contact_dialog(actor, client.id, contact_list.refresh)
        new_project = await project_dialog(actor, project_saved, formats=formats, client_id=client.id)
        with ui.card().classes("w-full").props("flat bordered"):
            with ui.row().classes("w-full items-center justify-between"):
                ui.label("Contacts").classes("text-lg font-semibold")
                ui.button("Add contact", icon="person_add", on_click=lambda: add_contact(contact_count == 0)).props(
                    "flat"
                ).mark("add-contact")
            await contact_list()
        with ui.card().classes("w-full").props("flat bordered"):
            with ui.row().classes("w-full items-center justify-between"):
                ui.label("Projects").classes("text-lg font-semibold")
                with ui.row().classes("items-center gap-2"):
                    ui.link("All requests", f"/clients/{client.id}/requests").classes("text-sm").mark("all-requests")
                    ui.button("New project", icon="add", on_click=new_project.open).props("flat")
            await project_list()
        await FilesSection(actor, formats, client_id=client.id).draw()
        with ui.card().classes("w-full").props("flat bordered"):
            with ui.row().classes("w-full items-center justify-between"):
                ui.label("Invoices").classes("text-lg font-semibold")
                ui.button(
                    "New invoice", icon="add", on_click=lambda: ui.navigate.to(f"/invoices/new?client={client.id}")
                ).props("flat")
            filters = invoice_listing.InvoiceFilter(client_id=client.id)
            _invoices(await invoice_listing.list_invoices(actor, filters, limit=5), client.id, formats)
        with ui.card().classes("w-full").props("flat bordered").mark("client-quotes"):
            with ui.row().classes("w-full items-center justify-between"):
                ui.label("Quotes").classes("text-lg font-semibold")
                ui.button(
                    "New quote", icon="add", on_click=lambda: ui.navigate.to(f"/quotes/new?client={client.id}")
                ).props("flat")
            recent = await quotes.list_quotes(actor, quotes.QuoteFilter(client_id=client.id), limit=5)
            _quotes(recent, client.id, formats)
        await PurchasesSections(actor, formats, client.id).show()
    return None
