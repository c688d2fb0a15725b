"""Portal sign-in for tests: the sign-in mails in the outbox, and signing a contact in as a browser does."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy import select

from models.mail import OutboxMail
from services.clients import magic_links
from services.core.actors import SystemActor
from services.core.db import unit_of_work

LINK = re.compile(r"/portal/[a-z0-9-]+/link/(\S+)")
CODE = re.compile(r"^(\d{6})\r?$", re.MULTILINE)
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


async def mails_to(email: str) -> list[str]:
    """The plain-text bodies queued for `email`, oldest first."""
    async with unit_of_work(SystemActor()) as session:
        rows = await session.scalars(
            select(OutboxMail.body_text).where(OutboxMail.to_addr == email).order_by(OutboxMail.created_at)
        )
        return list(rows)


def link_and_code(text: str) -> tuple[str, str]:
    link, code = LINK.search(text), CODE.search(text)
    assert link and code, text
    return link.group(1), code.group(1)


async def issue_link(org_id: uuid.UUID, email: str) -> tuple[str, str]:
    """Ask for a sign-in link as the login page does; the token and code from the queued mail."""
    assert await magic_links.request_link(org_id, email, ip="10.0.0.1")
    return link_and_code((await mails_to(email))[-1])


async def continue_link(http: httpx.AsyncClient, slug: str, token: str) -> httpx.Response:
    """Open the link and press "Continue": the nonce comes from the page's form, its twin from the cookie jar."""
    landing = await http.get(f"/portal/{slug}/link/{token}")
    assert landing.status_code == 200, landing.text
    nonce = NONCE.search(landing.text)
    assert nonce is not None
    return await http.post(f"/portal/{slug}/link/{token}", data={"nonce": nonce.group(1)})


async def sign_in_contact(http: httpx.AsyncClient, slug: str, org_id: uuid.UUID, email: str) -> str:
    """Sign `email` in through the mailed link; `http` keeps the cookie. Returns the cookie's value."""
    token, _ = await issue_link(org_id, email)
    response = await continue_link(http, slug, token)
    assert response.status_code == 303, response.text
    return response.cookies["portico_portal"]
