"""Reading the mails Portico sends, as a mail client would."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

from models.mail import OutboxMail
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.mail import outbox

LINK_TOKEN = re.compile(r"/link/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")
CODE_LINE = re.compile(r"^(\d{6})$", re.MULTILINE)


def plain_text(message: EmailMessage) -> str:
    """The decoded plain-text part, with \\n line ends."""
    body = message.get_body(("plain",))
    assert body is not None, "no plain-text part"
    return body.get_content().replace("\r\n", "\n")


def read_eml(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def sign_in_token(text: str) -> str:
    match = LINK_TOKEN.search(text)
    assert match, text
    return match.group(1)


def sign_in_code(text: str) -> str:
    match = CODE_LINE.search(text)
    assert match, text
    return match.group(1)


def html_part(message: EmailMessage) -> str:
    """The decoded HTML part."""
    body = message.get_body(("html",))
    assert body is not None, "no HTML part"
    return body.get_content()


def sender_name(message: EmailMessage) -> str:
    """The From header's display name, decoded as a mail client shows it."""
    [address] = message["From"].addresses
    return address.display_name


HOSTILE_NAME = "Evil <script>alert(\"x\")</script> & 'Co'"


async def queued_html(row: OutboxMail) -> str:
    """A queued mail's HTML part as the outbox will send it (a sweep's mails share a stored template)."""
    async with unit_of_work(SystemActor()) as session:
        return await outbox.html_part(session, row)
