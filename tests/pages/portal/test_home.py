"""The portal's Home answers "what do I owe": balances, the next invoice to pay, open requests, recent updates,
then projects; useful with no projects at all, and never showing another client's figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from nicegui import ui
from nicegui.testing.user import User

from services.billing import manual_payments
from services.billing.invoices import LineInput
from services.clients import clients, contacts
from services.core import clock
from services.files import deliverables, files
from services.projects import discussion, projects, work_requests
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import issue_invoice
from tests.support.portal import sign_in_contact


@pytest.fixture
async def acme(user: User) -> OrgWorld:
    world = await make_world("acme")
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    return world


def labels_in(user: User, marker: str) -> str:
    return " | ".join(e.text for e in user.find(marker=marker).elements for e in e.descendants() if hasattr(e, "text"))


async def test_home_shows_what_is_owed_what_is_overdue_and_the_next_invoice_to_pay(user: User, acme: OrgWorld) -> None:
    today = clock.now().date()
    late = await issue_invoice(
        acme,
        lines=[LineInput("Design", "1", "3000.00")],
        issue_date=today - timedelta(days=40),
        due_date=today - timedelta(days=10),
    )
    await issue_invoice(acme, lines=[LineInput("Build", "1", "1145.00")], due_date=today + timedelta(days=20))
    await manual_payments.record_payment(acme.actor, late.id, manual_payments.PaymentInput("1000.00"))

    await user.open("/portal/acme/")
    await user.should_see(marker="balance-USD")
    balance = labels_in(user, "balance-USD")
    assert "$3,145.00" in balance and "$2,000.00 overdue" in balance
    next_due = labels_in(user, "next-due")
    assert f"{late.number}: $2,000.00 was due" in next_due
    user.find(kind=ui.button, content="View and pay").click()
    await user.should_see("Billed to")  # the invoice's own page, where Pay is


async def test_home_without_projects_still_answers_what_is_owed(user: User) -> None:
    world = await make_world("acme")
    solo = await clients.create_client(world.actor, clients.ClientInput(name="Solo Ltd"))
    contact = await contacts.create_contact(
        world.actor, solo.id, contacts.ContactInput(email="sam@solo.test", name="Sam", portal_enabled=True)
    )
    await issue_invoice(world, client_id=solo.id, lines=[LineInput("Audit", "1", "4145.00")])
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, contact.email)
    await user.open("/portal/acme/")
    assert "$4,145.00" in labels_in(user, "balance-USD")
    await user.should_see("No projects yet: when work starts for you, it shows up here.")
    await user.should_not_see(marker="open-requests")


async def test_home_says_paid_up_once_everything_is_paid(user: User, acme: OrgWorld) -> None:
    invoice = await issue_invoice(acme, lines=[LineInput("Design", "1", "100.00")])
    await manual_payments.record_payment(acme.actor, invoice.id, manual_payments.PaymentInput("100.00"))
    await user.open("/portal/acme/")
    await user.should_see(marker="paid-up")
    await user.should_not_see(marker="next-due")


async def test_home_lists_open_requests_and_recent_public_updates_only(user: User, acme: OrgWorld) -> None:
    pid = acme.project.id
    await work_requests.create_request(acme.actor, pid, work_requests.RequestInput("Fix the footer"))
    done = await work_requests.create_request(acme.actor, pid, work_requests.RequestInput("Old thing"))
    await work_requests.update_request(acme.actor, done.id, work_requests.RequestChanges(status="done"))
    await discussion.post_update(acme.actor, pid, "Homepage design is ready for review", "public")
    await discussion.post_update(acme.actor, pid, "ZZ internal margin talk", "internal")

    await user.open("/portal/acme/")
    requests = labels_in(user, "open-requests")
    assert "Open requests (1)" in requests and "Fix the footer" in requests and "Old thing" not in requests
    updates = labels_in(user, "recent-updates")
    assert "Homepage design is ready for review" in updates
    await user.should_not_see("ZZ internal margin talk")


async def test_home_shows_nothing_of_another_client(user: User, acme: OrgWorld) -> None:
    other = await clients.create_client(acme.actor, clients.ClientInput(name="Other Co", email="ap@other.test"))
    project = await projects.create_project(acme.actor, other.id, projects.ProjectInput(name="Other site"))
    await work_requests.create_request(acme.actor, project.id, work_requests.RequestInput("Their request"))
    await discussion.post_update(acme.actor, project.id, "Their news", "public")
    await issue_invoice(acme, client_id=other.id, lines=[LineInput("Theirs", "1", "999.00")])
    await user.open("/portal/acme/")
    await user.should_not_see("Their request")
    await user.should_not_see("Their news")
    await user.should_not_see(marker="balance")
    await user.should_not_see("$999.00")


async def _bytes(data: bytes):
    yield data


async def test_home_lists_what_waits_for_review_and_the_latest_shared_files(user: User, acme: OrgWorld) -> None:
    pdf = b"%PDF-1.7\n" + bytes(100)
    pid = acme.project.id
    sent = await deliverables.create(acme.actor, pid, "Homepage design", "home.pdf", _bytes(pdf))
    await deliverables.send_for_review(acme.actor, sent.id)
    await deliverables.create(acme.actor, pid, "Secret draft", "draft.pdf", _bytes(pdf))
    await files.upload(acme.actor, "Creative brief.pdf", _bytes(pdf), project_id=pid, shared=True)
    await files.upload(acme.actor, "Internal costing.pdf", _bytes(pdf), project_id=pid)

    await user.open("/portal/acme/")
    await user.should_see(marker="awaiting-review")
    waiting = labels_in(user, "awaiting-review")
    assert "Homepage design (version 1)" in waiting and "Secret draft" not in waiting
    shared = labels_in(user, "recent-files")
    assert "Creative brief.pdf" in shared and "Internal costing.pdf" not in shared
    user.find(kind=ui.button, content="Review").click()
    await user.should_see("Request changes")  # the deliverable's own page


async def test_home_has_no_review_or_files_cards_when_there_is_nothing(user: User, acme: OrgWorld) -> None:
    await user.open("/portal/acme/")
    await user.should_see("Your projects")
    await user.should_not_see(marker="awaiting-review")
    await user.should_not_see(marker="recent-files")
