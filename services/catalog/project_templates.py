"""Projects started from a service's template (SPEC §12, §13): a purchase starts one, and so can an accepted quote.

A template is the service's milestones, each due some days after the start, and an optional first request.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import Service
from models.collaboration import Milestone, WorkRequest
from models.organizations import Organization
from models.projects import Project, ProjectStatus
from services.core import audit, clock
from services.core.actors import Actor
from services.core.formatting import Formats
from services.projects import document_events


async def start_project_in(
    session: AsyncSession,
    actor: Actor,
    org: Organization,
    *,
    client_id: uuid.UUID,
    name: str,
    template: Service | None,
    requester_contact_id: uuid.UUID | None,
    via: str,
) -> Project:
    """An active project for the client starting today (the organization's today), following `template` when
    given: its milestones due days after today, its first request filed by `requester_contact_id`. Audited as
    made `via` "purchase" or "quote"."""
    today = clock.now().astimezone(Formats(org.locale, org.timezone).zone).date()
    steps = list(template.template_milestones or []) if template is not None else []
    ends = [today + timedelta(days=int(step.get("offset_days", 0))) for step in steps]
    project = Project(
        org_id=org.id,
        client_id=client_id,
        name=name[:200],
        status=ProjectStatus.active,
        start_date=today,
        due_date=max(ends) if ends else None,
    )
    session.add(project)
    await session.flush()
    for step, due in zip(steps, ends, strict=True):
        session.add(
            Milestone(
                org_id=org.id,
                client_id=client_id,
                project_id=project.id,
                title=str(step.get("title", ""))[:200],
                due_date=due,
            )
        )
    if template is not None and template.template_request_title:
        session.add(
            WorkRequest(
                org_id=org.id,
                client_id=client_id,
                project_id=project.id,
                title=template.template_request_title,
                description=template.template_request_description,
                requester_contact_id=requester_contact_id,
                source="portal",
            )
        )
    audit.record(
        session,
        actor,
        "project.created",
        org_id=org.id,
        target_type="project",
        target_id=project.id,
        target_label=project.name,
        detail={"via": via},
    )
    await session.flush()
    await document_events.project_status_set(session, project, None)  # its welcome packet, milestones and all
    return project
