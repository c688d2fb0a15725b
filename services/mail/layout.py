"""Every mail's two bodies from one description: a plain-text part that is complete on its own, and a branded HTML
part (the organization's name or logo and accent colour) that says the same.

A mail is a greeting by name, blocks (paragraphs, one call-to-action button, a code) and footer lines. Every value
is HTML-escaped where it goes into the HTML; styles are inline and the layout is tables, as mail clients need.

A sweep that writes thousands of alike mails renders the layout once, with `field` markers where each mail's own
values go, and fills the resulting `Template` per mail with string formatting (see `template`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import NamedTuple

from models.organizations import Organization
from services.core import config

DEFAULT_ACCENT = "#4f46e5"
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_FONT = "font-family:Helvetica,Arial,sans-serif;"
# Marks a field of a template: a private-use character, which html.escape keeps and str.split does not split on.
_MARK = "\ue000"
_FIELD = re.compile(_MARK + r"(\w+)" + _MARK)


class Recipient(NamedTuple):
    """Who a mail goes to, and the name it greets them by ("" greets no one by name)."""

    email: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Branding:
    """How an organization's mails look: its name, its accent colour and its logo's address (None without one)."""

    name: str
    accent: str = DEFAULT_ACCENT
    logo_url: str | None = None

    @classmethod
    def of(cls, org: Organization) -> Branding:
        # The portal's public logo route: no bytes in the mail, and a logo changed later shows in old mails too.
        logo = f"{config.get().base_url}/portal/{org.slug}/logo" if org.logo_content_type else None
        return cls(org.name, org.accent_color, logo)

    @property
    def safe_accent(self) -> str:
        """The accent as `#rrggbb`; anything else (it goes into a style attribute) is the default."""
        return self.accent.lower() if _HEX_COLOUR.fullmatch(self.accent or "") else DEFAULT_ACCENT


@dataclass(frozen=True, slots=True)
class Button:
    """The call to action: a button in the HTML, the address on a line of its own in the plain text."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Code:
    """A code to type (the sign-in code): on a line of its own in the plain text, large in the HTML."""

    value: str


Block = str | Button | Code


@dataclass(frozen=True, slots=True)
class Mail:
    text: str
    html: str


def sender_footer(org: Organization) -> list[str]:
    """The closing lines of a mail to a client: who sent it, and where to write with questions."""
    return [org.name] + ([f"Questions? Write to {org.support_email}"] if org.support_email else [])


def greeting(name: str) -> str:
    if name == TEMPLATE_NAME:
        return field("greeting")  # filled per mail: "Hello," has no space before its comma
    name = " ".join(name.split())
    return f"Hello {name}," if name else "Hello,"


def compose(brand: Branding, name: str, blocks: Iterable[Block], footer: Sequence[str] = ()) -> Mail:
    """The plain-text and HTML bodies of a mail to `name` ("" when no name is known)."""
    blocks = [b for b in blocks if not isinstance(b, str) or b.strip()]
    return Mail(_text(name, blocks, footer), _html(brand, name, blocks, footer))


def _text(name: str, blocks: list[Block], footer: Sequence[str]) -> str:
    parts = [greeting(name)]
    for block in blocks:
        parts.append(block.url if isinstance(block, Button) else block.value if isinstance(block, Code) else block)
    text = "\n\n".join(part.strip("\n") for part in parts)
    if footer:
        text += "\n\n-- \n" + "\n".join(footer)
    return text + "\n"


def _lines(text: str) -> str:
    return "<br>".join(escape(line) for line in text.strip("\n").split("\n"))


def _ink_on(colour: str) -> str:
    """Dark or white text, whichever reads on `colour` (a light accent would hide white button text)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#111827" if 0.299 * red + 0.587 * green + 0.114 * blue > 160 else "#ffffff"


def _html(brand: Branding, name: str, blocks: list[Block], footer: Sequence[str]) -> str:
    accent = brand.safe_accent
    if brand.logo_url:
        head = (
            f'<img src="{escape(brand.logo_url)}" alt="{escape(brand.name)}" height="48" '
            'style="display:block;height:48px;width:auto;border:0">'
        )
    else:
        head = f'<span style="font-size:20px;font-weight:bold;color:{accent}">{escape(brand.name)}</span>'
    body = [f'<p style="margin:0 0 16px">{_lines(greeting(name))}</p>']
    for block in blocks:
        if isinstance(block, Button):
            url = escape(block.url)
            body.append(
                '<table role="presentation" cellpadding="0" cellspacing="0" style="margin:0 0 16px"><tr>'
                f'<td style="border-radius:6px;background:{accent}"><a href="{url}" style="display:inline-block;'
                f'padding:12px 24px;color:{_ink_on(accent)};font-weight:bold;text-decoration:none">'
                f"{escape(block.label)}</a></td></tr></table>"
                f'<p style="margin:0 0 16px;font-size:13px;color:#6b7280;word-break:break-all">'
                f'<a href="{url}" style="color:{accent}">{url}</a></p>'
            )
        elif isinstance(block, Code):
            body.append(
                '<p style="margin:0 0 16px;font-size:28px;font-weight:bold;letter-spacing:6px;'
                f'font-family:Menlo,Consolas,monospace">{escape(block.value)}</p>'
            )
        else:
            body.append(f'<p style="margin:0 0 16px">{_lines(block)}</p>')
    foot = (
        f'<tr><td style="padding:16px 32px;border-top:1px solid #e5e7eb;font-size:12px;color:#6b7280">'
        f"{'<br>'.join(escape(line) for line in footer)}</td></tr>"
        if footer
        else ""
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1"></head>'
        f'<body style="margin:0;padding:0;background:#f4f4f5;{_FONT}">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f4f5">'
        '<tr><td align="center" style="padding:24px 12px">'
        '<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;'
        f'width:100%;background:#ffffff;border-top:4px solid {accent};border-radius:6px;{_FONT}">'
        f'<tr><td style="padding:24px 32px 8px">{head}</td></tr>'
        f'<tr><td style="padding:8px 32px 16px;font-size:15px;line-height:1.5;color:#1f2937">{"".join(body)}'
        f"</td></tr>{foot}</table></td></tr></table></body></html>"
    )


# --- templates for sweeps ------------------------------------------------------------------------------------------


def field(name: str) -> str:
    """A place in a template's text that `Template.fill` fills with the value named `name`."""
    return f"{_MARK}{name}{_MARK}"


# The recipient's name in a template: `compose(brand, TEMPLATE_NAME, …)` leaves the greeting to each mail.
TEMPLATE_NAME = field("name")


@dataclass(frozen=True, slots=True)
class Template:
    """Both bodies with `{field}`s (every other brace doubled): filling one is two `str.format_map` calls."""

    text: str
    html: str

    def fill(self, name: str, values: Mapping[str, str]) -> Mail:
        """The mail to `name` with `values` in its fields (as they are in the text, escaped in the HTML)."""
        return Mail(self.fill_text(name, values), self.html.format_map(self.html_values(name, values)))

    def fill_text(self, name: str, values: Mapping[str, str]) -> str:
        return self.text.format_map({**values, "greeting": greeting(name)})

    def html_values(self, name: str, values: Mapping[str, str]) -> dict[str, str]:
        """What the HTML is filled with, escaped: for a mail whose HTML template is stored once and filled when
        the mail is sent (outbox.add_template)."""
        return {k: escape(v) for k, v in {**values, "greeting": greeting(name)}.items()}


def template(mail: Mail, fields: Iterable[str]) -> Template:
    """A mail composed with `field` markers (and `TEMPLATE_NAME`) as a `Template` with those fields; its other
    braces are made literal, so that an organization's name with braces in it stays as it is."""
    names = {*fields, "greeting"}

    def with_fields(body: str) -> str:
        body = body.replace("{", "{{").replace("}", "}}")
        return _FIELD.sub(lambda m: "{" + m[1] + "}" if m[1] in names else m[0], body)

    return Template(with_fields(mail.text), with_fields(mail.html))
