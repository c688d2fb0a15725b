"""Project mail (digests to contacts, new requests to staff): multipart, greeting each recipient by name."""

from __future__ import annotations

from sqlalchemy import select

from models import OutboxMail
from services.core.actors import SystemActor
from services.core.db import unit_of_work
from services.projects import discussion, notifications, work_requests
from tests.support.factories import Team
from tests.support.invoicing import set_org
from tests.support.mail import HOSTILE_NAME


async def queued(subject_start: str) -> list[OutboxMail]:
    async with unit_of_work(SystemActor()) as session:
        rows = await session.scalars(
            select(OutboxMail).where(OutboxMail.subject.startswith(subject_start)).order_by(OutboxMail.to_addr)
        )
        return list(rows)


async def test_a_digest_greets_its_contact_and_carries_the_project_link_and_opt_out(team: Team, at) -> None:
    await set_org(team.world.actor.org_id, name=HOSTILE_NAME)
    await discussion.post_update(team.staff, team.project_id, "Launch <date> & more", "public")
    assert await notifications.send_digests() == 2
    jane = next(m for m in await queued("Acme Website") if m.to_addr == team.jane.email)
    opt_out = notifications.opt_out_url("acme", team.jane.contact_id)
    page = f"/portal/acme/projects/{team.project_id}"
    assert jane.body_text.startswith("Hello Jane Doe,\n\n")
    assert (
        "posted an update: Launch <date> & more" in jane.body_text
        and page in jane.body_text
        and opt_out in jane.body_text
    )
    assert "Hello Jane Doe," in jane.body_html and "Launch &lt;date&gt; &amp; more" in jane.body_html
    assert page in jane.body_html and "<script>" not in jane.body_html and "&lt;script&gt;" in jane.body_html


async def test_a_new_request_mail_greets_the_staff_member_by_name(team: Team) -> None:
    await work_requests.create_request(team.jane, team.project_id, work_requests.RequestInput("New <logo>", "Bigger"))
    [mail] = await queued("New request from")
    assert mail.to_addr == team.world.owner_email
    assert mail.body_text.startswith("Hello owner,\n\n")  # the owner's name: the factory's default
    assert "New <logo>" in mail.body_text and f"/projects/{team.project_id}" in mail.body_text
    assert "New &lt;logo&gt;" in mail.body_html and "Hello owner," in mail.body_html
