"""The mail layout: a complete plain-text part and a branded, escaped HTML part from one description."""

from __future__ import annotations

from models.organizations import Organization
from services.core import config
from services.mail import layout
from services.mail.layout import Branding, Button, Code
from tests.support.mail import HOSTILE_NAME


def org(**values: object) -> Organization:
    fields: dict[str, object] = {"name": "Acme", "slug": "acme", "accent_color": "#0f766e", "logo_content_type": ""}
    return Organization(**(fields | values))


def test_the_plain_text_holds_everything_on_its_own(service_config):
    mail = layout.compose(
        Branding("Acme"),
        "Jane Doe",
        [
            "Use this link to sign in:",
            Button("Sign in", "http://portico.test/link/abc"),
            "Or the code:",
            Code("012345"),
        ],
        footer=["Acme", "Questions? Write to help@acme.test"],
    )
    assert mail.text == (
        "Hello Jane Doe,\n\nUse this link to sign in:\n\nhttp://portico.test/link/abc\n\nOr the code:\n\n012345\n\n"
        "-- \nAcme\nQuestions? Write to help@acme.test\n"
    )
    assert 'href="http://portico.test/link/abc"' in mail.html and ">Sign in</a>" in mail.html
    assert "012345" in mail.html and "help@acme.test" in mail.html


def test_without_a_name_the_greeting_is_plain():
    assert layout.compose(Branding("Acme"), "", ["Hi there."]).text.startswith("Hello,\n\nHi there.")
    assert layout.compose(Branding("Acme"), "  ", ["Hi there."]).text.startswith("Hello,\n\n")


def test_every_value_is_escaped_in_the_html():
    url = 'http://portico.test/x?a=1&b="2"'
    mail = layout.compose(
        Branding(HOSTILE_NAME, logo_url='http://portico.test/"logo'),
        HOSTILE_NAME,
        [f"From {HOSTILE_NAME}", Button(HOSTILE_NAME, url), Code("<b>")],
        footer=[HOSTILE_NAME],
    )
    assert "<script>" not in mail.html and "<b>" not in mail.html
    assert "Evil &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;Co&#x27;" in mail.html
    assert 'href="http://portico.test/x?a=1&amp;b=&quot;2&quot;"' in mail.html
    assert 'src="http://portico.test/&quot;logo"' in mail.html
    assert f"Hello {HOSTILE_NAME}," in mail.text and url in mail.text  # the plain text is text: nothing to escape


def test_the_accent_is_used_only_as_a_colour():
    assert "#0f766e" in layout.compose(Branding("Acme", "#0F766E"), "", ["x"]).html
    hostile = layout.compose(Branding("Acme", 'red;background:url("http://evil.test")'), "", ["x"])
    assert "evil.test" not in hostile.html and layout.DEFAULT_ACCENT in hostile.html
    # A light accent gets dark button text.
    assert "color:#111827" in layout.compose(Branding("Acme", "#fde047"), "", [Button("Go", "http://x.test")]).html


def test_the_logo_is_the_portals_logo_route_and_only_when_there_is_one(service_config):
    with_logo = Branding.of(org(logo_content_type="image/png"))
    assert with_logo.logo_url == f"{config.get().base_url}/portal/acme/logo"
    assert f'<img src="{config.get().base_url}/portal/acme/logo"' in layout.compose(with_logo, "", ["x"]).html
    without = layout.compose(Branding.of(org()), "", ["x"]).html
    assert "<img" not in without and ">Acme</span>" in without and "#0f766e" in without


def test_a_template_fills_each_mail_and_keeps_braces_in_the_organizations_text():
    body = layout.compose(
        Branding("Acme {number} 100%"),
        layout.TEMPLATE_NAME,
        [f"Invoice {layout.field('number')} is due. {{url}} %s", Button("View", layout.field("url"))],
    )
    template = layout.template(body, ["number", "url"])
    jane = template.fill("Jane <Doe>", {"number": "INV-1", "url": "http://portico.test/i/a&b"})
    anyone = template.fill("", {"number": "INV-2", "url": "http://portico.test/i/c"})
    assert jane.text == "Hello Jane <Doe>,\n\nInvoice INV-1 is due. {url} %s\n\nhttp://portico.test/i/a&b\n"
    assert anyone.text.startswith("Hello,\n\nInvoice INV-2")
    assert "Hello Jane &lt;Doe&gt;," in jane.html and 'href="http://portico.test/i/a&amp;b"' in jane.html
    assert "Acme {number} 100%" in jane.html and ">View</a>" in jane.html
