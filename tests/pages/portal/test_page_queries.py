"""Every portal page reads a fixed number of SQL statements, at most eight, whatever its client holds (SPEC §9)."""

from __future__ import annotations

import pytest
from nicegui.testing.user import User

from services.billing import manual_payments
from services.billing.invoices import LineInput
from services.core import clock
from services.core.db import get_database
from services.files import deliverables, files
from services.projects import discussion, milestones, projects, work_requests
from services.time import entries, rates
from tests.support.db import counted
from tests.support.factories import OrgWorld, make_world
from tests.support.invoicing import issue_invoice
from tests.support.portal import sign_in_contact

MAX_STATEMENTS = 8


@pytest.fixture
async def acme(user: User) -> OrgWorld:
    world = await make_world("acme")
    await sign_in_contact(user.http_client, "acme", world.actor.org_id, world.contact.email)
    return world


PDF = b"%PDF-1.7\n" + bytes(64)


async def _bytes(data: bytes):
    yield data


async def add_rows(world: OrgWorld, n: int) -> None:
    """`n` more of everything a portal page lists: projects, milestones, requests, updates with replies, invoices
    (the first with more lines and a payment), shared files, deliverables in review, and approved time on the
    project and on each new project with a budget (and time waiting for approval, which no page shows)."""
    staff, pid = world.actor, world.project.id
    today = clock.now().date()
    for k in range(n):
        extra = await projects.create_project(staff, world.client.id, projects.ProjectInput(name=f"Extra {k}"))
        await rates.set_project_rates(staff, extra.id, hourly_rate="90.00", budget_hours="20")
        logged = [
            await entries.log_entry(staff, entries.EntryInput(project, today, "1.5", f"Work {k}"))
            for project in (pid, extra.id)
        ]
        await entries.approve(staff, [e.id for e in logged])
        await entries.log_entry(staff, entries.EntryInput(pid, today, "2", f"Not approved {k}"))
        await milestones.add_milestone(staff, pid, milestones.MilestoneInput(f"Step {k}", done=k % 2 == 0))
        await work_requests.create_request(staff, pid, work_requests.RequestInput(f"Request {k}"))
        update = await discussion.post_update(staff, pid, f"News {k}", "public")
        await discussion.add_comment(staff, f"Reply {k}", update_id=update.id, visibility="public")
        lines = [LineInput(f"Line {i}", "1", "10.00") for i in range(k + 2)]
        invoice = await issue_invoice(world, lines=lines)
        await manual_payments.record_payment(staff, invoice.id, manual_payments.PaymentInput("1.00"))
        await files.upload(staff, f"File {k}.pdf", _bytes(PDF), project_id=pid, shared=True)
        made = await deliverables.create(staff, pid, f"Deliverable {k}", "d.pdf", _bytes(PDF))
        await deliverables.send_for_review(staff, made.id)


async def statements_per_page(user: User, world: OrgWorld, invoice_id: object) -> dict[str, int]:
    paths = [
        "/",
        "/projects",
        f"/projects/{world.project.id}",
        "/invoices",
        f"/invoices/{invoice_id}",
        "/files",
        "/hours",
    ]
    found = {}
    for path in paths:
        with counted(get_database()) as statements:
            await user.open(f"/portal/acme{path}")
        found[path] = len(statements)
    return found


async def test_each_portal_page_reads_at_most_eight_statements_with_one_row_or_many(user: User, acme: OrgWorld) -> None:
    invoice = await issue_invoice(acme)
    await add_rows(acme, 1)
    await user.open(f"/portal/acme/invoices/{invoice.id}")  # the organization's first view notes its audit action
    few = await statements_per_page(user, acme, invoice.id)
    await add_rows(acme, 12)
    await manual_payments.record_payment(acme.actor, invoice.id, manual_payments.PaymentInput("5.00"))
    many = await statements_per_page(user, acme, invoice.id)
    assert many == few
    assert all(many.values())
    assert {path: count for path, count in many.items() if count > MAX_STATEMENTS} == {}
