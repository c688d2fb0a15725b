"""The choices of a staff client picker: a short list by name, searched on the server as someone types."""

from __future__ import annotations

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
