"""The mail adapter: SMTP when PORTAL_SMTP_URL is set, else the log and var/outbox/*.eml."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger("portico.mail")


@dataclass(frozen=True, slots=True)
class MailConfig:
    smtp_url: str
    mail_from: str
    outbox_dir: Path
    timeout: float = 20.0


_config = MailConfig(smtp_url="", mail_from="Portico <no-reply@localhost>", outbox_dir=Path("var/outbox"))


def configure(config: MailConfig) -> None:
    global _config
    _config = config


def get_config() -> MailConfig:
    return _config


def build_message(
    *,
    message_id: str,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    attachments: Sequence[tuple[str, str, bytes]] = (),
    headers: dict[str, str] | None = None,
    sender_name: str = "",
) -> EmailMessage:
    """The MIME message. The id is stable per outbox row, so a rare re-send after a crash is one mail to clients.

    `sender_name` (the organization's name) replaces the configured sender's display name; the address stays.
    """
    msg = EmailMessage()
    msg["From"] = sender(sender_name)
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id if message_id.startswith("<") else f"<{message_id}@portico>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def sender(name: str = "") -> str | Address:
    """The From header: the configured address under `name`, quoted or encoded as the name needs (commas, quotes,
    non-ASCII). Line breaks and other controls in the name become spaces: a name never makes a header of its own."""
    name = " ".join("".join(ch if ch.isprintable() else " " for ch in name).split())
    if not name:
        return _config.mail_from
    return Address(display_name=name, addr_spec=parseaddr(_config.mail_from)[1])


def deliver(msg: EmailMessage, file_stem: str) -> None:
    """Blocking: callers run it in a worker thread. Raises on any delivery failure."""
    if _config.smtp_url:
        _send_smtp(msg)
        return
    _config.outbox_dir.mkdir(parents=True, exist_ok=True)
    path = _config.outbox_dir / f"{file_stem}.eml"
    path.write_bytes(bytes(msg))
    plain = msg.get_body(("plain",))
    log.info(
        "mail to %s: %s (written to %s)\n%s", msg["To"], msg["Subject"], path, plain.get_content() if plain else ""
    )


def _send_smtp(msg: EmailMessage) -> None:
    url = urlsplit(_config.smtp_url)
    if url.scheme not in ("smtp", "smtps"):
        raise ValueError(f"PORTAL_SMTP_URL must start with smtp:// or smtps://, not {url.scheme}://")
    host = url.hostname or "localhost"
    context = ssl.create_default_context()
    if url.scheme == "smtps":
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, url.port or 465, timeout=_config.timeout, context=context)
    else:
        server = smtplib.SMTP(host, url.port or 25, timeout=_config.timeout)
    with server:
        server.ehlo()
        if url.scheme == "smtp" and server.has_extn("starttls"):
            server.starttls(context=context)
            server.ehlo()
        if url.username:
            server.login(unquote(url.username), unquote(url.password or ""))
        server.send_message(msg)
