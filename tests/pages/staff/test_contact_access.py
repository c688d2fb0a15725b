"""Staff side of portal access: invitations, last sign-in, live sessions with revoke."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing.user import User

from services.clients import contacts, magic_links, portal_sessions
from services.core import audit
from services.mail import outbox
from tests.support.factories import make_world
from tests.support.mail import plain_text, read_eml, sign_in_code, sign_in_token
from tests.support.pages import eventually, signed_in
from tests.support.smtp import SmtpServer

WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0"


async def test_send_invitation_mails_a_welcome_link(user: User, smtp: SmtpServer) -> None:
    world = await make_world("acme")
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    user.find(marker=f"invite-{world.contact.email}").click()
    await user.should_see(f"Invitation sent to {world.contact.email}", retries=50)
    assert await outbox.send_due() == 1
    [mail] = smtp.inbox.wait_for(1)
    assert mail["To"] == world.contact.email
    assert "invited you to its client portal" in mail["Subject"]
    text = plain_text(mail)
    assert text.startswith("Hello Jane Doe,\n\nAcme has invited you")
    assert f"\nhttp://portico.test/portal/acme/link/{sign_in_token(text)}\n" in text
    assert sign_in_code(text)
    events = await audit.list_events(world.actor, audit.AuditFilter(action="portal.invitation_sent"))
    assert [e.target_label for e in events.items] == [world.contact.email]


async def test_invitation_is_not_offered_without_portal_access(user: User) -> None:
    world = await make_world("acme")
    await contacts.update_contact(world.actor, world.contact.id, contacts.ContactChanges(portal_enabled=False))
    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    button = next(iter(user.find(kind=ui.button, marker=f"invite-{world.contact.email}").elements))
    assert not button.enabled


async def test_staff_see_and_revoke_a_contacts_portal_session(user: User, file_outbox) -> None:
    world = await make_world("acme")
    assert await magic_links.request_link(world.actor.org_id, world.contact.email, ip="203.0.113.9")
    assert await outbox.send_due() == 1
    token = sign_in_token(plain_text(read_eml(next(file_outbox.glob("*.eml")))))
    cookie = await magic_links.consume_link(world.actor.org_id, token, ip="203.0.113.9", user_agent=WINDOWS_FIREFOX)
    assert cookie is not None

    await signed_in(user, world.owner_email)
    await user.open(f"/clients/{world.client.id}")
    await user.should_see(kind=ui.label, content="Last sign-in")
    expansion = next(iter(user.find(kind=ui.expansion, content="Portal sessions").elements))
    expansion.value = True
    await user.should_see("203.0.113.9", retries=50)
    await user.should_see("Firefox on Windows")  # the raw string stays in its tooltip
    user.find(kind=ui.button, content="Revoke").click()
    await user.should_see("Session ended; that browser is signed out.", retries=50)

    async def revoked() -> bool:
        return await portal_sessions.resolve(world.actor.org_id, cookie) is None

    await eventually(revoked)
    events = await audit.list_events(world.actor, audit.AuditFilter(action="portal.session_revoked"))
    assert events.total == 1
