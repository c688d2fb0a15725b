"""The choices of a staff client picker: a short list by name, searched on the server as someone types."""

from __future__ import annotations

from functools import partial

from nicegui import ui

from components.search_select import search_select
from services.clients import clients
from services.core.actors import StaffActor
from services.core.errors import NotFound

CLIENT_CHOICES = 50  # clients a picker offers before anything is typed; typing searches all of them


async def client_choices(actor: StaffActor, search: str = "") -> dict[str, str]:
    """Clients whose name or email matches `search`, by name."""
    page = await clients.list_clients(actor, search=search, limit=CLIENT_CHOICES)
    return {str(c.id): c.name for c in page.items}


async def with_chosen(actor: StaffActor, choices: dict[str, str], chosen: str) -> dict[str, str]:
    """`choices` holding the client `chosen` too (one from a link may be beyond the first page); an id that is
    not one of the organization's clients is left out."""
    if not chosen or chosen in choices:
        return choices
    try:
        client = await clients.get_client(actor, chosen)
    except NotFound:
        return choices
    return {**choices, str(client.id): client.name}


async def client_filter(actor: StaffActor, chosen: str) -> ui.select:
    """A list page's "Client" filter: "All clients" first, `chosen` (from the link) selected when it is one of
    the organization's clients, others searched as someone types."""
    options = await with_chosen(actor, await client_choices(actor), chosen)
    select = search_select(
        options,
        chosen if chosen in options else "",
        "Client",
        partial(client_choices, actor),
        pinned={"": "All clients"},
    ).props("outlined dense")
    select.classes("min-w-[14rem]")
    return select
