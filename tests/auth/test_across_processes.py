"""A sign-in ticket earned in one process is redeemed by another (`python main.py serve` on the same database),
as behind a proxy that sends the form's websocket and the cookie route to different processes."""

from __future__ import annotations

import httpx

from portal_app.auth import staff as staff_auth
from portal_app.auth.browser import BROWSER_COOKIE
from services.staff import staff
from tests.support.factories import PASSWORD, make_org
from tests.support.live import LiveServer


async def test_a_ticket_from_this_process_signs_in_through_the_server(live_server: LiveServer) -> None:
    actor = await make_org("acme")
    who = await staff.check_password(actor.email, PASSWORD)
    assert who is not None
    ticket = await staff_auth.tickets.issue(who, browser="the-browser")
    cookies = {BROWSER_COOKIE: "the-browser"}
    async with httpx.AsyncClient(base_url=live_server.url, cookies=cookies, timeout=30) as http:
        first = await http.get("/auth/staff/session", params={"ticket": ticket, "next": "/clients"})
        assert first.status_code == 303 and first.headers["location"] == "/clients", live_server.log()
        assert first.cookies.get(staff_auth.STAFF_COOKIE)
        again = await http.get("/auth/staff/session", params={"ticket": ticket})
        assert again.headers["location"] == "/login?expired=1"  # taken once, whichever process took it
