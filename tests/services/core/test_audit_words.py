"""Audit events read as sentences, with names and money in the organization's format; user agents in words."""

from __future__ import annotations

import pathlib
import re
from datetime import date

import pytest

from services.billing import manual_payments
from services.clients import magic_links
from services.core import audit, audit_words
from services.core.formatting import Formats
from services.core.user_agents import summary
from tests.support.factories import add_member, make_world
from tests.support.invoicing import issue_invoice

MAC_CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"


async def test_a_recorded_payment_reads_as_a_sentence_with_the_staff_name_and_formatted_money(database) -> None:
    world = await make_world("acme")
    ana = await add_member(world.actor.org_id, "ana@acme.test", name="Ana")
    invoice = await issue_invoice(world)
    await manual_payments.record_payment(
        ana, invoice.id, manual_payments.PaymentInput(amount="1000.00", paid_on=date(2026, 11, 2))
    )
    [event] = (await audit.list_events(world.actor, audit.AuditFilter(action="invoice.payment_recorded"))).items
    assert event.who == "Ana" and event.actor_label == "ana@acme.test"
    words = audit_words.sentence(event.who, event.action, event.target_label, event.detail, Formats())
    assert words == f"Ana recorded a payment of $1,000.00 on {invoice.number}"
    german = audit_words.sentence(event.who, event.action, event.target_label, event.detail, Formats("de_DE"))
    assert "1.000,00" in german


async def test_a_contact_is_named_and_the_system_keeps_its_label(database) -> None:
    world = await make_world("acme")
    assert await magic_links.request_link(world.actor.org_id, world.contact.email, ip="203.0.113.9")
    [event] = (await audit.list_events(world.actor, audit.AuditFilter(action="portal.link_requested"))).items
    assert event.who == "Jane Doe"
    assert audit_words.sentence(event.who, event.action, event.target_label, event.detail, Formats()) == (
        "Jane Doe asked for a sign-in link"
    )
    [created] = (await audit.list_events(world.actor, audit.AuditFilter(action="org.created"))).items
    assert created.who == "test"  # the system actor's label: no person behind it


@pytest.mark.parametrize(
    ("action", "detail", "expected"),
    [
        ("request.moved", {"from": "backlog", "to": "in_progress"}, "moved the request Logo to In progress"),
        ("contact.billing_changed", {"billing": True}, "made Logo a billing contact"),
        ("contact.portal_access_changed", {"portal_enabled": False}, "removed Logo's portal access"),
        ("project.progress_set", {"percent": 40}, "set the progress of Logo to 40%"),
        (
            "invoice.payment_received",
            {"amount": "12.5", "currency": "EUR"},
            "received a card payment of €12.50 on Logo",
        ),
        ("invoice.payment_recorded", {"amount": "bad", "currency": "EUR"}, "recorded a payment of bad EUR on Logo"),
        ("something.new_happened", {}, "new happened something Logo"),
    ],
)
def test_phrases_use_the_detail(action: str, detail: dict[str, object], expected: str) -> None:
    assert audit_words.phrase(action, "Logo", detail, Formats()) == expected


def test_every_recorded_action_has_words() -> None:
    """Every action code the services record has a phrase of its own, not the fallback built from the code."""
    recorded = set()
    for path in pathlib.Path("services").rglob("*.py"):
        text = path.read_text()
        for call in re.finditer(r"audit\.(?:record|row)\(", text):
            found = re.search(r'"([a-z_]+\.[a-z_]+)"', text[call.end() : call.end() + 300])
            if found:
                recorded.add(found.group(1))
    assert len(recorded) > 40
    assert recorded - set(audit_words.PHRASES) - set(audit_words.BUILDERS) == set()


def test_action_labels_for_the_filter() -> None:
    assert audit_words.action_label("invoice.payment_recorded") == "Invoice: payment recorded"


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (MAC_CHROME, "Chrome on macOS"),
        (IPHONE, "Safari on iOS"),
        (WINDOWS_FIREFOX, "Firefox on Windows"),
        ("", "Unknown browser"),
        ("curl/8.4.0", "curl"),
        ("\x00\x01", "Unknown browser"),
    ],
)
def test_user_agents_in_words(agent: str, expected: str) -> None:
    assert summary(agent) == expected
